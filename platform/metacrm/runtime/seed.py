"""Seed records: a package's ``data/<object>.csv`` files, loaded through the RecordService.

    report = load_data(service, "metadata/crm", Actor.system())
    report.loaded     # {"account": 8, "contact": 12, …}; report.skipped: objects with records

- Each file is named after its object; its header row names fields (checked by ``validate``).
- Files load parents first (an object after the objects its lookups point to), each in one
  bulk create: all of a file or none of it, with the same defaults and checks as any write.
- A lookup column holds the related record's id, or its title (``Acme`` for an account;
  a username for ``user``), matched among existing records and those loaded before it.
- An empty cell is left out, so the field's default applies; multi-picklists use ``a;b``.
- An object that already has records is skipped: loading twice never duplicates (``force``
  loads anyway).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from ..formula import quote
from ..meta.fieldtypes import LookupType
from .actor import Actor
from .errors import BulkInvalid, FieldError
from .service import RecordService


@dataclass
class SeedReport:
    loaded: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _files(package_dir: Path) -> dict[str, Path]:
    folder = package_dir / "data"
    return {path.stem: path for path in sorted(folder.glob("*.csv"))} if folder.is_dir() else {}


def _order(service: RecordService, names: list[str]) -> list[str]:
    """Parents before children (self-lookups and cycles are left in file order)."""
    pending, ordered = list(names), []
    while pending:
        for name in pending:
            targets = {f.type.to for f in service.catalog.fields(name).values()
                       if isinstance(f.type, LookupType) and not f.system}
            if not (targets & set(pending)) - {name}:
                break
        else:
            name = pending[0]
        pending.remove(name)
        ordered.append(name)
    return ordered


def load_data(service: RecordService, package_dir: str | Path, actor: Actor, *,
              force: bool = False, progress=None) -> SeedReport:
    """Load the package's data files, each in one transaction; raises BulkInvalid (naming the
    file's rows) when one is invalid, after the files before it were loaded. ``progress(name,
    count)`` is called after each file (count None: skipped)."""
    files = _files(Path(package_dir))
    report = SeedReport()
    # judged before anything is loaded: workflows may create records of a later file's object
    # (a won opportunity's follow-up task), which must not make that file look loaded
    with service.db.read() as conn:
        present = {name for name in files if conn.execute(
            select(func.count()).select_from(service.tables[name])).scalar()}
    for name in _order(service, list(files)):
        if name in present and not force:
            report.skipped.append(name)
            if progress:
                progress(name, None)
            continue
        rows, own, errors = _rows(service, name, files[name])
        with service.transaction() as conn:
            # the service's own checks run even when a lookup failed here, so a bad file
            # gets every message at once; raising inside the transaction writes nothing
            try:
                ids = service.create_many(name, rows, actor, conn=conn)
            except BulkInvalid as invalid:
                for index, problems in invalid.by_index.items():
                    errors[index] = tuple(problems) + errors.get(index, ())
            if errors:
                raise BulkInvalid(name, errors)
            # lookups to rows of the same file, once every row of it has an id
            for index, values in own.items():
                resolved, problems = {}, []
                for column, value in values.items():
                    resolved[column] = _resolve(service, name, value, conn)
                    if resolved[column] is None:
                        problems.append(FieldError(column, f"no {name} {value!r}", "lookup"))
                if problems:
                    raise BulkInvalid(name, {index: tuple(problems)})
                service.update(name, ids[index], resolved, actor, conn=conn)
        report.loaded[name] = len(ids)
        if progress:
            progress(name, len(ids))
    return report


def _rows(service: RecordService, name: str, path: Path
          ) -> tuple[list[dict], dict[int, dict[str, str]], dict[int, tuple[FieldError, ...]]]:
    """The rows to create, per row the lookups to its own object (set after the create), and
    the lookups that name no record."""
    fields = service.catalog.fields(name)
    own: dict[int, dict[str, str]] = {}
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    rows, errors = [], {}
    for index, raw in enumerate(reader):
        row, problems = {}, []
        for column, value in raw.items():
            column = (column or "").strip()
            if value is None or value.strip() == "" or column not in fields:
                continue
            ftype = fields[column].type
            if isinstance(ftype, LookupType) and ftype.to == name:
                own.setdefault(index, {})[column] = value.strip()
                continue
            if isinstance(ftype, LookupType):
                resolved = _resolve(service, ftype.to, value.strip())
                if resolved is None:
                    problems.append(FieldError(column, f"no {ftype.to} {value.strip()!r}",
                                               "lookup"))
                    continue
                value = resolved
            row[column] = value
        if problems:
            errors[index] = tuple(problems)
        rows.append(row)
    _check_own_lookups(service, name, rows, own, errors)
    return rows, own, errors


def _check_own_lookups(service: RecordService, name: str, rows: list[dict],
                       own: dict[int, dict[str, str]], errors: dict) -> None:
    """Lookups to the file's own rows are set after the create; catch the ones that can name
    nothing before anything is written (a formula title can only be checked afterwards)."""
    title = service.catalog.object(name).title
    if service.catalog.fields(name)[title].type.name == "formula":
        return
    in_file = {str(row[title]) for row in rows if title in row}
    for index, values in own.items():
        missing = tuple(FieldError(column, f"no {name} {value!r}", "lookup")
                        for column, value in values.items()
                        if value not in in_file and _resolve(service, name, value) is None)
        if missing:
            errors[index] = errors.get(index, ()) + missing


def _resolve(service: RecordService, target: str, value: str, conn=None) -> str | None:
    """The id of the ``target`` record whose id or title is ``value`` (titles may be formulas:
    the query language finds them either way)."""
    title = service.catalog.object(target).title
    condition = f"id == {quote(value)} or {title} == {quote(value)}"
    page = service.query(target, filter=condition, fields=["id"], limit=1, conn=conn)
    return page.records[0]["id"] if page.records else None
