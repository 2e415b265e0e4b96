"""The SQL of record writes: reading rows to change (locked), inserting, updating, deleting,
and the set-based checks the RecordService needs (which ids exist, which unique values are
taken, who refers to a record).

Only the RecordService (``metacrm.runtime``) calls this; statements are built once per object
and reused with bound parameters. Rows are plain dicts of Python values.

Locks: on PostgreSQL a row about to be updated is read ``FOR NO KEY UPDATE`` (concurrent
updates of one record queue up and each merges onto the latest row, and inserts of children,
whose foreign-key checks take ``FOR KEY SHARE``, are not blocked); a row about to be deleted
``FOR UPDATE``. SQLite has one writer at a time (``BEGIN IMMEDIATE``), so it needs no row locks.

Like a trigger, an update or delete of the ``user`` table raises the sign-in generation
(``accounts.signin_changed``) in the same transaction, whatever path made it: every process
then stops trusting what it remembers about that user's tokens.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping, Sequence

from sqlalchemy import Connection, Table, Text, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql

from ..meta import USER_OBJECT
from .accounts import signin_changed

#: ids per IN (…) list: well under SQLite's limit of bound parameters
CHUNK = 500


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class RecordStore:
    """Row-level SQL over a catalog's tables (``{object: Table}``)."""

    def __init__(self, tables: Mapping[str, Table], dialect: str):
        self.tables = tables
        self.dialect = dialect
        self._statements: dict[tuple, object] = {}

    def _cached(self, key: tuple, build):
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    # -- reading ------------------------------------------------------------------------------

    def fetch(self, conn: Connection, object_name: str, ids: Iterable[str],
              lock: str | None = None) -> dict[str, dict]:
        """Stored values of the records with these ids (missing ids are left out).

        ``lock``: None, ``"update"`` (a delete follows) or ``"no_key_update"`` (an update
        follows); rows are locked in id order so two writers never wait on each other in a
        circle.
        """
        ids = sorted(set(ids))
        statement = self._cached(("fetch", object_name, lock), lambda: self._fetch(object_name, lock))
        out = {}
        for part in chunks(ids):
            for row in conn.execute(statement, {"ids": list(part)}).mappings():
                out[row["id"]] = dict(row)
        return out

    def _fetch(self, object_name: str, lock: str | None):
        table = self.tables[object_name]
        statement = (select(table).where(table.c.id.in_(bindparam("ids", expanding=True)))
                     .order_by(table.c.id))
        if lock and self.dialect == "postgresql":
            statement = statement.with_for_update(key_share=lock == "no_key_update")
        return statement

    def fetch_one(self, conn: Connection, object_name: str, record_id: str,
                  lock: str | None = None) -> dict | None:
        statement = self._cached(("one", object_name, lock), lambda: self._fetch_one(object_name, lock))
        row = conn.execute(statement, {"id": record_id}).mappings().first()
        return None if row is None else dict(row)

    def _fetch_one(self, object_name: str, lock: str | None):
        table = self.tables[object_name]
        statement = select(table).where(table.c.id == bindparam("id"))
        if lock and self.dialect == "postgresql":
            statement = statement.with_for_update(key_share=lock == "no_key_update")
        return statement

    def lock(self, conn: Connection, object_name: str, ids: Iterable[str]) -> None:
        """Lock rows that are about to be recomputed (roll-ups), in id order; no-op on SQLite."""
        if self.dialect != "postgresql":
            return
        table = self.tables[object_name]
        statement = self._cached(("lock", object_name), lambda: (
            select(table.c.id).where(table.c.id.in_(bindparam("ids", expanding=True)))
            .order_by(table.c.id).with_for_update(key_share=True)))
        for part in chunks(sorted(set(ids))):
            conn.execute(statement, {"ids": list(part)}).all()

    def _matching(self, table: Table, key, columns):
        """SELECT ``columns`` of the rows whose ``key`` is one of the bound ``values``.

        On PostgreSQL a join with ``unnest(array)``: psycopg prepares a statement it runs
        often, and a generic plan for ``key IN ($1 … $1000)`` compares every row with every
        value (a bulk create of 1,000 rows slowed to 0.7 s against 30,000 rows); the join
        looks each value up in the index instead.
        """
        if self.dialect == "postgresql":
            values = bindparam("values", type_=postgresql.ARRAY(Text))
            wanted = func.unnest(values).table_valued("v").render_derived(name="wanted")
            return select(*columns).join_from(table, wanted, key == wanted.c.v)
        return select(*columns).where(key.in_(bindparam("values", expanding=True)))

    def existing(self, conn: Connection, object_name: str, ids: Iterable[str]) -> set[str]:
        """Which of these ids are records of ``object_name``."""
        table = self.tables[object_name]
        statement = self._cached(("exists", object_name), lambda: self._matching(
            table, table.c.id, [table.c.id]))
        found: set[str] = set()
        for part in chunks(sorted(set(ids))):
            found.update(conn.execute(statement, {"values": list(part)}).scalars())
        return found

    def taken(self, conn: Connection, object_name: str, field_name: str, values: Iterable,
              *, casefold: bool = False) -> dict:
        """Which of ``values`` other records already hold in ``field_name``, as
        {value (lower-cased when ``casefold``): id of a record holding it}."""
        table = self.tables[object_name]
        column = table.c[field_name]

        def build():
            key = func.lower(column) if casefold else column
            return self._matching(table, key, [key.label("value"), table.c.id])
        statement = self._cached(("taken", object_name, field_name, casefold), build)
        values = sorted({value.lower() if casefold else value for value in values}, key=str)
        found: dict = {}
        for part in chunks(values):
            for value, record_id in conn.execute(statement, {"values": list(part)}):
                found.setdefault(value, record_id)
        return found

    def referencing(self, conn: Connection, object_name: str, field_name: str,
                    record_id: str, limit: int | None = None) -> list[str]:
        """Ids of ``object_name`` records whose ``field_name`` points at ``record_id``."""
        table = self.tables[object_name]
        statement = self._cached(("refs", object_name, field_name), lambda: select(table.c.id).where(
            table.c[field_name] == bindparam("target")).order_by(table.c.id))
        if limit is not None:
            statement = statement.limit(limit)
        return list(conn.execute(statement, {"target": record_id}).scalars())

    def count_referencing(self, conn: Connection, object_name: str, field_name: str,
                          record_id: str) -> int:
        table = self.tables[object_name]
        statement = self._cached(("nrefs", object_name, field_name), lambda: select(
            func.count()).select_from(table).where(table.c[field_name] == bindparam("target")))
        return conn.execute(statement, {"target": record_id}).scalar_one()

    def lookup_values(self, conn: Connection, object_name: str, field_name: str,
                      ids: Iterable[str]) -> set[str]:
        """The distinct non-blank values of a lookup field over these records."""
        table = self.tables[object_name]
        column = table.c[field_name]
        statement = self._cached(("lookups", object_name, field_name), lambda: select(
            column).distinct().where(table.c.id.in_(bindparam("ids", expanding=True)),
                                     column.is_not(None)))
        found: set[str] = set()
        for part in chunks(sorted(set(ids))):
            found.update(conn.execute(statement, {"ids": list(part)}).scalars())
        return found

    # -- writing ------------------------------------------------------------------------------

    def insert(self, conn: Connection, object_name: str, rows: list[dict]) -> None:
        """Insert rows (each with every stored column): one executemany."""
        if rows:
            statement = self._cached(("insert", object_name),
                                     lambda: insert(self.tables[object_name]))
            conn.execute(statement, rows)

    def update(self, conn: Connection, object_name: str, record_id: str, values: dict) -> None:
        columns = tuple(sorted(values))
        table = self.tables[object_name]
        statement = self._cached(("update", object_name, columns), lambda: update(table).where(
            table.c.id == bindparam("_id")).values({name: bindparam(name) for name in columns}))
        conn.execute(statement, {**values, "_id": record_id})
        if object_name == USER_OBJECT:
            signin_changed(conn)

    def delete(self, conn: Connection, object_name: str, record_id: str) -> None:
        table = self.tables[object_name]
        statement = self._cached(("delete", object_name), lambda: delete(table).where(
            table.c.id == bindparam("id")))
        conn.execute(statement, {"id": record_id})
        if object_name == USER_OBJECT:
            signin_changed(conn)
