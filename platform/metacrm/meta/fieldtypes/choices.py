"""Choice field types: boolean, picklist, multi_picklist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import types as sa

from metacrm.formula import FieldInfo, FType, TextList

from ..errors import suggest
from ..values import FieldValueError, describe, is_blank, to_bool, to_text, to_text_list
from .base import FieldType, TypeProblem, ma, mv, param

@dataclass(frozen=True)
class BooleanType(FieldType):
    name = "boolean"
    widget = "checkbox"
    display_widget = "boolean"
    summary = "True or false (input also: yes/no, on/off, 1/0)."
    can_be_unique = False

    @property
    def ftype(self):
        return FType.BOOLEAN

    def column_type(self):
        return sa.Boolean()

    def coerce(self, value):
        return None if is_blank(value) else to_bool(value)

    def marshmallow_field(self, **options):
        return ma.Boolean(**options)

    def to_text(self, value):
        return "" if value is None else ("true" if value else "false")



def _check_options(kwargs, problems, forbidden: str = "") -> None:
    options = kwargs.get("options")
    if not isinstance(options, (list, tuple)) or not options:
        problems.append(TypeProblem("options", "options must be a non-empty list of texts"))
        return
    for i, option in enumerate(options):
        if not isinstance(option, str) or not option.strip():
            problems.append(TypeProblem(f"options[{i}]", f"an option must be text, got {describe(option)}"))
        elif forbidden and forbidden in option:
            problems.append(TypeProblem(f"options[{i}]", f"an option may not contain '{forbidden}'"))
        elif option in options[:i]:
            problems.append(TypeProblem("options", f"lists {describe(option)} twice"))
    kwargs["options"] = tuple(options)


def _option_for(text: str, options: tuple[str, ...]) -> str:
    """The option ``text`` names, matching case-insensitively (a CSV may say 'closed won')."""
    if text in options:
        return text
    folded = {option.casefold(): option for option in options}
    return folded.get(text.casefold(), text)


def _check_option(value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        hint = suggest(value, options)
        raise FieldValueError(f"{describe(value)} is not one of the options"
                              + (f"; did you mean '{hint}'?" if hint else ""))


@dataclass(frozen=True)
class PicklistType(FieldType):
    name = "picklist"
    widget = "select"
    display_widget = "badge"
    summary = "One of a list of options."
    required_keys = ("options",)
    options: tuple[str, ...] = param("options", ())

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        _check_options(kwargs, problems)

    @property
    def ftype(self):
        return FType.TEXT

    def field_info(self, name):
        return FieldInfo(name=name, type=self.ftype, options=self.options)

    def column_type(self):
        return sa.String(max([255, *(len(option) for option in self.options)]))

    def coerce(self, value):
        return None if is_blank(value) else _option_for(to_text(value).strip(), self.options)

    def marshmallow_field(self, **options):
        return ma.String(validate=[mv.OneOf(self.options)], **options)

    def validate(self, value):
        if value is not None:
            _check_option(value, self.options)


@dataclass(frozen=True)
class MultiPicklistType(FieldType):
    name = "multi_picklist"
    widget = "multiselect"
    display_widget = "badges"
    summary = "Any number of a list of options; as text, options separated by ';'."
    required_keys = ("options",)
    can_be_unique = False
    options: tuple[str, ...] = param("options", ())

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        _check_options(kwargs, problems, forbidden=";")

    @property
    def ftype(self):
        return FType.TEXT_LIST

    def field_info(self, name):
        return FieldInfo(name=name, type=self.ftype, options=self.options)

    def column_type(self):
        return TextList()  # JSON; JSONB on PostgreSQL (the formula SQL back-end's form)

    def coerce(self, value):
        if is_blank(value):
            return None
        chosen = [_option_for(item, self.options) for item in to_text_list(value)]
        return list(dict.fromkeys(chosen)) or None

    def validate(self, value):
        for item in value or ():
            _check_option(item, self.options)

    def marshmallow_field(self, **options):
        return ma.List(ma.String(validate=[mv.OneOf(self.options)]), **options)

    def to_text(self, value):
        return ";".join(value or ())

    def from_form(self, values):
        # the form posts one value per chosen option, after an empty one that is there so
        # that choosing none still says "none"
        chosen = [value for value in values if value]
        return chosen if values else None


