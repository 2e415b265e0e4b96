"""Boards (kanban): an object's records in one column per option of a picklist field.

    GET  /app/<object>/board/<picklist>          (?view=, filter rows as on the list page)
    POST /app/<object>/<id>/move                 field, value, version: a card moved

A move is an ordinary update through the RecordService, so validation rules, required_when,
workflows and access apply (a card the user may not change answers 403); a refused move
answers 422 with the messages (the browser puts the card
back and shows them). Without JavaScript each card's "Move to" menu posts the same form.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_login import login_required

from ...formula import quote
from ...runtime import RecordInvalid, VersionConflict
from .common import blueprint, get_record, is_htmx, page, request_scope, sentences
from ..visibility import may
from .lists import read_query
from .specs import column_of

CARDS_PER_COLUMN = 50
#: besides the title, how many of the view's columns a card shows
CARD_FIELDS = 3


def board_field(spec, name: str):
    field = spec.all_fields.get(name)
    if field is None or not field.groups_records:
        abort(404, f"{spec.label} has no picklist field '{name}' to make a board of")
    return field


@blueprint.route("/app/<object_name>/board/<field_name>")
@login_required
def board(object_name, field_name):
    rt, obj, spec, who = request_scope(object_name)
    access = rt.access(who)
    field = board_field(spec, field_name)
    query = read_query(rt, object_name, request.args, access)
    shown = [n for n in query.view.columns if n not in (obj.title, field_name)
             and n in spec.all_fields][:CARD_FIELDS]
    columns = [column_of(rt, object_name, n, access) for n in shown]
    title = [obj.title] if obj.title in spec.all_fields else []
    paths = ["id", "version", *title, field_name] + [p for c in columns for p in c.paths]
    lanes = []
    for option in list(field.options) + [None]:
        own = f"{field_name} == {quote(option)}" if option is not None \
            else f"is_blank({field_name})"
        condition = own if not query.filter else f"({query.filter}) and ({own})"
        result = rt.service.query(object_name, who, filter=condition, sort=query.sort,
                                  fields=list(dict.fromkeys(paths)), limit=CARDS_PER_COLUMN)
        if option is None and not result.records:
            continue  # no column for blanks unless some record is blank
        lanes.append((option, result.records, result.next_cursor is not None))
    return page("board", object_name, obj=obj, spec=spec, field=field, lanes=lanes,
                columns=columns, query=query,
                editable=field.editable and may(access, object_name, "edit"))


@blueprint.route("/app/<object_name>/<record_id>/move", methods=["POST"])
@login_required
def move(object_name, record_id):
    rt, obj, spec, who = request_scope(object_name)
    field = board_field(spec, request.form.get("field", ""))
    get_record(rt, object_name, record_id, who, fields=["id"])
    value = request.form.get("value") or None
    version = request.form.get("version", type=int)
    status, messages, record = 200, [], None
    try:
        record = rt.service.update(object_name, record_id, {field.name: value}, who,
                                   version=version)
    except RecordInvalid as invalid:
        status = invalid.status  # 422, or 403 (AccessDenied)
        messages = [m for items in sentences(invalid, spec).values() for m in items]
    except VersionConflict as conflict:
        status = 409
        messages = [f"Changed by {conflict.updated_by or 'someone'} at "
                    f"{conflict.updated_at:%Y-%m-%d %H:%M} UTC: reload the board."]
    wants_json = request.accept_mimetypes.best == "application/json" or is_htmx()
    if wants_json:
        return jsonify(ok=status == 200, messages=messages,
                       version=record["version"] if record else None), status
    back = request.form.get("next") or url_for("ui.board", object_name=object_name,
                                               field_name=field.name)
    if status == 200:
        flash(f"{obj.label} “{record.get(obj.title)}” moved to {value or 'none'}.", "success")
    else:
        for message in messages:
            flash(message, "danger")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/", 303)
