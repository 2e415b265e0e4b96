"""Fixtures of the deploy tests: a fresh database per test, on SQLite and on PostgreSQL.

SQLite is a file in the test's temporary folder (WAL, foreign keys: the real set-up);
PostgreSQL is a schema of its own, dropped afterwards, so tests never see each other's tables.
"""

from __future__ import annotations

import pytest

from pg_support import drop_schema, postgres_database, unique_schema

from metacrm.store import Database


def _drop(database: Database, schema: str) -> None:
    database.dispose()
    drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """An empty database of each kind."""
    if request.param == "sqlite":
        database = Database.from_url(f"sqlite:///{tmp_path}/deploy.db")
        yield database
        database.dispose()
        return
    schema = unique_schema("deploy")
    database = postgres_database(schema)
    yield database
    _drop(database, schema)


@pytest.fixture
def sqlite_db(tmp_path):
    database = Database.from_url(f"sqlite:///{tmp_path}/deploy.db")
    yield database
    database.dispose()


@pytest.fixture
def postgres_db():
    schema = unique_schema("deploy")
    database = postgres_database(schema)
    yield database
    _drop(database, schema)
