"""Field history: every change of a record, readable per record.

One row per changed field of an update (``field``, ``old_value``, ``new_value``), one row
without a field for a create and for a delete (a delete keeps a snapshot of the stored
values in ``old_value``, so a deleted record can still be read back). Values are stored as
JSON text in the form :func:`to_json_value` gives, so history survives field type changes;
readers turn them back with the field's type where it still exists.

    write_history(conn, rows)                           # rows built with history_row(...)
    read_history(conn, "opportunity", record_id)        # oldest first
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Iterable, Mapping

from sqlalchemy import (BigInteger, Column, Connection, Index, Integer, String, Table, Text,
                        insert, select)

from ..formula import DateTimeSeconds
from .system import SYSTEM_METADATA

HISTORY = Table(
    "meta_history", SYSTEM_METADATA,
    # INTEGER on SQLite: only an INTEGER PRIMARY KEY is the auto-incrementing rowid
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("object", String(64), nullable=False),
    Column("record_id", String(64), nullable=False),
    #: create | update | delete
    Column("operation", String(8), nullable=False),
    #: the changed field; NULL on the create and delete rows
    Column("field", String(64)),
    Column("old_value", Text),
    Column("new_value", Text),
    #: the record's version after the change (the deleted version for a delete)
    Column("version", BigInteger),
    Column("actor_id", String(64)),
    #: the actor's username at the time (kept when the user is later renamed or deleted)
    Column("actor_name", String(150)),
    Column("at", DateTimeSeconds(), nullable=False),
    #: the deployed metadata version the change was made under
    Column("metadata_version", Integer),
)
Index("ix_meta_history_record", HISTORY.c.object, HISTORY.c.record_id, HISTORY.c.id)


def to_json_value(value: Any) -> Any:
    """A field value as plain JSON: decimals as text (exact), dates ISO, datetimes
    ``YYYY-MM-DD HH:MM:SS`` (naive UTC), lists as lists."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.year >= 1000 else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    if isinstance(value, Mapping):  # a snapshot of a whole record
        return {key: to_json_value(item) for key, item in value.items()}
    return value


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(to_json_value(value), ensure_ascii=False)


def history_row(object_name: str, record_id: str, operation: str, *, field: str | None = None,
                old: Any = None, new: Any = None, version: int | None = None,
                actor_id: str | None = None, actor_name: str | None = None,
                at: dt.datetime, metadata_version: int | None = None) -> dict:
    """One row of ``meta_history``; ``old``/``new`` are Python values (or a snapshot dict)."""
    return {"object": object_name, "record_id": record_id, "operation": operation,
            "field": field, "old_value": _dump(old), "new_value": _dump(new),
            "version": version, "actor_id": actor_id, "actor_name": actor_name, "at": at,
            "metadata_version": metadata_version}


_INSERT = insert(HISTORY)


def write_history(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(_INSERT, rows)


def read_history(conn: Connection, object_name: str, record_id: str) -> list[dict]:
    """The history rows of one record, oldest first, values still JSON-decoded only."""
    query = (select(HISTORY).where(HISTORY.c.object == object_name,
                                   HISTORY.c.record_id == record_id)
             .order_by(HISTORY.c.id))
    out = []
    for row in conn.execute(query).mappings():
        entry = dict(row)
        for key in ("old_value", "new_value"):
            text = entry.pop(key)
            entry[key.removesuffix("_value")] = None if text is None else json.loads(text)
        out.append(entry)
    return out


def decode_values(entries: Iterable[dict], decode: Mapping[str, Any]) -> list[dict]:
    """History entries with ``old``/``new`` turned back into Python values by ``decode``
    (field name -> function from the JSON value); a value that no longer fits stays JSON."""
    out = []
    for entry in entries:
        entry = dict(entry)
        if entry["field"] is None:
            for key in ("old", "new"):
                if isinstance(entry[key], dict):
                    entry[key] = {name: _decoded(decode.get(name), value)
                                  for name, value in entry[key].items()}
        else:
            fn = decode.get(entry["field"])
            entry["old"] = _decoded(fn, entry["old"])
            entry["new"] = _decoded(fn, entry["new"])
        out.append(entry)
    return out


def _decoded(fn, value):
    if fn is None or value is None:
        return value
    try:
        return fn(value)
    except ValueError:
        return value
