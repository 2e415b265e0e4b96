"""What the type checker and the back-ends need to know about the fields an expression names.

The formula layer knows nothing about objects; ``meta`` implements :class:`Scope` over a
Catalog (``catalog.scope("opportunity")``) and tests implement it over plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from .types import FType


@dataclass(frozen=True)
class FieldInfo:
    """One field as the expression language sees it."""

    name: str
    type: FType
    #: for a lookup (``type`` is REFERENCE): the object it points at
    target: str | None = None
    #: for a computed (formula) field: its expression source; None for a stored field
    formula: str | None = None
    #: for a picklist: its options (lets the checker flag ``stage == "Clsoed Won"``)
    options: tuple[str, ...] | None = None


class Scope(Protocol):
    """The fields of one object, and a way to reach the objects its lookups point at."""

    @property
    def object_name(self) -> str: ...

    def field(self, name: str) -> FieldInfo | None:
        """The field called ``name`` (system fields included), or None."""

    def field_names(self) -> Iterable[str]:
        """Every field name (for "did you mean" suggestions)."""

    def scope_for(self, object_name: str) -> "Scope":
        """The scope of another object (the target of a lookup)."""


class DictScope:
    """A Scope over plain data: ``{"account": {"name": FieldInfo(...), ...}, ...}``.

    For tests and for the CLI's ad-hoc use; ``meta`` has its own over a Catalog.
    """

    def __init__(self, objects: dict[str, dict[str, FieldInfo]], object_name: str):
        self._objects = objects
        self._name = object_name

    @property
    def object_name(self) -> str:
        return self._name

    def field(self, name: str) -> FieldInfo | None:
        return self._objects[self._name].get(name)

    def field_names(self) -> Iterable[str]:
        return self._objects[self._name].keys()

    def scope_for(self, object_name: str) -> "DictScope":
        return DictScope(self._objects, object_name)
