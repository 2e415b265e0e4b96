"""Deployed metadata versions: every version's files kept in the database, the newest in force.

    with db.read() as conn:
        deployed = versions.current(conn)        # DeployedVersion | None (nothing deployed)
        deployed.number, deployed.catalog, deployed.content_hash, deployed.files
        versions.load(conn, 3)                   # a given version (UnknownVersion if none)
        versions.list_versions(conn)             # VersionInfo of each, oldest first

        versions.load(conn, 3, vocabulary)       # loaded with a process's plugins' field types

Each version stores the original texts of its package files (comments and all), so its
Catalog is rebuilt exactly (:func:`metacrm.meta.load_files`) and can be exported as written.
Versions are numbered 1, 2, 3…; a rollback stores a new number with an older version's files,
so the newest number is always the version in force. That makes noticing a deploy cheap:
``latest_number`` reads ``max(number)`` (one indexed integer); a long-running process keeps
what it built per version in ``metacrm.runtime.Runtimes``, the one cache of versions.
``newest`` reads that number and the sign-in generation (``accounts``) in one statement: what
a process asks once per request.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import Mapping

from sqlalchemy import Column, Connection, Integer, String, Table, Text, func, inspect, select

from ..formula import DateTimeSeconds
from ..meta import Catalog, PackageInvalid, Vocabulary, dump_yaml, load_files, thaw
from .accounts import signin_generation
from .system import SYSTEM_METADATA

__all__ = ["meta_versions", "VersionInfo", "DeployedVersion", "UnknownVersion",
           "StoredVersionInvalid", "current", "load", "list_versions", "latest_number",
           "newest_number", "newest", "save",
           "files_of", "catalog_from_files", "is_initialised"]

Files = Mapping[str, Mapping[str, str]]

meta_versions = Table(
    "meta_versions", SYSTEM_METADATA,
    Column("number", Integer, primary_key=True, autoincrement=False),
    #: the package deployed (the root of ``files``) and its version
    Column("package", String(40), nullable=False),
    Column("package_version", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    #: JSON: {package name: {relative path: text}} (the required packages included)
    Column("files", Text, nullable=False),
    #: JSON: the plan's changes, one line each (what ``metacrm versions`` shows)
    Column("changes", Text, nullable=False),
    Column("deployed_by", String(150)),
    Column("deployed_at", DateTimeSeconds(), nullable=False),
    Column("note", Text),
)


class UnknownVersion(LookupError):
    def __str__(self) -> str:
        return str(self.args[0])


class StoredVersionInvalid(Exception):
    """A stored version's files no longer load (metacrm changed under them)."""

    def __init__(self, number: int, invalid: PackageInvalid):
        self.number = number
        self.errors = invalid.errors
        super().__init__(f"version {number} cannot be loaded any more:\n"
                         + "\n".join(f"  {error}" for error in invalid.errors))


@dataclass(frozen=True)
class VersionInfo:
    """A deployed version, without its files."""

    number: int
    package: str
    package_version: str
    content_hash: str
    deployed_at: dt.datetime
    deployed_by: str | None = None
    note: str | None = None
    changes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"number": self.number, "package": self.package,
                "package_version": self.package_version, "content_hash": self.content_hash,
                "deployed_at": self.deployed_at.isoformat(sep=" "), "deployed_by": self.deployed_by,
                "note": self.note, "changes": list(self.changes)}


@dataclass(frozen=True)
class DeployedVersion(VersionInfo):
    """A deployed version with its files; ``catalog`` is built from them on first use, with
    ``vocabulary`` (the field types of the process's plugins; metacrm's own by default)."""

    files: Files = field(default_factory=dict)
    vocabulary: Vocabulary | None = field(default=None, compare=False, repr=False)

    @functools.cached_property
    def catalog(self) -> Catalog:
        try:
            return catalog_from_files(self.files, self.package, self.vocabulary)
        except PackageInvalid as invalid:
            raise StoredVersionInvalid(self.number, invalid) from None


def _canonical(files: Files) -> str:
    return json.dumps(thaw(files), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def catalog_from_files(files: Files, package: str, vocabulary: Vocabulary | None = None) -> Catalog:
    """The Catalog of stored files (PackageInvalid when they no longer load)."""
    return load_files({p: dict(texts) for p, texts in files.items()}, package, vocabulary)


def files_of(catalog: Catalog) -> dict[str, dict[str, str]]:
    """The files a catalog was loaded from: package -> relative path -> text (a document
    without its text, built in code, is written out as YAML)."""
    files: dict[str, dict[str, str]] = {}
    for document in catalog.documents:
        text = document.text if document.text is not None else dump_yaml(thaw(document.data))
        files.setdefault(document.package, {})[document.file] = text
    return {package: dict(sorted(texts.items())) for package, texts in sorted(files.items())}


# -- reading -------------------------------------------------------------------------------


def is_initialised(conn: Connection) -> bool:
    return inspect(conn).has_table(meta_versions.name)


def latest_number(conn: Connection) -> int | None:
    """The number of the version in force (None: nothing deployed, or no versions table)."""
    if not is_initialised(conn):
        return None
    return newest_number(conn)


def newest_number(conn: Connection) -> int | None:
    """``latest_number`` where the versions table is known to exist: one indexed read."""
    return conn.execute(select(func.max(meta_versions.c.number))).scalar()


_NEWEST = select(select(func.max(meta_versions.c.number)).scalar_subquery(),
                 signin_generation())


def newest(conn: Connection) -> tuple[int | None, int]:
    """``newest_number`` and the sign-in generation (0 before the first change), in one
    statement: one round trip tells a process whether a deploy or a change of who may sign in
    happened since it last asked."""
    number, generation = conn.execute(_NEWEST).one()
    return number, generation or 0


_INFO_COLUMNS = [c for c in meta_versions.c if c.name != "files"]


def _info(row) -> dict:
    data = {c.name: row._mapping[c.name] for c in _INFO_COLUMNS}
    data["changes"] = tuple(json.loads(data["changes"] or "[]"))
    return data


def load(conn: Connection, number: int, vocabulary: Vocabulary | None = None) -> DeployedVersion:
    """Version ``number``; UnknownVersion when there is none."""
    row = None
    if is_initialised(conn):
        row = conn.execute(select(meta_versions).where(meta_versions.c.number == number)).first()
    if row is None:
        known = latest_number(conn)
        raise UnknownVersion(f"no version {number}" + (f" (versions are 1 to {known})" if known
                                                        else " (nothing is deployed yet)"))
    return DeployedVersion(**_info(row), files=json.loads(row.files), vocabulary=vocabulary)


def current(conn: Connection, vocabulary: Vocabulary | None = None) -> DeployedVersion | None:
    """The version in force, or None when nothing was deployed."""
    number = latest_number(conn)
    return None if number is None else load(conn, number, vocabulary)


def list_versions(conn: Connection) -> list[VersionInfo]:
    """Every version, oldest first (without files)."""
    if not is_initialised(conn):
        return []
    rows = conn.execute(select(*_INFO_COLUMNS).order_by(meta_versions.c.number))
    return [VersionInfo(**_info(row)) for row in rows]


# -- writing -------------------------------------------------------------------------------


def save(conn: Connection, catalog: Catalog, *, deployed_by: str | None = None,
         note: str | None = None, changes: tuple[str, ...] = (),
         files: Files | None = None) -> DeployedVersion:
    """Store ``catalog`` as the next version (inside the caller's transaction)."""
    number = (latest_number(conn) or 0) + 1
    stored = files_of(catalog) if files is None else {p: dict(t) for p, t in files.items()}
    version = DeployedVersion(
        number=number, package=catalog.package.name, package_version=catalog.package.version,
        content_hash=catalog.content_hash,
        deployed_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0),
        deployed_by=deployed_by, note=note, changes=tuple(changes), files=stored)
    conn.execute(meta_versions.insert().values(
        number=number, package=version.package, package_version=version.package_version,
        content_hash=version.content_hash, files=_canonical(stored),
        changes=json.dumps(list(changes), ensure_ascii=False), deployed_by=deployed_by,
        deployed_at=version.deployed_at, note=note))
    version.__dict__["catalog"] = catalog  # already built: no need to load the files again
    return version
