"""Fixtures of the record tests: a real Database (SQLite file, PostgreSQL schema) per module,
the tables of a catalog created in it, emptied before each test.

A module picks its catalog by overriding the ``catalog`` fixture (default: the ``records``
fixture package). ``backend`` is parametrized, so every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData

from pg_support import drop_schema, postgres_database, unique_schema
from runtime_helpers import FIXED_NOW, RECORDS, clean, make_user

from metacrm.formula import Environment
from metacrm.meta import load_package
from metacrm.runtime import Actor, Runtime
from metacrm.store import Database, build_tables, init_database


@pytest.fixture(scope="module")
def catalog():
    return load_package(RECORDS)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory, worker_id):
    """A Database of this module's own: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("records")
        db = Database.from_url(f"sqlite:///{folder}/records.db")
        yield db
        db.dispose()
        return
    schema = unique_schema("rt")
    db = postgres_database(schema, pool_size=12, max_overflow=12)
    yield db
    db.dispose()
    drop_schema(schema)


@pytest.fixture(scope="module")
def tables(backend, catalog):
    metadata = MetaData()
    tables = build_tables(catalog, metadata)
    init_database(backend)
    with backend.write() as conn:
        metadata.create_all(conn)
    tables["__metadata__"] = metadata  # for clean(); not an object
    return tables


@pytest.fixture
def env():
    """A fixed clock, so today() and created_at are known."""
    return Environment(clock=lambda: FIXED_NOW)


@pytest.fixture
def db(backend, tables):
    """The module's database, emptied."""
    clean(backend, tables["__metadata__"])
    return backend


@pytest.fixture
def service(db, catalog, tables, env):
    return Runtime(db, catalog, number=3, env=env).service


@pytest.fixture
def system():
    return Actor.system()


@pytest.fixture
def ann(service):
    return make_user(service, "ann")


@pytest.fixture
def bob(service):
    return make_user(service, "bob")


@pytest.fixture
def dialect(backend):
    return backend.dialect

