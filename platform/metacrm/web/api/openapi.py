"""The OpenAPI 3.1 document of the API, built with apispec from the Catalog in force.

    GET /api/openapi.json        the document (built once per metadata version)
    GET /api/docs                Swagger UI over it (swagger-ui-dist, served from node_modules)

The routes are generic, the document is not: it lists each object's paths with that object's
schemas (``schemas.py``: types, enums, required, readOnly, formats, lookup targets), so a
client generator or a contract test sees the real shape of every record. It is rebuilt when
a deploy makes another version the one in force.
"""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, url_for

from ...meta import USER_OBJECT, Catalog
from ...runtime import Access
from ...store import MAX_LIMIT
from ..auth import api_actor
from ..state import Runtime
from ..visibility import keyed, readable_objects
from . import access as access_route
from . import approvals, components, users
from .current import api_runtime
from .io import MAX_BATCH, GetArgs, ListArgs, json_response
from .schemas import record_schemas


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _errors(*codes: int) -> dict:
    """Problem responses (and a default: any other error is a problem too)."""
    return {**{str(code): {"$ref": f"#/components/responses/{components.RESPONSES[code]}"}
               for code in codes},
            "default": {"$ref": "#/components/responses/Problem"}}


def _object_paths(spec: APISpec, catalog: Catalog, object_name: str,
                  access: Access | None) -> None:
    schemas = record_schemas(catalog, object_name, access)
    obj = catalog.objects[object_name]
    name = schemas.name
    spec.components.schema(name, schema=schemas.record)
    spec.components.schema(name + "Create", schema=schemas.create)
    spec.components.schema(name + "Update", schema=schemas.update)
    spec.components.schema(name + "Page", {
        "type": "object", "required": ["records", "next_cursor"],
        "properties": {"records": {"type": "array", "items": _ref(name)},
                       "next_cursor": {"type": ["string", "null"],
                                       "description": "Pass as `cursor` for the next page; "
                                                      "null on the last page."},
                       "count": {"type": "integer", "description": "With `count=true`."}}})
    tag = obj.plural
    admin_only = " Admins only." if object_name == USER_OBJECT else ""
    record_path = {"name": "id", "in": "path", "required": True,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
    etag = {"ETag": {"$ref": "#/components/headers/ETag"}}
    if_match = "IfMatch"  # apispec resolves a component's name to its $ref
    spec.path(path=f"/api/v1/{object_name}", operations={
        "get": {
            "tags": [tag], "operationId": f"list_{object_name}",
            "summary": f"List {obj.plural.lower()}",
            "description": f"A page of {obj.plural.lower()}: filter in the formula language, "
                           f"sort, pick fields, page with the cursor (at most {MAX_LIMIT}).",
            "parameters": [{"in": "query", "schema": ListArgs}],
            "responses": {"200": {"description": "A page", "content": _json(_ref(name + "Page")),
                                  "headers": {"Link": {"$ref": "#/components/headers/Link"}}},
                          **_errors(400, 401, 404, 429)}},
        "post": {
            "tags": [tag], "operationId": f"create_{object_name}",
            "summary": f"Create a {obj.label.lower()} (or a batch)",
            "description": f"One record (an object), or up to {MAX_BATCH} in one transaction "
                           "(an array): all or nothing, errors per position." + admin_only,
            "requestBody": {"required": True, "content": _json({"oneOf": [
                _ref(name + "Create"),
                {"type": "array", "items": _ref(name + "Create"), "minItems": 1,
                 "maxItems": MAX_BATCH}]})},
            "responses": {"201": {"description": "Created: the record (with Location), or the "
                                                 "ids of a batch in input order",
                                  "content": _json({"anyOf": [_ref(name), _ref("BatchCreated")]}),
                                  "headers": {"Location": {"$ref": "#/components/headers/Location"},
                                              **etag}},
                          **_errors(400, 401, 403, 404, 413, 415, 422, 429)}},
    })
    spec.path(path=f"/api/v1/{object_name}/{{id}}", parameters=[record_path], operations={
        "get": {
            "tags": [tag], "operationId": f"get_{object_name}",
            "summary": f"Get a {obj.label.lower()}",
            "parameters": [{"in": "query", "schema": GetArgs}],
            "responses": {"200": {"description": "The record; formula and roll-up fields "
                                                 "computed", "content": _json(_ref(name)),
                                  "headers": etag},
                          **_errors(400, 401, 404, 429)}},
        "patch": {
            "tags": [tag], "operationId": f"update_{object_name}",
            "summary": f"Change a {obj.label.lower()}",
            "description": "Changes the fields given; the others keep their values." + admin_only,
            "parameters": [if_match],
            "requestBody": {"required": True, "content": _json(_ref(name + "Update"))},
            "responses": {"200": {"description": "The record as changed",
                                  "content": _json(_ref(name)), "headers": etag},
                          **_errors(400, 401, 403, 404, 409, 412, 413, 415, 422, 429)}},
        "delete": {
            "tags": [tag], "operationId": f"delete_{object_name}",
            "summary": f"Delete a {obj.label.lower()}",
            "description": "Applies each lookup's on_delete to the records pointing at it "
                           "(restrict refuses with 409)." + admin_only,
            "parameters": [if_match],
            "responses": {"204": {"description": "Deleted"},
                          **_errors(401, 403, 404, 409, 412, 429)}},
    })
    spec.path(path=f"/api/v1/{object_name}/{{id}}/history", parameters=[record_path],
              operations={"get": {
                  "tags": [tag], "operationId": f"history_{object_name}",
                  "summary": f"The history of a {obj.label.lower()}",
                  "responses": {"200": {"description": "Every change, oldest first",
                                        "content": _json(_ref("History"))},
                                **_errors(401, 404, 429)}}})


def _general_paths(spec: APISpec, catalog: Catalog, access: Access | None) -> None:
    names = sorted(readable_objects(catalog, access))
    spec.path(path="/api/v1/objects", operations={"get": {
        "tags": ["Metadata"], "operationId": "list_objects", "summary": "The object types",
        "responses": {"200": {"description": "Every object type",
                              "content": _json(_ref("ObjectList"))}, **_errors(401, 429)}}})
    spec.path(path="/api/v1/objects/{object}", operations={"get": {
        "tags": ["Metadata"], "operationId": "get_object",
        "summary": "An object type and its fields",
        "parameters": [{"name": "object", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": names}}],
        "responses": {"200": {"description": "The object and its fields",
                              "content": _json(_ref("ObjectDescription"))},
                      **_errors(401, 404, 429)}}})
    admin = "Admins only."
    spec.path(path="/api/v1/meta/packages/current", operations={"get": {
        "tags": ["Deploy"], "operationId": "current_package",
        "summary": "The deployed metadata, as files and documents", "description": admin,
        "responses": {"200": {"description": "The version in force",
                              "content": _json(_ref("DeployedPackage"))},
                      **_errors(401, 403, 429)}}})
    for action, summary, extra in (
            ("plan", "Plan deploying a package (nothing changes)", ""),
            ("apply", "Plan and apply a package in one transaction",
             " A risky plan is refused (409, with the plan) unless allow_destructive.")):
        spec.path(path=f"/api/v1/meta/{action}", operations={"post": {
            "tags": ["Deploy"], "operationId": f"{action}_package", "summary": summary,
            "description": admin + extra,
            "requestBody": {"required": True, "content": _json(_ref("PackageFiles"))},
            "responses": {"200": {"description": "The plan (and the version stored)",
                                  "content": _json(_ref("DeployReport"))},
                          **_errors(400, 401, 403, 409, 413, 415, 422, 429)}}})


def build_spec(runtime: Runtime, access: Access | None = None) -> dict:
    """The document as the user of ``access`` sees it (None: everything)."""
    catalog = runtime.catalog
    spec = APISpec(
        title=f"metacrm: {catalog.package.label or catalog.package.name}",
        version=f"{catalog.package.version} (metadata version {runtime.number})",
        openapi_version="3.1.0", plugins=[MarshmallowPlugin()],
        info={"description": "The REST API of every object of the deployed metadata. "
                             "Authenticate with a personal API token "
                             "(`metacrm token create USERNAME`) as `Authorization: Bearer …`."},
        security=[{"bearerAuth": []}],
    )
    components.register(spec)
    _general_paths(spec, catalog, access)
    for object_name in readable_objects(catalog, access):
        _object_paths(spec, catalog, object_name, access)
    approvals.openapi_paths(spec)  # the approvals part adds its own paths
    users.openapi_paths(spec, catalog)
    access_route.openapi_paths(spec)
    return spec.to_dict()


def openapi_document():
    actor = api_actor()  # 401 first: without a runtime no token can be checked
    runtime = api_runtime()
    access = runtime.access(actor)
    return json_response(runtime.part(keyed("api.openapi", access),
                                      lambda: build_spec(runtime, access)))


SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>metacrm API</title>
<link rel="stylesheet" href="{css}"></head>
<body><div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script>
window.ui = SwaggerUIBundle({{url: "{spec}", dom_id: "#swagger-ui", deepLinking: true,
                             persistAuthorization: true}});
</script></body></html>
"""


def docs_page():
    vendor = "swagger-ui-dist"
    html = SWAGGER_PAGE.format(
        css=url_for("assets.vendor", package=vendor, path="swagger-ui.css"),
        bundle=url_for("assets.vendor", package=vendor, path="swagger-ui-bundle.js"),
        spec=url_for("api.openapi"))
    return Response(html, mimetype="text/html")


def init_blueprint(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/openapi.json", "openapi", openapi_document, methods=["GET"])
    blueprint.add_url_rule("/docs", "docs", docs_page, methods=["GET"])
