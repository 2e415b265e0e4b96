"""A form's state on the server: its input read through the field types, the record as it
would be saved, and what ``visible_when``, ``required_when`` and ``read_only_when`` say about
it — evaluated by the formula package's compiled conditions, as the RecordService does.

    draft = read_form(runtime, spec, request.form, actor, prior=record)   # None on create
    draft.input          # what to give the RecordService
    draft.state          # FormState: hidden / required / read_only fields, hidden sections
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Mapping

from ...formula import EvalContext
from ...meta import FieldValueError, is_blank
from ...runtime import Actor, reads
from .specs import FieldSpec, FormSpec

#: a lookup's visible search text is posted as <field>__text (the id goes under <field>)
LOOKUP_TEXT = "__text"


@dataclass
class FormState:
    hidden: set[str] = dataclass_field(default_factory=set)
    required: set[str] = dataclass_field(default_factory=set)
    read_only: set[str] = dataclass_field(default_factory=set)
    hidden_sections: set[str] = dataclass_field(default_factory=set)
    #: formula fields computed on the record as it would be saved
    computed: dict[str, Any] = dataclass_field(default_factory=dict)

    def to_json(self, spec: FormSpec, render_value) -> dict:
        """What the browser applies (see static/metacrm.js): no rule is evaluated there."""
        return {
            "fields": {name: {"visible": name not in self.hidden,
                              "required": name in self.required,
                              "read_only": name in self.read_only}
                       for name in spec.fields},
            "sections": {s.key: s.key not in self.hidden_sections for s in spec.sections},
            "values": {name: render_value(spec.all_fields[name], value)
                       for name, value in self.computed.items() if name in spec.fields},
        }


@dataclass
class Draft:
    """A form's content: ``values`` as the inputs show them (text), ``record`` as it would be
    saved, ``input`` for the RecordService, ``errors`` from reading it."""

    values: dict[str, Any]
    record: dict[str, Any]
    input: dict[str, Any]
    errors: dict[str, list[str]]
    state: FormState
    #: problems only the form knows (text typed in a lookup without choosing a record): the
    #: form is shown again with them, without asking the RecordService
    blocking: dict[str, list[str]] = dataclass_field(default_factory=dict)
    #: what was typed in lookups, shown again with the form
    typed: dict[str, str] = dataclass_field(default_factory=dict)


def context(runtime, actor: Actor, prior: Mapping | None, conn) -> EvalContext:
    """What a condition needs besides the record: related records (read through ``conn``),
    ``prior`` for changed()/prior(), the clock and the acting user."""
    service = runtime.service
    related: dict = {}

    def resolve(object_name: str, record_id):
        key = (object_name, record_id)
        if key not in related:
            related[key] = service.store.fetch_one(conn, object_name, record_id)
        return related[key]

    env = dataclasses.replace(service.env, user_id=actor.user_id)
    return EvalContext(resolve, prior, prior is None, env)


def evaluate(spec: FormSpec, record: Mapping, ctx: EvalContext, bad=frozenset(),
             formulas: Mapping | None = None) -> FormState:
    """The state of every field and section for ``record``. A condition that reads a field
    whose input is bad is not judged (as in the RecordService): the field keeps its static
    state."""
    state = FormState()

    def holds(cond) -> bool:
        if cond is None or cond.reads & bad:
            return False
        try:
            return bool(cond.check(record, ctx))
        except Exception:  # noqa: BLE001 - a condition that cannot be judged hides nothing
            return False

    for name, field in spec.all_fields.items():
        if field.visible_when is not None and not (field.visible_when.reads & bad) \
                and not holds(field.visible_when):
            state.hidden.add(name)
        if field.required or holds(field.required_when):
            state.required.add(name)
        if not field.editable or holds(field.read_only_when):
            state.read_only.add(name)
    for section in spec.sections:
        cond = section.visible_when
        if cond is not None and not (cond.reads & bad) and not holds(cond):
            state.hidden_sections.add(section.key)
    for name, compiled in (formulas or {}).items():
        try:
            state.computed[name] = compiled(record, ctx)
        except Exception:  # noqa: BLE001 - shown as blank until the inputs make sense
            state.computed[name] = None
    return state


def start_values(runtime, spec: FormSpec, prefill: Mapping[str, str], actor: Actor, conn
                 ) -> Draft:
    """A new record's form: literal defaults, defaults that read no field (``=today() + 3``,
    ``=current_user()``) and ``prefill`` (a related list's "new" link) in the inputs."""
    service = runtime.service
    rules = service.rules(spec.object)
    record = dict(service.blank_record(spec.object))
    record["owner"] = actor.user_id
    ctx = context(runtime, actor, None, conn)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for item in rules.defaults:
        if item.default_formula is None or not _reads_fields(item.field.default_formula):
            try:
                record[item.name] = item.default_value(record, ctx)
            except (FieldValueError, ArithmeticError, TypeError, ValueError):
                continue
    for name, raw in prefill.items():
        field = spec.all_fields.get(name)
        if field is None or not field.editable:
            continue
        try:
            value = field.type.coerce(raw)
            if value is not None:
                field.type.validate(value)
            record[name] = value
        except FieldValueError as err:
            errors.setdefault(name, []).append(f"{field.label} {err.message}")
            values[name] = raw
    for name, field in spec.all_fields.items():
        values.setdefault(name, record.get(name))
    state = evaluate(spec, record, ctx, frozenset(errors), rules.formulas)
    return Draft(values, record, {}, errors, state)


def _reads_fields(source: str | None) -> bool:
    return bool(reads(source))


def read_form(runtime, spec: FormSpec, form, actor: Actor, conn, prior: Mapping | None = None
              ) -> Draft:
    """Read a posted form: each editable layout field through its type (``from_form``, then
    ``coerce``); fields the form showed read-only, or did not post, are left out of the input
    (the RecordService keeps their value)."""
    service = runtime.service
    rules = service.rules(spec.object)
    if prior is None:
        record = dict(service.blank_record(spec.object))
        record["owner"] = actor.user_id
    else:
        record = dict(prior)
    values: dict[str, Any] = {name: record.get(name) for name in spec.all_fields}
    given: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    blocking: dict[str, list[str]] = {}
    typed: dict[str, str] = {}
    for name, field in spec.fields.items():
        if not field.editable or name not in form:
            continue
        raw = field.type.from_form(form.getlist(name))
        if raw is None:
            continue
        values[name] = raw
        text = (form.get(name + LOOKUP_TEXT) or "").strip() if field.target else ""
        if text:
            typed[name] = text
            if not raw:
                blocking[name] = [f"{field.label}: no record chosen for “{text}”; pick one of "
                                  "the suggestions, or clear the text"]
        try:
            value = field.type.coerce(raw)
            if value is not None:
                field.type.validate(value)
        except FieldValueError as err:
            errors.setdefault(name, []).append(f"{field.label} {err.message}")
            continue
        record[name] = given[name] = value
    ctx = context(runtime, actor, prior, conn)
    if prior is None:
        # defaults of fields left blank, as the save will apply them (for the rules' sake)
        for item in rules.defaults:
            if is_blank(given.get(item.name)) and item.default_formula is not None:
                try:
                    record[item.name] = item.default_value(record, ctx)
                except (FieldValueError, ArithmeticError, TypeError, ValueError):
                    pass
    state = evaluate(spec, record, ctx, frozenset(errors), rules.formulas)
    data: dict[str, Any] = {}
    for name, value in given.items():
        if name in state.read_only:
            continue  # shown disabled: the browser did not mean to send it
        if prior is None and value is None and rules.inputs[name].default_formula is not None:
            continue  # left blank on a new record: the default applies
        data[name] = value
    for name in errors:  # bad text goes to the service too, so its message is the one shown
        if name not in state.read_only:
            data[name] = values[name]
    return Draft(values, record, data, errors, state, blocking, typed)


def field_text(field: FieldSpec, value: Any) -> Any:
    """A value as its input shows it (text; a list for a multi-select)."""
    if isinstance(value, str) or value is None:
        return "" if value is None else value
    if isinstance(value, list):
        return value
    return field.type.to_form(value)
