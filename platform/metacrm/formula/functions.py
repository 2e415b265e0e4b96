"""The functions of the expression language: ONE table, read by the type checker and both
back-ends, so a function's type, its Python meaning and its SQL meaning are defined together.

Each entry gives an arity, a typer ``(checker, call, typed_args) -> FType``, a Python builder
``(arg_closures, call) -> closure(record, ctx)`` and a SQL builder ``(sql_compiler, call) ->
SQLAlchemy expression``. Blank rules (METADATA.md): text functions read a blank as empty text;
other functions given a blank return blank, except is_blank, coalesce and if.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Integer, case, cast, func, literal, or_
from sqlalchemy.types import BigInteger, Numeric

from . import nodes as n
from . import values as v
from .types import FType, describe, numeric_result

TEXTUAL = frozenset({FType.TEXT, FType.REFERENCE, FType.NULL})


@dataclass(frozen=True)
class Function:
    name: str
    min_args: int
    max_args: int
    typer: Callable
    py: Callable
    sql: Callable
    doc: str
    #: needs the record being written (prior values, is it new): not in queries
    write_only: bool = False
    #: a date argument meeting a datetime one is widened to midnight
    widens: bool = False

    def arity_text(self) -> str:
        if self.min_args == self.max_args:
            count = self.min_args
            return "no arguments" if count == 0 else f"{count} argument{'s' * (count > 1)}"
        if self.max_args >= 99:
            return f"{self.min_args} or more arguments"
        return f"{self.min_args} to {self.max_args} arguments"

    def widen_args(self, checker, args):
        types = {a.type for a in args}
        if self.widens and FType.DATE in types and FType.DATETIME in types:
            return tuple(checker.widen(a) for a in args)
        return args


# -- typers -------------------------------------------------------------------------------

def _need(checker, call, arg, allowed, what):
    if arg.type is not FType.NULL and arg.type not in allowed:
        checker.error(arg, f"{call.name}() needs {what}, not {describe(arg.type)}")


def _unify(checker, call, args) -> FType:
    result = FType.NULL
    for arg in args:
        t = arg.type
        if t in (FType.LIST, FType.TEXT_LIST):
            checker.error(arg, f"{call.name}() takes single values, not {describe(t)}")
        if result is FType.NULL or t is result:
            result = t if t is not FType.NULL else result
        elif t is FType.NULL:
            continue
        elif t.is_numeric and result.is_numeric:
            result = numeric_result(result, t)
        elif t.is_temporal and result.is_temporal:
            result = FType.DATETIME
        elif t in TEXTUAL and result in TEXTUAL:
            result = FType.TEXT
        else:
            checker.error(arg, f"{call.name}() mixes {describe(result)} and {describe(t)}")
    return result


def returns(t):
    return lambda checker, call, args: t


def text_args(result):
    def typer(checker, call, args):
        for arg in args:
            _need(checker, call, arg, TEXTUAL, "text")
        return result
    return typer


def temporal_arg(result):
    def typer(checker, call, args):
        _need(checker, call, args[0], {FType.DATE, FType.DATETIME}, "a date")
        return result
    return typer


def _numeric_typer(checker, call, args):
    _need(checker, call, args[0], {FType.INTEGER, FType.DECIMAL, FType.CURRENCY, FType.PERCENT},
          "a number")
    return args[0].type


def _round_typer(checker, call, args):
    result = _numeric_typer(checker, call, args)
    if len(args) == 2:
        digits = args[1]
        # at most 38, the largest scale a decimal has (PostgreSQL has no round() past INTEGER)
        if not (isinstance(digits, n.Literal) and type(digits.value) is int
                and 0 <= digits.value <= 38):
            checker.error(digits, "round()'s digits must be a whole number like 0 or 2")
    return result


def _minmax_typer(checker, call, args):
    result = _unify(checker, call, args)
    if result is FType.BOOLEAN:
        checker.error(call, f"{call.name}() compares numbers, dates or texts, not true/false")
    return result


def _if_typer(checker, call, args):
    if args[0].type not in (FType.BOOLEAN, FType.NULL):
        checker.error(args[0], f"if() needs a condition first, not {describe(args[0].type)}")
    return _unify(checker, call, args[1:])


def _left_right_typer(checker, call, args):
    _need(checker, call, args[0], TEXTUAL, "text")
    _need(checker, call, args[1], {FType.INTEGER}, "a whole number of characters")
    return FType.TEXT


def _add_days_typer(checker, call, args):
    start, days = args
    _need(checker, call, start, {FType.DATE, FType.DATETIME}, "a date")
    _need(checker, call, days, {FType.INTEGER, FType.DECIMAL, FType.CURRENCY, FType.PERCENT},
          "a number of days")
    if start.type is FType.DATE and days.type not in (FType.INTEGER, FType.NULL):
        checker.error(days, f"a date moves by whole days, not {describe(days.type)}")
    return FType.DATE if start.type is FType.NULL else start.type


def _days_between_typer(checker, call, args):
    for arg in args:
        _need(checker, call, arg, {FType.DATE, FType.DATETIME}, "dates")
    return FType.INTEGER


def _field_arg_typer(result_of):
    def typer(checker, call, args):
        if not isinstance(args[0], n.FieldRef):
            checker.error(args[0], f"{call.name}() takes a field, like {call.name}(stage)")
        return result_of(args[0])
    return typer


def _is_blank_typer(checker, call, args):
    if args[0].type is FType.LIST:
        checker.error(args[0], "is_blank() takes a value or a field, not a list")
    return FType.BOOLEAN


def _text_typer(checker, call, args):
    if args[0].type in (FType.LIST, FType.TEXT_LIST):
        checker.error(args[0], f"text() takes a single value, not {describe(args[0].type)}")
    return FType.TEXT


# -- Python builders ----------------------------------------------------------------------

def _strict(fn):
    """A function of values that gives blank when any argument is blank."""
    def build(args, call):
        if len(args) == 1:
            (a,) = args

            def one(r, c):
                x = a(r, c)
                return None if x is None else fn(x)
            return one

        def many(r, c):
            xs = [f(r, c) for f in args]
            return None if any(x is None for x in xs) else fn(*xs)
        return many
    return build


def _texty(fn):
    """A text function: blank text arguments read as empty text."""
    def build(args, call):
        if len(args) == 1:
            (a,) = args
            return lambda r, c: fn(a(r, c) or "")
        a, b = args
        return lambda r, c: fn(a(r, c) or "", b(r, c) or "")
    return build


def _py_if(args, call):
    cond, then, other = args
    return lambda r, c: then(r, c) if cond(r, c) else other(r, c)


def _py_coalesce(args, call):
    def first(r, c):
        for f in args:
            x = f(r, c)
            if x is not None:
                return x
        return None
    return first


def _py_left_right(take):
    def build(args, call):
        text, count = args

        def run(r, c):
            k = count(r, c)
            if k is None:
                return None
            s = text(r, c) or ""
            return "" if k <= 0 else take(s, k)
        return run
    return build


def _py_round(args, call):
    digits = call.args[1].value if len(call.args) == 2 else 0
    (a, *_) = args
    return lambda r, c: v.round_half_up(a(r, c), digits)


def _py_changed(args, call):
    (a,) = args
    return lambda r, c: not v.same(a(r, c), a(c.prior, c) if c.prior is not None else None)


def _py_prior(args, call):
    (a,) = args
    return lambda r, c: a(c.prior, c) if c.prior is not None else None


# -- SQL builders -------------------------------------------------------------------------

def _sql_strict_minmax(name_sqlite, name_pg):
    def build(c, call):
        values = [c.value(a) for a in call.args]
        if c.dialect == "sqlite":  # SQLite's multi-argument min/max are blank-strict already
            return getattr(func, name_sqlite)(*values)
        values = [c.collated(x, a.type) for x, a in zip(values, call.args)]
        any_blank = or_(*[x.is_(None) for x in values])
        return case((any_blank, None), else_=getattr(func, name_pg)(*values))
    return build


def _sql_left(c, call):
    text, count = c.text(call.args[0]), cast(c.value(call.args[1]), Integer)
    return case((count.is_(None), None), (count <= 0, literal("")),
                else_=func.substr(text, 1, count))


def _sql_right(c, call):
    text, count = c.text(call.args[0]), cast(c.value(call.args[1]), Integer)
    return case((count.is_(None), None), (count <= 0, literal("")),
                (count >= func.length(text), text),
                else_=func.substr(text, func.length(text) - count + 1))


def _sql_position(c, haystack, needle):
    if c.dialect == "sqlite":
        return func.instr(haystack, needle)
    return func.strpos(haystack, needle)


def _sql_round(c, call):
    x = c.value(call.args[0])
    if call.args[0].type is FType.INTEGER:
        return x
    digits = call.args[1].value if len(call.args) == 2 else 0
    if c.dialect == "postgresql":
        x = x.cast(Numeric)
    return func.round(x, digits)


def _sql_date_part(fmt, field):
    def build(c, call):
        x = c.value(call.args[0])
        if c.dialect == "sqlite":
            return func.cast(func.strftime(fmt, x), BigInteger)
        return func.cast(func.extract(field, x), BigInteger)
    return build


def _sql_write_only(c, call):
    c.refuse(call, f"{call.name}() needs the record being written and cannot run in a query")


def _text_sql(fn):
    return lambda c, call: fn(c, *[c.text(a) for a in call.args])


def _fn(name, lo, hi, typer, py, sql, doc, **kw):
    return name, Function(name, lo, hi, typer, py, sql, doc, **kw)


FUNCTIONS: dict[str, Function] = dict([
    _fn("is_blank", 1, 1, _is_blank_typer,
        lambda args, call: (lambda r, c: v.is_blank(args[0](r, c))),
        lambda c, call: c.is_blank(call.args[0]),
        "true when the value is blank (null, empty text, or no values chosen)"),
    _fn("coalesce", 1, 99, _unify, _py_coalesce,
        lambda c, call: func.coalesce(*[c.value(a) for a in call.args]),
        "the first argument that is not blank", widens=True),
    _fn("if", 3, 3, _if_typer, _py_if,
        lambda c, call: case((c.condition(call.args[0]), c.value(call.args[1])),
                             else_=c.value(call.args[2])),
        "if(condition, then, else); a blank condition counts as false", widens=True),
    _fn("today", 0, 0, returns(FType.DATE),
        lambda args, call: (lambda r, c: c.today()),
        lambda c, call: c.env_param("today", FType.DATE),
        "the current date in the organisation's time zone"),
    _fn("now", 0, 0, returns(FType.DATETIME),
        lambda args, call: (lambda r, c: c.now()),
        lambda c, call: c.env_param("now", FType.DATETIME),
        "the current date and time (UTC, whole seconds)"),
    _fn("days_between", 2, 2, _days_between_typer,
        _strict(v.days_between), lambda c, call: c.days_between(*call.args),
        "days_between(start, end): end - start in whole days (truncated toward zero)",
        widens=True),
    _fn("add_days", 2, 2, _add_days_typer,
        _strict(v.add_days), lambda c, call: c.add_days(call.args[0], call.args[1], "+"),
        "add_days(date, n): the date n days later (n may be negative)"),
    _fn("year", 1, 1, temporal_arg(FType.INTEGER), _strict(lambda d: d.year),
        _sql_date_part("%Y", "year"), "the year of a date"),
    _fn("month", 1, 1, temporal_arg(FType.INTEGER), _strict(lambda d: d.month),
        _sql_date_part("%m", "month"), "the month of a date, 1 to 12"),
    _fn("day", 1, 1, temporal_arg(FType.INTEGER), _strict(lambda d: d.day),
        _sql_date_part("%d", "day"), "the day of the month of a date"),
    _fn("lower", 1, 1, text_args(FType.TEXT), _texty(str.lower),
        _text_sql(lambda c, t: func.lower(t)), "the text in lower case"),
    _fn("upper", 1, 1, text_args(FType.TEXT), _texty(str.upper),
        _text_sql(lambda c, t: func.upper(t)), "the text in upper case"),
    _fn("len", 1, 1, text_args(FType.INTEGER), _texty(len),
        _text_sql(lambda c, t: func.length(t)), "the number of characters (0 for a blank)"),
    _fn("contains", 2, 2, text_args(FType.BOOLEAN), _texty(lambda t, s: s in t),
        _text_sql(lambda c, t, s: _sql_position(c, t, s) > 0),
        "contains(text, part): true when part occurs in text (case-sensitive)"),
    _fn("starts_with", 2, 2, text_args(FType.BOOLEAN), _texty(str.startswith),
        _text_sql(lambda c, t, s: func.substr(t, 1, func.length(s)) == s),
        "starts_with(text, prefix)"),
    _fn("find", 2, 2, text_args(FType.INTEGER), _texty(lambda s, t: t.find(s) + 1),
        _text_sql(lambda c, s, t: _sql_position(c, t, s)),
        "find(part, text): the 1-based position of part in text, 0 when absent"),
    _fn("left", 2, 2, _left_right_typer, _py_left_right(lambda s, k: s[:k]), _sql_left,
        "left(text, n): the first n characters"),
    _fn("right", 2, 2, _left_right_typer, _py_left_right(lambda s, k: s[-k:]), _sql_right,
        "right(text, n): the last n characters"),
    _fn("text", 1, 1, _text_typer,
        lambda args, call: (lambda r, c: v.to_text(args[0](r, c))),
        lambda c, call: c.text(call.args[0]),
        "a value as text: numbers without trailing zeros, dates as 2024-01-31, "
        "booleans as true/false, blank as empty text"),
    _fn("round", 1, 2, _round_typer, _py_round, _sql_round,
        "round(number, digits=0): half away from zero"),
    _fn("abs", 1, 1, _numeric_typer, _strict(abs),
        lambda c, call: func.abs(c.value(call.args[0])), "the absolute value"),
    _fn("min", 2, 99, _minmax_typer, _strict(min), _sql_strict_minmax("min", "least"),
        "the smallest argument; blank if any is blank", widens=True),
    _fn("max", 2, 99, _minmax_typer, _strict(max), _sql_strict_minmax("max", "greatest"),
        "the largest argument; blank if any is blank", widens=True),
    _fn("current_user", 0, 0, returns(FType.REFERENCE),
        lambda args, call: (lambda r, c: c.user_id),
        lambda c, call: c.env_param("user_id", FType.REFERENCE),
        "the id of the acting user"),
    _fn("changed", 1, 1, _field_arg_typer(lambda arg: FType.BOOLEAN), _py_changed,
        _sql_write_only, "on writes: true when the field's value differs from before "
        "(on create: when it is not blank)", write_only=True),
    _fn("prior", 1, 1, _field_arg_typer(lambda arg: arg.type), _py_prior, _sql_write_only,
        "on writes: the field's value before this change (blank on create)", write_only=True),
    _fn("is_new", 0, 0, returns(FType.BOOLEAN),
        lambda args, call: (lambda r, c: c.is_new), _sql_write_only,
        "on writes: true when the record is being created", write_only=True),
])

COMPARISONS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
               ">": operator.gt, ">=": operator.ge}
