"""A real Celery worker (a `metacrm worker` process) on a real Redis and on the embedded
broker, delivering to a local webhook receiver; faults: the worker killed mid-flow, the broker
unreachable at publish time (a crash between commit and publish). Every action arrives once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from automation_helpers import SECRET, WebhookReceiver, wait_for
from automation_helpers import empty_tables

from metacrm.automation import Settings, Worker, make_celery
from metacrm.runtime import Actor
from metacrm.store import outbox

REDIS_URL = os.environ.get("METACRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
METACRM = Path(sys.executable).with_name("metacrm")


def _redis_or_skip():
    import redis

    from pg_support import unavailable
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as err:  # noqa: BLE001
        unavailable("Redis", err)


@pytest.fixture(params=["redis", "embedded"])
def broker(request, tmp_path):
    queue = f"metacrm_test_{uuid.uuid4().hex[:10]}"
    if request.param == "redis":
        _redis_or_skip()
        yield REDIS_URL, queue
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{queue}:*")) + list(client.scan_iter(match=f"*{queue}*"))
        if keys:  # only this test's own keys: the server is shared
            client.delete(*set(keys))
    else:
        yield f"sqla+sqlite:///{tmp_path}/broker.db", queue


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


class WorkerProcess:
    def __init__(self, database_url: str, broker_url: str, queue: str, log: Path):
        self.args = [str(METACRM), "--database", database_url, "worker", "--queue", queue,
                     "--concurrency", "4", "--loglevel", "WARNING"]
        self.env = {**os.environ, "METACRM_REDIS_URL": broker_url, "METACRM_WEBHOOK_SECRET": SECRET,
                    "METACRM_OUTBOX_RETRY_SECONDS": "0.2", "METACRM_SWEEP_GRACE_SECONDS": "0",
                    # a row a killed worker held is taken over this soon (the sweeper finds it)
                    "METACRM_OUTBOX_LEASE_SECONDS": "2"}
        self.log = log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=self.log.open("ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group, nothing else
            self.proc.wait(10)


@pytest.fixture
def setup(backend, broker, tmp_path):
    db, url = backend
    empty_tables(db)
    broker_url, queue = broker
    settings = Settings(database_url=url, broker_url=broker_url, queue=queue,
                        webhook_secret=SECRET, sweep_grace_seconds=0)
    app = make_celery(settings)
    worker = Worker(settings, db, publisher=app.metacrm_publish, load_entry_points=False)
    proc = WorkerProcess(url, broker_url, queue, tmp_path / "worker.log")
    yield db, app, worker, proc
    proc.kill()


def won_deals(service, url: str, count: int, start: int = 0) -> None:
    system = Actor.system()
    user = service.create("user", {"username": f"u{start}", "email": f"u{start}@x.org"}, system)
    owner = Actor.for_user(user)
    account = service.create("account", {"name": "Acme", "hook_url": url}, owner)
    for i in range(start, start + count):
        deal = service.create("deal", {"name": f"D{i}", "account": account["id"]}, owner)
        service.update("deal", deal["id"], {"stage": "Won"}, owner)


def webhook_keys(db) -> set[str]:
    with db.read() as conn:
        return {r["id"] for r in outbox.read_rows(conn, limit=10000) if r["kind"] == "webhook"}


def test_a_real_worker_delivers_each_action_once_across_a_worker_crash(setup, receiver):
    db, app, worker, proc = setup
    service = worker.service()
    proc.start()
    won_deals(service, receiver.url, 5)
    wait_for(lambda: len(receiver.deliveries) >= 5, 60, "the first deliveries")
    proc.kill()                                          # the worker dies mid-flow
    won_deals(service, receiver.url, 5, start=5)         # written and published meanwhile
    proc.start()                                         # back: the queue is drained
    wait_for(lambda: len(receiver.deliveries) >= 10, 60, "every delivery")
    assert set(receiver.deliveries) == webhook_keys(db)
    assert len(receiver.deliveries) == 10
    # a row the killed worker held (sent, not yet marked) is re-sent by the sweeper once its
    # lease ends; the receiver honours the Idempotency-Key, so it still counts once
    wait_for(lambda: _sweep(app, worker) and _all_delivered(db), 60, "rows marked delivered")
    assert len(receiver.deliveries) == 10


def _sweep(app, worker) -> bool:
    app.tasks["metacrm.automation.sweep"].apply_async()
    import time
    time.sleep(0.5)  # pacing the polling loop, not an assertion of timing
    return True


def test_a_publish_lost_between_commit_and_broker_is_swept(setup, receiver, backend):
    db, app, worker, proc = setup
    broken = make_celery(Settings(database_url=backend[1], broker_url="redis://127.0.0.1:1/0",
                                  queue=worker.settings.queue))
    worker.engine.publisher = broken.metacrm_publish     # the broker is unreachable
    won_deals(worker.service(), receiver.url, 4)        # commits succeed regardless
    assert len(webhook_keys(db)) == 4
    proc.start()
    app.tasks["metacrm.automation.sweep"].apply_async()  # what beat sends
    wait_for(lambda: len(receiver.deliveries) >= 4, 60, "the swept deliveries")
    assert set(receiver.deliveries) == webhook_keys(db)
    wait_for(lambda: _all_delivered(db), 30, "rows marked delivered")


def test_a_failing_receiver_gets_one_delivery_after_retries(setup):
    db, app, worker, proc = setup
    receiver = WebhookReceiver(fail_first=3)
    try:
        proc.start()
        won_deals(worker.service(), receiver.url, 1)
        wait_for(lambda: len(receiver.deliveries) == 1, 60, "the delivery after 3 failures")
        (key,) = webhook_keys(db)
        wait_for(lambda: _all_delivered(db), 30, "the row marked delivered")
        with db.read() as conn:
            attempts = outbox.read_attempts(conn, key)
        assert [a["ok"] for a in attempts] == [False, False, False, True]
        assert len(receiver.requests) == 4
    finally:
        receiver.close()


def _all_delivered(db) -> bool:
    with db.read() as conn:
        return all(r["status"] == "delivered" for r in outbox.read_rows(conn, limit=10000)
                   if r["kind"] == "webhook")
