"""Shared fixtures: real databases.

PostgreSQL comes from METACRM_TEST_POSTGRES_URL, else the local server every development and
CI machine runs. Each pytest-xdist worker gets its own schema, so workers never see each other's
tables. With CI=true a missing server fails the run instead of skipping the tier.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, event

from pg_support import create_schema, drop_schema, on_schema, pg_url, unique_schema

from metacrm.formula import register_sqlite_functions

# more examples in CI; `METACRM_HYPOTHESIS_PROFILE=thorough` for a long local hunt
settings.register_profile("ci", max_examples=300, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("METACRM_HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "default"))


def _sqlite_engine(url: str = "sqlite://"):
    engine = create_engine(url)
    event.listen(engine, "connect", lambda conn, _: register_sqlite_functions(conn))
    return engine


@pytest.fixture(scope="session")
def pg_engine(worker_id):
    """An engine on a schema of this worker's own, dropped at the end of the session."""
    schema = unique_schema("test")
    create_schema(schema)
    engine = on_schema(create_engine(pg_url(), pool_pre_ping=True), schema)
    yield engine
    engine.dispose()
    drop_schema(schema)


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
