"""The formula language's view of objects: :class:`ObjectScope` implements its Scope protocol."""

from __future__ import annotations

from typing import Iterable, Mapping

from metacrm.formula import FieldInfo

from .model import ObjectType


class ObjectScope:
    """The fields of one object (system fields included), reaching others through lookups.

    Picklists carry their options, lookups their target, formula fields their expression
    (the checker does not descend into it; cycles are the loader's to find).
    """

    def __init__(self, objects: Mapping[str, ObjectType], object_name: str):
        self._objects = objects
        self._name = object_name

    @property
    def object_name(self) -> str:
        return self._name

    def _fields(self):
        obj = self._objects.get(self._name)
        return obj.fields if obj is not None else {}

    def field(self, name: str) -> FieldInfo | None:
        field = self._fields().get(name)
        return None if field is None else field.type.field_info(name)

    def field_names(self) -> Iterable[str]:
        return tuple(self._fields())

    def scope_for(self, object_name: str) -> "ObjectScope":
        return ObjectScope(self._objects, object_name)

    def __repr__(self) -> str:
        return f"ObjectScope({self._name!r})"
