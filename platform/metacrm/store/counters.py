"""Counters for auto-number fields: one row per (object, field), raised inside the write.

    last = reserve(conn, "opportunity", "number", 3)   # this write owns last-2 … last

The counter is raised by one upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) in the
same transaction as the records that use the numbers: the row lock it takes makes concurrent
writers wait for each other (so numbers are exact, never duplicated), and a rolled-back write
rolls its numbers back too (so there are no gaps).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, String, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from .system import SYSTEM_METADATA

COUNTERS = Table(
    "meta_counter", SYSTEM_METADATA,
    Column("object", String(64), primary_key=True),
    Column("field", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_RESERVE: dict[str, object] = {}


def _reserve_statement(dialect: str):
    """The upsert, built once per dialect (building it costs more than running it)."""
    statement = _RESERVE.get(dialect)
    if statement is None:
        insert = _INSERT[dialect](COUNTERS).values(
            object=bindparam("object"), field=bindparam("field"), value=bindparam("count"))
        statement = _RESERVE[dialect] = insert.on_conflict_do_update(
            index_elements=[COUNTERS.c.object, COUNTERS.c.field],
            set_={"value": COUNTERS.c.value + insert.excluded.value},
        ).returning(COUNTERS.c.value)
    return statement


def reserve(conn: Connection, object_name: str, field_name: str, count: int = 1) -> int:
    """Raise the counter by ``count`` and return its new value (the last number reserved)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    statement = _reserve_statement(conn.dialect.name)
    return conn.execute(statement, {"object": object_name, "field": field_name,
                                    "count": count}).scalar_one()


def current(conn: Connection, object_name: str, field_name: str) -> int:
    """The last number handed out (0 before the first)."""
    value = conn.execute(select(COUNTERS.c.value).where(
        COUNTERS.c.object == object_name, COUNTERS.c.field == field_name)).scalar()
    return value or 0
