"""The SQL back-end: the same typed tree compiled into a SQLAlchemy expression.

    >>> q = SqlCompiler(scope, table_for, "postgresql")              # doctest: +SKIP
    >>> where = q.condition('account.industry == "Energy" and amount > 1000')
    >>> select(table.c.id).select_from(q.from_clause()).where(where)

Lookup traversal becomes LEFT OUTER JOINs that the compiler collects (one per distinct path,
shared by every expression compiled with it); formula fields are inlined. Blank semantics
match the Python back-end: in a WHERE (``condition``) NULL and false are the same, which keeps
plain comparisons index-friendly; where a boolean is a *value* it is made two-valued.
"""

from __future__ import annotations

import copy
import functools
from decimal import Decimal
from typing import Callable

from sqlalchemy import (
    Boolean, Date, Float, Integer, Numeric, Table, Text, and_, bindparam, case, cast, false, func,
    literal, literal_column, not_, null, or_, select, true, type_coerce,
)
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.elements import (
    BinaryExpression, BooleanClauseList, Grouping, TypeCoerce, UnaryExpression,
)
from sqlalchemy.types import BigInteger, TypeDecorator

from . import nodes as n
from .env import DEFAULT_ENVIRONMENT, Environment
from .errors import FormulaError
from .functions import COMPARISONS, FUNCTIONS
from .scope import Scope
from .sqltypes import DateTimeSeconds, TextList
from .typecheck import Usage, check_tree
from .types import FType

DIALECTS = ("sqlite", "postgresql")
MAX_FORMULA_NESTING = 32


class ExactNumber(TypeDecorator):
    """A decimal value read back as :class:`~decimal.Decimal`.

    SQLite computes decimals as REAL; plain ``Numeric`` would turn such a float into a Decimal
    through ``"%.10f"``, so 1518548.31 came back as 1518548.3100000001. This keeps the float's
    15 significant digits instead (what SQLite itself prints for a REAL, and all a REAL holds
    exactly), so 0.1 + 0.2 is 0.3 and 1518548.31 stays 1518548.31.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(asdecimal=False))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_result_value(self, value, dialect):
        if isinstance(value, float):
            return Decimal(format(value, ".15g"))
        return value


def sql_type(t: FType):
    """The SQLAlchemy type that reads and writes a value of ``t``."""
    if t.is_numeric:
        return BigInteger() if t is FType.INTEGER else ExactNumber()
    return {
        FType.TEXT: Text(), FType.REFERENCE: Text(), FType.BOOLEAN: Boolean(),
        FType.DATE: Date(), FType.DATETIME: DateTimeSeconds(), FType.TEXT_LIST: TextList(),
    }.get(t, Text())


class SqlCompiler:
    """Compiles expressions over one object's table; collects the joins they need."""

    def __init__(self, scope: Scope, table_for: Callable[[str], Table], dialect: str,
                 env: Environment | None = DEFAULT_ENVIRONMENT, base: FromClause | None = None):
        if dialect not in DIALECTS:
            raise ValueError(f"unknown SQL dialect {dialect!r}; use one of {DIALECTS}")
        self.scope = scope
        self.table_for = table_for
        self.dialect = dialect
        #: None: today()/now()/current_user() become named parameters the caller binds at
        #: execution (:func:`environment_params`), so a compiled query serves every user
        self.env = env
        #: the environment values the compiled expressions need at execution (env None)
        self.env_params: set[str] = set()
        self.base = base if base is not None else table_for(scope.object_name)
        self._table = self.base
        self._prefix: tuple[str, ...] = ()
        self._joins: dict[tuple[str, ...], tuple[FromClause, ColumnElement]] = {}
        self._depth = 0

    # -- public -----------------------------------------------------------------------------
    def typed(self, source_or_tree) -> n.Node:
        if isinstance(source_or_tree, str) or source_or_tree.type is None:
            return check_tree(source_or_tree, self.scope, Usage.QUERY)
        return source_or_tree

    def condition(self, source_or_tree) -> ColumnElement:
        """A WHERE clause: true rows only (blank counts as false)."""
        return self._cond(self.typed(source_or_tree))

    def value(self, source_or_tree) -> ColumnElement:
        """A value (a column of a SELECT, a sort key); blanks are NULL."""
        node = self.typed(source_or_tree)
        # grouped, so a compound value keeps its meaning wherever it is embedded (SQLAlchemy
        # does not parenthesise operands of custom operators or of IS NULL after NOT)
        return _grouped(getattr(self, "_" + type(node).__name__)(node))

    def from_clause(self) -> FromClause:
        """The base table with every join the compiled expressions need."""
        clause = self.base
        for alias, onclause in self._joins.values():
            clause = clause.outerjoin(alias, onclause)
        return clause

    # -- helpers the function table uses ------------------------------------------------------
    def param(self, value, t: FType) -> ColumnElement:
        if callable(value):  # evaluated at execution: a cached query never goes stale
            return bindparam(None, callable_=value, type_=sql_type(t))
        if value is None:
            return null()
        return literal(value, sql_type(t))

    def env_param(self, name: str, t: FType) -> ColumnElement:
        """``today``, ``now`` or ``user_id`` of the environment: read from the compiler's
        environment at execution, or (no environment) a parameter named ``env_<name>``."""
        if self.env is None:
            self.env_params.add(name)
            return bindparam(ENV_PARAM + name, type_=sql_type(t), unique=False)
        env = self.env
        return self.param(lambda: getattr(env, name)() if name != "user_id" else env.user_id, t)

    def refuse(self, node: n.Node, message: str):
        raise FormulaError(message, node.line, node.column)

    def collated(self, expr: ColumnElement, t: FType) -> ColumnElement:
        """Text ordered by code point, as Python orders it (PostgreSQL's default collation
        would order by locale)."""
        if self.dialect == "postgresql" and t in (FType.TEXT, FType.REFERENCE):
            return expr.collate("C")
        return expr

    def text(self, node: n.Node) -> ColumnElement:
        """The value as text, never NULL (blank -> ''), formatted as values.to_text does."""
        if isinstance(node, n.Literal) and isinstance(node.value, str):
            return literal(node.value, Text())
        x, t = self.value(node), node.type
        if t in (FType.TEXT, FType.REFERENCE):
            return func.coalesce(x, "")
        if t is FType.NULL:
            return literal("")
        if t is FType.INTEGER:
            out = cast(x, Text)
        elif t.is_numeric:
            if self.dialect == "postgresql":
                out = cast(func.trim_scale(cast(x, Numeric)), Text)
            else:
                out = case((x == cast(x, Integer), cast(cast(x, Integer), Text)),
                           else_=cast(x, Text))
        elif t is FType.BOOLEAN:
            return case((x.is_(None), ""), (x == true(), "true"), else_="false")
        elif t is FType.DATE and self.dialect == "postgresql":
            out = func.to_char(x, "YYYY-MM-DD")
        elif t is FType.DATETIME and self.dialect == "postgresql":
            out = func.to_char(x, "YYYY-MM-DD HH24:MI:SS")
        else:  # SQLite keeps dates and datetimes as ISO text already
            out = type_coerce(x, Text)
        return func.coalesce(out, "")

    def is_blank(self, node: n.Node) -> ColumnElement:
        if node.type is FType.NULL:
            return true()
        x = self.value(node)
        if node.type in (FType.TEXT, FType.REFERENCE):
            return or_(x.is_(None), x == "")
        if node.type is FType.TEXT_LIST:
            return func.coalesce(self.list_length(x), 0) == 0
        return x.is_(None)

    def list_length(self, x: ColumnElement) -> ColumnElement:
        """How many values a multi-picklist holds: 0 for an empty array and for a JSON
        ``null`` (what a JSON column stores for Python's None); NULL for SQL NULL."""
        if self.dialect == "sqlite":  # json_array_length of a non-array is 0
            return func.json_array_length(x)
        # jsonb_array_length fails on a scalar, so only arrays reach it
        return func.jsonb_array_length(case((func.jsonb_typeof(x) == "array", x)))

    def add_days(self, date_node: n.Node, days_node: n.Node, sign: str) -> ColumnElement:
        d, k = self.value(date_node), self.value(days_node)
        if sign == "-":
            k = -k.self_group()
        if self.dialect == "sqlite":
            shift = func.date if date_node.type is FType.DATE else func.datetime
            return shift(func.julianday(d) + k)
        if date_node.type is FType.DATE:
            return d.op("+")(cast(k, Integer))
        day = literal_column("interval '1 day'")
        return func.date_trunc("second", d.op("+")(cast(k, Float).op("*")(day)))

    def difference(self, end_node: n.Node, start_node: n.Node) -> ColumnElement:
        e, s = self.value(end_node), self.value(start_node)
        dates = end_node.type is FType.DATE
        if self.dialect == "sqlite":
            days = func.julianday(e).op("-")(func.julianday(s))
            return cast(func.round(days), BigInteger) if dates else days
        if dates:
            return e.op("-")(s)
        return func.extract("epoch", e.op("-")(s)).op("/")(literal_column("86400"))

    def days_between(self, start_node: n.Node, end_node: n.Node) -> ColumnElement:
        if start_node.type is FType.DATE:
            return self.difference(end_node, start_node)
        e, s = self.value(end_node), self.value(start_node)
        if self.dialect == "sqlite":
            seconds = cast(func.strftime("%s", e), Integer).op("-")(
                cast(func.strftime("%s", s), Integer))
            # .op("/"): SQLAlchemy's "/" would make this a true (REAL) division; SQLite's own
            # integer division truncates toward zero, as values.days_between does
            return seconds.self_group().op("/")(literal_column("86400"))
        seconds = func.extract("epoch", e).op("-")(func.extract("epoch", s))
        return cast(func.div(seconds, 86400), BigInteger)

    # -- conditions -----------------------------------------------------------------------------
    def _cond(self, node: n.Node) -> ColumnElement:
        if isinstance(node, n.Compare):
            return self._compare(node)
        if isinstance(node, n.In):
            return self._in(node)
        if isinstance(node, n.Logical):
            join = and_ if node.op == "and" else or_
            return join(*[self._cond(o) for o in node.operands])
        if isinstance(node, n.Not):
            return not_(self._two_valued(node.operand))
        if node.type is FType.NULL:
            return false()
        return self.value(node)

    def _two_valued(self, node: n.Node) -> ColumnElement:
        """A boolean that is never NULL: what a condition means where blank would leak."""
        if isinstance(node, n.Logical):
            join = and_ if node.op == "and" else or_
            return join(*[self._two_valued(o) for o in node.operands])
        if isinstance(node, n.Not):
            return not_(self._two_valued(node.operand))
        return func.coalesce(self._cond(node), false())

    def _compare(self, node: n.Compare) -> ColumnElement:
        left, right = self.value(node.left), self.value(node.right)
        if node.op not in ("==", "!="):
            left = self.collated(left, node.left.type)
            right = self.collated(right, node.right.type)
        return COMPARISONS[node.op](left, right)

    def _in(self, node: n.In) -> ColumnElement:
        x = self.value(node.left)
        if node.right.type is FType.TEXT_LIST:
            values = self.value(node.right)
            if self.dialect == "sqlite":
                each = func.json_each(values).table_valued("value")
                found = select(literal(1)).select_from(each).where(each.c.value == x).exists()
            else:
                found = values.op("?", is_comparison=True)(x)
            if node.negated:  # a blank multi-picklist, like a blank value, makes it false
                return and_(self.list_length(values) > 0, x.is_not(None), not_(found))
            return found
        items = [self.value(i) for i in node.right.items]
        if not items:
            return x.is_not(None) if node.negated else false()
        return x.not_in(items) if node.negated else x.in_(items)

    # -- values -------------------------------------------------------------------------------
    def _Literal(self, node):
        if node.value is None:
            return null()
        return literal(node.value, sql_type(node.type))

    def _ListLiteral(self, node):
        self.refuse(node, "a list can only stand on the right of 'in'")

    def _join(self, name: str, target: str) -> FromClause:
        prefix = self._prefix + (name,)
        if prefix not in self._joins:
            alias = self.table_for(target).alias("j_" + "_".join(prefix))
            self._joins[prefix] = (alias, alias.c.id == self._table.c[name])
        return self._joins[prefix][0]

    def _at(self, table: FromClause, scope: Scope, prefix: tuple[str, ...]) -> "SqlCompiler":
        """This compiler seen from a joined table (joins stay shared)."""
        view = copy.copy(self)
        view._table, view.scope, view._prefix = table, scope, prefix
        return view

    def _FieldRef(self, node):
        view = self
        for name in node.path[:-1]:
            target = view.scope.field(name).target
            table = view._join(name, target)
            view = view._at(table, view.scope.scope_for(target), view._prefix + (name,))
        info = view.scope.field(node.path[-1])
        if info.formula is None:
            return view._table.c[info.name]
        if view._depth >= MAX_FORMULA_NESTING:
            self.refuse(node, f"formula field '{info.name}' nests formulas more than "
                              f"{MAX_FORMULA_NESTING} deep (a cycle?)")
        inner = copy.copy(view)
        inner._depth += 1
        out = inner.value(check_tree(info.formula, view.scope, Usage.QUERY))
        if len(node.path) > 1:  # no related record, no value (as in Python): not the
            out = case((view._table.c.id.is_(None), null()), else_=out)  # formula over NULLs
        return type_coerce(out, sql_type(info.type))

    def _Negate(self, node):
        return type_coerce(-self.value(node.operand).self_group(), sql_type(node.type))

    def _Not(self, node):
        return not_(self._two_valued(node.operand))

    def _Logical(self, node):
        return self._two_valued(node)

    def _Compare(self, node):
        return self._two_valued(node)

    def _In(self, node):
        return self._two_valued(node)

    def _Concat(self, node):
        parts = [self.text(p) for p in node.parts]
        return type_coerce(functools.reduce(lambda a, b: a.op("||")(b), parts), Text())

    def _Binary(self, node):
        lt, rt, op = node.left.type, node.right.type, node.op
        if lt.is_temporal and rt.is_temporal:
            out = self.difference(node.left, node.right)
        elif lt.is_temporal:
            out = self.add_days(node.left, node.right, op)
        elif rt.is_temporal:
            out = self.add_days(node.right, node.left, "+")
        else:
            # grouped: SQLAlchemy leaves an operand of a custom operator unparenthesised
            a, b = self.value(node.left).self_group(), self.value(node.right).self_group()
            if op == "/":
                real = Float() if self.dialect == "sqlite" else Numeric()
                out = cast(a, real).op("/")(func.nullif(b, 0))
            else:
                out = a.op(op)(b)
        return type_coerce(out, sql_type(node.type))

    def _Call(self, node):
        return type_coerce(FUNCTIONS[node.name].sql(self, node), sql_type(node.type))

    def _ToDatetime(self, node):
        x = self.value(node.operand)
        out = func.datetime(x) if self.dialect == "sqlite" else cast(x, DateTimeSeconds())
        return type_coerce(out, DateTimeSeconds())


#: the prefix of the parameters a query compiled without an environment expects
ENV_PARAM = "env_"


def environment_params(env: Environment, names) -> dict:
    """The execution parameters of a query compiled with ``env=None`` that needs ``names``
    (its compiler's ``env_params``): what today(), now() and current_user() mean for this run."""
    values = {"today": env.today, "now": env.now, "user_id": lambda: env.user_id}
    return {ENV_PARAM + name: values[name]() for name in names}


_COMPOUND = (UnaryExpression, BinaryExpression, BooleanClauseList)


def _grouped(expr: ColumnElement) -> ColumnElement:
    """Parenthesised when compound (``self_group`` leaves ``NOT x`` bare before ``IS NULL``)."""
    inner = expr.clause if isinstance(expr, TypeCoerce) else expr
    if isinstance(inner, _COMPOUND):
        return Grouping(expr)
    return expr


def compile_sql(source_or_tree, scope: Scope, table_for: Callable[[str], Table],
                dialect: str, env: Environment = DEFAULT_ENVIRONMENT):
    """One expression -> (SQLAlchemy value expression, FROM clause with its joins)."""
    compiler = SqlCompiler(scope, table_for, dialect, env)
    expr = compiler.value(source_or_tree)
    return expr, compiler.from_clause()
