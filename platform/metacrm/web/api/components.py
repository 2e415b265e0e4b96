"""The OpenAPI components every document has: the problem shapes, headers, the If-Match
parameter, and the schemas of the general endpoints (objects, history, deploy)."""

from __future__ import annotations

from apispec import APISpec

from .problems import PROBLEM_JSON as PROBLEM

#: HTTP status -> the name of its problem response in ``components.responses``
RESPONSES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
             409: "Conflict", 412: "PreconditionFailed", 413: "TooLarge",
             415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests"}

_DESCRIPTIONS = {
    400: "Malformed JSON, or bad query parameters (`errors`: parameter -> messages; a bad "
         "filter names the column)",
    401: "No token, or an invalid one (see WWW-Authenticate)",
    403: "Not allowed for this user",
    404: "No such object (with a suggestion) or record",
    409: "A conflict: a stale `version`, a delete other records refuse, a refused deploy",
    412: "If-Match names another version of the record: nothing was written",
    413: "The body is larger than the limit, or a batch holds more than 1,000 records",
    415: "The body is not JSON",
    422: "Invalid input: `errors` maps each field (or, for a batch, each position) to its "
         "messages; nothing was written",
    429: "Too many requests (see Retry-After)",
}

_MESSAGES = {"type": "array", "items": {"type": "string"}}
_BY_FIELD = {"type": "object", "additionalProperties": _MESSAGES,
             "description": "field -> messages (`_record`: the record as a whole)"}

SCHEMAS: dict[str, dict] = {
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "description": "RFC 9457 problem details.",
        "properties": {
            "type": {"type": "string", "description": "`about:blank` or "
                     "`urn:metacrm:problem:<slug>` (e.g. `record-invalid`)"},
            "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "object", "description": "field (or parameter, or metadata "
                       "place) -> messages; for a batch, position -> field -> messages",
                       "additionalProperties": {"anyOf": [_MESSAGES, _BY_FIELD]}},
            "object": {"type": "string"},
            "current_version": {"type": "integer"}, "expected_version": {"type": "integer"},
        }},
    "BatchCreated": {"type": "object", "required": ["ids"],
                     "properties": {"ids": {"type": "array", "items": {"type": "string"}}}},
    "History": {"type": "object", "required": ["history"], "properties": {"history": {
        "type": "array", "items": {"type": "object", "properties": {
            "operation": {"type": "string", "enum": ["create", "update", "delete"]},
            "field": {"type": ["string", "null"]}, "old": {}, "new": {},
            "version": {"type": ["integer", "null"]},
            "actor_id": {"type": ["string", "null"]}, "actor_name": {"type": ["string", "null"]},
            "at": {"type": "string", "format": "date-time"},
            "metadata_version": {"type": ["integer", "null"]}}}}}},
    "ObjectSummary": {"type": "object", "required": ["name", "label", "plural", "title"],
                      "properties": {"name": {"type": "string"}, "label": {"type": "string"},
                                     "plural": {"type": "string"}, "title": {"type": "string"},
                                     "description": {"type": ["string", "null"]},
                                     "package": {"type": ["string", "null"]}}},
    "ObjectList": {"type": "object", "required": ["objects"], "properties": {
        "objects": {"type": "array", "items": {"$ref": "#/components/schemas/ObjectSummary"}}}},
    "FieldDescription": {
        "type": "object", "required": ["name", "type", "label", "required", "read_only"],
        "description": "A field; its type-specific settings (options, to, on_delete, "
                       "max_length, min, max, expression…) are members too.",
        "properties": {"name": {"type": "string"}, "type": {"type": "string"},
                       "label": {"type": "string"}, "required": {"type": "boolean"},
                       "unique": {"type": "boolean"}, "read_only": {"type": "boolean"},
                       "value_type": {"type": "string"},
                       "options": {"type": "array", "items": {"type": "string"}},
                       "to": {"type": "string"}}},
    "ObjectDescription": {"allOf": [{"$ref": "#/components/schemas/ObjectSummary"}, {
        "type": "object", "required": ["fields"], "properties": {
            "fields": {"type": "array", "items": {"$ref": "#/components/schemas/FieldDescription"}},
            "validations": {"type": "array", "items": {"type": "object"}},
            "related": {"type": "array", "items": {"type": "object"}}}}]},
    "PackageFiles": {
        "type": "object", "required": ["files"],
        "properties": {
            "files": {"type": "object", "description": "package name -> relative path -> the "
                      "document: its YAML text, or the document as a JSON object",
                      "additionalProperties": {"type": "object", "additionalProperties": {
                          "anyOf": [{"type": "string"}, {"type": "object"}]}}},
            "package": {"type": "string", "description": "The root package (when several)."},
            "allow_destructive": {"type": "boolean", "default": False},
            "note": {"type": "string"},
            "base": {"type": ["integer", "null"], "description": "Apply only over this "
                     "version (the plan's `base`)."}}},
    "DeployReport": {
        "type": "object", "description": "The plan, as `metacrm deploy --json` prints it.",
        "required": ["ok", "package", "content_hash", "empty", "changes", "steps", "risks",
                     "dry_run", "applied", "refused", "version"],
        "properties": {
            "ok": {"type": "boolean"}, "package": {"type": "string"},
            "package_version": {"type": "string"}, "content_hash": {"type": "string"},
            "base": {"type": ["integer", "null"]}, "empty": {"type": "boolean"},
            "changes": {"type": "array", "items": {"type": "object"}},
            "counts": {"type": "object"},
            "steps": {"type": "array", "items": {"type": "object"}},
            "risks": {"type": "array", "items": {"type": "object"}},
            "dry_run": {"type": "boolean"}, "applied": {"type": "boolean"},
            "refused": {"type": "boolean"}, "version": {"type": ["integer", "null"]}}},
    "DeployedPackage": {
        "type": "object", "required": ["number", "package", "files", "documents"],
        "properties": {
            "number": {"type": "integer"}, "package": {"type": "string"},
            "package_version": {"type": "string"}, "content_hash": {"type": "string"},
            "files": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": {"type": "string"}}},
            "documents": {"type": "array", "items": {"type": "object"}}}},
}


def register(spec: APISpec) -> None:
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A personal API token: `metacrm token create USERNAME`."})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    problem = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    spec.components.response("Problem", {"description": "An error (RFC 9457)",
                                         "content": problem})
    for code, name in RESPONSES.items():
        spec.components.response(name, {"description": _DESCRIPTIONS[code], "content": problem})
    spec.components.header("ETag", {"description": "The record's version, quoted: send it as "
                                    "If-Match", "schema": {"type": "string"}})
    spec.components.header("Location", {"description": "The new record's URL",
                                         "schema": {"type": "string"}})
    spec.components.header("Link", {"description": "`<…?cursor=…>; rel=\"next\"` when there "
                                     "is a next page", "schema": {"type": "string"}})
    spec.components.parameter("IfMatch", "header", {
        "name": "If-Match", "required": False,
        "description": "The ETag of the version the change is based on: 412 if the record "
                       "has changed since.", "schema": {"type": "string"}})

