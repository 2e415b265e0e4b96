"""One database: the engine, set up the same way everywhere, and its transactions.

    db = Database.from_url("sqlite:///instance/metacrm.db")    # or postgresql://…
    with db.write() as conn:     # a write transaction (BEGIN IMMEDIATE on SQLite)
        ...
    with db.read() as conn:
        ...

The URL comes from ``--database``, else ``METACRM_DATABASE_URL``, else the embedded default.
SQLite runs in WAL mode with foreign keys on, a busy timeout, and the Unicode ``lower``/
``upper`` the formula language's SQL relies on; its transactions are begun explicitly (the
``sqlite3`` module's own implicit transactions would commit DDL half-way through a deploy).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from ..formula import register_sqlite_functions

DEFAULT_URL = "sqlite:///instance/metacrm.db"
#: how long a SQLite writer waits for another to finish before failing
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(explicit: str | None = None) -> str:
    """The URL to use, normalised (``postgresql://`` means psycopg 3)."""
    url = explicit or os.environ.get("METACRM_DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
        register_sqlite_functions(dbapi_conn)
        cursor = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # a writer takes the write lock up front: two deferred transactions that both read
        # and then write would otherwise deadlock, and one would fail at once
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """An engine and the two kinds of transaction the rest of metacrm uses."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def from_url(cls, url: str | None = None, **engine_options) -> "Database":
        url = database_url(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, **engine_options)
            _setup_sqlite(engine)
        else:
            engine_options.setdefault("pool_pre_ping", True)
            engine = create_engine(url, **engine_options)
        return cls(engine)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql': what the formula SQL compiler needs to know."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on an exception."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()
