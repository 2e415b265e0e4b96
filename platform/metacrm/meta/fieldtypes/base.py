"""The base of all field types, and what they see of a package while being checked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping, Protocol, Sequence

from marshmallow import fields as ma
from marshmallow import validate as mv
from sqlalchemy import types as sa

from metacrm.formula import FieldInfo, FType

from ..errors import suggest
from ..values import FieldValueError

if TYPE_CHECKING:
    from ..model import ObjectType

#: keys every field accepts, whatever its type (the Field, not its type, holds them)
COMMON_KEYS = frozenset({
    "type", "label", "help", "description", "required", "unique", "default",
    "required_when", "read_only_when", "visible_when", "read_only", "renamed_from",
})
#: common keys that make no sense on a computed field
INPUT_KEYS = ("required", "unique", "default", "read_only", "required_when", "read_only_when")


@dataclass(frozen=True)
class TypeProblem:
    """A problem with one key of a field definition (``key`` empty: the field as a whole)."""

    key: str
    message: str
    suggestion: str | None = None


@dataclass(frozen=True)
class ChildSummary:
    """What a stored summary of child records is computed from: ``aggregate(field)`` over the
    ``child_object`` records whose ``child_lookup`` is the parent, ``filter`` holding."""

    child_object: str
    child_lookup: str
    #: count, sum, min, max or avg
    aggregate: str
    #: the child field aggregated (None for count)
    field: str | None = None
    #: a boolean expression over the child the counted records satisfy (None: every child)
    filter: str | None = None


class CatalogView(Protocol):
    """What a field type sees of the package while its references are checked."""

    #: the object the field being checked belongs to
    object_name: str

    def object(self, name: str) -> "ObjectType | None": ...

    def object_names(self) -> Iterable[str]: ...

    def is_broken(self, object_name: str, field_name: str | None = None) -> bool:
        """Did this object (or field) fail earlier checks? Then its absence is no new error."""

    def problem(self, key: str, message: str, suggestion: str | None = None) -> None: ...

    def check_expression(self, key: str, source: str, *, object_name: str, usage: str,
                         result: FType) -> None:
        """Type-check ``source`` in ``object_name``'s scope; ``usage`` is "query" or "write"."""


def param(key: str, default: Any = None) -> Any:
    """A type-specific key of the metadata (``key`` as written in YAML) held by the type."""
    return dataclasses.field(default=default, metadata={"key": key})


@dataclass(frozen=True)
class FieldType:
    """The base of every field type. Subclasses are frozen dataclasses whose ``param`` fields
    are the type-specific keys."""

    name: ClassVar[str] = ""
    #: the form widget that edits a value (a macro of templates/_widgets.html)
    widget: ClassVar[str] = "text"
    #: how pages show a value (a macro of templates/_display.html)
    display_widget: ClassVar[str] = "text"
    #: a column in the object's table (formula fields are computed on read instead)
    stored: ClassVar[bool] = True
    #: False for computed values (formula, rollup, auto_number): no input, default or required
    accepts_input: ClassVar[bool] = True
    can_be_unique: ClassVar[bool] = True
    #: uniqueness compares values ignoring case (email addresses)
    unique_ignores_case: ClassVar[bool] = False
    #: the value is assigned on create by ``render`` from a per-field counter (auto_number)
    numbered_on_create: ClassVar[bool] = False
    #: changes are written to the record's history (not a roll-up's: it follows other records)
    in_history: ClassVar[bool] = True
    required_keys: ClassVar[tuple[str, ...]] = ()
    #: one line for the metadata reference
    summary: ClassVar[str] = ""

    # -- building from metadata -------------------------------------------------------------

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The type-specific keys this type accepts, as written in YAML."""
        return tuple(f.metadata["key"] for f in dataclasses.fields(cls) if "key" in f.metadata)

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any]
                        ) -> tuple["FieldType | None", tuple[TypeProblem, ...]]:
        """The type configured by one field definition, and the problems found in it.

        None comes back when a problem leaves nothing sensible to build; a key that merely
        does not apply to this type is reported and ignored.
        """
        attrs = {f.metadata["key"]: f.name for f in dataclasses.fields(cls) if "key" in f.metadata}
        problems: list[TypeProblem] = []
        kwargs: dict[str, Any] = {}
        for key, value in definition.items():
            if key in attrs:
                kwargs[attrs[key]] = value
            elif key not in COMMON_KEYS:
                problems.append(TypeProblem(key, f"'{key}' does not apply to a {cls.name} field",
                                            suggest(key, attrs)))
        if not cls.accepts_input:
            for key in INPUT_KEYS:
                if key in definition:
                    problems.append(TypeProblem(
                        key, f"'{key}' does not apply to a {cls.name} field: its value is computed"))
        if definition.get("unique") and not cls.can_be_unique:
            problems.append(TypeProblem("unique", f"a {cls.name} field cannot be unique"))
        benign = len(problems)
        for key in cls.required_keys:
            if key not in definition:
                problems.append(TypeProblem(key, f"missing required key '{key}'"))
        if len(problems) == benign:
            cls._prepare(kwargs, definition, problems)
        if len(problems) > benign:
            return None, tuple(problems)
        return cls(**kwargs), tuple(problems)

    @classmethod
    def _prepare(cls, kwargs: dict[str, Any], definition: Mapping[str, Any],
                 problems: list[TypeProblem]) -> None:
        """Check and normalise the type-specific values in ``kwargs`` (by attribute name)."""

    def bind(self, view: CatalogView) -> "FieldType":
        """This type completed with what only the whole package tells (a roll-up's result type)."""
        return self

    def check_in_catalog(self, view: CatalogView) -> None:
        """Report problems with what this type refers to in other documents."""

    # -- what the rest of the system asks --------------------------------------------------

    @property
    def ftype(self) -> FType:
        raise NotImplementedError

    def field_info(self, name: str) -> FieldInfo:
        """The field as the formula language sees it."""
        return FieldInfo(name=name, type=self.ftype, target=self.references(),
                         formula=self.formula())

    def references(self) -> str | None:
        """The object whose record id the value holds (a lookup's ``to``, with ``on_delete``)."""
        return None

    def formula(self) -> str | None:
        """The expression that computes the value on read (a formula's), else None."""
        return None

    def child_summary(self) -> ChildSummary | None:
        """What the value summarises of child records (a roll-up's), recomputed by the store."""
        return None

    def render(self, counter: int, created: dt.date) -> Any:
        """The value numbered ``counter``, created on ``created`` (when ``numbered_on_create``)."""
        raise NotImplementedError(f"a {self.name} field is not numbered on create")

    def column_type(self) -> sa.TypeEngine | None:
        """The SQLAlchemy column type of a stored field; None when not stored."""
        raise NotImplementedError

    def coerce(self, value: Any) -> Any:
        """Input (JSON, a form field, a CSV cell) as this type's Python value; blank is None."""
        raise NotImplementedError

    def validate(self, value: Any) -> None:
        """Raise FieldValueError when a coerced value breaks this field's constraints."""

    def to_text(self, value: Any) -> str:
        """The value as text that ``coerce`` reads back to the same value."""
        return "" if value is None else str(value)

    def settings(self) -> dict[str, Any]:
        """The type-specific keys that are set, by their YAML names (to describe a field)."""
        return {f.metadata["key"]: getattr(self, f.name) for f in dataclasses.fields(self)
                if "key" in f.metadata and getattr(self, f.name) is not None}

    def marshmallow_field(self, **options: Any) -> ma.Field:
        """The marshmallow field that describes this type's values (the API's OpenAPI
        schemas are built from these). ``options`` are marshmallow's: ``required``,
        ``allow_none``, ``dump_only``, ``metadata``. It describes; the RecordService's
        ``coerce``/``validate`` remain the validation."""
        return ma.String(**options)

    # -- forms (the web layer renders them; these say what this type needs) -------------------

    def form_attrs(self) -> dict[str, Any]:
        """Constraints an HTML input can check before the server does (``maxlength``, ``min``,
        ``max``, ``step``); the server checks them again."""
        return {}

    def to_form(self, value: Any) -> str:
        """The value as a form input's text (``from_form`` and ``coerce`` read it back)."""
        return self.to_text(value)

    def from_form(self, values: Sequence[str]) -> Any:
        """What an HTML form posted under this field's name (every value, in order) as input
        for ``coerce``; None when nothing was posted."""
        return values[-1] if values else None


def check_int(kwargs: dict, attr: str, key: str, problems: list[TypeProblem],
               low: int, high: int) -> None:
    value = kwargs.get(attr)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(TypeProblem(key, f"{key} must be a whole number from {low} to {high}"))


def check_bounds(kwargs: dict, problems: list[TypeProblem], convert) -> None:
    for key in ("min", "max"):
        if kwargs.get(key) is not None:
            try:
                kwargs[key] = convert(kwargs[key])
            except FieldValueError as error:
                problems.append(TypeProblem(key, f"{key}: {error}"))
                kwargs[key] = None
    if kwargs.get("min") is not None and kwargs.get("max") is not None and kwargs["min"] > kwargs["max"]:
        problems.append(TypeProblem("max", "max is smaller than min"))


def check_range(value: Any, low: Any, high: Any, shown=str) -> None:
    if low is not None and value < low:
        raise FieldValueError(f"must be at least {shown(low)}")
    if high is not None and value > high:
        raise FieldValueError(f"must be at most {shown(high)}")




def with_metadata(options: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    """marshmallow ``options`` with more OpenAPI ``metadata`` (None values left out)."""
    merged = {**{k: v for k, v in metadata.items() if v is not None}, **options.get("metadata", {})}
    return {**options, "metadata": merged}
