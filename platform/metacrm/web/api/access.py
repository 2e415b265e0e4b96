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

from ...runtime import explain_record, person
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
    user, actor = person(runtime, username)  # UnknownUser (404) names the closest one
    return json_response(explain_record(runtime, user, actor, object_name, record_id))


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
