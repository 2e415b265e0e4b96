"""The value types of the expression language.

A field type of the metadata maps onto one of these (``meta.fieldtypes`` says which); the type
checker works only with these, so the formula layer knows nothing about objects.
"""

from __future__ import annotations

import enum


class FType(enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CURRENCY = "currency"
    PERCENT = "percent"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    #: a multi_picklist value: a list of texts (only ``x in field``, ``is_blank`` work on it)
    TEXT_LIST = "text_list"
    #: a lookup: the referenced record's id (an opaque text); traverse it with ``a.b``
    REFERENCE = "reference"
    #: the type of ``null``: fits anywhere
    NULL = "null"
    #: a list literal ``["a", "b"]`` (only on the right of ``in``)
    LIST = "list"

    @property
    def is_numeric(self) -> bool:
        return self in NUMERIC

    @property
    def is_temporal(self) -> bool:
        return self in (FType.DATE, FType.DATETIME)

    def __str__(self) -> str:  # used in error messages
        return self.value


NUMERIC = frozenset({FType.INTEGER, FType.DECIMAL, FType.CURRENCY, FType.PERCENT})

#: the types a formula field may declare in ``returns``
RETURN_TYPES = frozenset(
    {FType.TEXT, FType.INTEGER, FType.DECIMAL, FType.CURRENCY, FType.PERCENT,
     FType.BOOLEAN, FType.DATE, FType.DATETIME}
)


def assignable(value: FType, target: FType) -> bool:
    """Can a value of type ``value`` be stored where ``target`` is expected?

    Numbers convert among themselves (an integer expression may feed a currency field), a
    lookup's id is text, a date widens to a datetime, and ``null`` fits anywhere.
    """
    if value is FType.NULL or value is target:
        return True
    if value.is_numeric and target.is_numeric:
        return True
    if value is FType.REFERENCE and target is FType.TEXT:
        return True
    if value is FType.TEXT and target is FType.REFERENCE:
        return True
    return value is FType.DATE and target is FType.DATETIME


_DESCRIBE = {FType.INTEGER: "a whole number", FType.DECIMAL: "a number",
             FType.CURRENCY: "a currency amount", FType.PERCENT: "a percentage",
             FType.TEXT: "text", FType.BOOLEAN: "true or false", FType.DATE: "a date",
             FType.DATETIME: "a date and time", FType.TEXT_LIST: "a list of values",
             FType.REFERENCE: "a record id", FType.NULL: "null", FType.LIST: "a list"}


def describe(t: FType) -> str:
    """How an error message names a type: ``describe(FType.DATE)`` is "a date"."""
    return _DESCRIBE[t]


def numeric_result(a: FType, b: FType) -> FType:
    """The type of ``a op b`` for two numbers: currency is contagious, integers widen."""
    if a is b:
        return a
    if FType.INTEGER in (a, b):
        return b if a is FType.INTEGER else a
    if FType.CURRENCY in (a, b):
        return FType.CURRENCY
    return FType.DECIMAL
