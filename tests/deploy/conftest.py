"""Fixtures of the deploy tests: a fresh database per test, on SQLite and on PostgreSQL.

SQLite is a file in the test's temporary folder (WAL, foreign keys: the real set-up);
PostgreSQL is a schema of its own, dropped afterwards, so tests never see each other's tables.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, event, text

from metacrm.store import Database

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_url() -> str:
    url = os.environ.get("METACRM_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def postgres_database(schema: str) -> Database:
    """A Database on a new, empty schema (skipped, or failed in CI, without a server)."""
    engine = create_engine(pg_url(), pool_pre_ping=True)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as err:  # noqa: BLE001 - any failure to reach the server
        engine.dispose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but unavailable: {err}")
        pytest.skip(f"PostgreSQL unavailable: {err}")

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn, _):
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_conn.commit()

    engine.dispose()  # connections made before the listener lack the search_path
    return Database(engine)


def drop_schema(db: Database, schema: str) -> None:
    db.dispose()
    engine = create_engine(pg_url())
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """An empty database of each kind."""
    if request.param == "sqlite":
        database = Database.from_url(f"sqlite:///{tmp_path}/deploy.db")
        yield database
        database.dispose()
        return
    schema = f"deploy_{uuid.uuid4().hex[:12]}"
    database = postgres_database(schema)
    yield database
    drop_schema(database, schema)


@pytest.fixture
def sqlite_db(tmp_path):
    database = Database.from_url(f"sqlite:///{tmp_path}/deploy.db")
    yield database
    database.dispose()


@pytest.fixture
def postgres_db():
    schema = f"deploy_{uuid.uuid4().hex[:12]}"
    database = postgres_database(schema)
    yield database
    drop_schema(database, schema)
