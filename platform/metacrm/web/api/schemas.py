"""marshmallow schemas per object, built by a factory from the field types.

    schemas = record_schemas(catalog, "opportunity")
    schemas.record      # a record as the API returns it (readOnly: computed and system fields)
    schemas.create      # the body of a create: editable fields, required ones required
    schemas.update      # the body of a PATCH: editable fields, none required

Each field type owns its marshmallow field (``FieldType.marshmallow_field``: types, formats,
enums, lengths, ranges); this module only says which fields each schema holds and whether
they are required, nullable or read-only. The schemas DESCRIBE the API (apispec turns them
into the OpenAPI document); they do not validate requests. The RecordService does that, as
it does for every other write path: it coerces and checks each value by its field type, then
applies defaults, required_when, read_only_when, uniqueness, lookups and validation rules,
and reports every error at once. A second validation here would disagree with it at the
edges (``"12.5"`` for a number, ``"closed won"`` for an option) and could not know the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import INCLUDE, RAISE, Schema, fields

from ...meta import Catalog, Field
from ...runtime import Access
from ..visibility import field_level, hidden_fields
from .objects import read_only


@dataclass(frozen=True)
class RecordSchemas:
    name: str           # the component name: "Opportunity"
    record: type[Schema]
    create: type[Schema]
    update: type[Schema]


def component_name(object_name: str) -> str:
    """``opportunity_line`` -> ``OpportunityLine``."""
    return "".join(part.capitalize() for part in object_name.split("_"))


def _metadata(field: Field) -> dict:
    description = " ".join(filter(None, [
        field.help or field.description,
        f"Required when `{field.required_when}`." if field.required_when else None,
        f"Read-only when `{field.read_only_when}`." if field.read_only_when else None,
        f"Computed: `{field.type.formula()}`." if field.type.formula() is not None else None,
    ]))
    return {"title": field.label, "description": description or None,
            "x_field_type": field.type_name}


def _schema(name: str, members: dict, unknown: str) -> type[Schema]:
    meta = type("Meta", (), {"unknown": unknown})
    return type(name, (Schema,), {**members, "Meta": meta})


def record_schemas(catalog: Catalog, object_name: str, access: Access | None = None
                   ) -> RecordSchemas:
    """The schemas of ``object_name`` as the user of ``access`` sees it (None: everything):
    fields they may not see are left out, fields they may only read are readOnly."""
    obj = catalog.objects[object_name]
    name = component_name(object_name)
    hidden = hidden_fields(access, object_name)
    record, create, update = {}, {}, {}
    for field in obj.fields.values():
        if field.name in hidden:
            continue
        metadata = {k: v for k, v in _metadata(field).items() if v is not None}
        fixed = read_only(field) or field_level(access, object_name, field.name) != "edit"
        # any stored value may be blank (a field made required after records existed)
        record[field.name] = field.type.marshmallow_field(
            allow_none=field.name not in ("id", "version", "created_at", "updated_at"),
            dump_only=fixed, required=field.name == "id", metadata=metadata)
        if fixed:
            continue
        # owner defaults to the actor; a required field with a default may be left out
        needed = field.required and not field.has_default and field.name != "owner"
        create[field.name] = field.type.marshmallow_field(
            required=needed, allow_none=not field.required, metadata=metadata)
        update[field.name] = field.type.marshmallow_field(
            allow_none=not field.required, metadata=metadata)
    update["version"] = fields.Integer(metadata={
        "description": "Fail with 409 unless the record is still at this version (or send "
                       "If-Match)."})
    return RecordSchemas(
        name=name,
        # lookup paths asked for with `fields` (account.name) come back as extra members
        record=_schema(name, record, INCLUDE),
        create=_schema(name + "Create", create, RAISE),
        update=_schema(name + "Update", update, RAISE),
    )

