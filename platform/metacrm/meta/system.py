"""What every catalog has without being told: system fields and the ``user`` object.

System fields are on every object (``user`` included) and may not be declared. The ``user``
object belongs to the platform: packages may look it up and extend it, never redefine it.
"""

from __future__ import annotations

from typing import Iterable

from .fieldtypes import (BooleanType, DatetimeType, EmailType, IntegerType, LookupType,
                         MultiPicklistType, TextType)
from .model import Field, ObjectType, frozen_mapping

SYSTEM_PACKAGE = "system"
USER_OBJECT = "user"

#: the expression language's keywords: a field named like one could not be referred to
EXPRESSION_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})


def _system_fields() -> tuple[Field, ...]:
    def user_lookup(name: str, label: str, on_delete: str) -> Field:
        return Field(name, LookupType(to=USER_OBJECT, on_delete=on_delete), label, system=True,
                     read_only=name != "owner", package=SYSTEM_PACKAGE)

    return (
        Field("id", TextType(max_length=64), "ID", read_only=True, system=True,
              help="An opaque identifier, fixed when the record is created.", package=SYSTEM_PACKAGE),
        Field("created_at", DatetimeType(), "Created at", read_only=True, system=True,
              package=SYSTEM_PACKAGE),
        Field("updated_at", DatetimeType(), "Updated at", read_only=True, system=True,
              package=SYSTEM_PACKAGE),
        user_lookup("created_by", "Created by", "set_null"),
        user_lookup("updated_by", "Updated by", "set_null"),
        # owner defaults to the acting user (the runtime's job); deleting an owner with
        # records would orphan them, so it is refused
        user_lookup("owner", "Owner", "restrict"),
        Field("version", IntegerType(), "Version", read_only=True, system=True,
              help="Raised by every update; used for optimistic locking (ETag).",
              package=SYSTEM_PACKAGE),
    )


SYSTEM_FIELDS: tuple[Field, ...] = _system_fields()
SYSTEM_FIELD_NAMES = frozenset(field.name for field in SYSTEM_FIELDS)


def with_system_fields(fields: Iterable[Field]) -> dict[str, Field]:
    """Declared fields in order, then the system fields."""
    result = {field.name: field for field in fields}
    result.update((field.name, field) for field in SYSTEM_FIELDS)
    return result


def user_object(role_names: Iterable[str], extra_fields: Iterable[Field] = ()) -> ObjectType:
    """The system ``user`` object; ``roles`` may hold the catalog's role names."""
    options = tuple(sorted(role_names))
    declared = (
        Field("username", TextType(max_length=150), "Username", required=True, unique=True,
              package=SYSTEM_PACKAGE),
        Field("full_name", TextType(max_length=200), "Full name", package=SYSTEM_PACKAGE),
        Field("email", EmailType(), "Email", unique=True, package=SYSTEM_PACKAGE),
        Field("active", BooleanType(), "Active", default=True, package=SYSTEM_PACKAGE),
        Field("manager", LookupType(to=USER_OBJECT, on_delete="set_null"), "Manager",
              package=SYSTEM_PACKAGE),
        Field("roles", MultiPicklistType(options=options), "Roles", package=SYSTEM_PACKAGE),
    )
    return ObjectType(
        name=USER_OBJECT, label="User", plural="Users", title="username",
        fields=frozen_mapping(with_system_fields((*declared, *extra_fields))),
        package=SYSTEM_PACKAGE,
        description="The people who use the CRM (a platform object; extend it, never redefine it).",
    )
