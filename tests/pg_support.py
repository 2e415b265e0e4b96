"""PostgreSQL for the tests: the server's URL, and databases on schemas of their own.

Every schema name ends in a random suffix, so two test runs against one server (two
checkouts, CI beside a local run, several xdist workers) never drop each other's tables.
With CI=true a server that cannot be reached fails the test instead of skipping it.
"""

from __future__ import annotations

import contextlib
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


def unavailable(what: str, err: Exception):
    """Skip the test (fail it in CI) because a service it needs is missing."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required in CI but unavailable: {err}")
    pytest.skip(f"{what} unavailable: {err}")


def unique_schema(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def create_schema(schema: str) -> None:
    engine = create_engine(pg_url())
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as err:  # noqa: BLE001 - any failure to reach the server
        unavailable("PostgreSQL", err)
    finally:
        engine.dispose()


def drop_schema(schema: str) -> None:
    engine = create_engine(pg_url())
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def on_schema(engine, schema: str):
    """Make every new connection of ``engine`` work in ``schema``."""

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn, _):
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_conn.commit()

    engine.dispose()  # connections made before the listener lack the search_path
    return engine


def schema_url(schema: str) -> str:
    """A URL whose connections work in ``schema`` (for code that takes a URL, not an engine)."""
    return f"{pg_url()}?options=-csearch_path%3D{schema}"


def postgres_database(schema: str, **engine_options) -> Database:
    """A Database on a new, empty schema."""
    create_schema(schema)
    db = Database.from_url(pg_url(), **engine_options)
    on_schema(db.engine, schema)
    return db


@contextlib.contextmanager
def deployed_database(kind: str, folder, catalog, prefix: str):
    """(Database, URL, Applied) with ``catalog`` deployed: a SQLite file in ``folder``, or a
    PostgreSQL schema of its own (dropped afterwards). For module-scoped fixtures of test
    folders that deploy an inline package."""
    from metacrm.store.deploy import apply

    if kind == "sqlite":
        url, schema = f"sqlite:///{folder}/data.db", None
        db = Database.from_url(url)
    else:
        schema = unique_schema(prefix)
        db, url = postgres_database(schema), schema_url(schema)
    try:
        yield db, url, apply(db, catalog)
    finally:
        db.dispose()
        if schema:
            drop_schema(schema)
