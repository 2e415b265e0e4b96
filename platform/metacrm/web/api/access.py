"""What a user may do with one record, and why, over HTTP (``docs/access.md``).

    GET /api/v1/<object>/<id>/access?user=NAME     admins: read/edit/delete and the reasons

The answer is the JSON of ``metacrm access explain USER OBJECT ID --json``: ``user``,
``object``, ``id``, ``title``, ``admin``, ``open``, ``active``, ``read``, ``edit``, ``delete``,
``because``, ``not_because`` (sentences from ``Access.explain``: the roles granting the object,
view_all/modify_all or the object's sharing, each predicate term — owner, each role below with
its path up the hierarchy, each sharing rule — with whether it holds), ``hidden_fields`` and
``read_only_fields``. An unknown user, object or record is a 404.
"""

from __future__ import annotations

from flask import Blueprint, request

from ...formula import EvalContext
from ...runtime import Actor, RecordNotFound
from ..state import Runtime
from .components import RESPONSES
from .current import admin_actor, api_runtime
from .io import json_response
from .problems import ApiProblem


def record_access(object_name: str, record_id: str):
    admin_actor()
    username = request.args.get("user")
    if not username:
        raise ApiProblem(400, "say whose access: ?user=USERNAME", slug="bad-query",
                         errors={"user": ["a username is required"]})
    runtime = api_runtime()
    user = runtime.accounts.get_user(username)  # UnknownUser (404) names the closest one
    return json_response(explain(runtime, user, object_name, record_id))


def explain(runtime: Runtime, user: dict, object_name: str, record_id: str) -> dict:
    """The answer for ``user`` (a ``user`` record) on one record; RecordNotFound or
    UnknownObject (404s) when there is none."""
    actor = runtime.accounts.actor(user["id"]) or Actor(user["id"], user["username"])
    active = user.get("active") is not False
    catalog = runtime.catalog
    runtime.rules(object_name)  # UnknownObject for an unknown object
    with runtime.db.read() as conn:
        record = runtime.store.fetch_one(conn, object_name, record_id)
        if record is None:
            raise RecordNotFound(object_name, record_id)
        title = catalog.object(object_name).title
        head = {"user": actor.username, "object": object_name, "id": record_id,
                "title": record.get(title) if title else None, "admin": actor.is_admin,
                "open": catalog.access_open, "active": active}
        nothing = {"hidden_fields": [], "read_only_fields": []}
        if not active:
            return {**head, "read": False, "edit": False, "delete": False, "because": [],
                    "not_because": [f"{actor.username} is inactive: they cannot sign in"],
                    **nothing}
        if actor.is_admin or catalog.access_open:
            reason = (f"{actor.username} is an admin: admins may do everything with every "
                      "record" if actor.is_admin else
                      "the package is open (no role declares permissions): every signed-in "
                      "user may do everything with every record")
            return {**head, "read": True, "edit": True, "delete": True, "because": [reason],
                    "not_because": [], **nothing}
        access = runtime.access(actor)
        ctx = EvalContext(lambda name, rid: runtime.store.fetch_one(conn, name, rid), record,
                          False, runtime.service.environment(actor))
        answer = access.explain(object_name, record, ctx)
    levels = {}
    if answer["read"]:
        writes = access.may(object_name, "create") or access.may(object_name, "edit")
        for name, field in catalog.object(object_name).fields.items():
            level = access.field_access(object_name, name)
            if level == "none" or (level == "read" and writes and field.stored
                                   and not field.system):
                levels[name] = level
    return {**head, **answer,
            "hidden_fields": sorted(f for f, level in levels.items() if level == "none"),
            "read_only_fields": sorted(f for f, level in levels.items() if level == "read")}


def openapi_paths(spec) -> None:
    """The access path of the OpenAPI document."""
    errors = {**{str(code): {"$ref": f"#/components/responses/{RESPONSES[code]}"}
                 for code in (400, 401, 403, 404, 429)},
              "default": {"$ref": "#/components/responses/Problem"}}
    sentences = {"type": "array", "items": {"type": "string"}}
    answer = {"type": "object", "required": ["user", "object", "id", "read", "edit", "delete",
                                             "because", "not_because"],
              "properties": {
                  "user": {"type": "string"}, "object": {"type": "string"},
                  "id": {"type": "string"}, "title": {},
                  "admin": {"type": "boolean"}, "open": {"type": "boolean"},
                  "active": {"type": "boolean"}, "read": {"type": "boolean"},
                  "edit": {"type": "boolean"}, "delete": {"type": "boolean"},
                  "because": sentences, "not_because": sentences,
                  "hidden_fields": sentences, "read_only_fields": sentences}}
    spec.path(path="/api/v1/{object}/{id}/access", operations={"get": {
        "tags": ["Access"], "operationId": "record_access",
        "summary": "What a user may do with the record, and why",
        "description": "Admins only. Read, edit and delete, with the reasons: the roles "
                       "granting the object, the object's sharing, the owner, the role "
                       "hierarchy and each sharing rule, with whether it holds.",
        "parameters": [*({"name": n, "in": "path", "required": True,
                          "schema": {"type": "string"}} for n in ("object", "id")),
                       {"name": "user", "in": "query", "required": True,
                        "schema": {"type": "string", "minLength": 1}}],
        "responses": {"200": {"description": "The answer",
                              "content": {"application/json": {"schema": answer}}},
                      **errors}}})


def init_blueprint(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/v1/<object_name>/<record_id>/access", "record_access",
                           record_access, methods=["GET"])
