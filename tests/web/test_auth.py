"""Sign-in and actors: sessions, Bearer tokens, CSRF, rate limits, and the commands that
make users and tokens. On SQLite and PostgreSQL (the ``site`` fixture)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from click.testing import CliRunner
from flask_login import login_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Unauthorized

from web_helpers import ADMIN_PASSWORD, USER_PASSWORD, csrf_token, make_site, sign_in

from metacrm.cli import main
from metacrm.runtime import Actor, RecordInvalid
from metacrm.store import Database
from metacrm.store.accounts import TOKENS
from metacrm.web import create_app
from metacrm.web.auth import SessionUser, api_actor, current_actor


def test_pages_need_a_session(site):
    response = site.client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_with_the_right_password(site):
    client = site.client()
    response = sign_in(client, "ann", USER_PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("username,password", [("ann", "wrong-password"), ("nobody", "whatever-1"),
                                               ("ANN", USER_PASSWORD)])
def test_a_wrong_username_or_password_is_refused_alike(site, username, password):
    client = site.client()
    response = sign_in(client, username, password)
    assert response.status_code == 401
    assert b"Wrong username or password." in response.data
    assert client.get("/").status_code == 302


def test_sign_in_without_the_csrf_token_is_refused(site):
    client = site.client()
    client.get("/login")
    response = client.post("/login", data={"username": "ann", "password": USER_PASSWORD})
    assert response.status_code in (400, 401)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/app/account", "/app/account"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("javascript:alert(1)", "/"),
])
def test_sign_in_goes_back_only_to_a_page_of_this_site(site, target, expected):
    client = site.client()
    page = client.get("/login")
    response = client.post("/login", query_string={"next": target},
                           data={"username": "ann", "password": USER_PASSWORD,
                                 "csrf_token": csrf_token(page.data)})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_sign_out_needs_a_post_with_the_csrf_token(site):
    client = site.client()
    sign_in(client, "ann", USER_PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400          # no CSRF token
    home = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf_token(home.data)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def _actor_of(site, **environ) -> Actor | None:
    with site.app.test_request_context("/api/v1/objects", **environ):
        return current_actor()


def test_a_bearer_token_stands_for_its_user(site):
    actor = _actor_of(site, headers={"Authorization": f"Bearer {site.user_token}"})
    assert actor == Actor(user_id=site.user_id, username="ann", is_admin=False,
                          roles=actor.roles)
    admin = _actor_of(site, headers={"Authorization": f"bearer {site.admin_token}"})
    assert admin.is_admin and admin.username == "admin"


@pytest.mark.parametrize("header", ["Bearer mcrm_not-a-real-token", "Bearer ", "Basic YW5uOng=",
                                    "mcrm_x"])
def test_anything_else_is_anonymous(site, header):
    assert _actor_of(site, headers={"Authorization": header}) is None


def test_an_anonymous_api_call_is_unauthorized(site):
    with site.app.test_request_context("/api/v1/objects"):
        with pytest.raises(Unauthorized):
            api_actor()


@pytest.mark.parametrize("method,allowed", [("GET", True), ("POST", False), ("PATCH", False),
                                            ("DELETE", False)])
def test_a_session_write_to_the_api_needs_the_csrf_token(site, method, allowed):
    with site.app.test_request_context("/api/v1/account", method=method):
        login_user(SessionUser(site.runtime.accounts.actor(site.user_id)))
        if allowed:
            assert api_actor().username == "ann"
        else:
            with pytest.raises(CSRFError):
                api_actor()


def test_a_revoked_token_stops_working(site):
    accounts = site.runtime.accounts
    token = accounts.create_token(site.user_id, "short-lived")
    assert accounts.actor_for_token(token).username == "ann"
    [row] = [t for t in accounts.list_tokens(site.user_id) if t["name"] == "short-lived"]
    assert accounts.revoke_token(row["id"]) is True
    assert accounts.revoke_token(row["id"]) is False
    assert accounts.actor_for_token(token) is None


def test_tokens_are_stored_hashed(site):
    with site.db.read() as conn:
        stored = conn.execute(select(TOKENS.c.token_hash)).scalars().all()
    assert site.user_token not in stored
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in stored)


def test_an_inactive_user_can_neither_sign_in_nor_use_a_token(site):
    accounts = site.runtime.accounts
    bob = accounts.create_user("bob_inactive", "bob-password-1")
    token = accounts.create_token(bob["id"])
    assert accounts.authenticate("bob_inactive", "bob-password-1") is not None
    site.runtime.service.update("user", bob["id"], {"active": False}, Actor.system())
    assert accounts.authenticate("bob_inactive", "bob-password-1") is None
    accounts._token_cache.clear()  # the cache would keep the actor for a few seconds
    assert accounts.actor_for_token(token) is None
    assert accounts.actor(bob["id"]) is None


def test_a_user_without_a_password_cannot_sign_in(site):
    accounts = site.runtime.accounts
    accounts.create_user("robot_only", None)
    assert accounts.authenticate("robot_only", "") is None
    assert accounts.authenticate("robot_only", "anything-at-all") is None


def test_bad_users_are_refused_with_messages_and_nothing_written(site):
    accounts = site.runtime.accounts
    with pytest.raises(RecordInvalid) as short:
        accounts.create_user("shorty", "short")
    assert "password" in short.value.messages
    with pytest.raises(RecordInvalid) as taken:
        accounts.create_user("ann", "another-password")
    assert "username" in taken.value.messages
    with pytest.raises(RecordInvalid) as role:
        accounts.create_user("roleless", "long-enough-1", roles=["no_such_role"])
    assert "roles" in role.value.messages
    assert accounts.find_user("shorty") is None and accounts.find_user("roleless") is None


def test_password_change_and_admin_flag(site):
    accounts = site.runtime.accounts
    carol = accounts.create_user("carol_pw", "first-password")
    accounts.set_password(carol["id"], "second-password")
    assert accounts.authenticate("carol_pw", "first-password") is None
    assert accounts.authenticate("carol_pw", "second-password").is_admin is False
    accounts.set_admin(carol["id"], True)
    assert accounts.authenticate("carol_pw", "second-password").is_admin is True


def test_sign_in_attempts_are_rate_limited(tmp_path):
    db = Database.from_url(f"sqlite:///{tmp_path}/limits.db")
    site = make_site(db, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    client = site.client()
    statuses = [sign_in(client, "ann", "wrong-password").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    db.dispose()


def test_user_and_token_commands(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"
    runner = CliRunner()
    assert runner.invoke(main, ["--database", url, "deploy", "metadata/crm"]).exit_code == 0
    created = runner.invoke(main, ["--database", url, "user", "create", "dora",
                                   "--password", "dora-password", "--admin",
                                   "--role", "sales_manager", "--email", "dora@example.com"])
    assert created.exit_code == 0, created.output
    assert "created user dora" in created.output and "admin" in created.output
    again = runner.invoke(main, ["--database", url, "user", "create", "dora",
                                 "--password", "dora-password"])
    assert again.exit_code == 1 and "username" in again.output
    kept = runner.invoke(main, ["--database", url, "user", "create", "dora", "--if-missing",
                                "--password", "dora-password"])
    assert kept.exit_code == 0 and "exists already" in kept.output

    issued = runner.invoke(main, ["--database", url, "token", "create", "dora", "--name", "ci"])
    assert issued.exit_code == 0
    token = issued.output.strip().splitlines()[-1]
    assert token.startswith("mcrm_")

    db = Database.from_url(url)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "RATELIMIT_ENABLED": False}, db=db)
    accounts = app.extensions["metacrm"].runtime().accounts
    actor = accounts.actor_for_token(token)
    assert actor.username == "dora" and actor.is_admin and actor.roles == {"sales_manager"}
    assert accounts.authenticate("dora", "dora-password") == actor

    listed = runner.invoke(main, ["--database", url, "token", "list", "dora"])
    token_id = listed.output.split()[0]
    assert "ci" in listed.output and "active" in listed.output
    assert runner.invoke(main, ["--database", url, "token", "revoke", token_id]).exit_code == 0
    assert runner.invoke(main, ["--database", url, "token", "revoke", token_id]).exit_code == 1
    accounts._token_cache.clear()
    assert accounts.actor_for_token(token) is None
    changed = runner.invoke(main, ["--database", url, "user", "password", "dora",
                                   "--password", "new-password-1"])
    assert changed.exit_code == 0
    assert accounts.authenticate("dora", "new-password-1") is not None
    missing = runner.invoke(main, ["--database", url, "token", "create", "nobody"])
    assert missing.exit_code == 1
    db.dispose()


def test_the_admin_of_the_fixture_signs_in(site):
    assert site.runtime.accounts.authenticate("admin", ADMIN_PASSWORD).is_admin


def test_rate_limits_are_shared_through_redis(tmp_path):
    """With METACRM_REDIS_URL the counts live in Redis: two apps (two processes, say) count
    the same sign-in attempts."""
    import uuid

    import redis
    from pg_support import unavailable
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.RedisError as err:
        unavailable("Redis", err)
    db = Database.from_url(f"sqlite:///{tmp_path}/shared.db")
    site = make_site(db)
    prefix = f"test_limits_{uuid.uuid4().hex[:8]}"
    config = {"TESTING": True, "SECRET_KEY": "x", "RATELIMIT_ENABLED": True,
              "RATELIMIT_LOGIN": "3 per minute", "REDIS_URL": "redis://127.0.0.1:6379/0",
              "RATELIMIT_KEY_PREFIX": prefix}
    first = create_app(config, db=db, plugins=site.state.plugins).test_client()
    second = create_app(config, db=db, plugins=site.state.plugins).test_client()
    statuses = [sign_in(client, "ann", "wrong-password").status_code
                for client in (first, second, first, second)]
    assert statuses == [401, 401, 401, 429]
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    db.dispose()
