"""Shared fixtures: real databases.

PostgreSQL comes from METACRM_TEST_POSTGRES_URL, else the local server every development and
CI machine runs. Each pytest-xdist worker gets its own schema, so workers never see each other's
tables. With CI=true a missing server fails the run instead of skipping the tier.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, event, text

from metacrm.formula import register_sqlite_functions

# more examples in CI; `METACRM_HYPOTHESIS_PROFILE=thorough` for a long local hunt
settings.register_profile("ci", max_examples=300, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("METACRM_HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "default"))

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_url() -> str:
    url = os.environ.get("METACRM_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _unavailable(what: str, err: Exception):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required in CI but unavailable: {err}")
    pytest.skip(f"{what} unavailable: {err}")


def _sqlite_engine(url: str = "sqlite://"):
    engine = create_engine(url)
    event.listen(engine, "connect", lambda conn, _: register_sqlite_functions(conn))
    return engine


@pytest.fixture(scope="session")
def pg_engine(worker_id):
    """An engine on a schema of this worker's own, dropped at the end of the session."""
    schema = f"test_{worker_id}".replace("-", "_")
    engine = create_engine(_pg_url(), pool_pre_ping=True)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as err:  # noqa: BLE001 - any failure to reach the server
        engine.dispose()
        _unavailable("PostgreSQL", err)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn, _):
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_conn.commit()

    engine.dispose()  # connections made before the listener lack the search_path
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_engine():
    engine = _sqlite_engine()
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_engine(request):
    """Every database tier runs on both SQLite and PostgreSQL."""
    name = "pg_engine" if request.param == "postgresql" else "sqlite_engine"
    return request.getfixturevalue(name)


@pytest.fixture(scope="session")
def worker_id(request):
    """The xdist worker's id ('master' without xdist)."""
    config = request.config
    return getattr(config, "workerinput", {}).get("workerid", "master")
