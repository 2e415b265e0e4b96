"""The object types of the deployed metadata and their fields, for clients that build
themselves from it (forms, imports, integrations).

    GET /api/v1/objects                 every object: name, label, plural, title, package
    GET /api/v1/objects/<object>        one object with its fields and validation rules

A field says its type, label, help, required, unique, read_only (computed and system fields
too), editable, the conditions (required_when, read_only_when, visible_when), its default, the
type of its values (``value_type``) and its type-specific settings as written in YAML
(``options``, ``to`` and ``on_delete`` of a lookup, ``max_length``, ``min``/``max``, the
expression of a formula…). Descriptions are built once per metadata version.
"""

from __future__ import annotations

from flask import Blueprint

from ...meta import Catalog, Field, ObjectType
from ...runtime import UnknownObject
from ..auth import api_actor
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


def object_description(catalog: Catalog, name: str) -> dict:
    obj = catalog.objects[name]
    return api_value({
        **object_summary(obj),
        "fields": [field_description(f) for f in obj.fields.values()],
        "validations": [{"name": r.name, "field": r.field, "message": r.message, "when": r.when}
                        for r in obj.validations],
        "related": [{"object": source, "field": f.name} for source, f in catalog.lookups_to(name)],
    })


def list_objects():
    api_actor()
    runtime = api_runtime()
    body = runtime.part("api.objects", lambda: {
        "objects": [object_summary(o) for o in runtime.catalog.objects.values()]})
    return json_response(body)


def get_object(object_name: str):
    api_actor()
    runtime = api_runtime()
    if object_name not in runtime.catalog.objects:
        runtime.service.rules(object_name)  # UnknownObject, with a suggestion
        raise UnknownObject(f"unknown object '{object_name}'")
    return json_response(runtime.part(f"api.object.{object_name}",
                                         lambda: object_description(runtime.catalog, object_name)))


def init_blueprint(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/v1/objects", "objects", list_objects, methods=["GET"])
    blueprint.add_url_rule("/v1/objects/<object_name>", "object", get_object, methods=["GET"])
