"""What a deploy would do to the records already there, counted in the live tables.

    for risk in find_risks(conn, deployed_catalog, new_catalog, diff(deployed_catalog, new_catalog)):
        print(risk)     # field deal.stage loses option 'Lost', which 12 records use (…)

A risk is a change that loses data, or leaves records that no longer pass their own
validation. Each one says what, why and how many records; a deploy refuses them unless told
otherwise (``allow_destructive``):

- ``required``: a field becomes required (or a required field is added) while N records are blank;
- ``unique``: a field or index becomes unique while N records share a value;
- ``type``: a field's type changes and N values cannot be converted (they become blank);
- ``option_removed``: a picklist option goes while N records use it (they keep the value);
- ``drop_field`` / ``drop_object``: a stored field or an object goes with N values or records.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Table, func, or_, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.sqltypes import String

from ..meta import (Catalog, CatalogDiff, Field, FieldPair, FieldValueError, ObjectPair,
                    ObjectType, field_differences)
from .ddl import ColumnChange, column_changes, scan
from .tables import build_tables, table_name

__all__ = ["Risk", "find_risks"]


@dataclass(frozen=True)
class Risk:
    #: required | unique | type | option_removed | drop_field | drop_object
    kind: str
    object: str
    field: str | None
    #: how many records (or values) are affected
    count: int
    message: str

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict:
        return {"kind": self.kind, "object": self.object, "field": self.field,
                "count": self.count, "message": self.message}


def _records(count: int) -> str:
    return f"{count} record{'s' * (count != 1)}"


def _have(count: int) -> str:
    return f"{_records(count)} {'has' if count == 1 else 'have'}"


def _is_text(column: Column) -> bool:
    return isinstance(column.type, String)


def _blank(column: Column):
    return or_(column.is_(None), column == "") if _is_text(column) else column.is_(None)


def _count(conn: Connection, table: Table, *where) -> int:
    return conn.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0


def _duplicates(conn: Connection, table: Table, columns: list[Column],
                ignore_case: bool = False) -> tuple[int, int]:
    """(records sharing a value with another, values that repeat); blanks never repeat."""
    keys = [func.lower(c) if ignore_case and _is_text(c) else c for c in columns]
    present = [~_blank(c) for c in columns]
    groups = (select(func.count().label("n")).select_from(table).where(*present)
              .group_by(*keys).having(func.count() > 1).subquery())
    records, values = conn.execute(select(func.coalesce(func.sum(groups.c.n), 0),
                                          func.count()).select_from(groups)).one()
    return int(records or 0), int(values or 0)


def find_risks(conn: Connection, old: Catalog | None, new: Catalog,
               changes: CatalogDiff) -> list[Risk]:
    """Every risk of deploying ``new`` over ``old``, counted in the tables of ``old``."""
    if old is None:
        return []  # nothing deployed: no tables, no records
    old_tables, new_tables = build_tables(old), build_tables(new)
    renames = {table_name(o): table_name(n) for o, n in changes.object_renames.items()}
    previous = {n: o for o, n in changes.object_renames.items()}  # object -> its old name
    risks: list[Risk] = []
    for pair in changes.objects:
        if pair.old is None:
            continue
        table = old_tables[pair.old.name]
        if pair.new is None:
            rows = _count(conn, table)
            if rows:
                risks.append(Risk("drop_object", pair.old.name, None, rows,
                                  f"object {pair.old.name} is removed: its table and "
                                  f"{_records(rows)} are dropped"))
            continue
        columns = {c.new_field.name if c.new_field else c.old_field.name: c  # type: ignore
                   for c in column_changes(pair, table, new_tables[pair.new.name], conn.dialect,
                                           renames)}
        rows = None
        for fields in pair.fields:
            if (fields.new or fields.old).system:  # type: ignore[union-attr]
                continue
            if fields.new is not None and fields.new.stored and fields.new.required \
                    and (fields.old is None or not fields.old.stored) and rows is None:
                rows = _count(conn, table)
            risks += _field_risks(conn, pair, fields, table, new_tables[pair.new.name],
                                  columns.get(fields.name), rows, old_tables, previous)
        risks += _index_risks(conn, pair.old, pair.new, table, pair)
    return risks


def _field_risks(conn: Connection, pair: ObjectPair, fields: FieldPair, table: Table,
                 new_table: Table, change: ColumnChange | None, rows: int | None,
                 old_tables: dict[str, Table], previous: dict[str, str]) -> list[Risk]:
    old, new = fields.old, fields.new
    name = f"{pair.name}.{fields.name}"
    risks = []
    if old is not None and old.stored and (new is None or not new.stored):
        column = table.c[old.name]
        values = _count(conn, table, ~_blank(column))
        if values:
            why = "is removed" if new is None else f"becomes a {new.type_name} field (not stored)"
            risks.append(Risk("drop_field", pair.name, fields.name, values,
                              f"field {pair.old.name}.{old.name} {why}: "  # type: ignore
                              f"{values} non-blank value{'s' * (values != 1)} would be lost"))
        return risks
    if new is None or not new.stored:
        return risks
    if new.required and new.type.accepts_input:
        if old is None or not old.stored:
            if rows:
                risks.append(Risk("required", pair.name, fields.name, rows,
                                  f"new required field {name}: the {_records(rows)} already there "
                                  f"{'has' if rows == 1 else 'have'} no value (a default fills "
                                  "new records only)"))
        elif not old.required:
            blank = _count(conn, table, _blank(table.c[old.name]))
            if blank:
                risks.append(Risk("required", pair.name, fields.name, blank,
                                  f"field {name} becomes required while {_have(blank)} "
                                  "no value"))
    if old is None or not old.stored:
        return risks
    if new.unique and not old.unique:
        records, values = _duplicates(conn, table, [table.c[old.name]],
                                      new.type.unique_ignores_case)
        if records:
            enforced = _unique_index_on(new_table, new.name)
            risks.append(Risk("unique", pair.name, fields.name, records,
                              f"field {name} becomes unique while {_records(records)} share "
                              f"a value with another ({values} value{'s' * (values != 1)} repeat)"
                              + ("; the database refuses its unique index until they differ"
                                 if enforced else "")))
    if change is not None and change.converts:
        risks += _conversion_risks(conn, pair, change, table, old_tables, previous)
    else:
        risks += _option_risks(conn, pair, old, new, table)
    return risks


def _unique_index_on(table: Table, column: str) -> bool:
    """Does the table have a unique index on just this column (or an expression of it)?"""
    for index in table.indexes:
        if index.unique and len(index.expressions) == 1:
            used = {c.name for c in visitors.iterate(index.expressions[0]) if isinstance(c, Column)}
            if used == {column}:
                return True
    return False


def _conversion_risks(conn: Connection, pair: ObjectPair, change: ColumnChange, table: Table,
                      old_tables: dict[str, Table], previous: dict[str, str]) -> list[Risk]:
    assert change.old_field is not None and change.new_field is not None and change.new is not None
    old, new = change.old_field, change.new_field
    target_ids = None
    target = new.type.field_info(new.name).target
    if change.new.foreign_keys and target:  # a lookup: the record must exist (under its old name)
        before = previous.get(target, target)
        target_ids = set(conn.execute(select(old_tables[before].c.id)).scalars()) \
            if before in old_tables else set()
    failed = 0
    for _id, _value, converted in scan(conn, table.name, change):
        if isinstance(converted, FieldValueError):
            failed += 1
        elif target_ids is not None and converted not in target_ids:
            failed += 1
    if not failed:
        return []
    if old.type_name != new.type_name:
        what = f"changes from {old.type_name} to {new.type_name}"
    elif target_ids is not None and old.type.field_info(old.name).target != \
            new.type.field_info(new.name).target:
        what = (f"now looks up {new.type.field_info(new.name).target} instead of "
                f"{old.type.field_info(old.name).target}")
    else:
        common = {f.name for f in dataclasses.fields(Field)}
        shown = "; ".join(str(d) for d in field_differences(old, new) if d.key not in common)
        what = f"changes {shown}" if shown else f"changes its {new.type_name} settings"
    reason = "do not name an existing record" if target_ids is not None else "cannot be converted"
    return [Risk("type", pair.name, new.name, failed,
                 f"field {pair.name}.{new.name} {what}: {failed} value{'s' * (failed != 1)} "
                 f"{reason} and would become blank")]


def _option_risks(conn: Connection, pair: ObjectPair, old: Field, new: Field,
                  table: Table) -> list[Risk]:
    before = getattr(old.type, "options", None)
    after = getattr(new.type, "options", None)
    if old.type_name != new.type_name or not before or after is None:
        return []
    removed = [option for option in before if option not in after]
    if not removed:
        return []
    column = table.c[old.name]
    used = 0
    rows = conn.execute(select(column).where(column.is_not(None))
                        .execution_options(yield_per=5000))
    for (value,) in rows:
        values = value if isinstance(value, list) else [value]
        used += any(item in removed for item in values)
    if not used:
        return []
    shown = ", ".join(repr(option) for option in removed)
    return [Risk("option_removed", pair.name, new.name, used,
                 f"field {pair.name}.{new.name} loses option{'s' * (len(removed) != 1)} {shown}, "
                 f"which {_records(used)} {'uses' if used == 1 else 'use'} (they keep the value, "
                 "which no longer validates)")]


def _index_risks(conn: Connection, old: ObjectType, new: ObjectType, table: Table,
                 pair: ObjectPair) -> list[Risk]:
    """A declared unique index that is new (or newly unique) over existing values."""
    was_unique = {tuple(index.fields) for index in old.indexes if index.unique}
    old_names = {f.new.name: f.old.name for f in pair.fields if f.old is not None and f.new is not None}
    risks = []
    for index in new.indexes:
        if not index.unique or tuple(old_names.get(f, f) for f in index.fields) in was_unique:
            continue
        if not all(name in old_names and old.fields[old_names[name]].stored for name in index.fields):
            continue  # a new column is blank everywhere: nothing repeats
        columns = [table.c[old_names[name]] for name in index.fields]
        records, values = _duplicates(conn, table, columns)
        if records:
            shown = ", ".join(index.fields)
            risks.append(Risk("unique", new.name, None, records,
                              f"unique index on {new.name} ({shown}): {_records(records)} share "
                              f"values with another ({values} combination{'s' * (values != 1)} "
                              "repeat); the database refuses the index until they differ"))
    return risks
