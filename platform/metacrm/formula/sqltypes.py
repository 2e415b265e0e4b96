"""How values of the expression language are represented in SQL columns.

The SQL back-end compiles against these representations, so the tables (built from field
types in ``meta``) must use the same ones: this module is the single place that says how a
datetime or a multi-picklist is stored.

- datetimes are naive UTC at whole-second precision; on SQLite as ``YYYY-MM-DD HH:MM:SS``
  text, the format SQLite's own ``datetime()`` returns, so stored and computed values compare;
- multi-picklists are JSON arrays (JSONB on PostgreSQL);
- SQLite's built-in ``lower``/``upper`` fold ASCII only, so :func:`register_sqlite_functions`
  replaces them with Python's on each connection (the store registers it for every connection).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

_SECONDS_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"


def to_utc_seconds(value: dt.datetime) -> dt.datetime:
    """A naive UTC datetime without microseconds: the one form datetimes take everywhere."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


class DateTimeSeconds(TypeDecorator):
    """A UTC datetime at whole seconds (naive in Python)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sqlite.DATETIME(
                storage_format=_SECONDS_FORMAT,
                regexp=r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)",
            ))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(precision=0))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, dt.datetime):  # a plain date: its midnight
            value = dt.datetime(value.year, value.month, value.day)
        return to_utc_seconds(value)


def TextList():  # noqa: N802 - used like a type class
    """A list of texts (a multi-picklist value): JSON, JSONB on PostgreSQL. A blank is SQL
    NULL, never a JSON ``null`` (one blank form is simpler for every query)."""
    return JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _upper(value):
    return value.upper() if isinstance(value, str) else value


def register_sqlite_functions(dbapi_connection) -> None:
    """Give a sqlite3 connection the Unicode-aware ``lower``/``upper`` the back-end relies on."""
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    dbapi_connection.create_function("upper", 1, _upper, deterministic=True)
