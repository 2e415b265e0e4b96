"""The web app hands outbox rows to the broker right after the write commits (Redis here):
a won opportunity's email is on the queue before any sweeper runs."""

from __future__ import annotations

import uuid

import pytest
import redis

from pg_support import unavailable
from web_helpers import make_site

from metacrm.store import Database
from metacrm.web import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_a_write_through_the_api_publishes_its_outbox_rows(tmp_path, monkeypatch):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as err:
        unavailable("Redis", err)
    queue = f"test_publish_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("METACRM_QUEUE", queue)
    db = Database.from_url(f"sqlite:///{tmp_path}/publish.db")
    site = make_site(db)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "RATELIMIT_ENABLED": False,
                      "REDIS_URL": REDIS_URL}, db=db)
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {site.admin_token}"
    try:
        account = api.post("/api/v1/account", json={"name": "Publish Inc"})
        assert account.status_code == 201, account.get_json()
        assert not client.keys(f"{queue}:*"), "nothing to deliver yet"
        won = api.post("/api/v1/opportunity", json={
            "name": "Big win", "account": account.get_json()["id"], "amount": "1000",
            "stage": "Closed Won", "close_date": "2026-12-01"})
        assert won.status_code == 201, won.get_json()
        assert app.extensions["metacrm_publisher"].flush()
        keys = client.keys(f"{queue}:*")
        assert keys, "the won_followup email was not published"
        assert any(client.type(key) == b"list" and client.llen(key) >= 1 for key in keys)
    finally:
        for key in client.keys(f"{queue}:*"):
            client.delete(key)
        db.dispose()


def test_without_redis_the_write_still_succeeds(tmp_path, monkeypatch):
    """A broker that cannot be reached delays delivery, never a write, and does not hold the
    request up: the publishing happens on another thread."""
    monkeypatch.setenv("METACRM_QUEUE", f"test_publish_{uuid.uuid4().hex[:10]}")
    db = Database.from_url(f"sqlite:///{tmp_path}/nobroker.db")
    site = make_site(db)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "RATELIMIT_ENABLED": False,
                      "REDIS_URL": "redis://127.0.0.1:1/0"}, db=db)
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {site.admin_token}"
    account = api.post("/api/v1/account", json={"name": "Offline Inc"}).get_json()
    won = api.post("/api/v1/opportunity", json={
        "name": "Win while offline", "account": account["id"], "stage": "Closed Won",
        "close_date": "2026-12-01"})
    assert won.status_code == 201
    assert app.extensions["metacrm_publisher"].flush(timeout=30)
    from metacrm.automation import outbox_for_record
    rows = outbox_for_record(db, "opportunity", won.get_json()["id"])
    assert rows and all(row["status"] == "pending" for row in rows)
    db.dispose()


def test_the_publisher_never_holds_up_its_caller():
    import threading
    from metacrm.automation.publisher import BackgroundPublisher
    release, published = threading.Event(), []

    def slow_broker(rows):
        release.wait(10)            # a broker that hangs until told otherwise
        published.extend(rows)

    def failing_broker(rows):
        raise ConnectionError("broker down")

    publisher = BackgroundPublisher(slow_broker)
    publisher([("row-1", "email")])          # returns although the broker hangs
    publisher([("row-2", "webhook")])
    assert published == []
    release.set()
    assert publisher.flush()
    assert published == [("row-1", "email"), ("row-2", "webhook")]

    broken = BackgroundPublisher(failing_broker)
    broken([("row-3", "email")])             # logged, not raised: the sweeper has the row
    assert broken.flush()
    broken([])                                # nothing to publish: no thread work
