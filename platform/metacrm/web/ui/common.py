"""What every page view needs: the runtime of the version in force, the acting user and what
they may see (``runtime.access(actor)``), the object asked for (404 otherwise, and for an object
they may not read), templates chosen by file name, and the navigation.

No page decides who sees a record: every read passes the actor to the RecordService, whose
query layer adds the access predicate; pages only leave out what does not exist for the user
(objects they may not read, fields they may not see — ``specs.form_spec(…, access)``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, request

from ...meta import UnknownName
from ...runtime import Access, Actor, RecordNotFound
from ..auth import current_actor
from ..visibility import keyed, may
from .specs import USER, cached, form_spec

blueprint = Blueprint("ui", __name__)


def runtime():
    found = current_app.extensions["metacrm"].runtime()
    if found is None:
        abort(503, "nothing is deployed yet: run 'metacrm deploy metadata/crm'")
    return found


def actor() -> Actor:
    who = current_actor()
    if who is None:  # login_required runs first; this is a token-less API-style request
        abort(401)
    return who


def object_type(rt, name: str, access: Access | None = None):
    """The object type ``name`` of the deployed version, or a 404 page (the same for an object
    the user of ``access`` may not read)."""
    if name == USER:
        abort(404, "users are managed by administrators (metacrm user …)")
    try:
        obj = rt.catalog.object(name)
    except UnknownName:
        obj = None
    if obj is None or not may(access, name, "read"):
        abort(404, f"there is no object type '{name}'")
    return obj


def request_scope(object_name: str):
    """What a page of one object starts from: (runtime, object type, form spec, actor) — the
    spec as the actor sees it; a 404 page for an unknown object or one they may not read."""
    rt = runtime()
    who = actor()
    access = rt.access(who)
    obj = object_type(rt, object_name, access)
    return rt, obj, form_spec(rt, object_name, access), who


def require(rt, who: Actor, object_name: str, action: str) -> None:
    """A 403 page unless the actor's roles grant ``action`` on the object (which records they
    may change the RecordService decides, on save)."""
    if not may(rt.access(who), object_name, action):
        label = rt.catalog.object(object_name).plural.lower()
        abort(403, f"You may not {action} {label}: none of your roles allows it.")


def get_record(rt, object_name: str, record_id: str, who: Actor, fields=None) -> dict:
    try:
        return rt.service.get(object_name, record_id, who, fields=fields)
    except RecordNotFound:
        abort(404, f"there is no {rt.catalog.object(object_name).label.lower()} with id "
                   f"'{record_id}' (it may have been deleted)")


def page(kind: str, object_name: str | None = None, **context):
    """Render ``{kind}-{object}.html`` when the project has one, else ``{kind}.html``."""
    names = ([f"{kind}-{object_name}.html"] if object_name else []) + [f"{kind}.html"]
    return render_template(names, **context)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@dataclass(frozen=True)
class NavGroup:
    label: str | None
    objects: tuple  # ObjectType


def navigation(rt, access: Access | None = None) -> tuple[NavGroup, ...]:
    """The objects for the menu (those the user of ``access`` may read), grouped as the
    packages' ``navigation`` key says (objects no group names come last, ungrouped)."""
    def build():
        catalog = rt.catalog
        objects = {name: obj for name, obj in catalog.objects.items()
                   if name != USER and may(access, name, "read")}
        groups, placed = [], set()
        for document in catalog.documents:
            if document.kind != "package":
                continue
            for group in document.data.get("navigation", ()):
                members = tuple(objects[n] for n in group.get("objects", ()) if n in objects
                                and n not in placed)
                placed.update(obj.name for obj in members)
                if members:
                    groups.append(NavGroup(group.get("label"), members))
        rest = tuple(obj for name, obj in objects.items() if name not in placed)
        if rest:
            groups.append(NavGroup(None if not groups else "More", rest))
        return tuple(groups)
    return cached(rt, keyed("navigation", access), build)


def sentences(invalid, spec) -> dict[str, list[str]]:
    """A RecordInvalid's messages as sentences people read beside a field: "Amount must be at
    least 0" (a field type's or the service's message after the field's label); validation
    rules' messages are written whole by the package, and stay as they are."""
    out: dict[str, list[str]] = {}
    for error in invalid.errors:
        field = spec.all_fields.get(error.field)
        text = error.message if error.code == "rule" or field is None \
            else f"{field.label} {error.message}"
        out.setdefault(error.field, []).append(text)
    return out
