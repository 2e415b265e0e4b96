"""Loading a metadata package into a :class:`Catalog`, or every reason it cannot be.

    catalog = load_package("metadata/crm")           # raises PackageInvalid with ALL errors
    catalog.object("opportunity").fields["amount"]

    # the same from texts held in memory (a deployed version rebuilt from the database):
    catalog = load_files({"crm": {"package.yaml": "...", "objects/account.yaml": "..."}}, "crm")

A package's ``requires`` are found as sibling folders (``metadata/crm_extra`` requiring ``crm``
reads ``metadata/crm``); their documents join the catalog. Files load in any order: each is
read and checked against its kind's JSON Schema, built into model objects, and only then are
references between documents and every expression checked. Folders on disk and files in
memory go through the same code (a :class:`Folder` of either kind), so a package rebuilt
from stored texts gives the same catalog and the same errors, at the same lines.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol

from .assembly import KIND_FOLDERS, Assembly
from .catalog import Catalog
from .build import build_package
from .errors import MetadataError, suggest
from .vocabulary import Vocabulary
from .model import Package
from .problems import Problems
from .schemacheck import SchemaSet, schema_set
from .sources import SourceDocument, parse_document

__all__ = ["load_package", "load_files", "KIND_FOLDERS", "Folder", "DiskFolder", "MemoryFolder"]

#: folders that hold something other than documents (checked elsewhere, or later)
OTHER_FOLDERS = {"data", "tests"}
YAML_SUFFIXES = (".yaml", ".yml")
#: a document's name, found in the text of a file that is not valid YAML
_NAME_LINE = re.compile(r"^name:\s*['\"]?([A-Za-z0-9_]+)", re.MULTILINE)


class Folder(Protocol):
    """A package folder: on disk, or a mapping of file texts in memory."""

    #: the folder's name (a package must be named like its folder)
    name: str

    def exists(self) -> bool:
        """Is there such a folder at all?"""

    def files(self) -> list[str]:
        """Every file inside, as relative POSIX paths (``objects/deal.yaml``); hidden entries
        at the top (``.git``) may be left out."""

    def has(self, relative: str) -> bool:
        """Is there a file at ``relative``?"""

    def read(self, relative: str, encoding: str = "utf-8", errors: str = "strict") -> str:
        """A file's text; raises OSError or UnicodeDecodeError."""

    def sibling(self, name: str) -> "Folder":
        """The folder ``name`` next to this one (where a required package is found)."""

    def sibling_names(self) -> list[str]:
        """The packages next to this one (for "did you mean")."""

    def where(self) -> str:
        """How error messages name this folder."""


@dataclass(frozen=True)
class DiskFolder:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def exists(self) -> bool:
        return self.path.is_dir()

    def files(self) -> list[str]:
        found = []
        for entry in self.path.iterdir():
            if entry.name.startswith("."):
                continue  # .git and the like: never part of a package, maybe large
            paths = entry.rglob("*") if entry.is_dir() else [entry]
            found += [p.relative_to(self.path).as_posix() for p in paths if p.is_file()]
        return found

    def has(self, relative: str) -> bool:
        return (self.path / relative).is_file()

    def read(self, relative: str, encoding: str = "utf-8", errors: str = "strict") -> str:
        return (self.path / relative).read_bytes().decode(encoding, errors)

    def sibling(self, name: str) -> "DiskFolder":
        return DiskFolder(self.path.parent / name)

    def sibling_names(self) -> list[str]:
        return [p.name for p in self.path.parent.iterdir() if (p / "package.yaml").is_file()]

    def where(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class MemoryFolder:
    """Package folder ``name`` among ``packages`` (folder name -> relative path -> text)."""

    packages: Mapping[str, Mapping[str, str]]
    name: str

    def exists(self) -> bool:
        return self.name in self.packages

    def files(self) -> list[str]:
        return list(self.packages.get(self.name, {}))

    def has(self, relative: str) -> bool:
        return relative in self.packages.get(self.name, {})

    def read(self, relative: str, encoding: str = "utf-8", errors: str = "strict") -> str:
        try:
            text = self.packages[self.name][relative]
        except KeyError:
            raise FileNotFoundError(f"no file {relative}") from None
        return text.removeprefix("\ufeff") if encoding == "utf-8-sig" else text

    def sibling(self, name: str) -> "MemoryFolder":
        return MemoryFolder(self.packages, name)

    def sibling_names(self) -> list[str]:
        return [name for name, files in self.packages.items() if "package.yaml" in files]

    def where(self) -> str:
        return f"package '{self.name}' of the given files"


@dataclass
class PackageSource:
    """A package folder found, with its package.yaml."""

    folder: Folder
    #: how error messages reach this folder from the root package ("" or "../crm/")
    prefix: str
    document: SourceDocument
    package: Package


def load_package(path: str | os.PathLike, vocabulary: Vocabulary | None = None) -> Catalog:
    """Load, validate and cross-check the package at ``path`` (and the packages it requires).

    ``vocabulary``: the field types and plugin action types it may use (from the plugin
    manager: ``Vocabulary.from_plugins(pm)``); by default metacrm's own.
    """
    return _load(DiskFolder(Path(path).resolve()), vocabulary)


def load_files(packages: Mapping[str, Mapping[str, str]], root: str | None = None,
               vocabulary: Vocabulary | None = None) -> Catalog:
    """Load a package from texts in memory: ``packages`` maps a package (folder) name to its
    files (relative path -> text); ``root`` is the package to load (the only one by default),
    the others are what it requires. Errors name files as :func:`load_package` would.
    """
    if root is None:
        if len(packages) != 1:
            raise ValueError("name the root package: several packages were given")
        root = next(iter(packages))
    return _load(MemoryFolder(packages, root), vocabulary)


def _load(root: Folder, vocabulary: Vocabulary | None) -> Catalog:
    vocabulary = vocabulary if vocabulary is not None else Vocabulary.builtin()
    schemas = schema_set(frozenset(vocabulary.field_types.all_keys()))
    problems = Problems()
    sources = _discover(root, schemas, problems)
    assembly = Assembly(vocabulary, schemas, problems, [source.package for source in sources])
    for source in sources:
        assembly.add_package_document(source.document)
        documents, unreadable, data_files = _read_documents(source, problems)
        for document in documents:
            assembly.add(document, expected_kind=_folder_kind(document.file, source.prefix))
        for relative, file in unreadable:
            kind = _folder_kind(file, source.prefix)
            if kind is not None:
                assembly.mark_unreadable(kind, _likely_names(source.folder, relative))
        for relative in data_files:
            assembly.add_data_file(
                Path(relative).stem, source.prefix + relative, source.package.name,
                lambda folder=source.folder, relative=relative: folder.read(relative, "utf-8-sig"))
    catalog = assembly.finish()
    problems.raise_if_any()
    assert catalog is not None
    return catalog


def _folder_kind(file: str, prefix: str) -> str | None:
    return KIND_FOLDERS.get(file[len(prefix):].split("/", 1)[0])


def _prefix(folder: Folder, root: Folder) -> str:
    if folder == root:
        return ""
    if isinstance(folder, DiskFolder) and isinstance(root, DiskFolder):
        return Path(os.path.relpath(folder.path, root.path)).as_posix() + "/"
    return f"../{folder.name}/"


def _discover(root: Folder, schemas: SchemaSet, problems: Problems) -> list[PackageSource]:
    """The root package and everything it requires, required packages first."""
    found: dict[str, PackageSource] = {}
    order: list[PackageSource] = []

    def visit(folder: Folder, chain: tuple[str, ...]) -> PackageSource | None:
        source = _read_package(folder, _prefix(folder, root), schemas, problems)
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
            sibling = folder.sibling(name)
            if not sibling.has("package.yaml"):
                problems.at(source.document, ("requires", i),
                            f"required package '{name}' not found (looked for "
                            f"{_prefix(sibling, root)}package.yaml)",
                            suggest(name, folder.sibling_names()), value=True)
                continue
            visit(sibling, (*chain, source.package.name))
        order.append(source)
        return source

    visit(root, ())
    return order


def _read_package(folder: Folder, prefix: str, schemas: SchemaSet,
                  problems: Problems) -> PackageSource | None:
    file = prefix + "package.yaml"
    if not folder.has("package.yaml"):
        problems.add(_file_error(file, f"no package.yaml in {folder.where()}" if folder.exists()
                                 else f"no package folder at {folder.where()}"))
        return None
    document, errors = _read_document(folder, "package.yaml", file, folder.name)
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


def _read_document(folder: Folder, relative: str, file: str, package: str
                   ) -> tuple[SourceDocument | None, list[MetadataError]]:
    try:
        text = folder.read(relative)
    except (OSError, UnicodeDecodeError) as error:
        return None, [MetadataError(file, None, "", f"cannot read the file: {error}")]
    return parse_document(text, file, package)


def _file_error(file: str, message: str, suggestion: str | None = None) -> MetadataError:
    return MetadataError(file, None, "", message, suggestion)


def _likely_names(folder: Folder, relative: str) -> set[str]:
    """The names a file that does not parse probably defines (its references are then not
    reported as missing: the syntax error is the one to fix)."""
    names = {Path(relative).stem}
    try:
        match = _NAME_LINE.search(folder.read(relative, errors="replace"))
    except OSError:
        match = None
    if match:
        names.add(match.group(1))
    return names


def _path_key(relative: str) -> list[str]:
    return relative.split("/")  # the order pathlib sorts paths in: part by part


def _read_documents(source: PackageSource, problems: Problems
                    ) -> tuple[list[SourceDocument], list[tuple[str, str]], list[str]]:
    """The package's documents, the files that could not be read as one (relative path,
    file as errors name it), and its data files."""
    documents, unreadable = [], []
    by_entry: dict[str, list[str]] = {}
    for relative in source.folder.files():
        by_entry.setdefault(relative.split("/", 1)[0], []).append(relative)
    data_files = sorted((f for f in by_entry.get("data", ()) if f.count("/") == 1
                         and f.endswith(".csv")), key=_path_key)
    for entry in sorted(by_entry):
        relative = source.prefix + entry
        if entry.startswith(".") or entry == "package.yaml":
            continue
        if by_entry[entry] == [entry]:  # a file at the top level
            if entry.endswith(YAML_SUFFIXES):
                problems.add(_file_error(relative, "documents go in a folder by kind: "
                                         + ", ".join(f"{f}/" for f in KIND_FOLDERS)))
            continue
        if entry in OTHER_FOLDERS:
            continue
        files = sorted((f for f in by_entry[entry] if f.endswith(YAML_SUFFIXES)), key=_path_key)
        if entry not in KIND_FOLDERS:
            if files:
                problems.add(_file_error(relative + "/", f"unknown folder '{entry}'",
                                         suggest(entry, KIND_FOLDERS)))
            continue
        for path in files:
            file = source.prefix + path
            document, errors = _read_document(source.folder, path, file, source.package.name)
            for error in errors:
                problems.add(error)
            if document is not None:
                documents.append(document)
            else:
                unreadable.append((path, file))
    return documents, unreadable, data_files
