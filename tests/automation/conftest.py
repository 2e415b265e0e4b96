"""Fixtures of the automation tests: the inline package deployed on SQLite and PostgreSQL,
a RecordService whose workflow engine records what it would publish."""

from __future__ import annotations

import datetime as dt

import pytest

from automation_helpers import Clock, empty_tables, package_files
from pg_support import deployed_database

from metacrm.automation import Settings, Worker, plugin_manager
from metacrm.meta import load_files
from metacrm.runtime import Actor

START = dt.datetime(2024, 5, 1, 12, 0, 0)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    """(Database, its URL) of this module's own: a SQLite file or a PostgreSQL schema, with
    the inline package deployed."""
    with deployed_database(request.param, tmp_path_factory.mktemp("auto"),
                           load_files(package_files()), "auto") as (db, url, _applied):
        yield db, url


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def settings(backend, clock, tmp_path):
    return Settings(database_url=backend[1], webhook_secret="s3cret", clock=clock,
                    retry_base_seconds=1, sweep_grace_seconds=0,
                    broker_url=f"sqla+sqlite:///{tmp_path}/broker.db")


@pytest.fixture
def published():
    return []


@pytest.fixture
def worker(backend, settings, published):
    """A Worker (no Celery) whose engine records what it would publish."""
    db, _ = backend
    empty_tables(db)
    ours = Worker(settings, db, publisher=published.extend, load_entry_points=False)
    return ours


@pytest.fixture
def service(worker, clock):
    return worker.service()


@pytest.fixture
def ann(service):
    user = service.create("user", {"username": "ann", "email": "ann@example.com"}, Actor.system())
    return Actor.for_user(user)


__all__ = ["plugin_manager"]
