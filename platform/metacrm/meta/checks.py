"""Cross-document checks of objects, layouts, list views, roles and data files.

Run after every document is read and linked (see :mod:`metacrm.meta.assembly`); each check
reports into the assembly's problems and never stops at the first one.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Iterable

from metacrm.formula import FType

from .build import layout_field_refs, layout_sections
from .errors import MetadataError, suggest
from .expressions import ExpressionChecker
from .model import ObjectType
from .sources import DocPath, SourceDocument

if TYPE_CHECKING:
    from .assembly import Assembly

CONDITION_KEYS = ("required_when", "read_only_when", "visible_when")


class FieldView:
    """What a field type sees while its references are checked (the CatalogView protocol)."""

    def __init__(self, assembly: "Assembly", object_name: str, document: SourceDocument | None,
                 path: DocPath, checker: ExpressionChecker | None = None):
        self.object_name = object_name
        self._assembly = assembly
        self._document = document
        self._path = path
        self._checker = checker

    def object(self, name: str) -> ObjectType | None:
        return self._assembly.objects.get(name)

    def object_names(self) -> Iterable[str]:
        return self._assembly.objects.keys()

    def is_broken(self, object_name: str, field_name: str | None = None) -> bool:
        return self._assembly.is_broken(object_name, field_name)

    def problem(self, key: str, message: str, suggestion: str | None = None) -> None:
        assert self._document is not None
        self._assembly.problems.at(self._document, self._path + ((key,) if key else ()), message,
                                   suggestion, value=bool(key))

    def check_expression(self, key: str, source: str, *, object_name: str, usage: str,
                         result: FType) -> None:
        assert self._document is not None and self._checker is not None
        self._checker.check(self._document, self._path + (key,), source, object_name=object_name,
                            usage=usage, result=result)


def object_for(assembly: "Assembly", document: SourceDocument, path: DocPath,
               name: str) -> ObjectType | None:
    """The object a document refers to at ``path``; reports it when unknown."""
    obj = assembly.objects.get(name)
    if obj is None and not assembly.is_broken(name):
        assembly.problems.at(document, path, f"unknown object '{name}'",
                             suggest(name, assembly.objects), value=True)
    return obj


def field_of(assembly: "Assembly", document: SourceDocument, path: DocPath, obj: ObjectType,
             name: str) -> bool:
    """Does ``obj`` have field ``name``? Reports it when not."""
    if name in obj.fields:
        return True
    if not assembly.is_broken(obj.name, name):
        # a field whose definition is broken is still what a typo most likely meant
        candidates = [*obj.fields, *(f for o, f in assembly.broken_fields if o == obj.name)]
        assembly.problems.at(document, path, f"unknown field '{name}' on '{obj.name}'",
                             suggest(name, candidates), value=True)
    return False


def check_renames(assembly: "Assembly") -> None:
    """``renamed_from`` must name something that is gone: an old name still in use would make the
    rename ambiguous (rename it, or keep it?), and two things cannot come from one."""
    claimed: dict[str, str] = {}
    for name, draft in assembly.object_drafts.items():
        old = draft.document.data.get("renamed_from")
        if not isinstance(old, str):
            continue
        if old == name:
            assembly.problems.at(draft.document, ("renamed_from",), "an object cannot be renamed "
                                 "from its own name", value=True)
        elif old in assembly.objects or assembly.is_broken(old):
            assembly.problems.at(draft.document, ("renamed_from",), f"object '{old}' still exists: "
                                 "remove it, or drop renamed_from", value=True)
        elif old in claimed:
            assembly.problems.at(draft.document, ("renamed_from",), f"object '{claimed[old]}' is "
                                 f"already renamed from '{old}'", value=True)
        claimed.setdefault(old, name)
    for object_name, obj in assembly.objects.items():
        claimed = {}
        for field in obj.fields.values():
            old = field.renamed_from
            where = assembly.where.get((object_name, "field", field.name))
            if old is None or where is None:
                continue
            document, path = where
            if old == field.name:
                assembly.problems.at(document, path + ("renamed_from",), "a field cannot be "
                                     "renamed from its own name", value=True)
            elif old in obj.fields or assembly.is_broken(object_name, old):
                assembly.problems.at(document, path + ("renamed_from",), f"field '{old}' still "
                                     f"exists on '{object_name}': remove it, or drop renamed_from",
                                     value=True)
            elif old in claimed:
                assembly.problems.at(document, path + ("renamed_from",), f"field '{claimed[old]}' "
                                     f"is already renamed from '{old}'", value=True)
            claimed.setdefault(old, field.name)


def check_objects(assembly: "Assembly", checker: ExpressionChecker) -> None:
    check_renames(assembly)
    for name, obj in assembly.objects.items():
        draft = assembly.object_drafts.get(name)
        if draft is not None:
            _check_title(assembly, draft.document, obj)
        for field in obj.fields.values():
            where = assembly.where.get((name, "field", field.name))
            if where is None:  # a system field, or one of the user object's own
                continue
            document, path = where
            field.type.check_in_catalog(FieldView(assembly, name, document, path, checker))
            for key in CONDITION_KEYS:
                source = getattr(field, key)
                if source is not None:
                    checker.check(document, path + (key,), source, object_name=name, usage="write",
                                  result=FType.BOOLEAN)
            if field.default_formula is not None:
                checker.check(document, path + ("default",), field.default_formula, object_name=name,
                              usage="write", result=field.ftype, column_offset=1)
        for rule in obj.validations:
            document, path = assembly.where[(name, "validation", rule.name)]
            checker.check(document, path + ("when",), rule.when, object_name=name, usage="write",
                          result=FType.BOOLEAN)
            if rule.field is not None:
                field_of(assembly, document, path + ("field",), obj, rule.field)
        for i, index in enumerate(obj.indexes):
            document, path = assembly.where[(name, "index", i)]
            listed = path + ("fields",) if isinstance(document.value(path), dict) else path
            for j, field_name in enumerate(index.fields):
                if field_of(assembly, document, listed + (j,), obj, field_name):
                    if not obj.fields[field_name].stored:
                        assembly.problems.at(document, listed + (j,), f"'{field_name}' is computed "
                                             "on read and cannot be indexed", value=True)


def _check_title(assembly: "Assembly", document: SourceDocument, obj: ObjectType) -> None:
    if not field_of(assembly, document, ("title",), obj, obj.title):
        return
    field = obj.fields[obj.title]
    if field.stored and field.ftype is not FType.TEXT:
        assembly.problems.at(document, ("title",), f"the title must be a text-like or formula "
                             f"field; '{field.name}' is a {field.type_name} field", value=True)


def check_layouts(assembly: "Assembly", checker: ExpressionChecker) -> None:
    defaults: dict[str, str] = {}
    for name, layout in assembly.built["layout"].items():
        document = assembly.documents["layout"][name]
        obj = object_for(assembly, document, ("object",), layout.object)
        if obj is None:
            continue
        seen: set[str] = set()
        for path, field_name in layout_field_refs(document.data):
            if field_of(assembly, document, path, obj, field_name):
                if field_name in seen:
                    assembly.problems.at(document, path, f"field '{field_name}' appears twice "
                                         "in this layout", value=True)
                seen.add(field_name)
        for path, section in layout_sections(document.data):
            if section.get("visible_when"):
                checker.check(document, path + ("visible_when",), section["visible_when"],
                              object_name=obj.name, usage="write", result=FType.BOOLEAN)
        for i, related in enumerate(layout.related):
            path = ("related", i)
            child = object_for(assembly, document, path, related.object)
            if child is None or not field_of(assembly, document, path, child, related.field):
                continue
            if child.fields[related.field].type.field_info(related.field).target != obj.name:
                assembly.problems.at(document, path, f"'{related.object}.{related.field}' is not a "
                                     f"lookup to '{obj.name}'", value=True)
        if layout.default:
            if layout.object in defaults:
                assembly.problems.at(document, ("default",), f"object '{layout.object}' already has "
                                     f"a default layout: '{defaults[layout.object]}'", value=True)
            defaults.setdefault(layout.object, name)


def check_list_views(assembly: "Assembly", checker: ExpressionChecker) -> None:
    for name, view in assembly.built["list_view"].items():
        document = assembly.documents["list_view"][name]
        obj = object_for(assembly, document, ("object",), view.object)
        if obj is None:
            continue
        for i, column in enumerate(view.columns):
            field_of(assembly, document, ("columns", i), obj, column)
        for i, key in enumerate(view.sort):
            field_of(assembly, document, ("sort", i), obj, key.field)
        if view.filter is not None:
            checker.check(document, ("filter",), view.filter, object_name=obj.name, usage="query",
                          result=FType.BOOLEAN)


def check_roles(assembly: "Assembly") -> None:
    roles = assembly.built["role"]
    for name, role in roles.items():
        if role.reports_to is None:
            continue
        document = assembly.documents["role"][name]
        if role.reports_to not in roles:
            if not assembly.is_broken_document("role", role.reports_to):
                assembly.problems.at(document, ("reports_to",), f"unknown role '{role.reports_to}'",
                                     suggest(role.reports_to, roles), value=True)
            continue
        chain = [name]
        while chain[-1] in roles and roles[chain[-1]].reports_to and len(chain) <= len(roles):
            chain.append(roles[chain[-1]].reports_to)
            if chain[-1] == name:
                # one report per cycle: from the first of its roles by name
                if name == min(chain):
                    assembly.problems.at(document, ("reports_to",),
                                         "roles report to each other: " + " -> ".join(chain), value=True)
                break


def check_data_files(assembly: "Assembly") -> None:
    for stem, file, package, read in assembly.data_files:
        obj = assembly.objects.get(stem)
        if obj is None:
            assembly.problems.add(MetadataError(
                file, None, "", f"no object '{stem}' for this data file (files are named "
                "after objects)", suggest(stem, assembly.objects)))
            continue
        try:
            header = next(csv.reader(io.StringIO(read(), newline="")), None)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            assembly.problems.add(MetadataError(file, None, "", f"cannot read the file: {error}"))
            continue
        if not header:
            assembly.problems.add(MetadataError(file, 1, "", "the file needs a header row of field names"))
            continue
        seen: set[str] = set()
        for i, column in enumerate(name.strip() for name in header):
            if column not in obj.fields:
                assembly.problems.add(MetadataError(
                    file, 1, f"column {i + 1}", f"unknown field '{column}' on '{obj.name}'",
                    suggest(column, obj.fields)))
            elif column in seen:
                assembly.problems.add(MetadataError(file, 1, f"column {i + 1}",
                                                    f"field '{column}' appears twice"))
            seen.add(column)
