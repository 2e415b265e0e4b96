"""The list pages' ad-hoc filter bar: rows of (field, operator, value) compiled to the formula
language, so they run through the same query compiler as list views and the API.

    conditions, problems = compile_filters(spec, [("stage", "eq", "Proposal")], today)
    # ['stage == "Proposal"'], []

Values never become formula syntax: text is quoted (``quote``), numbers and dates are read by
the field's own type first, and what fails to read is reported, not run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable

from ...formula import FType, quote
from ...meta import FieldValueError
from .specs import FieldSpec, FormSpec


@dataclass(frozen=True)
class Operator:
    key: str
    label: str
    #: (field path, formula literal of the value) -> condition; the value is None when the
    #: operator takes none
    build: Callable[[str, str | None], str]
    takes_value: bool = True


def _op(key, label, template, takes_value=True):
    return Operator(key, label, lambda path, value: template.format(f=path, v=value), takes_value)


BLANK = _op("blank", "is blank", "is_blank({f})", False)
NOT_BLANK = _op("not_blank", "is not blank", "not is_blank({f})", False)
COMPARE = (_op("eq", "=", "{f} == {v}"), _op("ne", "≠", "{f} != {v}"),
           _op("lt", "<", "{f} < {v}"), _op("le", "≤", "{f} <= {v}"),
           _op("gt", ">", "{f} > {v}"), _op("ge", "≥", "{f} >= {v}"))
DATES = (_op("eq", "on", "{f} == {v}"), _op("lt", "before", "{f} < {v}"),
         _op("le", "on or before", "{f} <= {v}"), _op("gt", "after", "{f} > {v}"),
         _op("ge", "on or after", "{f} >= {v}"))
TEXT = (_op("contains", "contains", "contains(lower({f}), {v})"),
        _op("not_contains", "does not contain", "not contains(lower({f}), {v})"),
        _op("eq", "is", "{f} == {v}"), _op("ne", "is not", "{f} != {v}"),
        _op("starts", "starts with", "starts_with(lower({f}), {v})"))
CHOICE = (_op("eq", "is", "{f} == {v}"), _op("ne", "is not", "{f} != {v}"))
BOOLEAN = (_op("true", "is yes", "{f} == true", False), _op("false", "is no", "{f} == false", False))
LIST = (_op("has", "includes", "{v} in {f}"),)
REFERENCE = (_op("eq", "is (id)", "{f} == {v}"),)

#: operators by what expressions see of a field (its formula type), not by field type name
BY_TYPE = {
    FType.TEXT: TEXT, FType.INTEGER: COMPARE, FType.DECIMAL: COMPARE, FType.CURRENCY: COMPARE,
    FType.PERCENT: COMPARE, FType.DATE: DATES, FType.DATETIME: DATES[1:], FType.BOOLEAN: BOOLEAN,
    FType.TEXT_LIST: LIST, FType.REFERENCE: REFERENCE,
}
#: text operators that compare lower-cased text
FOLDED = frozenset({"contains", "not_contains", "starts"})


def operators(field: FieldSpec) -> tuple[Operator, ...]:
    ftype = field.type.ftype
    base = CHOICE if field.options and ftype is FType.TEXT else BY_TYPE.get(ftype, ())
    if field.target:  # find related records by their name too
        title = field.titles[0]
        base = base + (Operator("title", "name contains", lambda p, v, t=title:
                                f"contains(lower({t}), {v})"),)
    return base + (BLANK, NOT_BLANK) if ftype is not FType.BOOLEAN else base + (BLANK,)


def literal(field: FieldSpec, op: Operator, raw: str, today: dt.date) -> str:
    """The formula literal of a filter value; FieldValueError when the field cannot hold it."""
    ftype = field.type.ftype
    if op.key in FOLDED or op.key == "title" or ftype in (FType.TEXT, FType.REFERENCE,
                                                          FType.TEXT_LIST):
        text = raw.strip()
        if not text:
            raise FieldValueError("give a value")
        return quote(text.lower() if op.key in FOLDED or op.key == "title" else text)
    value = field.type.coerce(raw)
    if value is None:
        raise FieldValueError("give a value")
    if ftype.is_temporal:
        # the language has no date literals: a date is today() moved by whole days, which is
        # exact and lets an index on the field serve the comparison
        day = value.date() if isinstance(value, dt.datetime) else value
        days = (day - today).days
        return "today()" if days == 0 else f"(today() + {days})"
    return field.type.to_text(value)


@dataclass(frozen=True)
class FilterRow:
    field: str
    op: str
    value: str
    error: str | None = None


def compile_filters(spec: FormSpec, rows: Iterable[tuple[str, str, str]], today: dt.date
                    ) -> tuple[list[str], list[FilterRow]]:
    """The conditions of the filter rows that make sense, and every row as shown (with its
    problem, if any)."""
    conditions, shown = [], []
    for name, op_key, raw in rows:
        if not name:
            continue
        field = spec.all_fields.get(name)
        if field is None:
            shown.append(FilterRow(name, op_key, raw, f"there is no field '{name}'"))
            continue
        ops = {op.key: op for op in operators(field)}
        op = ops.get(op_key)
        if op is None:
            shown.append(FilterRow(name, op_key, raw, f"'{op_key}' does not apply to "
                                                      f"{field.label}"))
            continue
        try:
            value = literal(field, op, raw or "", today) if op.takes_value else None
        except FieldValueError as err:
            shown.append(FilterRow(name, op_key, raw, f"{field.label} {err.message}"))
            continue
        conditions.append(op.build(name, value))
        shown.append(FilterRow(name, op_key, raw))
    return conditions, shown
