"""The per-record steps of a write: input coercion, defaults, read-only, required, rules.

Each step adds FieldErrors to the record's :class:`Draft` and never raises for bad input; the
writer raises one RecordInvalid (or BulkInvalid) with everything found. A check that reads a
field already in error is skipped, so one bad value gives one message, not an echo per rule.
Steps that need the database for many records at once (unique values, lookups) live in the
writer, which runs them set-based over a whole batch.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..formula import EvalContext, same
from ..meta import FieldValueError, is_blank, suggest
from .errors import RECORD, FieldError, ReadOnlyField
from .rules import MANAGED, ObjectRules


class Draft:
    """One record on its way to the database, and what is wrong with it so far."""

    __slots__ = ("index", "record", "prior", "given", "fixed", "errors", "bad", "changed", "ctx")

    def __init__(self, index: int, prior: Mapping | None = None):
        self.index = index
        #: the values to save (every stored field)
        self.record: dict = {}
        #: the stored values before the change (None on create)
        self.prior = prior
        #: coerced input of editable fields
        self.given: dict = {}
        #: input naming computed or system fields (allowed only when it changes nothing)
        self.fixed: dict = {}
        self.errors: list[FieldError] = []
        #: fields with an error: later checks that read them are skipped
        self.bad: set[str] = set()
        #: the fields whose value differs from ``prior`` (every field on create)
        self.changed: frozenset[str] = frozenset()
        self.ctx: EvalContext | None = None

    def fail(self, field: str, message: str, code: str = "invalid", kind=FieldError) -> None:
        self.errors.append(kind(field, message, code))
        self.bad.add(field)


def coerce_input(rules: ObjectRules, data: Mapping[str, Any], draft: Draft) -> None:
    """Input -> ``draft.given`` (editable fields, coerced and validated by their types) and
    ``draft.fixed`` (computed or system fields, kept to be compared with their real value)."""
    if not isinstance(data, Mapping):
        draft.fail(RECORD, "a record must be a mapping of field names to values")
        return
    inputs, fields = rules.inputs, rules.fields
    for name, raw in data.items():
        spec = inputs.get(name)
        if spec is None:
            if name in fields:
                _coerce_fixed(rules, name, raw, draft)
            else:
                hint = suggest(str(name), fields)
                draft.fail(str(name), f"'{rules.name}' has no field '{name}'"
                           + (f"; did you mean '{hint}'?" if hint else ""), "unknown")
            continue
        try:
            value = spec.coerce(raw)
            if value is not None:
                spec.validate(value)
        except FieldValueError as err:
            draft.fail(name, err.message)
            continue
        draft.given[name] = value


def _coerce_fixed(rules: ObjectRules, name: str, raw, draft: Draft) -> None:
    try:
        draft.fixed[name] = rules.fields[name].type.coerce(raw)
    except FieldValueError as err:
        draft.fail(name, err.message)


def recoerce(rules: ObjectRules, before: Mapping, draft: Draft) -> None:
    """Values a before-save hook set are checked by their field types like input (but may
    fill read-only fields: that is what workflows' set_fields does)."""
    record = draft.record
    for name in rules.stored:  # a hook that deleted a key meant no change
        if name not in record:
            record[name] = before.get(name)
    for name in list(record):
        value = record[name]
        if name in before and value is before[name]:
            continue
        field = rules.fields.get(name)
        if field is None or not field.type.accepts_input or name in MANAGED:
            del record[name]
            if name in before:
                record[name] = before[name]
            draft.fail(name if field is not None else RECORD,
                       f"a before-save hook set '{name}', which cannot be set")
            continue
        try:
            value = field.type.coerce(value)
            if value is not None:
                field.type.validate(value)
        except FieldValueError as err:
            draft.fail(name, err.message)
            continue
        record[name] = value


def check_read_only(rules: ObjectRules, draft: Draft, is_new: bool) -> None:
    """Input that would change a field input cannot change is an error (never dropped)."""
    record, ctx = draft.record, draft.ctx
    for name, value in draft.given.items():
        spec = rules.inputs[name]
        if spec.read_only:
            why = "is read-only"
        elif spec.read_only_when is not None and not (spec.read_only_when.reads & draft.bad) \
                and spec.read_only_when.check(record, ctx):
            why = f"is read-only when {spec.field.read_only_when}"
        else:
            continue
        if is_new:
            baseline = spec.default_value(record, ctx) if spec.has_default else None
        else:
            baseline = draft.prior.get(name)
        if not same(value, baseline):
            draft.fail(name, why, "read_only", ReadOnlyField)
    for name, value in draft.fixed.items():
        if is_new:
            current = None
        elif name in rules.formulas:
            current = rules.formulas[name](draft.prior, ctx)
        else:
            current = draft.prior.get(name)
        if not same(value, current):
            why = "is computed: it cannot be set" if rules.is_computed(name) \
                else "is set by the system"
            draft.fail(name, why, "read_only", ReadOnlyField)


def check_required(rules: ObjectRules, draft: Draft) -> None:
    """``required`` and ``required_when`` on the record as it will be saved (after defaults and
    before-save hooks, so a field they fill passes)."""
    record = draft.record
    for name in rules.required:
        if name not in draft.bad and is_blank(record.get(name)):
            draft.fail(name, "is required", "required")
    for spec in rules.required_when:
        condition = spec.required_when
        if spec.name in draft.bad or condition.reads & draft.bad:
            continue
        if is_blank(record.get(spec.name)) and condition.check(record, draft.ctx):
            draft.fail(spec.name, f"is required when {spec.field.required_when}", "required")


def check_rules(rules: ObjectRules, draft: Draft) -> None:
    """Validation rules: ``when`` true means invalid; the message goes to ``field`` or to the
    record as a whole."""
    for rule, condition in rules.rules:
        if condition.reads & draft.bad:
            continue
        if condition.check(draft.record, draft.ctx):
            draft.errors.append(FieldError(rule.field or RECORD, rule.message, "rule"))
