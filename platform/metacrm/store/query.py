"""Record queries: filter, sort, keyset pagination, field selection, count on request.

    plan = QueryPlan(catalog, tables, "sqlite", "opportunity",
                     fields=("name", "amount", "account.name", "expected_revenue"),
                     filter='stage == "Proposal" and account.industry == "Retail"',
                     sort="-amount,name")
    page = plan.page(conn, env, limit=50, cursor=None)   # env: today(), current_user()
    page.records, page.next_cursor

A plan is compiled once (filter, formula columns, joins, ORDER BY) and kept by the caller for
the same query shape; only the cursor values, the limit and the environment (the clock, the
time zone and the acting user, bound as parameters at execution) change between runs. Formula fields
and lookup paths are computed in the same SELECT (LEFT JOINs), never one query per record.

Ordering: every sort ends with ``id``, so the order is total and a cursor names an exact
position. Blanks sort LAST in both directions (what people expect of ``-amount``). Keyset
pagination remembers the last row's sort values: rows inserted or deleted elsewhere never shift
a page, so a scan page by page sees every row that existed throughout exactly once.

When the first sort key can be blank, a page is read in two index-friendly parts: the rows where
it is not blank (plain ``ORDER BY k [DESC]``, which an index on ``k`` serves on SQLite and
PostgreSQL alike), then, if the page is not full, the blank rows ordered by the other keys.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from sqlalchemy import (Connection, Float, Table, and_, bindparam, false, func, literal, or_,
                        select, type_coerce)

from ..formula import (Environment, FormulaError, FType, Scope, SqlCompiler, Usage, check_tree,
                       environment_params, sql_type)
from ..meta import Catalog

#: the most rows one page may hold
MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
_PATH = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
#: system fields that are never blank: sorting on them needs no blank handling
NEVER_BLANK = frozenset({"id", "created_at", "updated_at", "version"})


class QueryError(ValueError):
    """A query that cannot run: ``errors`` maps its part (filter, sort, fields, cursor, limit)
    to messages."""

    def __init__(self, part: str, message: str):
        self.errors = {part: [message]}
        super().__init__(f"{part}: {message}")


# -- sort keys ------------------------------------------------------------------------------

def parse_sort(sort: str | Sequence[str] | None) -> tuple[tuple[str, bool], ...]:
    """``"-amount,name"`` or ``["-amount", "name"]`` -> ((path, descending), …)."""
    if sort is None:
        return ()
    items = sort.split(",") if isinstance(sort, str) else list(sort)
    keys = []
    for item in items:
        if not isinstance(item, str):
            raise QueryError("sort", f"a sort key must be text, not {type(item).__name__}")
        item = item.strip()
        if not item:
            continue
        descending = item.startswith("-")
        path = item.lstrip("-+").strip()
        if not _PATH.fullmatch(path):
            raise QueryError("sort", f"'{item}' is not a field name (e.g. name, -amount, "
                                     "account.name)")
        if path not in {key[0] for key in keys}:  # a repeated key could never matter
            keys.append((path, descending))
    return tuple(keys)


@dataclass
class _Key:
    path: str
    descending: bool
    expr: Any
    ftype: FType
    nullable: bool

    def ordering(self, plain: bool):
        """ORDER BY term; ``plain`` where the key cannot be blank (no NULLS clause, which
        would keep PostgreSQL from reading an index backwards)."""
        term = self.expr.desc() if self.descending else self.expr.asc()
        return term if plain or not self.nullable else term.nulls_last()

    def equal(self, value):
        return self.expr.is_(None) if value is None else self.expr == value

    def after(self, value, nullable: bool):
        """Rows strictly after ``value`` in this key's order (None: there are none)."""
        if value is None:  # blanks come last: nothing is after a blank
            return None
        beyond = self.expr < value if self.descending else self.expr > value
        return or_(beyond, self.expr.is_(None)) if nullable else beyond


@dataclass
class Page:
    records: list[dict]
    #: pass back to get the next page; None on the last page
    next_cursor: str | None
    #: the number of matching records, when asked for
    count: int | None = None


class QueryPlan:
    """One query shape over one object, compiled once."""

    def __init__(self, catalog: Catalog, tables: Mapping[str, Table], dialect: str,
                 object_name: str, *, fields: Sequence[str] | None = None,
                 filter: str | None = None, sort: str | Sequence[str] | None = None,
                 visible: Scope | None = None, access: str | None = None):
        """``visible``: the scope the caller's fields, filter and sort are checked against (a
        user's: fields they may not see do not exist in it); ``access``: the records they may
        see, an expression checked against the whole object, ANDed to the filter."""
        self.object_name = object_name
        self.dialect = dialect
        self._catalog = catalog
        self._tables = tables
        self.table = tables[object_name]
        catalog.object(object_name)  # UnknownName for an unknown object
        scope = catalog.scope(object_name)
        compiler = SqlCompiler(scope, tables.__getitem__, dialect, env=None)
        self._visible = visible if visible is not None else scope
        if fields:
            self.fields = tuple(dict.fromkeys(fields))
        else:
            self.fields = tuple(self._visible.field_names())
        if "id" not in self.fields:
            self.fields = ("id",) + self.fields
        self._columns = [self._compile_path(compiler, "fields", path).label(path)
                         for path in self.fields]
        self.filter = filter
        self._typed_filter = self._check_filter(filter) if filter else None
        self._typed_access = self._check_access(scope, access) if access else None
        self._where = self._condition(compiler)
        self._keys = self._compile_sort(compiler, parse_sort(sort))
        self.sort_signature = ",".join(("-" if k.descending else "") + k.path for k in self._keys)
        self._from = compiler.from_clause()
        #: what the environment must supply at execution (today, now, user_id)
        self._env_names = frozenset(compiler.env_params)
        self._statements: dict[tuple, Any] = {}
        self._count = None
        self._one = None

    # -- compiling ------------------------------------------------------------------------------

    def _compile_path(self, compiler: SqlCompiler, part: str, path: str):
        if not isinstance(path, str) or not _PATH.fullmatch(path):
            raise QueryError(part, f"{path!r} is not a field name")
        try:
            return compiler.value(check_tree(path, self._visible, Usage.QUERY))
        except FormulaError as err:
            raise QueryError(part, err.message) from None

    def _check_filter(self, source: str):
        try:
            typed = check_tree(source, self._visible, Usage.QUERY)
            if typed.type not in (FType.BOOLEAN, FType.NULL):
                raise FormulaError(f"a filter must be a condition (true or false), but it "
                                   f"gives {typed.type}", 1, 1, source)
            return typed
        except FormulaError as err:
            raise QueryError("filter", str(err)) from None

    @staticmethod
    def _check_access(scope: Scope, source: str):
        # the predicate may read what the user may not see (a sharing rule on amount): it is
        # checked against the whole object, and never shown
        return check_tree(source, scope, Usage.QUERY)

    def _condition(self, compiler: SqlCompiler):
        """The WHERE of the filter and the access predicate (compiled by ``compiler``)."""
        parts = [compiler.condition(t) for t in (self._typed_filter, self._typed_access)
                 if t is not None]
        return None if not parts else parts[0] if len(parts) == 1 else and_(*parts)

    def _compile_sort(self, compiler: SqlCompiler, keys) -> list[_Key]:
        out = []
        for path, descending in keys:
            typed_expr = self._compile_path(compiler, "sort", path)
            ftype = check_tree(path, self._visible, Usage.QUERY).type
            if ftype in (FType.TEXT_LIST, FType.LIST):
                raise QueryError("sort", f"cannot sort by '{path}': it holds a list of values")
            out.append(_Key(path, descending, self._raw(typed_expr, ftype), ftype,
                            nullable=path not in NEVER_BLANK))
            if path == "id":  # a total order already: later keys could never matter
                return out
        return out + [_Key("id", bool(out) and out[-1].descending, self.table.c.id,
                           FType.TEXT, nullable=False)]

    def _raw(self, expr, ftype: FType):
        """The sort key read back exactly as stored, so a cursor compares equal to the row it
        came from (SQLite decimals are REALs: read them as floats, not rounded Decimals)."""
        if ftype.is_numeric and ftype is not FType.INTEGER and self.dialect == "sqlite":
            return type_coerce(expr, Float())
        return type_coerce(expr, sql_type(ftype))

    # -- statements -----------------------------------------------------------------------------

    def _base(self):
        statement = select(*self._columns, *[k.expr.label(f"_k{i}")
                                             for i, k in enumerate(self._keys)])
        statement = statement.select_from(self._from)
        return statement if self._where is None else statement.where(self._where)

    def _statement(self, segment: str, pattern: tuple):
        """The SELECT of one part of a page (``segment``: all | set | blank) after a cursor
        whose values are blank where ``pattern`` says so (None: no cursor)."""
        key = (segment, pattern)
        statement = self._statements.get(key)
        if statement is not None:
            return statement
        keys = self._keys if segment != "blank" else self._keys[1:]
        statement = self._base()
        if segment == "set":
            statement = statement.where(self._keys[0].expr.is_not(None))
        elif segment == "blank":
            statement = statement.where(self._keys[0].expr.is_(None))
        if pattern is not None:
            offset = 1 if segment == "blank" else 0
            statement = statement.where(self._after(keys, pattern[offset:], offset,
                                                    first_set=segment == "set"))
        ordering = [k.ordering(plain=i == 0 and segment == "set" or not k.nullable)
                    for i, k in enumerate(keys)]
        statement = statement.order_by(*ordering)
        self._statements[key] = statement
        return statement

    def _after(self, keys: list[_Key], pattern: tuple, offset: int, first_set: bool):
        """Rows after the cursor: OR over i of (keys before i equal AND key i after)."""
        terms, equal = [], []
        for i, (key, blank) in enumerate(zip(keys, pattern)):
            value = None if blank else bindparam(f"_c{i + offset}", type_=key.expr.type)
            nullable = key.nullable and not (first_set and i == 0)
            beyond = key.after(value, nullable)
            if beyond is not None:
                terms.append(and_(*equal, beyond))
            equal.append(key.equal(value))
        condition = or_(*terms) if terms else false()
        first = keys[0]
        if first_set and not pattern[0]:
            # redundant, but a plain range the database can seek to with an index on the key
            bound = bindparam(f"_c{offset}", type_=first.expr.type)
            condition = and_(first.expr <= bound if first.descending else first.expr >= bound,
                             condition)
        return condition

    # -- running --------------------------------------------------------------------------------

    def _env(self, env: Environment, names=None) -> dict:
        return environment_params(env, self._env_names if names is None else names)

    def page(self, conn: Connection, env: Environment, limit: int = DEFAULT_LIMIT,
             cursor: str | None = None, count: bool = False) -> Page:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise QueryError("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
        after = self.decode_cursor(cursor) if cursor else None
        rows: list = []
        want = limit + 1  # one more than asked: tells whether there is a next page
        params = self._env(env)
        if self._keys[0].nullable:
            if after is None or after[0] is not None:
                rows += self._run(conn, params, "set", after, want)
            if len(rows) < want:
                blank_after = after if after is not None and after[0] is None else None
                rows += self._run(conn, params, "blank", blank_after, want - len(rows))
        else:
            rows = self._run(conn, params, "all", after, want)
        more = len(rows) > limit
        rows = rows[:limit]
        records = [{name: row[i] for i, name in enumerate(self.fields)} for row in rows]
        next_cursor = self.encode_cursor(rows[-1][len(self.fields):]) if more else None
        return Page(records, next_cursor, self.count(conn, env) if count else None)

    def _run(self, conn: Connection, params: dict, segment: str, after, limit: int) -> list:
        pattern = None if after is None else tuple(value is None for value in after)
        statement = self._statement(segment, pattern).limit(limit)
        if after is not None:
            params = params | {f"_c{i}": value for i, value in enumerate(after)
                               if value is not None}
        return list(conn.execute(statement, params))

    def one(self, conn: Connection, record_id: str, env: Environment) -> dict | None:
        """The selected fields of one record (formula fields computed), or None."""
        if self._one is None:
            self._one = self._base().where(self.table.c.id == bindparam("_id"))
        row = conn.execute(self._one, {"_id": record_id} | self._env(env)).first()
        return None if row is None else {name: row[i] for i, name in enumerate(self.fields)}

    def count(self, conn: Connection, env: Environment) -> int:
        """How many records match the filter (one COUNT, only when asked)."""
        if self._count is None:
            compiler = SqlCompiler(self._catalog.scope(self.object_name),
                                   self._tables.__getitem__, self.dialect, env=None)
            where = self._condition(compiler)
            statement = select(func.count()).select_from(compiler.from_clause())
            self._count = (statement if where is None else statement.where(where),
                           frozenset(compiler.env_params))
        statement, names = self._count
        return conn.execute(statement, self._env(env, names)).scalar_one()

    # -- cursors --------------------------------------------------------------------------------

    def encode_cursor(self, values: Sequence) -> str:
        payload = {"s": self.sort_signature,
                   "v": [_encode(value, key.ftype) for value, key in zip(values, self._keys)]}
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode_cursor(self, cursor: str) -> list:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
            values = payload["v"]
            signature = payload["s"]
        except (ValueError, TypeError, KeyError, binascii.Error, AttributeError):
            raise QueryError("cursor", "not a cursor this service gave out") from None
        if signature != self.sort_signature or len(values) != len(self._keys):
            raise QueryError("cursor", f"the cursor belongs to another sort "
                                       f"({signature or 'none'}), not {self.sort_signature}")
        try:
            return [_decode(value, key.ftype, self.dialect)
                    for value, key in zip(values, self._keys)]
        except (ValueError, TypeError, InvalidOperation):
            raise QueryError("cursor", "not a cursor this service gave out") from None


def _encode(value, ftype: FType):
    if value is None or isinstance(value, (bool, int, str, float)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _decode(value, ftype: FType, dialect: str):
    if value is None:
        return None
    if ftype is FType.INTEGER:
        return int(value)
    if ftype.is_numeric:
        return float(value) if dialect == "sqlite" else Decimal(value)
    if ftype is FType.DATETIME:
        return dt.datetime.fromisoformat(value)
    if ftype is FType.DATE:
        return dt.date.fromisoformat(value)
    if ftype is FType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError("not a boolean")
        return value
    if not isinstance(value, str):
        raise ValueError("not text")
    return value
