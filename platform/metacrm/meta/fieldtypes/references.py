"""The lookup field type: a reference to a record of another object (or of ``user``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import types as sa

from metacrm.formula import FType

from ..errors import suggest
from ..values import FieldValueError, describe, is_blank, to_text
from .base import FieldType, TypeProblem, ma, mv, param, with_metadata

ON_DELETE = ("restrict", "set_null", "cascade")


@dataclass(frozen=True)
class LookupType(FieldType):
    name = "lookup"
    widget = "lookup"
    display_widget = "lookup"
    summary = ("A reference to a record of another object (to); on_delete: restrict, set_null "
               "(the default unless required) or cascade.")
    required_keys = ("to",)
    to: str = param("to", "")
    on_delete: str = param("on_delete")

    @classmethod
    def _prepare(cls, kwargs, definition, problems):
        if not isinstance(kwargs.get("to"), str):
            problems.append(TypeProblem("to", "to must name an object"))
        rule = kwargs.get("on_delete")
        if rule is None:
            kwargs["on_delete"] = "restrict" if definition.get("required") is True else "set_null"
        elif rule not in ON_DELETE:
            problems.append(TypeProblem("on_delete", f"unknown on_delete {describe(rule)} "
                                        f"(restrict, set_null or cascade)", suggest(str(rule), ON_DELETE)))
        elif rule == "set_null" and definition.get("required") is True:
            problems.append(TypeProblem("on_delete", "a required lookup cannot be emptied: "
                                        "use restrict or cascade"))

    @property
    def ftype(self):
        return FType.REFERENCE

    def references(self):
        return self.to

    def column_type(self):
        return sa.String(64)

    def coerce(self, value):
        return None if is_blank(value) else to_text(value).strip()

    def validate(self, value):
        if value is not None and len(value) > 64:
            raise FieldValueError("is not a record id")

    def marshmallow_field(self, **options):
        return ma.String(validate=[mv.Length(max=64)], **with_metadata(
            options, x_lookup=self.to,
            description=f"the id of the {self.to} record it refers to"))

    def check_in_catalog(self, view):
        if view.object(self.to) is None and not view.is_broken(self.to):
            view.problem("to", f"lookup to unknown object '{self.to}'",
                         suggest(self.to, view.object_names()))


