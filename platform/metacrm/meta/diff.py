"""What changed between two Catalogs: the metadata half of a deploy plan (pure: no database).

    changes = diff(deployed, candidate)        # deployed may be None (a first deploy)
    for change in changes.changes:
        print(change)    # + field opportunity.discount (percent)
                         # ~ field opportunity.stage: options: -'Lost' +'Closed Lost'
                         # > object client (renamed from account)
    changes.objects      # an ObjectPair per object of either catalog, its fields matched up

Things are matched by name, except where ``renamed_from`` says that a new name belongs to an
old thing (an object or a field). The reverse is understood as well: re-deploying the version
from before a rename (a rollback) renames back instead of dropping one and adding the other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, TypeVar

from .catalog import Catalog
from .model import ACTIONS, Field, Index, ObjectPermission, ObjectType, Role, thaw

__all__ = ["diff", "field_differences", "match", "CatalogDiff", "Change", "Difference",
           "FieldPair", "ObjectPair", "ADDED", "CHANGED", "REMOVED", "RENAMED"]

ADDED, CHANGED, REMOVED, RENAMED = "added", "changed", "removed", "renamed"
_SIGNS = {ADDED: "+", REMOVED: "-", CHANGED: "~", RENAMED: ">"}

#: Field attributes compared (besides the type); renamed_from is bookkeeping, not content
_FIELD_ATTRS = ("label", "help", "description", "required", "unique", "read_only", "default",
                "default_formula", "required_when", "read_only_when", "visible_when", "package")
_OBJECT_ATTRS = ("label", "plural", "title", "description", "package", "sharing")
#: documents compared attribute by attribute: catalog mapping -> the kind's name
_OTHER_KINDS = (("layouts", "layout"), ("list_views", "list_view"), ("workflows", "workflow"),
                ("approval_processes", "approval_process"), ("roles", "role"),
                ("extensions", "extension"), ("sharing_rules", "sharing_rule"))
_OBJECT_PARTS = ("fields", "validations", "indexes")
_SCALARS = (str, int, float, bool, Decimal, dt.date, type(None))


def jsonable(value: Any) -> Any:
    """A model value as JSON data (Decimals and dates as text, tuples as lists)."""
    value = thaw(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _shown(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "none"}[value]
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Difference:
    """One key whose value differs."""

    key: str
    old: Any
    new: Any

    def __str__(self) -> str:
        old, new = self.old, self.new
        if isinstance(old, tuple) and isinstance(new, tuple) and all(
                isinstance(item, _SCALARS) for item in old + new):
            gone = [f"-{_shown(item)}" for item in old if item not in new]
            came = [f"+{_shown(item)}" for item in new if item not in old]
            return f"{self.key}: {' '.join(gone + came) or 'reordered'}"
        if isinstance(old, _SCALARS) and isinstance(new, _SCALARS):
            return f"{self.key}: {_shown(old)} -> {_shown(new)}"
        return f"{self.key} changed"

    def to_json(self) -> dict:
        return {"key": self.key, "old": jsonable(self.old), "new": jsonable(self.new)}


@dataclass(frozen=True)
class Change:
    """Something added, removed, renamed or changed."""

    #: object, field, validation, index, layout, list_view, workflow, approval_process, role,
    #: extension, sharing_rule, package
    kind: str
    action: str
    #: the name; for the parts of an object ``object.part``
    name: str
    #: for renames: the name before
    old_name: str | None = None
    differences: tuple[Difference, ...] = ()
    #: a short remark (an added field's type)
    note: str = ""

    def __str__(self) -> str:
        text = f"{_SIGNS[self.action]} {self.kind.replace('_', ' ')} {self.name}"
        if self.old_name:
            text += f" (renamed from {self.old_name})"
        if self.note:
            text += f" ({self.note})"
        if self.differences:
            text += ": " + "; ".join(str(d) for d in self.differences)
        return text

    def to_json(self) -> dict:
        data: dict[str, Any] = {"kind": self.kind, "action": self.action, "name": self.name}
        if self.old_name:
            data["old_name"] = self.old_name
        if self.note:
            data["note"] = self.note
        if self.differences:
            data["differences"] = [d.to_json() for d in self.differences]
        return data


@dataclass(frozen=True)
class FieldPair:
    """A field before and after (None: added or removed; different names: renamed)."""

    old: Field | None
    new: Field | None

    @property
    def name(self) -> str:
        return (self.new or self.old).name  # type: ignore[union-attr]


@dataclass(frozen=True)
class ObjectPair:
    """An object before and after, with its fields matched up (system fields included)."""

    old: ObjectType | None
    new: ObjectType | None
    fields: tuple[FieldPair, ...] = ()

    @property
    def name(self) -> str:
        return (self.new or self.old).name  # type: ignore[union-attr]

    @property
    def renamed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.name != self.new.name


@dataclass(frozen=True)
class CatalogDiff:
    changes: tuple[Change, ...]
    objects: tuple[ObjectPair, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def object_renames(self) -> dict[str, str]:
        """Old object name -> new name."""
        return {p.old.name: p.new.name for p in self.objects if p.renamed}  # type: ignore[union-attr]

    def counts(self) -> dict[str, int]:
        """How many changes of each action."""
        result = {ADDED: 0, CHANGED: 0, RENAMED: 0, REMOVED: 0}
        for change in self.changes:
            result[change.action] += 1
        return result


T = TypeVar("T")


def match(old: Mapping[str, T], new: Mapping[str, T], renamed_from: Callable[[T], str | None]
          ) -> list[tuple[T | None, T | None]]:
    """Pair the items of two mappings by name and by ``renamed_from`` (either way round).

    New items come in their order (paired with their old selves), then removed ones.
    """
    gone = [name for name in old if name not in new]
    came = [name for name in new if name not in old]
    renames: dict[str, str] = {}  # new name -> old name
    for name in came:
        source = renamed_from(new[name])
        if source in gone and source not in renames.values():
            renames[name] = source
    for name in gone:  # a rollback: the old item said it came from a name that is back
        source = renamed_from(old[name])
        if source in came and source not in renames and name not in renames.values():
            renames[source] = name
    pairs: list[tuple[T | None, T | None]] = []
    for name, item in new.items():
        before = old.get(name) if name in old else old.get(renames.get(name, ""))
        pairs.append((before, item))
    taken = set(renames.values())
    pairs += [(old[name], None) for name in gone if name not in taken]
    return pairs


def diff(old: Catalog | None, new: Catalog) -> CatalogDiff:
    """The changes from ``old`` (the deployed catalog, or None) to ``new``."""
    changes: list[Change] = []
    objects = []
    old_objects = old.objects if old is not None else {}
    for before, after in match(old_objects, new.objects, lambda o: o.renamed_from):
        pair = _object_pair(before, after)
        objects.append(pair)
        changes += _object_changes(pair)
    for attribute, kind in _OTHER_KINDS:
        changes += _document_changes(kind, getattr(old, attribute, {}) if old else {},
                                     getattr(new, attribute))
    changes += _package_changes(old, new)
    if not changes and old is not None and old.content_hash != new.content_hash:
        # e.g. keys of a mapping written in another order: same meaning, other documents
        changes.append(Change("package", CHANGED, new.package.name,
                              note="documents written differently, same meaning"))
    return CatalogDiff(tuple(changes), tuple(objects))


def _object_pair(old: ObjectType | None, new: ObjectType | None) -> ObjectPair:
    if old is None or new is None:
        only = old or new
        assert only is not None
        fields = tuple(FieldPair(f if new is None else None, f if old is None else None)
                       for f in only.fields.values())
        return ObjectPair(old, new, fields)
    pairs = match(old.fields, new.fields, lambda f: f.renamed_from)
    return ObjectPair(old, new, tuple(FieldPair(a, b) for a, b in pairs))


def _attr_differences(old: Any, new: Any, attrs: Iterable[str]) -> list[Difference]:
    return [Difference(attr, getattr(old, attr), getattr(new, attr))
            for attr in attrs if getattr(old, attr) != getattr(new, attr)]


def field_differences(old: Field, new: Field) -> tuple[Difference, ...]:
    """What differs between two versions of a field (its type's keys named as in YAML)."""
    found = []
    if old.type_name != new.type_name:
        found.append(Difference("type", old.type_name, new.type_name))
    else:
        for spec in dataclasses.fields(old.type):
            before, after = getattr(old.type, spec.name), getattr(new.type, spec.name)
            if before != after:
                found.append(Difference(spec.metadata.get("key", spec.name), before, after))
    found += _attr_differences(old, new, _FIELD_ATTRS)
    return tuple(found)


def _index_key(index: Index) -> str:
    return index.name or "_".join(index.fields)


def _object_changes(pair: ObjectPair) -> list[Change]:
    old, new = pair.old, pair.new
    if new is None:
        assert old is not None
        return [Change("object", REMOVED, old.name)]
    if old is None:
        count = len(new.declared_fields)
        return [Change("object", ADDED, new.name, note=f"{count} field{'s' * (count != 1)}")]
    changes = []
    differences = _attr_differences(old, new, _OBJECT_ATTRS)
    kept = [p for p in pair.fields if p.old is not None and p.new is not None and not p.new.system]
    old_order = [p.new.name for p in sorted(kept, key=lambda p: list(old.fields).index(p.old.name))]
    if old_order != [p.new.name for p in kept]:
        differences.append(Difference("field order", tuple(old_order), tuple(p.new.name for p in kept)))
    if pair.renamed:
        changes.append(Change("object", RENAMED, new.name, old.name, tuple(differences)))
    elif differences:
        changes.append(Change("object", CHANGED, new.name, differences=tuple(differences)))
    for fields in pair.fields:
        changes += _field_changes(new.name, fields)
    changes += _part_changes("validation", new.name, {r.name: r for r in old.validations},
                             {r.name: r for r in new.validations}, ("when", "message", "field",
                                                                    "description", "package"))
    changes += _part_changes("index", new.name, {_index_key(i): i for i in old.indexes},
                             {_index_key(i): i for i in new.indexes}, ("fields", "unique"))
    return changes


def _field_changes(object_name: str, pair: FieldPair) -> list[Change]:
    old, new = pair.old, pair.new
    if (new is not None and new.system) or (old is not None and old.system):
        return []
    if new is None:
        assert old is not None
        return [Change("field", REMOVED, f"{object_name}.{old.name}")]
    name = f"{object_name}.{new.name}"
    if old is None:
        return [Change("field", ADDED, name, note=new.type_name)]
    differences = field_differences(old, new)
    if old.name != new.name:
        return [Change("field", RENAMED, name, old.name, differences)]
    return [Change("field", CHANGED, name, differences=differences)] if differences else []


def _part_changes(kind: str, object_name: str, old: Mapping[str, Any], new: Mapping[str, Any],
                  attrs: tuple[str, ...]) -> list[Change]:
    changes = []
    for key, item in new.items():
        if key not in old:
            changes.append(Change(kind, ADDED, f"{object_name}.{key}"))
        else:
            differences = _attr_differences(old[key], item, attrs)
            if differences:
                changes.append(Change(kind, CHANGED, f"{object_name}.{key}",
                                      differences=tuple(differences)))
    changes += [Change(kind, REMOVED, f"{object_name}.{key}") for key in old if key not in new]
    return changes


def _document_changes(kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    changes = []
    for name, item in new.items():
        if name not in old:
            changes.append(Change(kind, ADDED, name))
            continue
        # an extension's fields, validations and indexes are reported with its object's
        attrs = [f.name for f in dataclasses.fields(item)
                 if f.name != "name" and not (kind == "extension" and f.name in _OBJECT_PARTS)
                 and not (kind == "role" and f.name == "permissions")]
        differences = _attr_differences(old[name], item, attrs)
        if kind == "role":
            differences += permission_differences(old[name], item)
        if kind == "sharing_rule":
            differences = [_everyone(d) if d.key == "roles" else d for d in differences]
        if differences:
            changes.append(Change(kind, CHANGED, name, differences=tuple(differences)))
    changes += [Change(kind, REMOVED, name) for name in old if name not in new]
    return changes


def _everyone(difference: Difference) -> Difference:
    """A sharing rule's roles: None is everyone who may read the object."""
    def shown(roles):
        return "everyone who may read" if roles is None else ", ".join(roles)
    if difference.old is None or difference.new is None:
        return Difference("roles", shown(difference.old), shown(difference.new))
    return difference


def _actions(permission: ObjectPermission) -> tuple[str, ...]:
    return tuple(action for action in ACTIONS if action in permission.allow)


def _named(permission: ObjectPermission | None) -> str:
    if permission is None:
        return "not named"
    return ", ".join(_actions(permission)) or "nothing"


def _declared(permissions: Mapping | None) -> str:
    if permissions is None:
        return "not declared"
    return f"{len(permissions)} object{'s' * (len(permissions) != 1)}"


def permission_differences(old: Role, new: Role) -> list[Difference]:
    """A role's permissions, object by object: ``permissions.deal: +'delete'``,
    ``permissions.deal.fields.margin: 'none' -> 'read'``."""
    if old.permissions == new.permissions:
        return []
    if old.permissions is None or new.permissions is None:
        return [Difference("permissions", _declared(old.permissions), _declared(new.permissions))]
    found = []
    for object_name in [*new.permissions, *(o for o in old.permissions if o not in new.permissions)]:
        before, after = old.permissions.get(object_name), new.permissions.get(object_name)
        key = f"permissions.{object_name}"
        if before is None or after is None:
            found.append(Difference(key, _named(before), _named(after)))
            continue
        if before.allow != after.allow:
            found.append(Difference(key, _actions(before), _actions(after)))
        for field_name in [*after.fields, *(f for f in before.fields if f not in after.fields)]:
            was, now = before.field_access(field_name), after.field_access(field_name)
            if was != now:
                found.append(Difference(f"{key}.fields.{field_name}", was, now))
    return found


def _package_changes(old: Catalog | None, new: Catalog) -> list[Change]:
    before = {p.name: p for p in old.packages} if old is not None else {}
    changes = []
    for package in new.packages:
        if package.name not in before:
            changes.append(Change("package", ADDED, package.name, note=package.version))
            continue
        differences = _attr_differences(before[package.name], package,
                                        ("version", "label", "description", "requires"))
        if differences:
            changes.append(Change("package", CHANGED, package.name, differences=tuple(differences)))
    after = {p.name for p in new.packages}
    changes += [Change("package", REMOVED, name) for name in before if name not in after]
    return changes
