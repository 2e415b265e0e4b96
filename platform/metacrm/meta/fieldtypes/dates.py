"""Temporal field types: date, datetime (stored in UTC)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import types as sa

from metacrm.formula import DateTimeSeconds, FType

from ..values import is_blank, to_date, to_datetime
from .base import FieldType, check_bounds, check_range, ma, mv, param


@dataclass(frozen=True)
class DateType(FieldType):
    name = "date"
    widget = "date"
    display_widget = "date"
    summary = "A calendar date (YYYY-MM-DD); min, max."
    min: dt.date | None = param("min")
    max: dt.date | None = param("max")

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        check_bounds(kwargs, problems, cls._convert)

    _convert = staticmethod(to_date)

    @property
    def ftype(self):
        return FType.DATE

    def column_type(self):
        return sa.Date()

    def coerce(self, value):
        return None if is_blank(value) else self._convert(value)

    def validate(self, value):
        if value is not None:
            check_range(value, self.min, self.max, lambda bound: bound.isoformat())

    def to_text(self, value):
        return "" if value is None else value.isoformat()

    def form_attrs(self):
        return {key: self.to_form(bound) for key, bound in (("min", self.min), ("max", self.max))
                if bound is not None}

    marshmallow_class = ma.Date

    def marshmallow_field(self, **options):
        bounds = [mv.Range(self.min, self.max)] if self.min or self.max else []
        return self.marshmallow_class(validate=bounds, **options)


@dataclass(frozen=True)
class DatetimeType(DateType):
    name = "datetime"
    widget = "datetime-local"
    display_widget = "datetime"
    summary = ("A moment in time: naive UTC at whole seconds (a time without a zone is taken as "
               "UTC); min, max.")
    _convert = staticmethod(to_datetime)
    marshmallow_class = ma.DateTime

    @property
    def ftype(self):
        return FType.DATETIME

    def column_type(self):
        return DateTimeSeconds()  # the formula SQL back-end's representation

    def to_form(self, value):
        # what <input type="datetime-local" step="1"> shows and posts: no zone, a "T"
        return "" if value is None else value.strftime("%Y-%m-%dT%H:%M:%S")

    def form_attrs(self):
        return {"step": 1, **super().form_attrs()}


