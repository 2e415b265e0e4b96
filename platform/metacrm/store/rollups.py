"""Roll-up fields: stored summaries of child records, recomputed from the children in SQL.

    rollups = RollupIndex(catalog, tables, "sqlite")
    for feed in rollups.fed_by("opportunity"):        # what a change of an opportunity touches
        rollups.recompute(conn, feed, parent_ids)

A roll-up is recomputed from scratch for the parents a write touched (``UPDATE parent SET f =
(SELECT agg(…) FROM child WHERE child.lookup = parent.id AND filter)``), never adjusted by a
delta, so it cannot drift. On PostgreSQL the caller locks the parent rows first (see
``RecordStore.lock``): the UPDATE then runs with a snapshot taken after every earlier writer of
those parents committed, so concurrent children are all counted.

The sum of no children is 0 and so is their count; min, max and avg of no children are blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import Connection, Table, bindparam, func, literal, select, update

from ..formula import Environment, FormulaError, SqlCompiler, parse
from ..meta import Catalog
from .records import chunks


@dataclass(frozen=True)
class Feed:
    """The roll-ups of ``parent`` computed from ``child`` records through ``child.lookup``."""

    parent: str
    child: str
    lookup: str
    #: the roll-up fields of the parent, in field order
    fields: tuple[str, ...]
    #: child fields whose change can change these roll-ups (the lookup, summed fields, and
    #: every field the filters read, formula fields expanded)
    reads: frozenset[str]


def initial_value(aggregate: str):
    """A roll-up's value while there are no children."""
    return 0 if aggregate in ("count", "sum") else None


def _top_level_reads(catalog: Catalog, object_name: str, source: str | None) -> set[str]:
    """Fields of ``object_name`` an expression reads, formula fields expanded to what they read
    (a filter on a formula changes when the fields under the formula do)."""
    if not source:
        return set()
    try:
        paths = parse(source).field_paths()
    except FormulaError:
        return set()
    fields = catalog.fields(object_name)
    reads: set[str] = set()
    for path in paths:
        reads.add(path[0])
        field = fields.get(path[0])
        formula = field.type.formula() if field is not None else None
        if formula is not None and len(path) == 1:
            reads |= _top_level_reads(catalog, object_name, formula)
    return reads


class RollupIndex:
    """Every roll-up of a catalog, grouped by what feeds it; the UPDATE statements, built once."""

    def __init__(self, catalog: Catalog, tables: Mapping[str, Table], dialect: str,
                 env: Environment | None = None):
        self.catalog = catalog
        self.tables = tables
        self.dialect = dialect
        self.env = env or Environment()
        self._feeds: dict[str, list[Feed]] = {}
        self._aggregates: dict[tuple[str, str], str] = {}
        grouped: dict[tuple[str, str, str], list[str]] = {}
        for obj in catalog.objects.values():
            for field in obj.fields.values():
                kind = field.type.child_summary()
                if kind is not None:
                    grouped.setdefault((obj.name, kind.child_object, kind.child_lookup),
                                       []).append(field.name)
                    self._aggregates[(obj.name, field.name)] = kind.aggregate
        for (parent, child, lookup), names in grouped.items():
            reads = {lookup}
            for name in names:
                kind = catalog.fields(parent)[name].type.child_summary()
                reads |= _top_level_reads(catalog, child, kind.field)
                reads |= _top_level_reads(catalog, child, kind.filter)
            self._feeds.setdefault(child, []).append(
                Feed(parent, child, lookup, tuple(names), frozenset(reads)))
        self._statements: dict[Feed, object] = {}

    def fed_by(self, child: str) -> list[Feed]:
        """The roll-up groups a change of a ``child`` record may change."""
        return self._feeds.get(child, [])

    def initial_values(self, object_name: str) -> dict:
        """The roll-up values of a record that has no children yet."""
        return {name: initial_value(aggregate)
                for (obj, name), aggregate in self._aggregates.items() if obj == object_name}

    def recompute(self, conn: Connection, feed: Feed, parent_ids) -> None:
        """Recompute ``feed``'s roll-ups on these parents (the caller has locked them)."""
        statement = self._statements.get(feed)
        if statement is None:
            statement = self._statements[feed] = self._build(feed)
        for part in chunks(sorted(set(parent_ids))):
            conn.execute(statement, {"parent_ids": list(part)})

    def _build(self, feed: Feed):
        parent = self.tables[feed.parent]
        values = {name: self._aggregate(feed, name, parent) for name in feed.fields}
        return (update(parent).where(parent.c.id.in_(bindparam("parent_ids", expanding=True)))
                .values(values))

    def _aggregate(self, feed: Feed, name: str, parent: Table):
        kind = self.catalog.fields(feed.parent)[name].type.child_summary()
        # an alias, so a roll-up over the object's own records (account.parent) stays apart
        # from the table being updated
        child = self.tables[feed.child].alias("rollup_child")
        compiler = SqlCompiler(self.catalog.scope(feed.child), self.tables.__getitem__,
                               self.dialect, self.env, base=child)
        conditions = [child.c[feed.lookup] == parent.c.id]
        if kind.filter:
            conditions.append(compiler.condition(kind.filter))
        if kind.aggregate == "count":
            value = func.count()
        else:
            source = compiler.value(kind.field)
            value = getattr(func, kind.aggregate)(source)
            if kind.aggregate == "sum":
                value = func.coalesce(value, literal(0))
        query = select(value).select_from(compiler.from_clause()).where(*conditions)
        return query.scalar_subquery()
