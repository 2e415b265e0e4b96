"""The metadata model: frozen dataclasses, one per kind of document and per part of one.

Everything here is immutable (tuples and read-only mappings) so a Catalog can be shared by
every request and thread without copies or locks. The loader builds these from YAML; nothing
else constructs them except tests and the system object ``user``.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType
from typing import Any, Mapping

from metacrm.formula import FType

from .fieldtypes import FieldType

EMPTY: Mapping[str, Any] = MappingProxyType({})

#: what a role may do with an object (``all`` in YAML means every one of them)
ACTIONS = ("read", "create", "edit", "delete", "view_all", "modify_all")
#: what a role may do with one field of an object it may read (edit is the default)
FIELD_ACCESS = ("edit", "read", "none")
#: an object's sharing: which records a user who may read it sees beyond their own and those
#: of the roles below theirs (edit, the default, is everything for reading and editing)
SHARING = ("private", "read", "edit")


def _empty() -> Mapping[str, Any]:
    return EMPTY


def frozen_mapping(items: Mapping | None = None) -> Mapping:
    """A read-only copy of ``items`` (insertion order kept)."""
    return MappingProxyType(dict(items or {}))


def deep_freeze(value: Any) -> Any:
    """Plain JSON-like data made immutable: dicts become read-only mappings, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: deep_freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(deep_freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`deep_freeze`: plain dicts and lists again (for JSON)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    label: str
    description: str | None = None
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Field:
    """One field of an object: the common settings; ``type`` holds the type-specific ones."""

    name: str
    type: FieldType
    label: str
    help: str | None = None
    description: str | None = None
    required: bool = False
    unique: bool = False
    read_only: bool = False
    #: a literal default, already coerced by the field type (None: no default)
    default: Any = None
    #: the expression of a ``default: '=…'`` (without the ``=``)
    default_formula: str | None = None
    required_when: str | None = None
    read_only_when: str | None = None
    visible_when: str | None = None
    #: a system field (id, created_at, …): present on every object, never declared
    system: bool = False
    #: the package that declared the field (differs from the object's for extensions)
    package: str | None = None
    #: the field's previous name: a deploy renames the column instead of drop + add
    renamed_from: str | None = None

    @property
    def type_name(self) -> str:
        return self.type.name

    @property
    def ftype(self) -> FType:
        return self.type.ftype

    @property
    def stored(self) -> bool:
        return self.type.stored

    @property
    def has_default(self) -> bool:
        return self.default is not None or self.default_formula is not None

    @property
    def editable(self) -> bool:
        """Can input set this field? (``owner`` is the one editable system field.)"""
        return self.type.accepts_input and (not self.system or self.name == "owner")


@dataclass(frozen=True)
class ValidationRule:
    """``when`` true means the record is INVALID; ``message`` then goes to ``field`` (or the form)."""

    name: str
    when: str
    message: str
    field: str | None = None
    description: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class Index:
    fields: tuple[str, ...]
    unique: bool = False
    name: str | None = None


@dataclass(frozen=True)
class ObjectType:
    name: str
    label: str
    plural: str
    title: str
    #: every field in display order: declared, then extension fields, then system fields
    fields: Mapping[str, Field]
    validations: tuple[ValidationRule, ...] = ()
    indexes: tuple[Index, ...] = ()
    description: str | None = None
    package: str | None = None
    #: the object's previous name: a deploy renames the table instead of drop + add
    renamed_from: str | None = None
    #: which records a user who may read the object sees beyond their own and those below
    #: them: private | read | edit (see SHARING)
    sharing: str = "edit"

    def field(self, name: str) -> Field | None:
        return self.fields.get(name)

    @property
    def declared_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields.values() if not f.system)

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields.values() if f.stored)


@dataclass(frozen=True)
class Extension:
    """Fields, validations and indexes a package adds to another package's object."""

    name: str
    object: str
    fields: Mapping[str, Field] = dataclass_field(default_factory=_empty)
    validations: tuple[ValidationRule, ...] = ()
    indexes: tuple[Index, ...] = ()
    label: str | None = None
    description: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class Section:
    """Part of a layout. Either ``fields`` filled row by row into ``columns`` columns, or
    ``column_fields``: the fields of each column, top to bottom."""

    label: str | None = None
    fields: tuple[str, ...] = ()
    columns: int = 1
    column_fields: tuple[tuple[str, ...], ...] | None = None
    visible_when: str | None = None

    @property
    def all_fields(self) -> tuple[str, ...]:
        if self.column_fields is not None:
            return tuple(name for column in self.column_fields for name in column)
        return self.fields

    @property
    def rows(self) -> tuple[tuple[str | None, ...], ...]:
        """The fields as rows of the grid (None where a column has run out)."""
        if self.column_fields is None:
            n = max(1, self.columns)
            return tuple(self.fields[i:i + n] for i in range(0, len(self.fields), n))
        height = max((len(column) for column in self.column_fields), default=0)
        return tuple(tuple(column[i] if i < len(column) else None for column in self.column_fields)
                     for i in range(height))


@dataclass(frozen=True)
class Tab:
    label: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class RelatedList:
    """A related list on a record page: the ``object`` records whose ``field`` points here."""

    object: str
    field: str


@dataclass(frozen=True)
class Layout:
    name: str
    object: str
    #: the sections when the layout has no tabs; with tabs, every tab's sections in order
    sections: tuple[Section, ...]
    tabs: tuple[Tab, ...] = ()
    related: tuple[RelatedList, ...] = ()
    default: bool = False
    label: str | None = None
    description: str | None = None
    package: str | None = None

    @property
    def all_fields(self) -> tuple[str, ...]:
        return tuple(name for section in self.sections for name in section.all_fields)


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.field


@dataclass(frozen=True)
class ListView:
    name: str
    object: str
    columns: tuple[str, ...]
    filter: str | None = None
    sort: tuple[SortKey, ...] = ()
    label: str | None = None
    description: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class Action:
    """One automation step: ``type`` (set_fields, create_record, …) and its other keys."""

    type: str
    params: Mapping[str, Any] = dataclass_field(default_factory=_empty)

    @property
    def values(self) -> Mapping[str, Any]:
        """Field values to write (``=…`` strings are formulas on the triggering record)."""
        return self.params.get("values", EMPTY)


@dataclass(frozen=True)
class Schedule:
    """Run the actions relative to a date field instead of at save time."""

    field: str
    offset_days: int = 0
    offset_hours: int = 0


@dataclass(frozen=True)
class Workflow:
    name: str
    object: str
    trigger: tuple[str, ...]
    actions: tuple[Action, ...]
    when: str | None = None
    schedule: Schedule | None = None
    #: workflows of one object run by (order, name)
    order: int = 0
    #: with trigger ``periodic``: an interval (``1h``) or a cron expression
    every: str | None = None
    label: str | None = None
    description: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class Approvers:
    """Who approves a step: exactly one of the five is set."""

    role: str | None = None
    user: str | None = None
    users: tuple[str, ...] = ()
    #: a path of lookups ending at a user: ``owner.manager``
    field: str | None = None
    #: the submitter's managers, one after the other, up to the first who holds this role
    manager_chain: str | None = None

    @property
    def kind(self) -> str:
        for kind in ("role", "user", "field", "manager_chain"):
            if getattr(self, kind) is not None:
                return kind
        return "users"


@dataclass(frozen=True)
class ApprovalStep:
    name: str
    approvers: Approvers
    #: first (one approval decides) | all | quorum (``quorum`` approvals decide)
    mode: str = "first"
    quorum: int | None = None
    escalate_after_hours: float | None = None
    when: str | None = None
    label: str | None = None
    #: who is added as an approver when the step escalates (None: reminders only)
    escalate_to: Approvers | None = None
    #: actions when this step is approved / rejected (before the process's own)
    on_approve: tuple[Action, ...] = ()
    on_reject: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Submitters:
    """Who may submit a record to a process: any of these (admins always may)."""

    anyone: bool = False
    owner: bool = False
    roles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApprovalProcess:
    name: str
    object: str
    steps: tuple[ApprovalStep, ...]
    when: str | None = None
    lock: bool = True
    editable_while_locked: tuple[str, ...] = ()
    reject_requires_comment: bool = False
    on_submit: tuple[Action, ...] = ()
    on_approve: tuple[Action, ...] = ()
    on_reject: tuple[Action, ...] = ()
    on_recall: tuple[Action, ...] = ()
    label: str | None = None
    description: str | None = None
    package: str | None = None
    #: None: anyone who may edit the record (everyone, until permissions are enforced)
    submitters: Submitters | None = None
    #: may the submitter approve their own request (as an approver or a delegate)?
    allow_self_approval: bool = False
    #: email a step's approvers when it starts waiting for them (and a reassigned approver)
    notify_approvers: bool = False


@dataclass(frozen=True)
class ObjectPermission:
    """What one role may do with one object: its actions, and per field edit/read/none."""

    object: str
    #: a subset of ACTIONS
    allow: frozenset[str] = frozenset()
    #: field name -> "edit" | "read" | "none"; a field not named here: "edit"
    fields: Mapping[str, str] = dataclass_field(default_factory=_empty)

    def may(self, action: str) -> bool:
        return action in self.allow

    def field_access(self, field_name: str) -> str:
        """edit, read or none for one field (edit when the role does not name it)."""
        return self.fields.get(field_name, "edit")


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    reports_to: str | None = None
    description: str | None = None
    package: str | None = None
    #: object name -> what the role may do with it; None: the role declares no
    #: ``permissions`` (when no role does, the package is open); {}: no access to anything
    permissions: Mapping[str, ObjectPermission] | None = None


@dataclass(frozen=True)
class SharingRule:
    """Records of ``object`` for which ``when`` holds are shared with ``roles`` (None: with
    everyone who may read the object), for reading or editing."""

    name: str
    object: str
    #: a condition on the object's records (``current_user()`` is the viewer)
    when: str
    #: None: everyone who may read the object
    roles: tuple[str, ...] | None = None
    #: read | edit
    access: str = "read"
    label: str | None = None
    description: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class RawDocument:
    """A document as written (plain data, frozen), kept so packages can be exported again."""

    package: str
    file: str
    kind: str
    name: str
    data: Mapping[str, Any] = dataclass_field(default_factory=_empty)
    #: the file's text as written, comments included (None when the document was not read
    #: from a file); not part of the content: two texts with the same data are one document
    text: str | None = dataclass_field(default=None, compare=False, repr=False)
