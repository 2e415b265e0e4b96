"""Helpers of the record tests (a unique module name: test folders are not packages)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import MetaData, func, select, text

from metacrm.runtime import Actor, RecordService
from metacrm.store import Database
from metacrm.store.counters import COUNTERS
from metacrm.store.history import HISTORY

TESTS = Path(__file__).resolve().parents[1]
RECORDS = TESTS / "fixtures" / "records"
CRM = TESTS.parent / "metadata" / "crm"
FIXED_NOW = dt.datetime(2024, 5, 1, 12, 30, 0, tzinfo=dt.timezone.utc)


def clean(db: Database, metadata: MetaData) -> None:
    """Empty every object table and metacrm's history and counters."""
    tables = [*reversed(metadata.sorted_tables), HISTORY, COUNTERS]
    with db.write() as conn:
        if db.dialect == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                # rows pointing at rows of their own table (a user owning a user: RESTRICT
                # fires row by row) are unhooked first
                own = {fk.parent.name for fk in table.foreign_keys if fk.column.table is table}
                if own:
                    conn.execute(table.update().values({name: None for name in own}))
                conn.execute(table.delete())


def make_user(service: RecordService, username: str) -> Actor:
    user = service.create("user", {"username": username, "email": f"{username}@example.com"},
                          Actor.system())
    return Actor.for_user(user)


def count(db: Database, table) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def snapshot(db: Database, service: RecordService) -> dict:
    """Every row of every object table, the history and the counters: compare two to prove
    that nothing was written."""
    out = {}
    with db.read() as conn:
        for name, table in {**service.tables, "_history": HISTORY, "_counters": COUNTERS}.items():
            out[name] = sorted(tuple(map(repr, row)) for row in conn.execute(select(table)))
    return out
