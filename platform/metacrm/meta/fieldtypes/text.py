"""Text field types: text, long_text, email, phone, url."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import types as sa

from metacrm.formula import FType

from ..values import FieldValueError, check_email, check_phone, check_url, describe, is_blank, to_text
from .base import FieldType, TypeProblem, check_int, ma, mv, param, with_metadata

# -- text ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextType(FieldType):
    name = "text"
    widget = "text"
    summary = "A line of text (at most max_length characters, 255 unless given)."
    default_max_length: ClassVar[int | None] = 255
    #: the OpenAPI ``format`` of the values (email, uri)
    value_format: ClassVar[str | None] = None
    max_length: int | None = param("max_length")

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        check_int(kwargs, "max_length", "max_length", problems, 1, 1_000_000)

    @property
    def limit(self) -> int | None:
        return self.max_length or self.default_max_length

    @property
    def ftype(self) -> FType:
        return FType.TEXT

    def column_type(self):
        return sa.String(self.limit) if self.limit else sa.Text()

    def coerce(self, value):
        if is_blank(value):
            return None
        return self._clean(to_text(value))

    def _clean(self, text: str) -> str:
        return text

    def form_attrs(self):
        return {"maxlength": self.limit} if self.limit else {}

    def marshmallow_field(self, **options):
        checks = [mv.Length(max=self.limit)] if self.limit else []
        return ma.String(validate=checks, **with_metadata(options, format=self.value_format))

    def validate(self, value):
        if value is None:
            return
        if self.limit and len(value) > self.limit:
            raise FieldValueError(f"must be at most {self.limit} characters")
        self._check_shape(value)

    def _check_shape(self, text: str) -> None:
        pass


@dataclass(frozen=True)
class LongTextType(TextType):
    name = "long_text"
    widget = "textarea"
    display_widget = "multiline"
    summary = "Text of any length over several lines (max_length optional)."
    default_max_length = None


@dataclass(frozen=True)
class EmailType(TextType):
    name = "email"
    widget = "email"
    display_widget = "email"
    summary = "An email address; uniqueness ignores case."
    default_max_length = 254
    unique_ignores_case = True
    value_format = "email"

    def _clean(self, text):
        return text.strip()

    def _check_shape(self, text):
        check_email(text)


@dataclass(frozen=True)
class PhoneType(TextType):
    name = "phone"
    widget = "tel"
    display_widget = "tel"
    summary = "A phone number: digits, spaces, + ( ) . - /, an optional extension."
    default_max_length = 40

    def _clean(self, text):
        return text.strip()

    def _check_shape(self, text):
        check_phone(text)


@dataclass(frozen=True)
class UrlType(TextType):
    name = "url"
    widget = "url"
    summary = "An http(s) address; display: image shows it as an image."
    default_max_length = 2048
    value_format = "uri"
    display: str | None = param("display")

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        super()._prepare(kwargs, definition, problems)
        if kwargs.get("display") not in (None, "image"):
            problems.append(TypeProblem("display", f"unknown display {describe(kwargs['display'])}",
                                        "image"))

    @property
    def display_widget(self):
        return "image" if self.display == "image" else "url"

    def _clean(self, text):
        return text.strip()

    def _check_shape(self, text):
        check_url(text)


