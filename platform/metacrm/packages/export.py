"""Exporting deployed metadata as package folders: deterministic, comments kept.

    root = export(deployed_version, "out")     # out/crm/package.yaml, out/crm/objects/…
    # `metacrm validate out/crm` accepts it; `metacrm deploy out/crm` finds no changes

Every package of the version is written to ``OUT_DIR/<package>/`` (a package's folder is
named after it, and required packages sit beside it, where ``requires`` finds them). Each
document is written from the text it was deployed from, so comments, quoting and layout come
back byte for byte; a document without a text (built in code) is written by ruamel.yaml from
its data, keys in their order. Exporting twice gives identical files. Only documents are
part of a version: a package's ``data/`` and ``tests/`` files are not exported.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Mapping

from ..meta import KIND_FOLDERS, YAML_SUFFIXES, Catalog
from ..store import DeployedVersion, versions

__all__ = ["export", "ExportError"]


class ExportError(Exception):
    """The export could not be written (nothing was, or the folder is left as it was)."""


def export(source: Catalog | DeployedVersion, out_dir: str | os.PathLike, *,
           overwrite: bool = False) -> Path:
    """Write ``source``'s packages under ``out_dir``; returns the root package's folder.

    A package folder that already holds files is refused unless ``overwrite``: then the
    documents are rewritten and YAML documents the version does not have are removed
    (``data/``, ``tests/`` and other files are left alone).
    """
    if isinstance(source, DeployedVersion):
        files: Mapping[str, Mapping[str, str]] = source.files
        root = source.package
    else:
        files, root = versions.files_of(source), source.package.name
    out = Path(out_dir)
    for package in sorted(files):
        for relative in files[package]:
            _check_relative(package, relative)
    try:
        for package in sorted(files):
            _prepare(out / package, files[package], overwrite)
        for package in sorted(files):
            folder = out / package
            for relative, text in sorted(files[package].items()):
                path = folder / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text.encode("utf-8"))  # bytes: no newline translation
    except OSError as error:
        raise ExportError(f"cannot write the export: {error}") from None
    return out / root


def _check_relative(package: str, relative: str) -> None:
    """Stored paths are the loader's own; refuse anything that would leave the folder."""
    path = PurePosixPath(relative)
    if not package or "/" in package or package in (".", "..") or path.is_absolute() \
            or ".." in path.parts or not relative:
        raise ExportError(f"refusing to write {package}/{relative}: not a path inside a package")


def _documents_in(folder: Path) -> list[Path]:
    found = [folder / "package.yaml"] if (folder / "package.yaml").is_file() else []
    for kind_folder in KIND_FOLDERS:
        if (folder / kind_folder).is_dir():
            found += [p for p in (folder / kind_folder).rglob("*")
                      if p.is_file() and p.suffix in YAML_SUFFIXES]
    return found


def _prepare(folder: Path, texts: Mapping[str, str], overwrite: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} exists and is not a folder")
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    if not overwrite:
        raise ExportError(f"{folder} is not empty: export into an empty folder, or overwrite "
                          "an earlier export (--force)")
    for path in _documents_in(folder):
        if path.relative_to(folder).as_posix() not in texts:
            path.unlink()  # a document this version does not have would be loaded with it
