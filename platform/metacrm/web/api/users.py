"""People over HTTP, for admins (``docs/api.md``, "Users"): who has which roles, who manages
whom, who may sign in. Everyone else gets 403, as on the other admin endpoints.

    GET   /api/v1/users                            every user (username, full_name, email,
                                                   roles, manager, active, admin, version)
    GET   /api/v1/users/<username>                 one (ETag: its version)
    PATCH /api/v1/users/<username>                 {"roles"?, "manager"?, "active"?,
                                                    "full_name"?, "email"?, "admin"?}
    POST  /api/v1/users/<username>/deactivate      signed out everywhere on the next request

``<username>`` may also be the user's id. Changes go through ``Accounts.update_user`` (one
transaction, through the RecordService); a deactivated user's sessions and API tokens stop on
their next request in every process. (``/v1/users…`` is a fixed path: it wins over
``/v1/<object>``, so an object named ``users`` could not be reached through the API; the
system object is ``user``.)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ...meta import Catalog
from .components import RESPONSES
from .current import admin_actor, api_runtime
from .io import etag, if_match_version, json_object, json_response
from .problems import ApiProblem

#: what PATCH may change, and the JSON types each takes (None: null clears it)
SETTINGS: dict[str, tuple[type, ...]] = {
    "roles": (list,), "manager": (str, type(None)), "active": (bool,),
    "full_name": (str, type(None)), "email": (str, type(None)), "admin": (bool,)}
_KINDS = {list: "a list of role names", str: "text", bool: "true or false", type(None): "null"}


def _accounts():
    return api_runtime().accounts


def _one(view: dict):
    return json_response(view, headers={"ETag": etag(view)})


def list_users():
    admin_actor()
    return json_response({"users": _accounts().list_users()})


def get_user(username: str):
    admin_actor()
    return _one(_accounts().user_view(username))


def _changes() -> dict[str, Any]:
    data = json_object()
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ApiProblem(400, "unknown keys: " + ", ".join(unknown) + " (a user's "
                         + ", ".join(SETTINGS) + " may change)", slug="invalid-body",
                         errors={key: ["unknown key"] for key in unknown})
    errors = {}
    for key, value in data.items():
        kinds = SETTINGS[key]
        if not isinstance(value, kinds) or (key == "roles" and not all(
                isinstance(item, str) for item in value)):
            errors[key] = ["must be " + " or ".join(_KINDS[kind] for kind in kinds)]
    if errors:
        raise ApiProblem(422, "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()),
                         slug="record-invalid", object="user", errors=errors)
    return data


def update_user(username: str):
    actor = admin_actor()
    changes = _changes()
    version = if_match_version()
    return _one(_accounts().update_user(username, actor=actor, version=version, **changes))


def deactivate_user(username: str):
    actor = admin_actor()
    return _one(_accounts().deactivate(username, actor=actor))


def init_blueprint(blueprint: Blueprint) -> None:
    route = blueprint.add_url_rule
    route("/v1/users", "users", list_users, methods=["GET"])
    route("/v1/users/<username>", "user_account", get_user, methods=["GET"])
    route("/v1/users/<username>", "update_user_account", update_user, methods=["PATCH"])
    route("/v1/users/<username>/deactivate", "deactivate_user", deactivate_user,
          methods=["POST"])


def openapi_paths(spec, catalog: Catalog) -> None:
    """The user paths of the OpenAPI document (roles: the catalog's)."""
    def errors(*codes):
        return {**{str(c): {"$ref": f"#/components/responses/{RESPONSES[c]}"} for c in codes},
                "default": {"$ref": "#/components/responses/Problem"}}

    text_or_null = {"type": ["string", "null"]}
    roles = {"type": "array", "items": {"type": "string", "enum": sorted(catalog.roles)}
             if catalog.roles else {"type": "string"}}
    spec.components.schema("UserAccount", {
        "type": "object", "description": "A user as people management shows one.",
        "required": ["id", "username", "full_name", "email", "roles", "manager", "active",
                     "admin", "version"],
        "properties": {
            "id": {"type": "string"}, "username": {"type": "string"},
            "full_name": text_or_null, "email": text_or_null,
            "roles": {"type": "array", "items": {"type": "string"}},
            "manager": {**text_or_null, "description": "The manager's username."},
            "active": {"type": "boolean", "description": "False: cannot sign in; sessions and "
                       "tokens refused."},
            "admin": {"type": "boolean"}, "version": {"type": ["integer", "null"]}}})
    spec.components.schema("UserAccountChange", {
        "type": "object", "additionalProperties": False,
        "description": "What to change; what is left out stays.",
        "properties": {
            "roles": {**roles, "description": "Replaces the user's roles."},
            "manager": {"type": ["string", "null"], "description": "A username (or id); null "
                        "clears it. A loop of managers is refused."},
            "active": {"type": "boolean", "description": "false: signed out everywhere on the "
                       "next request (not for yourself); true: reactivated."},
            "full_name": {"type": ["string", "null"], "maxLength": 200},
            "email": {"type": ["string", "null"], "format": "email"},
            "admin": {"type": "boolean", "description": "Not false for yourself."}}})
    one = {"description": "The user", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/UserAccount"}}},
        "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}}
    who = [{"name": "username", "in": "path", "required": True,
            "description": "A username (or a user's id).",
            "schema": {"type": "string", "minLength": 1}}]
    tag, admins = ["Users"], "Admins only."
    spec.path(path="/api/v1/users", operations={"get": {
        "tags": tag, "operationId": "list_users", "summary": "Every user, by username",
        "description": admins,
        "responses": {"200": {"description": "The users", "content": {"application/json": {
            "schema": {"type": "object", "required": ["users"], "properties": {"users": {
                "type": "array", "items": {"$ref": "#/components/schemas/UserAccount"}}}}}}},
            **errors(401, 403, 429)}}})
    spec.path(path="/api/v1/users/{username}", parameters=who, operations={
        "get": {"tags": tag, "operationId": "get_user_account", "summary": "One user",
                "description": admins, "responses": {"200": one, **errors(401, 403, 404, 429)}},
        "patch": {"tags": tag, "operationId": "update_user_account",
                  "summary": "Change a user's roles, manager, active flag, name, email or "
                             "admin flag",
                  "description": admins + " Roles and the active flag count from the user's "
                                          "next request, in every process.",
                  "parameters": ["IfMatch"],
                  "requestBody": {"required": True, "content": {"application/json": {
                      "schema": {"$ref": "#/components/schemas/UserAccountChange"}}}},
                  "responses": {"200": one, **errors(400, 401, 403, 404, 409, 412, 413, 415,
                                                     422, 429)}}})
    spec.path(path="/api/v1/users/{username}/deactivate", parameters=who, operations={"post": {
        "tags": tag, "operationId": "deactivate_user",
        "summary": "Deactivate a user: their sessions and tokens stop on the next request",
        "description": admins + " Not yourself. `PATCH` with `{\"active\": true}` undoes it.",
        "responses": {"200": one, **errors(401, 403, 404, 422, 429)}}})
