"""Computed field types: formula (on read), rollup (stored summary), auto_number."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import types as sa

from metacrm.formula import RETURN_TYPES, FType

from ..errors import suggest
from ..values import is_blank, to_text
from .base import ChildSummary, FieldType, TypeProblem, param
from .choices import BooleanType
from .dates import DatetimeType, DateType
from .numbers import CurrencyType, DecimalType, IntegerType, PercentType
from .text import LongTextType

def _value_type(ftype: FType) -> FieldType:
    """A plain field type holding values of ``ftype`` (what a formula or roll-up gives)."""
    return VALUE_TYPES[ftype]()


@dataclass(frozen=True)
class FormulaType(FieldType):
    name = "formula"
    widget = "readonly"
    summary = "Computed on read from an expression, never stored; returns names its type."
    stored = False
    accepts_input = False
    required_keys = ("returns", "expression")
    returns: str = param("returns", "")
    expression: str = param("expression", "")

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        names = sorted(t.value for t in RETURN_TYPES)
        if kwargs.get("returns") not in names:
            problems.append(TypeProblem("returns", f"returns must be one of {', '.join(names)}",
                                        suggest(str(kwargs.get("returns")), names)))
        if not isinstance(kwargs.get("expression"), str) or not kwargs["expression"].strip():
            problems.append(TypeProblem("expression", "expression must be a non-empty text"))

    @property
    def ftype(self):
        return FType(self.returns)

    def formula(self):
        return self.expression

    def column_type(self):
        return None

    def coerce(self, value):
        return _value_type(self.ftype).coerce(value)

    def to_text(self, value):
        return _value_type(self.ftype).to_text(value)

    def marshmallow_field(self, **options):
        return _value_type(self.ftype).marshmallow_field(**options)

    @property
    def display_widget(self):
        return _value_type(self.ftype).display_widget

    def check_in_catalog(self, view):
        view.check_expression("expression", self.expression, object_name=view.object_name,
                              usage="query", result=self.ftype)


AGGREGATES = ("count", "sum", "min", "max", "avg")
_FROM = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class RollupType(FieldType):
    name = "rollup"
    widget = "readonly"
    summary = ("A stored summary of child records: from child_object.lookup_field, aggregate "
               "count|sum|min|max|avg, field (not for count), optional filter.")
    accepts_input = False
    in_history = False
    required_keys = ("from", "aggregate")
    from_: str = param("from", "")
    aggregate: str = param("aggregate", "")
    field: str | None = param("field")
    filter: str | None = param("filter")
    #: the result type, known once the child's field is (see ``bind``)
    value_type: FType | None = None
    value_scale: int = 6

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        if not isinstance(kwargs.get("from_"), str) or not _FROM.fullmatch(kwargs["from_"]):
            problems.append(TypeProblem("from", "from must be child_object.lookup_field"))
        aggregate = kwargs.get("aggregate")
        if aggregate not in AGGREGATES:
            problems.append(TypeProblem("aggregate", f"aggregate must be one of {', '.join(AGGREGATES)}",
                                        suggest(str(aggregate), AGGREGATES)))
        elif aggregate == "count" and kwargs.get("field") is not None:
            problems.append(TypeProblem("field", "count counts records: it takes no field"))
        elif aggregate != "count" and kwargs.get("field") is None:
            problems.append(TypeProblem("field", f"a {aggregate} roll-up needs 'field'"))

    @property
    def child_object(self) -> str:
        return self.from_.split(".")[0]

    @property
    def child_lookup(self) -> str:
        return self.from_.split(".")[1]

    def child_summary(self):
        return ChildSummary(self.child_object, self.child_lookup, self.aggregate, self.field,
                            self.filter)

    @property
    def ftype(self):
        if self.value_type is not None:
            return self.value_type
        return FType.INTEGER if self.aggregate == "count" else FType.DECIMAL

    def column_type(self):
        if self.ftype is FType.INTEGER:
            return sa.BigInteger()
        return sa.Numeric(18 + self.value_scale, self.value_scale, asdecimal=True)

    def coerce(self, value):
        return _value_type(self.ftype).coerce(value)

    def to_text(self, value):
        return _value_type(self.ftype).to_text(value)

    def marshmallow_field(self, **options):
        return _value_type(self.ftype).marshmallow_field(**options)

    @property
    def display_widget(self):
        return _value_type(self.ftype).display_widget

    def _child_field(self, view):
        child = view.object(self.child_object)
        return None if child is None or self.field is None else child.fields.get(self.field)

    def bind(self, view):
        if self.aggregate == "count":
            return dataclasses.replace(self, value_type=FType.INTEGER)
        child_field = self._child_field(view)
        if child_field is None or not child_field.type.ftype.is_numeric:
            return self
        value_type = child_field.type.ftype
        # a formula child has no scale of its own: use its type's usual one (currency: 2)
        scale = getattr(child_field.type, "scale", None)
        if scale is None:
            scale = {FType.INTEGER: 0, FType.CURRENCY: 2, FType.PERCENT: 2}.get(value_type, 6)
        if self.aggregate == "avg":
            value_type = FType.DECIMAL if value_type is FType.INTEGER else value_type
            scale = 6
        return dataclasses.replace(self, value_type=value_type, value_scale=scale)

    def check_in_catalog(self, view):
        child = view.object(self.child_object)
        if child is None:
            if not view.is_broken(self.child_object):
                view.problem("from", f"unknown object '{self.child_object}'",
                             suggest(self.child_object, view.object_names()))
            return
        lookup = child.fields.get(self.child_lookup)
        if lookup is None:
            if not view.is_broken(child.name, self.child_lookup):
                view.problem("from", f"object '{child.name}' has no field '{self.child_lookup}'",
                             suggest(self.child_lookup, child.fields))
        elif lookup.type.references() != view.object_name:
            view.problem("from", f"'{self.from_}' is not a lookup to '{view.object_name}'")
        if self.field is not None:
            target = child.fields.get(self.field)
            if target is None:
                if not view.is_broken(child.name, self.field):
                    view.problem("field", f"object '{child.name}' has no field '{self.field}'",
                                 suggest(self.field, child.fields))
            elif not target.type.ftype.is_numeric:
                view.problem("field", f"cannot {self.aggregate} '{self.field}': it is "
                             f"{target.type.ftype}, not a number")
        if self.filter is not None:
            view.check_expression("filter", self.filter, object_name=child.name, usage="query",
                                  result=FType.BOOLEAN)


_COUNTER = re.compile(r"0+")
_DATE_PARTS = {"YYYY": "%Y", "MM": "%m", "DD": "%d"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class AutoNumberType(FieldType):
    name = "auto_number"
    widget = "readonly"
    summary = ("A text numbered on create from format: {0000} the counter (zero-padded), "
               "{YYYY} {MM} {DD} the creation date.")
    accepts_input = False
    numbered_on_create = True
    format: str = param("format", "{0}")

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        pattern = kwargs.get("format", "{0}")
        if not isinstance(pattern, str):
            problems.append(TypeProblem("format", "format must be text"))
            return
        tokens = _PLACEHOLDER.findall(pattern)
        unknown = [t for t in tokens if t not in _DATE_PARTS and not _COUNTER.fullmatch(t)]
        if unknown:
            problems.append(TypeProblem("format", f"unknown placeholder '{{{unknown[0]}}}' "
                                        "(use {0000}, {YYYY}, {MM}, {DD})"))
        elif sum(bool(_COUNTER.fullmatch(t)) for t in tokens) != 1:
            problems.append(TypeProblem("format", "format needs exactly one counter such as {0000}"))

    def render(self, counter: int, created: dt.date) -> str:
        """The number for the ``counter``-th record, created on ``created``."""
        def fill(match: re.Match) -> str:
            token = match.group(1)
            if token in _DATE_PARTS:
                return created.strftime(_DATE_PARTS[token])
            return str(counter).zfill(len(token))
        return _PLACEHOLDER.sub(fill, self.format)

    @property
    def ftype(self):
        return FType.TEXT

    def column_type(self):
        return sa.String(80)

    def coerce(self, value):
        return None if is_blank(value) else to_text(value)


#: the plain type that holds each formula type's values (a formula's text has no length limit)
VALUE_TYPES: Mapping[FType, type[FieldType]] = {
    FType.TEXT: LongTextType, FType.INTEGER: IntegerType, FType.DECIMAL: DecimalType,
    FType.CURRENCY: CurrencyType, FType.PERCENT: PercentType, FType.BOOLEAN: BooleanType,
    FType.DATE: DateType, FType.DATETIME: DatetimeType,
}
