"""Number field types: integer, decimal, currency, percent (all exact)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import types as sa

from metacrm.formula import FType

from ..values import (INT64_MAX, INT64_MIN, FieldValueError, decimal_text, digits_of, is_blank,
                      to_decimal, to_int)
from .base import (FieldType, TypeProblem, check_bounds, check_int, check_range, ma, mv, param,
                   with_metadata)


def _bounds(attrs: dict, low, high) -> dict:
    for key, bound in (("min", low), ("max", high)):
        if bound is not None:
            attrs[key] = decimal_text(bound) if isinstance(bound, Decimal) else bound
    return attrs

@dataclass(frozen=True)
class IntegerType(FieldType):
    name = "integer"
    widget = "number"
    display_widget = "number"
    summary = "A whole number (64-bit); min, max."
    min: int | None = param("min")
    max: int | None = param("max")

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        check_bounds(kwargs, problems, to_int)

    @property
    def ftype(self):
        return FType.INTEGER

    def column_type(self):
        return sa.BigInteger()

    def coerce(self, value):
        return None if is_blank(value) else to_int(value)

    def form_attrs(self):
        return _bounds({"step": 1, "inputmode": "numeric"}, self.min, self.max)

    def marshmallow_field(self, **options):
        low = INT64_MIN if self.min is None else self.min
        high = INT64_MAX if self.max is None else self.max
        return ma.Integer(validate=[mv.Range(low, high)], **with_metadata(options, format="int64"))

    def validate(self, value):
        if value is None:
            return
        check_range(value, INT64_MIN, INT64_MAX)
        check_range(value, self.min, self.max)


@dataclass(frozen=True)
class DecimalType(FieldType):
    name = "decimal"
    widget = "number"
    display_widget = "number"
    summary = "An exact decimal number; precision (total digits, 18), scale (6), min, max."
    default_scale: ClassVar[int] = 6
    precision: int = param("precision", 18)
    scale: int = param("scale")
    min: Decimal | None = param("min")
    max: Decimal | None = param("max")

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        check_int(kwargs, "precision", "precision", problems, 1, 38)
        check_int(kwargs, "scale", "scale", problems, 0, 38)
        if kwargs.get("scale") is None:
            kwargs["scale"] = cls.default_scale
        precision = kwargs.get("precision", 18)
        if isinstance(precision, int) and isinstance(kwargs["scale"], int) and kwargs["scale"] > precision:
            problems.append(TypeProblem("scale", f"scale {kwargs['scale']} is larger than precision {precision}"))
        check_bounds(kwargs, problems, to_decimal)

    @property
    def ftype(self):
        return FType.DECIMAL

    def column_type(self):
        return sa.Numeric(self.precision, self.scale, asdecimal=True)

    def coerce(self, value):
        return None if is_blank(value) else to_decimal(value)

    def form_attrs(self):
        step = "1" if self.scale == 0 else "0." + "0" * (self.scale - 1) + "1"
        return _bounds({"step": step, "inputmode": "decimal"}, self.min, self.max)

    def marshmallow_field(self, **options):
        # exact decimals travel as text ("12.50"), as JSON numbers would lose digits; the
        # bounds are text too, so they are extensions rather than JSON Schema's numeric ones
        if self.scale is None:  # a formula's value: no declared digits
            pattern = r"^-?[0-9]+(\.[0-9]+)?$"
        else:
            whole = max(self.precision - self.scale, 1)
            fraction = rf"(\.[0-9]{{1,{self.scale}}})?" if self.scale else ""
            pattern = rf"^-?[0-9]{{1,{whole}}}{fraction}$"
        return ma.Decimal(as_string=True, **with_metadata(
            options, type="string", format="decimal", pattern=pattern,
            x_minimum=None if self.min is None else decimal_text(self.min),
            x_maximum=None if self.max is None else decimal_text(self.max),
            x_scale=self.scale))

    def validate(self, value):
        if value is None:
            return
        before, after = digits_of(value)
        if after > self.scale:
            raise FieldValueError(f"must have at most {self.scale} digits after the decimal point")
        if before > self.precision - self.scale:
            raise FieldValueError(f"must have at most {self.precision - self.scale} digits before "
                                  "the decimal point")
        check_range(value, self.min, self.max, decimal_text)

    def to_text(self, value):
        return "" if value is None else decimal_text(value)


@dataclass(frozen=True)
class CurrencyType(DecimalType):
    name = "currency"
    display_widget = "currency"
    summary = "An amount of money, exact; precision 18, scale 2 unless given; min, max."
    default_scale = 2

    @property
    def ftype(self):
        return FType.CURRENCY


@dataclass(frozen=True)
class PercentType(DecimalType):
    name = "percent"
    display_widget = "percent"
    summary = "A percentage as a number (10 means 10%), exact; scale 2 unless given; min, max."
    default_scale = 2

    @property
    def ftype(self):
        return FType.PERCENT

    def coerce(self, value):
        if isinstance(value, str) and value.strip().endswith("%"):
            value = value.strip()[:-1]
        return super().coerce(value)


