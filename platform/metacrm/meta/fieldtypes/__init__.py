"""Field types: one class per type, the single place that knows everything about it.

A field type class knows its type-specific keys (and checks them), its formula type, whether it
is stored, its SQLAlchemy column type, how input becomes a value (``coerce``), which values
are allowed (``validate``), how a value is written back as text (``to_text``, for CSV and
forms) and the form widget that edits it. An instance carries one field's settings::

    >>> from decimal import Decimal
    >>> amount, problems = CurrencyType.from_definition({"type": "currency", "min": 0})
    >>> amount.coerce("1200.5")
    Decimal('1200.5')
    >>> amount.validate(Decimal("-1"))
    Traceback (most recent call last):
    ...
    metacrm.meta.values.FieldValueError: must be at least 0

Adding a field type is one class here (or in a plugin) plus registering it through the
``register_field_types`` hook; nothing else switches on type names.
"""

from __future__ import annotations

from .base import COMMON_KEYS, CatalogView, ChildSummary, FieldType, TypeProblem, param
from .choices import BooleanType, MultiPicklistType, PicklistType
from .computed import AutoNumberType, FormulaType, RollupType
from .dates import DatetimeType, DateType
from .numbers import CurrencyType, DecimalType, IntegerType, PercentType
from .references import ON_DELETE, LookupType
from .registry import BUILTIN_FIELD_TYPES, FieldTypeRegistry, default_field_types, register_field_types
from .text import EmailType, LongTextType, PhoneType, TextType, UrlType
from ..values import FieldValueError

__all__ = [
    "COMMON_KEYS", "CatalogView", "ChildSummary", "FieldType", "param", "FieldTypeRegistry", "FieldValueError", "TypeProblem",
    "BUILTIN_FIELD_TYPES", "default_field_types", "register_field_types", "ON_DELETE",
    "TextType", "LongTextType", "EmailType", "PhoneType", "UrlType",
    "IntegerType", "DecimalType", "CurrencyType", "PercentType",
    "BooleanType", "DateType", "DatetimeType",
    "PicklistType", "MultiPicklistType", "LookupType",
    "FormulaType", "RollupType", "AutoNumberType",
]
