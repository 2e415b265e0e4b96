"""The field type registry: classes by name, built from the ``register_field_types`` hook."""

from __future__ import annotations

import functools
from typing import Iterable, Iterator

from metacrm.plugins.hookspecs import hookimpl

from .base import COMMON_KEYS, FieldType
from .choices import BooleanType, MultiPicklistType, PicklistType
from .computed import AutoNumberType, FormulaType, RollupType
from .dates import DatetimeType, DateType
from .numbers import CurrencyType, DecimalType, IntegerType, PercentType
from .references import LookupType
from .text import EmailType, LongTextType, PhoneType, TextType, UrlType

BUILTIN_FIELD_TYPES: tuple[type[FieldType], ...] = (
    TextType, LongTextType, EmailType, PhoneType, UrlType, IntegerType, DecimalType,
    CurrencyType, PercentType, BooleanType, DateType, DatetimeType, PicklistType,
    MultiPicklistType, LookupType, FormulaType, RollupType, AutoNumberType,
)


@hookimpl
def register_field_types():
    return list(BUILTIN_FIELD_TYPES)


# -- the registry ----------------------------------------------------------------------------


class FieldTypeRegistry:
    """Field type classes by name; immutable once built."""

    def __init__(self, classes: Iterable[type[FieldType]]):
        by_name: dict[str, type[FieldType]] = {}
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, FieldType)) or not cls.name:
                raise TypeError(f"{cls!r} is not a named FieldType subclass")
            if cls.name in by_name and by_name[cls.name] is not cls:
                raise ValueError(f"two field types are called '{cls.name}': "
                                 f"{by_name[cls.name].__qualname__} and {cls.__qualname__}")
            by_name[cls.name] = cls
        self._by_name = dict(by_name)

    @classmethod
    def from_plugin_manager(cls, pm) -> "FieldTypeRegistry":
        return cls(c for batch in pm.hook.register_field_types() for c in batch or ())

    def get(self, name: str) -> type[FieldType] | None:
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> type[FieldType]:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[type[FieldType]]:
        return iter(self._by_name.values())

    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def all_keys(self) -> frozenset[str]:
        """Every key some field definition may carry (common and type-specific)."""
        return COMMON_KEYS | {key for cls in self for key in cls.keys()}

    def __repr__(self) -> str:
        return f"FieldTypeRegistry({', '.join(self._by_name)})"


@functools.lru_cache(maxsize=None)
def default_field_types() -> FieldTypeRegistry:
    """metacrm's own field types (a plugin's types come through the plugin manager the
    composition root builds: :meth:`metacrm.meta.Vocabulary.from_plugins`)."""
    return FieldTypeRegistry(BUILTIN_FIELD_TYPES)
