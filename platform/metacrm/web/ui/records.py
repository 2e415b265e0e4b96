"""Record pages: the layout's tabs and sections, related lists, field history, and actions
(edit, delete with confirmation; approvals and the automation log plug into template blocks).

    GET      /app/<object>/<id>
    GET/POST /app/<object>/<id>/delete      a confirmation page, then the delete
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import login_required

from ...formula import quote
from ...runtime import Access, RecordInvalid, VersionConflict
from ..visibility import keyed, may
from .common import blueprint, get_record, page, request_scope, require
from .formstate import context, evaluate
from .specs import cached, form_spec, related_specs, title_paths

RELATED_ROWS = 10
HISTORY_ROWS = 100


def record_paths(rt, object_name: str, access: Access | None = None) -> list[str]:
    """Every field of the object the user may see and the names of the records its lookups
    point at."""
    def build():
        spec = form_spec(rt, object_name, access)
        paths = []
        for field in spec.all_fields.values():
            paths.append(field.name)
            paths.extend(field.titles)
        return paths
    return cached(rt, keyed(f"record_paths:{object_name}", access), build)


def related_lists(rt, object_name: str, record_id: str, who):
    out = []
    for rel in related_specs(rt, object_name, rt.access(who)):
        fields = ["id", rt.catalog.object(rel.object).title]
        for col in rel.columns:
            fields.extend(col.paths)
        result = rt.service.query(rel.object, who, filter=f"{rel.field} == {quote(record_id)}",
                                  fields=list(dict.fromkeys(fields)), limit=RELATED_ROWS,
                                  sort="-created_at")
        out.append((rel, result.records, result.next_cursor is not None))
    return out


@blueprint.route("/app/<object_name>/<record_id>")
@login_required
def record(object_name, record_id):
    rt, obj, spec, who = request_scope(object_name)
    values = get_record(rt, object_name, record_id, who,
                        fields=record_paths(rt, object_name, rt.access(who)))
    with rt.service.db.read() as conn:
        state = evaluate(spec, values, context(rt, who, values, conn))
    # changes of fields they may not see are left out by the service
    history = list(reversed(rt.service.history(object_name, record_id, who)))[:HISTORY_ROWS]
    _name_lookups(rt, spec, history, who)
    return page("record", object_name, obj=obj, spec=spec, rec=values, state=state,
                related=related_lists(rt, object_name, record_id, who), history=history,
                title=values.get(obj.title) or record_id,
                catalog_title=lambda name: rt.catalog.object(name).title)


def _name_lookups(rt, spec, history, who) -> None:
    """Give history entries of lookups the names of the records they pointed at (one query
    per target object), as ``old_rec``/``new_rec`` rows for the display macros."""
    wanted: dict[str, set] = {}
    for entry in history:
        field = spec.all_fields.get(entry.get("field") or "")
        if field is not None and field.target:
            wanted.setdefault(field.target, set()).update(
                v for v in (entry["old"], entry["new"]) if isinstance(v, str))
    names: dict[tuple[str, str], dict] = {}
    for target, ids in wanted.items():
        paths = title_paths(rt.catalog, target)
        found = rt.service.query(target, who, filter=f"id in [{', '.join(map(quote, sorted(ids)))}]",
                                 fields=["id", *paths], limit=min(len(ids), 1000)).records
        for row in found:
            names[(target, row["id"])] = row
    for entry in history:
        field = spec.all_fields.get(entry.get("field") or "")
        if field is None or not field.target:
            continue
        for side in ("old", "new"):
            row = names.get((field.target, entry[side]), {})
            entry[side + "_rec"] = {f"{field.name}.{path}": row.get(path) for path in row}


@blueprint.route("/app/<object_name>/<record_id>/delete", methods=["GET", "POST"])
@login_required
def delete(object_name, record_id):
    rt, obj, _, who = request_scope(object_name)
    values = get_record(rt, object_name, record_id, who)
    require(rt, who, object_name, "delete")
    title = values.get(obj.title) or record_id
    errors = []
    status = 200
    if request.method == "POST":
        try:
            rt.service.delete(object_name, record_id, who,
                              version=request.form.get("version", type=int))
        except RecordInvalid as invalid:  # (AccessDenied: 403, a record they may not delete)
            errors = [m for ms in invalid.messages.values() for m in ms]
            status = invalid.status
        except VersionConflict as conflict:
            errors = [f"It was changed by {conflict.updated_by or 'someone'} at "
                      f"{conflict.updated_at:%Y-%m-%d %H:%M} UTC after you opened it: "
                      "look at it again before deleting it."]
            status = 409
        else:
            flash(f"{obj.label} “{title}” deleted.", "success")
            return redirect(url_for("ui.list_records", object_name=object_name), 303)
    referrers = _referrers(rt, object_name, rt.access(who))
    return page("delete", object_name, obj=obj, rec=values, title=title, errors=errors,
                referrers=referrers), status


def _referrers(rt, object_name: str, access: Access | None):
    """What deleting does to the records pointing here (said before the user confirms; of
    the objects and lookups the user may see)."""
    out = []
    for other, field in rt.catalog.lookups_to(object_name):
        if other == "user" or not may(access, other, "read") \
                or (access is not None and field.name in access.hidden(other)):
            continue
        out.append((rt.catalog.object(other), field, field.type.on_delete))
    return out
