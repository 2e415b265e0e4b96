"""Fixtures of the people tests (users' roles, managers, deactivation, the profile page): the
standard CRM deployed to a SQLite file and a PostgreSQL schema, an app over it with an admin
``admin`` and a user ``ann`` (``web_helpers.make_site``). Tests make users of their own
(``person``), so they do not depend on each other's changes."""

from __future__ import annotations

import uuid

import pytest

from pg_support import drop_schema, postgres_database, unique_schema
from web_helpers import make_site

from metacrm.store import Database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('people')}/people.db")
        yield make_site(db)
        db.dispose()
        return
    schema = unique_schema("people")
    db = postgres_database(schema)
    yield make_site(db)
    db.dispose()
    drop_schema(schema)


PASSWORD = "person-password-1"


@pytest.fixture
def person(site):
    """``person(prefix, **create_user options)``: a new user with a unique username, the
    password PASSWORD and an API token; returns (user record, token)."""
    def make(prefix: str = "pat", **options):
        accounts = site.runtime.accounts
        user = accounts.create_user(f"{prefix}_{uuid.uuid4().hex[:6]}", PASSWORD, **options)
        return user, accounts.create_token(user["id"], "tests")
    return make
