"""Access tests: a small sales package with roles, a private object, a hierarchy and sharing
rules, deployed to SQLite and PostgreSQL (one database per module, emptied per test)."""

from __future__ import annotations

import pytest

from access_helpers import package_files
from pg_support import drop_schema, postgres_database, unique_schema
from runtime_helpers import clean

from metacrm.meta import load_files
from metacrm.runtime import Runtime
from metacrm.store import Database
from metacrm.store import deploy as deployment


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("access")
        db = Database.from_url(f"sqlite:///{folder}/access.db")
        yield db
        db.dispose()
        return
    schema = unique_schema("acc")
    db = postgres_database(schema, pool_size=8, max_overflow=8)
    yield db
    db.dispose()
    drop_schema(schema)


@pytest.fixture(scope="module")
def runtime(backend):
    catalog = load_files(package_files())
    applied = deployment.apply(backend, catalog)
    return Runtime(backend, catalog, number=applied.version.number)


@pytest.fixture
def service(runtime):
    clean(runtime.db, runtime.tables["deal"].metadata)
    return runtime.service
