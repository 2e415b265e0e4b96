"""Putting a package together: documents registered by kind and name, built, linked, checked.

The loader feeds documents in; :meth:`Assembly.finish` links extensions into their objects,
adds system fields and the ``user`` object, runs the cross-document checks and returns the
Catalog (or None when problems were found). What failed early is remembered ("broken"), so a
reference to it is not reported a second time as a missing name.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from . import access_checks, automation_checks, checks
from .build import (Parts, Where, build_approval_process, build_layout, build_list_view,
                    build_parts, build_role, build_sharing_rule, build_workflow, check_object_name,
                    object_labels)
from .catalog import Catalog
from .checks import FieldView
from .errors import suggest
from .expressions import ExpressionChecker, formula_cycles
from .model import Extension, Field, ObjectType, Package, RawDocument, deep_freeze, frozen_mapping
from .names import name_problem
from .problems import Problems
from .schemacheck import SchemaSet
from .sources import DocPath, SourceDocument
from .system import USER_OBJECT, user_object, with_system_fields
from .vocabulary import Vocabulary

#: folder of a package -> the kind of document it holds
KIND_FOLDERS = {
    "objects": "object", "layouts": "layout", "views": "list_view", "workflows": "workflow",
    "approvals": "approval_process", "roles": "role", "extensions": "extension",
    "sharing": "sharing_rule",
}
#: parts of a document left out on their own when their shape is wrong (the rest still loads)
DROPPABLE = {"object": ("fields", "validations", "indexes"),
             "extension": ("fields", "validations", "indexes")}
BUILDERS = {"layout": build_layout, "list_view": build_list_view, "workflow": build_workflow,
            "approval_process": build_approval_process, "role": build_role,
            "sharing_rule": build_sharing_rule}


@dataclass
class Draft:
    """An object or extension document, built but not yet linked."""

    document: SourceDocument
    parts: Parts


class Assembly:
    def __init__(self, vocabulary: Vocabulary, schemas: SchemaSet, problems: Problems,
                 packages: list[Package]):
        self.vocabulary = vocabulary
        self.registry = vocabulary.field_types
        self.schemas = schemas
        self.problems = problems
        #: required packages first, the root package last
        self.packages = packages
        self.documents: dict[str, dict[str, SourceDocument]] = defaultdict(dict)
        self.package_documents: list[SourceDocument] = []
        self.broken: set[tuple[str, str]] = set()
        self.broken_fields: set[tuple[str, str]] = set()
        self.object_drafts: dict[str, Draft] = {}
        self.extension_drafts: dict[str, Draft] = {}
        self.built: dict[str, dict[str, Any]] = defaultdict(dict)
        #: (object name, file as errors name it, package, read its text)
        self.data_files: list[tuple[str, str, str, Callable[[], str]]] = []
        self.objects: dict[str, ObjectType] = {}
        self.extensions: dict[str, Extension] = {}
        #: (object, "field" | "validation" | "index", key) -> where it was written
        self.where: dict[tuple[str, str, Any], Where] = {}

    # -- reading ---------------------------------------------------------------------------

    def add_package_document(self, document: SourceDocument) -> None:
        self.package_documents.append(document)

    def add_data_file(self, stem: str, file: str, package: str, read: Callable[[], str]) -> None:
        """A data file ``data/<stem>.csv``; ``read`` gives its text (or raises OSError or
        UnicodeDecodeError)."""
        self.data_files.append((stem, file, package, read))

    def mark_unreadable(self, kind: str, names: Iterable[str]) -> None:
        """A file of ``kind`` could not be parsed; it probably defined ``names``."""
        self.broken.update((kind, name) for name in names)

    def add(self, document: SourceDocument, expected_kind: str | None = None) -> None:
        kind = document.kind
        if not self._kind_ok(document, expected_kind):
            return
        issues = self.schemas.issues(document)
        dropped: set[DocPath] = set()
        broken = False
        for issue in issues:
            self.problems.at(document, issue.path, issue.message, issue.suggestion, value=issue.at_value)
            if issue.benign:
                continue
            if len(issue.path) >= 2 and issue.path[0] in DROPPABLE.get(kind, ()):
                dropped.add(issue.path[:2])
            else:
                broken = True
        name = document.name
        if not isinstance(name, str):
            return
        first = self.documents[kind].get(name)
        if first is not None:
            self.problems.at(document, ("name",), f"duplicate {kind.replace('_', ' ')} '{name}' "
                             f"(first in {first.file}:{first.line(('name',))})", value=True)
            return
        self.documents[kind][name] = document
        if kind == "object":
            check_object_name(document, self.problems)
        else:
            problem = name_problem(name)
            if problem:
                self.problems.at(document, ("name",), problem, value=True)
        if broken:
            self.broken.add((kind, name))
        elif kind == "object" and name == USER_OBJECT:
            pass  # reported above; the system user object stays what it is
        elif kind in ("object", "extension"):
            drafts = self.object_drafts if kind == "object" else self.extension_drafts
            drafts[name] = Draft(document, build_parts(document, self.registry, self.problems, dropped))
        else:
            built = BUILDERS[kind](document, self.problems)
            if built is None:
                self.broken.add((kind, name))
            else:
                self.built[kind][name] = built

    def _kind_ok(self, document: SourceDocument, expected_kind: str | None) -> bool:
        kind = document.kind
        kinds = [k for k in self.schemas.kinds if k != "package"]
        if kind is None:
            self.problems.at(document, ("kind",), "missing required key 'kind'")
            return False
        if kind == "package":
            self.problems.at(document, ("kind",), "kind: package belongs in package.yaml", value=True)
            return False
        if kind not in kinds:
            self.problems.at(document, ("kind",), f"unknown kind {kind!r}", suggest(str(kind), kinds),
                             value=True)
            return False
        if expected_kind is not None and kind != expected_kind:
            folder = next(f for f, k in KIND_FOLDERS.items() if k == kind)
            self.problems.at(document, ("kind",), f"a {kind} document belongs in {folder}/", value=True)
        return True

    # -- what checks ask -------------------------------------------------------------------

    def is_broken(self, object_name: str, field_name: str | None = None) -> bool:
        if field_name is None:
            return ("object", object_name) in self.broken
        return (object_name, field_name) in self.broken_fields or ("object", object_name) in self.broken

    def is_broken_document(self, kind: str, name: str) -> bool:
        return (kind, name) in self.broken

    def package_closure(self, name: str) -> set[str]:
        """The packages ``name`` requires, directly or not."""
        by_name = {package.name: package for package in self.packages}
        seen: set[str] = set()
        todo = list(by_name[name].requires) if name in by_name else []
        while todo:
            current = todo.pop()
            if current not in seen and current in by_name:
                seen.add(current)
                todo.extend(by_name[current].requires)
        return seen

    # -- linking ---------------------------------------------------------------------------

    def _link(self) -> None:
        extensions = self._extensions_by_object()
        roles = self.built["role"]
        for name, draft in [(USER_OBJECT, None), *self.object_drafts.items()]:
            parts = [draft.parts] if draft is not None else []
            parts += [ext.parts for ext in extensions.get(name, ())]
            fields, validations, indexes = self._merge(name, parts)
            if draft is None:
                obj = user_object(roles, fields)
                obj = dataclasses.replace(obj, validations=tuple(validations), indexes=tuple(indexes))
            else:
                data = draft.document.data
                label, plural = object_labels(data)
                obj = ObjectType(
                    name=name, label=label, plural=plural, title=data["title"],
                    fields=frozen_mapping(with_system_fields(fields)), validations=tuple(validations),
                    indexes=tuple(indexes), description=data.get("description"),
                    package=draft.document.package, renamed_from=data.get("renamed_from"),
                    sharing=data.get("sharing", "edit"))
            self.objects[name] = obj
        self._bind()

    def _extensions_by_object(self) -> dict[str, list[Draft]]:
        result: dict[str, list[Draft]] = defaultdict(list)
        for name, draft in self.extension_drafts.items():
            document = draft.document
            target = document.data["object"]
            target_draft = self.object_drafts.get(target)
            if target != USER_OBJECT and target_draft is None:
                if not self.is_broken(target):
                    self.problems.at(document, ("object",), f"extension of unknown object '{target}'",
                                     suggest(target, [USER_OBJECT, *self.object_drafts]), value=True)
                continue
            if target_draft is not None:
                owner = target_draft.document.package
                if owner == document.package:
                    self.problems.at(document, ("object",), f"object '{target}' belongs to this "
                                     f"package: add the fields to {target_draft.document.file}",
                                     value=True)
                    continue
                if owner not in self.package_closure(document.package):
                    self.problems.at(document, ("object",), f"object '{target}' is in package "
                                     f"'{owner}', which package '{document.package}' does not require",
                                     value=True)
                    continue
            result[target].append(draft)
            data = document.data
            self.extensions[name] = Extension(
                name=name, object=target, fields=frozen_mapping(draft.parts.fields),
                validations=tuple(draft.parts.validations), indexes=tuple(draft.parts.indexes),
                label=data.get("label"), description=data.get("description"), package=document.package)
        return result

    def _merge(self, object_name: str, all_parts: list[Parts]):
        fields: dict[str, Field] = {}
        validations, indexes = [], []
        taken = set(user_object(()).fields) if object_name == USER_OBJECT else set()
        for parts in all_parts:
            self.broken_fields.update((object_name, name) for name in parts.broken_fields)
            for name, field in parts.fields.items():
                document, path = parts.where[("field", name)]
                if name in fields or name in taken:
                    self.problems.at(document, path, f"field '{name}' already exists on '{object_name}'")
                    continue
                fields[name] = field
                self.where[(object_name, "field", name)] = (document, path)
            for rule in parts.validations:
                document, path = parts.where[("validation", rule.name)]
                if (object_name, "validation", rule.name) in self.where:
                    self.problems.at(document, path + ("name",), f"validation '{rule.name}' already "
                                     f"exists on '{object_name}'", value=True)
                    continue
                validations.append(rule)
                self.where[(object_name, "validation", rule.name)] = (document, path)
            for i, index in enumerate(parts.indexes):
                self.where[(object_name, "index", len(indexes))] = parts.where[("index", i)]
                indexes.append(index)
        return list(fields.values()), validations, indexes

    def _bind(self) -> None:
        """Complete field types with what needs the whole package (a roll-up's result type)."""
        for name, obj in list(self.objects.items()):
            view = FieldView(self, name, None, ())
            bound = {}
            for key, field in obj.fields.items():
                bound_type = field.type.bind(view)
                bound[key] = field if bound_type == field.type else dataclasses.replace(field, type=bound_type)
            self.objects[name] = dataclasses.replace(obj, fields=frozen_mapping(bound))

    # -- the end ---------------------------------------------------------------------------

    def finish(self) -> Catalog | None:
        self._link()
        checker = ExpressionChecker(self.objects, self.problems, self.is_broken)
        checks.check_objects(self, checker)
        checks.check_layouts(self, checker)
        checks.check_list_views(self, checker)
        checks.check_roles(self)
        checks.check_data_files(self)
        automation_checks.check_workflows(self, checker)
        automation_checks.check_approvals(self, checker)
        access_checks.check_access(self, checker)
        self._check_cycles()
        if self.problems or not self.packages:
            return None
        return Catalog.create(
            packages=tuple(self.packages), objects=self.objects,
            layouts=self.built["layout"], list_views=self.built["list_view"],
            workflows=self.built["workflow"], approval_processes=self.built["approval_process"],
            roles=self.built["role"], extensions=self.extensions,
            sharing_rules=self.built["sharing_rule"], documents=self._raw_documents(),
            vocabulary=self.vocabulary)

    def _check_cycles(self) -> None:
        for cycle in formula_cycles(self.objects):
            object_name, field_name = cycle[0]
            document, path = self.where[(object_name, "field", field_name)]
            shown = " -> ".join(f"{o}.{f}" for o, f in cycle)
            self.problems.at(document, path + ("expression",), f"formula cycle: {shown}", value=True)

    def _raw_documents(self) -> tuple[RawDocument, ...]:
        documents = list(self.package_documents)
        documents += [doc for by_name in self.documents.values() for doc in by_name.values()]
        prefixes = {}
        for document in self.package_documents:
            prefixes[document.package] = document.file[: -len("package.yaml")]
        return tuple(sorted(
            (RawDocument(document.package, document.file[len(prefixes.get(document.package, "")):],
                         document.kind, document.name, deep_freeze(document.data), document.text)
             for document in documents),
            key=lambda raw: (raw.package, raw.kind, raw.name)))

