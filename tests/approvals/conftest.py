"""Fixtures of the approval tests: the inline package deployed on SQLite and PostgreSQL, a
RecordService with the built-in plugins on a controllable clock, and the users."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from approval_helpers import Clock, make_users, package_files
from pg_support import deployed_database, drop_schema, postgres_database, unique_schema

from metacrm.formula import Environment
from metacrm.meta import load_files
from metacrm.automation import plugin_manager
from metacrm.runtime import Actor, Runtime
from metacrm.store import Database, approvals
from metacrm.store.history import HISTORY
from metacrm.store.outbox import ATTEMPTS, OUTBOX, RUNS

START = dt.datetime(2024, 5, 1, 12, 0, 0)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    """(Database, URL, deployed catalog) of this module's own."""
    with deployed_database(request.param, tmp_path_factory.mktemp("appr"),
                           load_files(package_files()), "appr") as (db, url, applied):
        yield db, url, applied.version


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def service(backend, clock):
    db, _url, version = backend
    _empty(db)
    return Runtime(db, version.catalog, number=version.number, env=Environment(clock=clock),
                   plugins=plugin_manager(load_entry_points=False)[0]).service


@pytest.fixture
def users(service) -> dict[str, Actor]:
    return make_users(service)


@pytest.fixture
def root() -> Actor:
    return Actor(user_id=None, username="root", is_admin=True)


def _empty(db: Database) -> None:
    with db.write() as conn:
        for table in ("note", "deal"):
            conn.execute(text(f'DELETE FROM "{table}"'))
        conn.execute(text('UPDATE "user" SET manager = NULL'))
        conn.execute(text('DELETE FROM "user"'))
        for table in (OUTBOX, ATTEMPTS, RUNS, HISTORY, approvals.REQUESTS, approvals.STEPS,
                      approvals.APPROVERS, approvals.DELEGATIONS):
            conn.execute(table.delete())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crm(request, tmp_path_factory):
    """The standard CRM with a sales team, on SQLite and PostgreSQL (one per module)."""
    from crm_site import make_crm_site

    if request.param == "sqlite":
        db, schema = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('crm')}/crm.db"), None
    else:
        schema = unique_schema("apprweb")
        db = postgres_database(schema)
    yield make_crm_site(db)
    db.dispose()
    if schema:
        drop_schema(schema)
