"""The DDL half of a deploy: from two catalogs' tables to alembic operations, in a safe order.

    steps = ddl_steps(deployed_catalog, new_catalog, diff(deployed_catalog, new_catalog), dialect)
    for step in steps:
        print(step)                      # add column opportunity.discount NUMERIC(18, 2)
        step.run(StepContext(conn, dialect))

Tables come from :func:`metacrm.store.tables.build_tables` for the old and the new catalog and
are compared column by column, so any rule about tables (types, foreign keys, indexes) reaches
a deploy without code here. Every change goes through alembic's ``Operations`` inside
``batch_alter_table``: PostgreSQL alters in place; SQLite alters where it can (adding a plain
column) and otherwise copies the table into a new one and swaps it in (batch mode).

A column whose type changes is converted in Python by the field types themselves (the old
type's text of a value, read by the new type): values that do not convert become blank
(the plan counts them beforehand). When both types are stored alike (text to text, number to
number) the column is altered in place after the values are fixed; otherwise the values go
through a new column that then takes the old one's place.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import (Column, Connection, ForeignKey, Index, MetaData, String, Table, bindparam,
                        inspect, select, update)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SAWarning
from sqlalchemy.schema import sort_tables_and_constraints

from ..meta import Catalog, CatalogDiff, Field, FieldPair, FieldValueError, ObjectPair
from .tables import build_tables, table_name

#: the longest identifier PostgreSQL keeps (longer names are cut, which could make two equal)
MAX_IDENTIFIER = 63
#: rows read or written per round trip while converting values
CHUNK = 5000
#: a column that holds converted values until it replaces the old one (no field name starts
#: with an underscore, so it cannot clash)
TEMP_PREFIX = "_meta_new_"


@dataclass
class StepContext:
    """What a step runs with: the connection of the deploy's transaction."""

    conn: Connection
    op: Operations = field(init=False)

    def __post_init__(self) -> None:
        self.op = Operations(MigrationContext.configure(self.conn))


@dataclass(frozen=True)
class Step:
    """One step of the DDL, with a description for the plan."""

    description: str
    run: Callable[[StepContext], None] = field(compare=False, repr=False)
    #: rewrites every row (a conversion, or SQLite copying a table): O(rows), not O(1)
    rewrites: bool = False

    def __str__(self) -> str:
        return self.description

    def to_json(self) -> dict:
        return {"description": self.description, "rewrites": self.rewrites}


# -- how a column changes -----------------------------------------------------------------

SAME, RENAME, ADD, DROP, CONVERT_IN_PLACE, CONVERT_COPY, FIX_VALUES = (
    "same", "rename", "add", "drop", "convert_in_place", "convert_copy", "fix_values")


@dataclass(frozen=True)
class ColumnChange:
    """A stored field's column before (``old``) and after (``new``)."""

    how: str
    old_field: Field | None
    new_field: Field | None
    old: Column | None
    new: Column | None

    @property
    def converts(self) -> bool:
        return self.how in (CONVERT_IN_PLACE, CONVERT_COPY, FIX_VALUES)


def _fk_targets(column: Column, renames: dict[str, str]) -> tuple:
    return tuple(sorted((renames.get(fk.target_fullname.rsplit(".", 1)[0],
                                     fk.target_fullname.rsplit(".", 1)[0]), fk.ondelete or "")
                        for fk in column.foreign_keys))


def column_changes(pair: ObjectPair, old_table: Table, new_table: Table, dialect: Dialect,
                   table_renames: dict[str, str]) -> list[ColumnChange]:
    """How each stored column of an object that exists before and after changes."""
    changes = []
    for fields in pair.fields:
        old = fields.old if fields.old is not None and fields.old.stored else None
        new = fields.new if fields.new is not None and fields.new.stored else None
        old_col = old_table.c[old.name] if old is not None else None
        new_col = new_table.c[new.name] if new is not None else None
        if old_col is None and new_col is None:
            continue
        if old_col is None:
            changes.append(ColumnChange(ADD, None, new, None, new_col))
        elif new_col is None:
            changes.append(ColumnChange(DROP, old, None, old_col, None))
        else:
            changes.append(ColumnChange(_how(fields, old_col, new_col, dialect, table_renames),
                                        old, new, old_col, new_col))
    return changes


def _how(fields: FieldPair, old: Column, new: Column, dialect: Dialect,
         renames: dict[str, str]) -> str:
    assert fields.old is not None and fields.new is not None
    same_type = old.type.compile(dialect=dialect) == new.type.compile(dialect=dialect)
    same_keys = _fk_targets(old, renames) == _fk_targets(new, renames)
    if same_type and same_keys:
        if fields.old.type_name != fields.new.type_name:
            return FIX_VALUES  # e.g. text -> picklist: one column type, other valid values
        return RENAME if old.name != new.name else SAME
    if same_keys and old.type._type_affinity is new.type._type_affinity:
        return CONVERT_IN_PLACE
    return CONVERT_COPY


def converter(old: Field, new: Field) -> Callable[[Any], Any]:
    """Old stored value -> new value; raises FieldValueError when it does not convert.

    The old type writes the value as text (what its ``coerce`` reads back), the new type reads
    that text: each type's knowledge stays in the type.
    """
    def convert(value: Any) -> Any:
        try:
            result = new.type.coerce(old.type.to_text(value))
            new.type.validate(result)
        except FieldValueError:
            raise
        except (ValueError, TypeError, ArithmeticError) as error:
            raise FieldValueError(str(error)) from None
        return result
    return convert


def constraint_name(prefix: str, table: str, column: str) -> str:
    name = f"{prefix}_{table}_{column}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:MAX_IDENTIFIER - 9]}_{digest}"


def _copy(column: Column, *, name: str | None = None, keys: bool = True,
          key_name: str | None = None) -> Column:
    """A detached copy of ``column`` (optionally renamed, with or without its foreign key)."""
    foreign = [ForeignKey(fk.target_fullname, ondelete=fk.ondelete, name=key_name)
               for fk in column.foreign_keys] if keys else []
    return Column(name or column.name, column.type, *foreign, primary_key=column.primary_key,
                  nullable=column.nullable)


# -- value conversion ---------------------------------------------------------------------


def scan(conn: Connection, table: str, change: ColumnChange) -> Iterator[tuple[str, Any, Any]]:
    """(id, old value, new value or FieldValueError) for every non-blank value of a column."""
    assert change.old is not None and change.old_field and change.new_field
    source = Table(table, MetaData(), Column("id", String(64)),
                   Column(change.old.name, change.old.type))
    column = source.c[change.old.name]
    convert = converter(change.old_field, change.new_field)
    # yield_per on the statement: on the connection it would stay (and stream later DDL)
    rows = conn.execute(select(source.c.id, column).where(column.is_not(None))
                        .execution_options(yield_per=CHUNK))
    for record_id, value in rows:
        try:
            yield record_id, value, convert(value)
        except FieldValueError as error:
            yield record_id, value, error


def _write_values(conn: Connection, table: str, column: Column, updates: list[tuple[str, Any]]):
    target = Table(table, MetaData(), Column("id", String(64)), Column(column.name, column.type))
    statement = update(target).where(target.c.id == bindparam("_id")).values(
        {column.name: bindparam("_value")})
    for start in range(0, len(updates), CHUNK):
        conn.execute(statement, [{"_id": i, "_value": v} for i, v in updates[start:start + CHUNK]])


def _fix_in_place(table: str, change: ColumnChange) -> Callable[[StepContext], None]:
    """Blank the values that do not convert, rewrite those the new type writes differently."""
    def run(ctx: StepContext) -> None:
        fixes = [(i, None if isinstance(new, FieldValueError) else new)
                 for i, old, new in scan(ctx.conn, table, change)
                 if isinstance(new, FieldValueError) or new != old]
        assert change.old is not None
        _write_values(ctx.conn, table, change.old, fixes)
    return run


def _fill_copy(table: str, change: ColumnChange) -> Callable[[StepContext], None]:
    """Write converted values into the temporary column; lookups keep only existing records."""
    def run(ctx: StepContext) -> None:
        assert change.new is not None
        temp = Column(TEMP_PREFIX + change.new.name, change.new.type)
        values = [(i, new) for i, _old, new in scan(ctx.conn, table, change)
                  if not isinstance(new, FieldValueError)]
        _write_values(ctx.conn, table, temp, values)
        for fk in change.new.foreign_keys:
            target = fk.target_fullname.rsplit(".", 1)[0]
            holder = Table(table, MetaData(), Column(temp.name, String(64)))
            ids = Table(target, MetaData(), Column("id", String(64)))
            ctx.conn.execute(update(holder).where(holder.c[temp.name].is_not(None),
                                                  holder.c[temp.name].not_in(select(ids.c.id)))
                             .values({temp.name: None}))
    return run


# -- the steps ----------------------------------------------------------------------------


def _type(column: Column, dialect: Dialect) -> str:
    return str(column.type.compile(dialect=dialect))


def _index_signature(index: Index, columns: dict[str, str]) -> tuple:
    parts = tuple(columns.get(e.name, "?" + e.name) if isinstance(e, Column) else str(e)
                  for e in index.expressions)
    return (index.name, bool(index.unique), parts)


def _index_columns(index: Index) -> list:
    return [e.name if isinstance(e, Column) else e for e in index.expressions]


@dataclass
class _Steps:
    dialect: Dialect
    drop_indexes: list[Step] = field(default_factory=list)
    renames: list[Step] = field(default_factory=list)
    creates: list[Step] = field(default_factory=list)
    alters: list[Step] = field(default_factory=list)
    drops: list[Step] = field(default_factory=list)
    create_indexes: list[Step] = field(default_factory=list)

    def all(self) -> list[Step]:
        return [*self.drop_indexes, *self.renames, *self.creates, *self.alters, *self.drops,
                *self.create_indexes]

    @property
    def sqlite(self) -> bool:
        return self.dialect.name == "sqlite"


def ddl_steps(old: Catalog | None, new: Catalog, changes: CatalogDiff,
              dialect: Dialect) -> list[Step]:
    """The DDL from ``old`` (None: an empty database) to ``new``, in the order it must run:
    indexes dropped, tables renamed, tables created, columns changed, tables dropped, indexes
    created."""
    old_tables = build_tables(old) if old is not None else {}
    new_tables = build_tables(new)
    table_renames = {table_name(o): table_name(n) for o, n in changes.object_renames.items()}
    steps = _Steps(dialect)
    created, dropped = [], []
    for pair in changes.objects:
        if pair.old is None:
            created.append(new_tables[pair.name])
        elif pair.new is None:
            dropped.append(old_tables[pair.old.name])
        else:
            _alter_table(steps, pair, old_tables[pair.old.name], new_tables[pair.new.name],
                         table_renames)
    _create_tables(steps, created)
    _drop_tables(steps, dropped)
    for table in created:
        for index in sorted(table.indexes, key=lambda i: i.name):
            steps.create_indexes.append(_create_index(index, table.name))
    return steps.all()


def _create_index(index: Index, table: str) -> Step:
    columns = _index_columns(index)
    shown = ", ".join(str(c) for c in columns)
    return Step(f"create {'unique ' if index.unique else ''}index {index.name} on {table} ({shown})",
                lambda ctx: ctx.op.create_index(index.name, table, columns, unique=index.unique))


def _create_tables(steps: _Steps, tables: list[Table]) -> None:
    if not tables:
        return
    deferred: list = []
    if steps.sqlite:
        # SQLite checks foreign keys on use, not on CREATE: any order, keys inline
        ordered = [(table, []) for table in tables]
    else:
        # PostgreSQL needs a referenced table first; keys of a cycle are added afterwards
        ordered = [(t, fks) for t, fks in sort_tables_and_constraints(tables) if t is not None]
        deferred = [fk for t, fks in sort_tables_and_constraints(tables) if t is None for fk in fks]
    later = {id(fk) for fk in deferred}

    for table, _ in ordered:
        columns = [_copy(c, keys=not any(id(fk.constraint) in later for fk in c.foreign_keys))
                   for c in table.columns]
        steps.creates.append(Step(
            f"create table {table.name} ({len(columns)} columns)",
            lambda ctx, name=table.name, columns=columns: ctx.op.create_table(
                name, *[_copy(c) for c in columns])))
    for constraint in deferred:
        source = constraint.table.name
        local = [c.name for c in constraint.columns]
        target = constraint.elements[0].target_fullname.rsplit(".", 1)[0]
        name = constraint_name("fk", source, local[0])
        steps.creates.append(Step(
            f"add foreign key {source}.{local[0]} -> {target}",
            lambda ctx, name=name, source=source, target=target, local=local, c=constraint:
                ctx.op.create_foreign_key(name, source, target, local, ["id"], ondelete=c.ondelete)))


def _drop_tables(steps: _Steps, tables: list[Table]) -> None:
    names = {table.name for table in tables}
    if not steps.sqlite:
        # PostgreSQL refuses to drop a table another one refers to: keys between the tables
        # dropped together go first (SQLite checks no keys while a deploy runs)
        for table in tables:
            targets = {fk.column.table.name for fk in table.foreign_keys} & names - {table.name}
            if targets:
                steps.drops.append(Step(
                    f"drop foreign keys of {table.name} to {', '.join(sorted(targets))}",
                    lambda ctx, name=table.name, targets=targets:
                        _drop_foreign_keys(ctx, name, targets)))
    for table in tables:
        steps.drops.append(Step(f"drop table {table.name}",
                                lambda ctx, name=table.name: ctx.op.drop_table(name)))


def _drop_foreign_keys(ctx: StepContext, table: str, targets: set[str]) -> None:
    for fk in inspect(ctx.conn).get_foreign_keys(table):
        if fk.get("name") and fk["referred_table"] in targets:
            ctx.op.drop_constraint(fk["name"], table, type_="foreignkey")


def _alter_table(steps: _Steps, pair: ObjectPair, old: Table, new: Table,
                 table_renames: dict[str, str]) -> None:
    dialect = steps.dialect
    changes = column_changes(pair, old, new, dialect, table_renames)
    name = new.name
    by_how: dict[str, list[ColumnChange]] = {}
    for change in changes:
        by_how.setdefault(change.how, []).append(change)
    renames, adds, drops = by_how.get(RENAME, []), by_how.get(ADD, []), by_how.get(DROP, [])
    in_place, copies, fixes = (by_how.get(CONVERT_IN_PLACE, []), by_how.get(CONVERT_COPY, []),
                               by_how.get(FIX_VALUES, []))
    first = [*_renames(renames), *_alter_types(in_place, dialect), *_adds(adds, name, dialect),
             *_temp_adds(copies, name, dialect)]
    second = [*_drops(drops), *_swaps(copies, name, dialect)]
    if not copies:
        first, second = first + second, []
    # SQLite alters a table in place only to add a column without a foreign key; anything
    # else copies the table, and the copy would lose indexes SQLAlchemy cannot reflect: such
    # a table's indexes are all dropped before and created after
    rebuild_first = steps.sqlite and not all(op.plain_add for op in first)
    rebuild = rebuild_first or (steps.sqlite and bool(second))
    # indexes: kept when their name, uniqueness and (renamed) columns are the same; an index
    # on a converted or dropped column is not (its column is not in ``mapped``)
    mapped = {c.old.name: c.new.name for c in changes if c.how in (SAME, RENAME)}  # type: ignore
    new_signatures = {_index_signature(i, {c.name: c.name for c in new.columns}): i
                      for i in new.indexes}
    kept = set()
    for index in sorted(old.indexes, key=lambda i: i.name):
        signature = _index_signature(index, mapped)
        if signature in new_signatures and not rebuild:
            kept.add(signature)
        else:
            steps.drop_indexes.append(Step(
                f"drop index {index.name}",
                lambda ctx, i=index.name, t=old.name: ctx.op.drop_index(i, table_name=t)))
    for signature, index in sorted(new_signatures.items(), key=lambda item: item[1].name):
        if signature not in kept:
            steps.create_indexes.append(_create_index(index, name))
    if pair.renamed:
        steps.renames.append(Step(f"rename table {old.name} to {name}",
                                  lambda ctx, o=old.name: ctx.op.rename_table(o, name)))
    for change in fixes + in_place:
        steps.alters.append(Step(
            f"convert values of {name}.{change.old.name} to {change.new_field.type_name}",  # type: ignore
            _fix_in_place(name, change), rewrites=True))
    if first:
        steps.alters.append(_batch(name, first, rebuild_first, bool(in_place)))
    for change in copies:
        steps.alters.append(Step(
            f"convert values of {name}.{change.old.name} into {TEMP_PREFIX}{change.new.name}",  # type: ignore
            _fill_copy(name, change), rewrites=True))
    if second:
        steps.alters.append(_batch(name, second, steps.sqlite, False))


@dataclass(frozen=True)
class _BatchOp:
    text: str
    apply: Callable[[Any], None]
    #: adding a column without a foreign key: the one change SQLite makes without a copy
    plain_add: bool = False


def _batch(table: str, ops: list[_BatchOp], rebuild: bool, retypes: bool) -> Step:
    def run(ctx: StepContext) -> None:
        # said explicitly, so the indexes dropped and created around it match what happens
        with warnings.catch_warnings():
            # reflecting the tables a rebuilt table refers to skips their expression indexes
            # (lower(email)); they are not touched, and the rebuilt table's own indexes are
            # dropped before and created after by the deploy itself
            warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
            with ctx.op.batch_alter_table(table, recreate="always" if rebuild else "auto") as batch:
                for op in ops:
                    op.apply(batch)
    lines = "; ".join(op.text for op in ops)
    prefix = f"rebuild table {table} (copy and swap): " if rebuild else f"alter table {table}: "
    return Step(prefix + lines, run, rewrites=rebuild or retypes)


def _renames(changes: list[ColumnChange]) -> list[_BatchOp]:
    return [_BatchOp(f"rename column {c.old.name} to {c.new.name}",  # type: ignore[union-attr]
                     lambda b, c=c: b.alter_column(c.old.name, new_column_name=c.new.name))
            for c in changes]


def _alter_types(changes: list[ColumnChange], dialect: Dialect) -> list[_BatchOp]:
    ops = []
    for c in changes:
        assert c.old is not None and c.new is not None
        text = f"alter column {c.old.name} type to {_type(c.new, dialect)}"
        if c.old.name != c.new.name:
            text += f", renamed {c.new.name}"
        ops.append(_BatchOp(text, lambda b, c=c: b.alter_column(
            c.old.name, type_=c.new.type, existing_type=c.old.type,
            new_column_name=c.new.name if c.new.name != c.old.name else None)))
    return ops


def _adds(changes: list[ColumnChange], table: str, dialect: Dialect) -> list[_BatchOp]:
    ops = []
    for c in changes:
        assert c.new is not None
        column = _copy(c.new, key_name=constraint_name("fk", table, c.new.name))
        ops.append(_BatchOp(f"add column {c.new.name} {_type(c.new, dialect)}",
                            lambda b, column=column: b.add_column(column),
                            plain_add=not column.foreign_keys))
    return ops


def _keys_with_temp_column(dialect: Dialect) -> bool:
    """Where a converted lookup's foreign key is made: on SQLite with the temporary column
    (batch mode cannot add a key to a column it renames in the same copy, and keys are not
    checked while a deploy runs there); on PostgreSQL after the swap, since it checks keys at
    once and values are only cleaned after they are written."""
    return dialect.name == "sqlite"


def _temp_adds(changes: list[ColumnChange], table: str, dialect: Dialect) -> list[_BatchOp]:
    ops = []
    for c in changes:
        assert c.new is not None
        keys = _keys_with_temp_column(dialect) and bool(c.new.foreign_keys)
        column = _copy(c.new, name=TEMP_PREFIX + c.new.name, keys=keys,
                       key_name=constraint_name("fk", table, c.new.name))
        ops.append(_BatchOp(f"add column {column.name} {_type(c.new, dialect)}"
                            + (" with its foreign key" if keys else ""),
                            lambda b, column=column: b.add_column(column), plain_add=not keys))
    return ops


def _drops(changes: list[ColumnChange]) -> list[_BatchOp]:
    return [_BatchOp(f"drop column {c.old.name}",  # type: ignore[union-attr]
                     lambda b, c=c: b.drop_column(c.old.name)) for c in changes]


def _swaps(changes: list[ColumnChange], table: str, dialect: Dialect) -> list[_BatchOp]:
    ops: list[_BatchOp] = []
    for c in changes:
        assert c.old is not None and c.new is not None
        temp = TEMP_PREFIX + c.new.name
        ops.append(_BatchOp(f"drop column {c.old.name}", lambda b, c=c: b.drop_column(c.old.name)))
        ops.append(_BatchOp(f"rename column {temp} to {c.new.name}",
                            lambda b, c=c, temp=temp: b.alter_column(temp, new_column_name=c.new.name)))
        for fk in () if _keys_with_temp_column(dialect) else c.new.foreign_keys:
            target = fk.target_fullname.rsplit(".", 1)[0]
            name = constraint_name("fk", table, c.new.name)
            ops.append(_BatchOp(f"add foreign key {c.new.name} -> {target}",
                                lambda b, c=c, target=target, name=name, fk=fk: b.create_foreign_key(
                                    name, target, [c.new.name], ["id"], ondelete=fk.ondelete)))
    return ops
