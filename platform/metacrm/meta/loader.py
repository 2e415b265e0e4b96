"""Loading a metadata package folder into a :class:`Catalog`, or every reason it cannot be.

    catalog = load_package("metadata/crm")           # raises PackageInvalid with ALL errors
    catalog.object("opportunity").fields["amount"]

A package's ``requires`` are found as sibling folders (``metadata/crm_extra`` requiring ``crm``
reads ``metadata/crm``); their documents join the catalog. Files load in any order: each is
read and checked against its kind's JSON Schema, built into model objects, and only then are
references between documents and every expression checked.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .assembly import KIND_FOLDERS, Assembly
from .catalog import Catalog
from .build import build_package
from .errors import MetadataError, suggest
from .fieldtypes import FieldTypeRegistry, default_field_types
from .model import Package
from .problems import Problems
from .schemacheck import SchemaSet, schema_set
from .sources import SourceDocument, read_document

__all__ = ["load_package", "KIND_FOLDERS"]

#: folders that hold something other than documents (checked elsewhere, or later)
OTHER_FOLDERS = {"data", "tests"}
YAML_SUFFIXES = (".yaml", ".yml")
#: a document's name, found in the text of a file that is not valid YAML
_NAME_LINE = re.compile(r"^name:\s*['\"]?([A-Za-z0-9_]+)", re.MULTILINE)


@dataclass
class PackageSource:
    """A package folder found on disk, with its package.yaml."""

    folder: Path
    #: how error messages reach this folder from the root package ("" or "../crm/")
    prefix: str
    document: SourceDocument
    package: Package


def load_package(path: str | os.PathLike, field_types: FieldTypeRegistry | None = None) -> Catalog:
    """Load, validate and cross-check the package at ``path`` (and the packages it requires).

    ``field_types`` defaults to the built-ins plus installed plugins' types.
    """
    registry = field_types if field_types is not None else default_field_types()
    schemas = schema_set(frozenset(registry.all_keys()))
    problems = Problems()
    root = Path(path).resolve()
    sources = _discover(root, schemas, problems)
    assembly = Assembly(registry, schemas, problems, [source.package for source in sources])
    for source in sources:
        assembly.add_package_document(source.document)
        documents, unreadable = _read_documents(source, problems)
        for document in documents:
            assembly.add(document, expected_kind=_folder_kind(document.file, source.prefix))
        for path, file in unreadable:
            kind = _folder_kind(file, source.prefix)
            if kind is not None:
                assembly.mark_unreadable(kind, _likely_names(path))
        for csv_path in sorted((source.folder / "data").glob("*.csv")):
            assembly.add_data_file(csv_path, source.prefix + "data/" + csv_path.name,
                                   source.package.name)
    catalog = assembly.finish()
    problems.raise_if_any()
    assert catalog is not None
    return catalog


def _folder_kind(file: str, prefix: str) -> str | None:
    return KIND_FOLDERS.get(file[len(prefix):].split("/", 1)[0])


def _discover(root: Path, schemas: SchemaSet, problems: Problems) -> list[PackageSource]:
    """The root package and everything it requires, required packages first."""
    found: dict[str, PackageSource] = {}
    order: list[PackageSource] = []

    def visit(folder: Path, chain: tuple[str, ...]) -> PackageSource | None:
        prefix = "" if folder == root else Path(os.path.relpath(folder, root)).as_posix() + "/"
        source = _read_package(folder, prefix, schemas, problems)
        if source is None:
            return None
        found[source.package.name] = source
        for i, name in enumerate(source.package.requires):
            if name in chain or name == source.package.name:
                cycle = " -> ".join((*chain, source.package.name, name))
                problems.at(source.document, ("requires", i), f"packages require each other: {cycle}",
                            value=True)
                continue
            if name in found:
                continue
            sibling = folder.parent / name
            if not (sibling / "package.yaml").is_file():
                siblings = [p.name for p in folder.parent.iterdir() if (p / "package.yaml").is_file()]
                problems.at(source.document, ("requires", i),
                            f"required package '{name}' not found (looked for "
                            f"{Path(os.path.relpath(sibling, root)).as_posix()}/package.yaml)",
                            suggest(name, siblings), value=True)
                continue
            visit(sibling, (*chain, source.package.name))
        order.append(source)
        return source

    visit(root, ())
    return order


def _read_package(folder: Path, prefix: str, schemas: SchemaSet,
                  problems: Problems) -> PackageSource | None:
    file = prefix + "package.yaml"
    if not (folder / "package.yaml").is_file():
        problems.add(_file_error(file, f"no package.yaml in {folder}" if folder.is_dir()
                                 else f"no package folder at {folder}"))
        return None
    document, errors = read_document(folder / "package.yaml", file, folder.name)
    for error in errors:
        problems.add(error)
    if document is None:
        return None
    if document.kind != "package":
        problems.at(document, ("kind",), "package.yaml must have kind: package", value=True)
        return None
    issues = schemas.issues(document)
    for issue in issues:
        problems.at(document, issue.path, issue.message, issue.suggestion, value=issue.at_value)
    if not isinstance(document.name, str):
        return None
    package = build_package(document)
    if package.name != folder.name:
        problems.at(document, ("name",), f"package '{package.name}' is in folder '{folder.name}': "
                    "name the folder after the package (requires finds packages by folder)", value=True)
    document.package = package.name
    return PackageSource(folder, prefix, document, package)


def _file_error(file: str, message: str, suggestion: str | None = None) -> MetadataError:
    return MetadataError(file, None, "", message, suggestion)


def _likely_names(path: Path) -> set[str]:
    """The names a file that does not parse probably defines (its references are then not
    reported as missing: the syntax error is the one to fix)."""
    names = {path.stem}
    try:
        match = _NAME_LINE.search(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        match = None
    if match:
        names.add(match.group(1))
    return names


def _read_documents(source: PackageSource, problems: Problems
                    ) -> tuple[list[SourceDocument], list[tuple[Path, str]]]:
    """The package's documents, and the files that could not be read as one."""
    documents, unreadable = [], []
    for entry in sorted(source.folder.iterdir()):
        relative = source.prefix + entry.name
        if entry.name.startswith(".") or entry.name == "package.yaml":
            continue
        if entry.is_file():
            if entry.suffix in YAML_SUFFIXES:
                problems.add(_file_error(relative, "documents go in a folder by kind: "
                                         + ", ".join(f"{f}/" for f in KIND_FOLDERS)))
            continue
        if entry.name in OTHER_FOLDERS:
            continue
        files = sorted(p for p in entry.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        if entry.name not in KIND_FOLDERS:
            if files:
                problems.add(_file_error(relative + "/", f"unknown folder '{entry.name}'",
                                         suggest(entry.name, KIND_FOLDERS)))
            continue
        for path in files:
            file = source.prefix + path.relative_to(source.folder).as_posix()
            document, errors = read_document(path, file, source.package.name)
            for error in errors:
                problems.add(error)
            if document is not None:
                documents.append(document)
            else:
                unreadable.append((path, file))
    return documents, unreadable

