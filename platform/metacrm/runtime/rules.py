"""What the write path needs of one object, compiled once per catalog.

``ObjectRules(catalog, "opportunity")`` holds, ready to call: each input field's coercion and
validation, its literal default or compiled ``=formula`` default, its compiled
``required_when``/``read_only_when`` conditions, the compiled validation rules, and which fields
are unique, lookups, auto-numbers, computed or read-only. The RecordService builds one per object
the first time it writes that object and keeps it for the catalog's life: no expression is
parsed or compiled while a request runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Mapping

from ..formula import compile_condition, compile_python, parse, round_half_up
from ..meta import Catalog, Field, ValidationRule
from ..store import casefold_unique, lookup_target

#: system fields a write sets itself; input may only repeat their current value
MANAGED = ("id", "created_at", "updated_at", "created_by", "updated_by", "version")
#: system fields history does not record per change (every update changes them, and the
#: history row itself says who and when)
BOOKKEEPING = frozenset({"updated_at", "updated_by", "version"})


def reads(source: str | None) -> frozenset[str]:
    """The fields of the record an expression reads (the first segment of each path)."""
    if not source:
        return frozenset()
    return frozenset(path[0] for path in parse(source).field_paths())


@dataclass(frozen=True)
class Condition:
    """A compiled ``*_when`` or validation condition and the fields it reads (a condition that
    reads a field already in error is skipped: its answer would be noise)."""

    check: Callable
    reads: frozenset[str]


@dataclass(frozen=True)
class InputField:
    name: str
    field: Field
    coerce: Callable[[Any], Any]
    validate: Callable[[Any], None]
    #: a lookup's target object
    target: str | None
    required: bool
    required_when: Condition | None
    read_only: bool
    read_only_when: Condition | None
    #: the literal default, already coerced (None: none)
    default: Any
    #: the compiled ``=formula`` default (None: none)
    default_formula: Callable | None
    #: None: not unique; else whether uniqueness ignores case
    unique_casefold: bool | None

    @property
    def has_default(self) -> bool:
        return self.default is not None or self.default_formula is not None

    def default_value(self, record: Mapping, ctx) -> Any:
        """The default for a create that leaves the field out, coerced to the field's type."""
        if self.default_formula is not None:
            value = self.default_formula(record, ctx)
            if value is None:
                return None
            scale = getattr(self.field.type, "scale", None)
            if isinstance(value, Decimal) and scale is not None:
                # `=amount * 0.175` must fit a 2-place currency field: round, as a person would
                value = round_half_up(value, scale)
            return self.coerce(value)
        if isinstance(self.default, tuple):  # a multi_picklist default, frozen by the model
            return list(self.default)
        return self.default


class ObjectRules:
    """The compiled write rules of one object."""

    def __init__(self, catalog: Catalog, object_name: str):
        obj = catalog.object(object_name)
        scope = catalog.scope(object_name)
        self.name = object_name
        self.label = obj.label
        self.plural = obj.plural
        self.fields: Mapping[str, Field] = obj.fields
        self.stored: tuple[str, ...] = tuple(f.name for f in obj.stored_fields)
        self.inputs: dict[str, InputField] = {}
        for field in obj.fields.values():
            if field.editable:
                self.inputs[field.name] = self._input(field, scope)
        self.defaults = tuple(f for f in self.inputs.values() if f.has_default)
        self.required = tuple(f.name for f in self.inputs.values() if f.required)
        self.required_when = tuple(f for f in self.inputs.values() if f.required_when)
        self.uniques = tuple(f for f in self.inputs.values() if f.unique_casefold is not None)
        self.lookups = tuple(f for f in self.inputs.values() if f.target)
        self.rules: tuple[tuple[ValidationRule, Condition], ...] = tuple(
            (rule, Condition(compile_condition(rule.when, scope), reads(rule.when)))
            for rule in obj.validations)
        self.auto_numbers = tuple((f.name, f.type) for f in obj.fields.values()
                                  if f.type.numbered_on_create)
        #: formula fields, compiled for Python: input may repeat a computed value, which is
        #: then compared with what the formula gives
        self.formulas = {f.name: compile_python(f.type.formula(), scope)
                         for f in obj.fields.values() if f.type.formula() is not None}
        self.history_fields = tuple(f.name for f in obj.stored_fields
                                    if f.name not in BOOKKEEPING and f.type.in_history)
        #: how history turns a JSON value back into this object's Python values
        self.decoders = {f.name: f.type.coerce for f in obj.fields.values()}

    @staticmethod
    def _input(field: Field, scope) -> InputField:
        def condition(source):
            return None if not source else Condition(compile_condition(source, scope), reads(source))
        return InputField(
            name=field.name, field=field, coerce=field.type.coerce, validate=field.type.validate,
            target=lookup_target(field), required=field.required,
            required_when=condition(field.required_when), read_only=field.read_only,
            read_only_when=condition(field.read_only_when), default=field.default,
            default_formula=compile_python(field.default_formula, scope)
            if field.default_formula else None,
            unique_casefold=casefold_unique(field) if field.unique else None,
        )

    def is_computed(self, name: str) -> bool:
        return not self.fields[name].type.accepts_input
