"""Fixtures of the web tests: the standard CRM deployed to a real database (a SQLite file, a
PostgreSQL schema), an app over it and two users with API tokens.

``site`` is parametrized, so every test that uses it runs on SQLite and PostgreSQL. It is made
once per module (deploying takes a moment); tests create their own records and must not rely
on a table being empty.
"""

from __future__ import annotations

import pytest

from pg_support import drop_schema, postgres_database, unique_schema
from web_access import make_access_site
from web_helpers import make_site

from metacrm.store import Database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('web')}/web.db")
        yield make_site(db)
        db.dispose()
        return
    schema = unique_schema("web")
    db = postgres_database(schema)
    yield make_site(db)
    db.dispose()
    drop_schema(schema)


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory):
    db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('web')}/web.db")
    yield make_site(db)
    db.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def access_site(request, tmp_path_factory):
    """tests/access's package (roles, a private object, sharing rules, field access) with its
    people signed up and records made (``web_access.py``)."""
    folder = tmp_path_factory.mktemp("access-package")
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('web')}/access.db")
        yield make_access_site(db, folder)
        db.dispose()
        return
    schema = unique_schema("wacc")
    db = postgres_database(schema)
    yield make_access_site(db, folder)
    db.dispose()
    drop_schema(schema)
