"""The object types of the deployed metadata and their fields, for clients that build
themselves from it (forms, imports, integrations).

    GET /api/v1/objects                 every object: name, label, plural, title, package
    GET /api/v1/objects/<object>        one object with its fields and validation rules

A field says its type, label, help, required, unique, read_only (computed and system fields
too), editable, the conditions (required_when, read_only_when, visible_when), its default, the
type of its values (``value_type``) and its type-specific settings as written in YAML
(``options``, ``to`` and ``on_delete`` of a lookup, ``max_length``, ``min``/``max``, the
expression of a formula…). Descriptions are built once per metadata version and set of roles:
a user sees only the objects they may read (another one is a 404) and the fields they may see
(a field they may only read is ``read_only``; ``access`` says ``edit`` or ``read``).
"""

from __future__ import annotations

from flask import Blueprint

from ...meta import Catalog, Field, ObjectType
from ...runtime import Access, reads
from ..auth import api_actor
from ..visibility import can_read, field_level, hidden_fields, keyed, readable_objects
from .current import api_runtime
from .io import json_response
from .values import api_value


def read_only(field: Field) -> bool:
    """Can input never set this field? (computed, system but owner, read_only)"""
    return field.read_only or not field.editable


def field_description(field: Field) -> dict:
    return {
        "name": field.name, "type": field.type_name, "label": field.label, "help": field.help,
        "description": field.description, "required": field.required, "unique": field.unique,
        "read_only": read_only(field), "stored": field.stored, "system": field.system,
        "value_type": field.ftype.value, "default": field.default,
        "default_formula": field.default_formula, "required_when": field.required_when,
        "read_only_when": field.read_only_when, "visible_when": field.visible_when,
        "package": field.package, **field.type.settings(),
    }


def object_summary(obj: ObjectType) -> dict:
    return {"name": obj.name, "label": obj.label, "plural": obj.plural, "title": obj.title,
            "description": obj.description, "package": obj.package}


def object_description(catalog: Catalog, name: str, access: Access | None = None) -> dict:
    obj = catalog.objects[name]
    hidden = hidden_fields(access, name)
    fields = []
    for field in obj.fields.values():
        if field.name in hidden:
            continue
        level = field_level(access, name, field.name)
        described = field_description(field)
        if level == "read":
            described["read_only"] = True
        fields.append({**described, "access": level})
    validations = [r for r in obj.validations
                   if r.field not in hidden and not (reads(r.when) & hidden)]
    return api_value({
        **object_summary(obj),
        "fields": fields,
        "validations": [{"name": r.name, "field": r.field, "message": r.message, "when": r.when}
                        for r in validations],
        "related": [{"object": source, "field": f.name} for source, f in catalog.lookups_to(name)
                    if can_read(catalog, access, source)
                    and f.name not in hidden_fields(access, source)],
    })


def list_objects():
    actor = api_actor()  # 401 first: without a runtime no token can be checked
    runtime = api_runtime()
    access = runtime.access(actor)
    body = runtime.part(keyed("api.objects", access), lambda: {
        "objects": [object_summary(runtime.catalog.objects[name])
                    for name in readable_objects(runtime.catalog, access)]})
    return json_response(body)


def get_object(object_name: str):
    actor = api_actor()  # 401 first: without a runtime no token can be checked
    runtime = api_runtime()
    access = runtime.access(actor)
    runtime.readable(object_name, access)  # UnknownObject (404), suggesting only readable ones
    return json_response(runtime.part(
        keyed(f"api.object.{object_name}", access),
        lambda: object_description(runtime.catalog, object_name, access)))


def init_blueprint(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/v1/objects", "objects", list_objects, methods=["GET"])
    blueprint.add_url_rule("/v1/objects/<object_name>", "object", get_object, methods=["GET"])
