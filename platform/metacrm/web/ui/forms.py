"""Create and edit forms, generated from the layout and the field types, and the form-state
endpoint htmx calls when a field that a rule reads changes.

    GET/POST /app/<object>/new          (?<lookup>=<id> pre-fills, from a related list)
    GET/POST /app/<object>/<id>/edit
    POST     /app/<object>/_state       the form's state as an HX-Trigger event (see docs/ui.md)

Every save goes through the RecordService; its RecordInvalid messages are shown beside their
fields with the values kept, and a VersionConflict says who changed the record and when. A
form holds only the fields the user may see (those they may only read are shown, not edited);
a save they may not make (AccessDenied) is shown like an invalid one, with a 403.
"""

from __future__ import annotations

import json

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import login_required

from ...runtime import RECORD, RecordInvalid, VersionConflict
from .common import actor, blueprint, get_record, page, request_scope, require, sentences
from .formstate import Draft, context, evaluate, read_form, start_values
from .records import record_paths


def lookup_titles(rt, spec, values) -> dict[str, str]:
    """The names of the records the lookups of a form point at (shown in their inputs)."""
    out = {}
    who = actor()
    for name, field in spec.fields.items():
        record_id = values.get(name)
        if not field.target or not record_id or not isinstance(record_id, str):
            continue
        paths = [path.split(".", 1)[1] for path in field.titles]
        try:
            record = rt.service.get(field.target, record_id, who, fields=paths)
        except Exception:  # noqa: BLE001 - a dangling id still shows, as itself
            out[name] = record_id
            continue
        out[name] = next((str(record[p]) for p in paths if record.get(p)), record_id)
    return out


def render_form(rt, spec, draft, *, record=None, status=200, conflict=None):
    errors = {name: list(messages) for name, messages in draft.errors.items()}
    elsewhere = [(name, messages) for name, messages in errors.items()
                 if name != RECORD and name not in spec.fields]
    body = page("form", spec.object, spec=spec, draft=draft, record=record,
                errors=errors, record_errors=errors.get(RECORD, []), elsewhere=elsewhere,
                titles=lookup_titles(rt, spec, draft.values), conflict=conflict,
                state_url=url_for("ui.form_state", object_name=spec.object))
    return body, status


@blueprint.route("/app/<object_name>/new", methods=["GET", "POST"])
@login_required
def new(object_name):
    rt, _, spec, who = request_scope(object_name)
    require(rt, who, object_name, "create")
    with rt.service.db.read() as conn:
        if request.method == "GET":
            return render_form(rt, spec, start_values(rt, spec, request.args, who, conn))
        draft = read_form(rt, spec, request.form, who, conn)
    if draft.blocking:
        draft.errors = draft.blocking
        return render_form(rt, spec, draft, status=422)
    try:
        created = rt.service.create(object_name, draft.input, who)
    except RecordInvalid as invalid:  # AccessDenied too (403)
        draft.errors = sentences(invalid, spec)
        return render_form(rt, spec, draft, status=invalid.status)
    flash(f"{spec.label} created.", "success")
    return redirect(url_for("ui.record", object_name=object_name, record_id=created["id"]), 303)


@blueprint.route("/app/<object_name>/<record_id>/edit", methods=["GET", "POST"])
@login_required
def edit(object_name, record_id):
    rt, _, spec, who = request_scope(object_name)
    record = get_record(rt, object_name, record_id, who,
                        fields=record_paths(rt, object_name, rt.access(who)))
    require(rt, who, object_name, "edit")
    with rt.service.db.read() as conn:
        if request.method == "GET":
            rules = rt.service.rules(object_name)
            state = evaluate(spec, record, context(rt, who, record, conn), formulas=rules.formulas)
            draft = Draft(dict(record), dict(record), {}, {}, state)
            return render_form(rt, spec, draft, record=record)
        draft = read_form(rt, spec, request.form, who, conn, prior=record)
    if draft.blocking:
        draft.errors = draft.blocking
        return render_form(rt, spec, draft, record=record, status=422)
    version = request.form.get("version", type=int)
    try:
        rt.service.update(object_name, record_id, draft.input, who, version=version)
    except RecordInvalid as invalid:  # AccessDenied too (403)
        draft.errors = sentences(invalid, spec)
        return render_form(rt, spec, draft, record=record, status=invalid.status)
    except VersionConflict as conflict:
        return render_form(rt, spec, draft, record=record, status=409, conflict=conflict)
    flash(f"{spec.label} saved.", "success")
    return redirect(url_for("ui.record", object_name=object_name, record_id=record_id), 303)


@blueprint.route("/app/<object_name>/_state", methods=["POST"])
@login_required
def form_state(object_name):
    """The form's state for what it holds now: which fields are visible, required, read-only,
    which sections show, and the formula values. Sent as the ``metacrm:formstate`` event of an
    ``HX-Trigger`` header (htmx dispatches it; static/metacrm.js applies it), so the inputs the
    user is typing in are never replaced."""
    rt, _, spec, who = request_scope(object_name)
    record_id = request.form.get("_id")
    prior = get_record(rt, object_name, record_id, who) if record_id else None
    with rt.service.db.read() as conn:
        draft = read_form(rt, spec, request.form, who, conn, prior=prior)
    payload = draft.state.to_json(spec, _display_html)
    response = make_response("", 200)  # the form uses hx-swap="none": only the event matters
    response.headers["HX-Trigger"] = json.dumps({"metacrm:formstate": payload}, default=str)
    return response


def _display_html(field, value) -> str:
    return render_template("_display_one.html", field=field, value=value, rec={})
