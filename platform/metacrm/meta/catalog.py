"""The Catalog: all metadata of one version, loaded, checked and frozen.

    catalog = load_package("metadata/crm")
    catalog.object("opportunity").title                 # 'name'
    catalog.fields("opportunity")["amount"].type.coerce("12.50")
    catalog.lookups_to("account")                       # (('contact', <Field account>), …)
    check("amount > 0", catalog.scope("opportunity"))   # the formula language's Scope

Never mutated: a deploy builds a new Catalog and swaps it in whole; anything derived from one
(tables, schemas, compiled formulas) can be cached by ``content_hash``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .errors import suggest
from .fieldtypes import FieldTypeRegistry
from .model import (ApprovalProcess, Extension, Field, Layout, ListView, ObjectType, Package, RawDocument,
                    Role, SharingRule, Workflow, frozen_mapping, thaw)
from .scopes import ObjectScope
from .vocabulary import Vocabulary


class UnknownName(KeyError):
    """An object (or another named thing) that the catalog does not have."""

    def __str__(self) -> str:
        return str(self.args[0])


def content_hash(documents: Iterable[RawDocument]) -> str:
    """sha256 over the canonical JSON of the documents.

    Documents are ordered by (package, kind, name), so file names and reading order do not
    matter; keys inside a document keep their written order, because the order of ``fields``
    is the display order and so part of the content.
    """
    payload = [{"package": d.package, "kind": d.kind, "name": d.name, "data": thaw(d.data)}
               for d in sorted(documents, key=lambda d: (d.package, d.kind, str(d.name)))]
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Catalog:
    #: the package that was loaded, and every package of the catalog (required ones first)
    package: Package
    packages: tuple[Package, ...]
    #: objects by name, the system object ``user`` included
    objects: Mapping[str, ObjectType]
    layouts: Mapping[str, Layout]
    list_views: Mapping[str, ListView]
    workflows: Mapping[str, Workflow]
    approval_processes: Mapping[str, ApprovalProcess]
    roles: Mapping[str, Role]
    #: extensions by name (their fields are already part of ``objects``)
    extensions: Mapping[str, Extension]
    #: every document as written (package.yaml files included), for a deterministic export
    documents: tuple[RawDocument, ...]
    content_hash: str
    #: the field types and plugin action types it was loaded with (a version stored in the
    #: database is loaded again with the same: see ``metacrm.store.versions``)
    vocabulary: "Vocabulary" = field(compare=False, repr=False)
    #: sharing rules by name
    sharing_rules: Mapping[str, SharingRule] = field(default_factory=frozen_mapping)

    @property
    def field_types(self) -> FieldTypeRegistry:
        return self.vocabulary.field_types

    @classmethod
    def create(cls, *, packages: tuple[Package, ...], objects, layouts, list_views, workflows,
               approval_processes, roles, extensions, documents: tuple[RawDocument, ...],
               vocabulary: "Vocabulary", sharing_rules: Mapping[str, SharingRule] | None = None
               ) -> "Catalog":
        def by_name(items: Mapping) -> Mapping:
            return frozen_mapping(sorted(items.items()))

        return cls(package=packages[-1], packages=packages, objects=frozen_mapping(objects),
                   layouts=by_name(layouts), list_views=by_name(list_views),
                   workflows=by_name(workflows), approval_processes=by_name(approval_processes),
                   roles=by_name(roles), extensions=by_name(extensions),
                   sharing_rules=by_name(sharing_rules or {}), documents=documents,
                   content_hash=content_hash(documents), vocabulary=vocabulary)

    def __hash__(self) -> int:
        # the mappings inside are not hashable; the content hash identifies a catalog anyway
        return hash(self.content_hash)

    # -- objects and fields ----------------------------------------------------------------

    def object(self, name: str) -> ObjectType:
        try:
            return self.objects[name]
        except KeyError:
            hint = suggest(name, self.objects)
            raise UnknownName(f"unknown object '{name}'"
                              + (f"; did you mean '{hint}'?" if hint else "")) from None

    def fields(self, object_name: str) -> Mapping[str, Field]:
        """Every field of an object, system fields included, in display order."""
        return self.object(object_name).fields

    def scope(self, object_name: str) -> ObjectScope:
        """The formula language's Scope for expressions running on ``object_name``."""
        self.object(object_name)
        return ObjectScope(self.objects, object_name)

    def lookups_to(self, object_name: str) -> tuple[tuple[str, Field], ...]:
        """The (object, lookup field) pairs pointing at ``object_name``."""
        return self._lookups_index.get(object_name, ())

    # -- what belongs to an object ---------------------------------------------------------

    def workflows_for(self, object_name: str) -> tuple[Workflow, ...]:
        """An object's workflows in the order they run: by ``order``, then name."""
        return tuple(sorted((w for w in self.workflows.values() if w.object == object_name),
                            key=lambda w: (w.order, w.name)))

    def approvals_for(self, object_name: str) -> tuple[ApprovalProcess, ...]:
        return tuple(p for p in self.approval_processes.values() if p.object == object_name)

    def layouts_for(self, object_name: str) -> tuple[Layout, ...]:
        return tuple(layout for layout in self.layouts.values() if layout.object == object_name)

    def default_layout(self, object_name: str) -> Layout | None:
        """The layout marked ``default: true``, else the first by name (None without layouts)."""
        layouts = self.layouts_for(object_name)
        return next((layout for layout in layouts if layout.default), layouts[0] if layouts else None)

    def views_for(self, object_name: str) -> tuple[ListView, ...]:
        return tuple(view for view in self.list_views.values() if view.object == object_name)

    # -- access ----------------------------------------------------------------------------

    @functools.cached_property
    def access_open(self) -> bool:
        """True when no role declares ``permissions``: every signed-in user may do everything.
        A role with ``permissions: {}`` (no access to anything) closes the package too."""
        return all(role.permissions is None for role in self.roles.values())

    def sharing_rules_for(self, object_name: str) -> tuple[SharingRule, ...]:
        """An object's sharing rules, by name."""
        return tuple(rule for rule in self.sharing_rules.values() if rule.object == object_name)

    @functools.cached_property
    def _lookups_index(self) -> Mapping[str, tuple[tuple[str, Field], ...]]:
        index: dict[str, list[tuple[str, Field]]] = {}
        for obj in self.objects.values():
            for f in obj.fields.values():
                target = f.type.field_info(f.name).target
                if target is not None:
                    index.setdefault(target, []).append((obj.name, f))
        return frozen_mapping({name: tuple(pairs) for name, pairs in index.items()})
