"""Seed records: a package's ``data/<object>.csv`` files, loaded through the RecordService.

    report = load_data(service, "metadata/crm", Actor.system())
    report.loaded     # {"account": 8, "contact": 10, …}: records created per object
    report.kept       # {"user": 1, …}: rows left out because their record is there already
    report.skipped    # objects none of whose rows were loaded

- Each file is named after its object; its header row names fields (checked by ``validate``).
- ``user`` loads first (every record's owner is a user), then parents before children (an
  object after the objects its lookups point to), each file in one bulk create: all of its
  rows or none, with the same defaults, checks and workflows as any write.
- A lookup column holds the related record's id, or its title (``Acme`` for an account;
  a username for ``user``), matched among existing records and those loaded before it.
- An empty cell is left out, so the field's default applies; multi-picklists use ``a;b``.
- Loading twice never duplicates. A row whose title (a stored field given in the file) names
  a record that exists is left out; a file whose object's title is computed (a formula) is
  loaded only into an empty table. Both are judged before anything is loaded, so records a
  workflow creates along the way (a won opportunity's follow-up task) change nothing.
  ``force`` loads every row regardless.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from ..formula import quote
from ..meta import USER_OBJECT
from .actor import Actor
from .errors import BulkInvalid, FieldError
from .service import RecordService

#: titles asked for in one query when looking for rows that are loaded already
CHUNK = 100

Raw = dict[str, str]


@dataclass
class SeedReport:
    loaded: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _files(package_dir: Path) -> dict[str, Path]:
    folder = package_dir / "data"
    return {path.stem: path for path in sorted(folder.glob("*.csv"))} if folder.is_dir() else {}


def _read(path: Path) -> list[Raw]:
    """The file's rows: stripped, empty cells left out."""
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return [{(column or "").strip(): value.strip() for column, value in raw.items()
             if value is not None and value.strip() != ""} for raw in reader]


def _order(service: RecordService, names: list[str]) -> list[str]:
    """``user`` first, then parents before children (self-lookups and cycles: file order)."""
    pending = sorted(names, key=lambda name: name != USER_OBJECT)
    ordered = []
    while pending:
        for name in pending:
            targets = {f.type.references() for f in service.catalog.fields(name).values()
                       if f.type.references() is not None and not f.system}
            if not (targets & set(pending)) - {name}:
                break
        else:
            name = pending[0]
        pending.remove(name)
        ordered.append(name)
    return ordered


def _to_load(service: RecordService, name: str, rows: list[Raw], force: bool) -> list[int]:
    """The positions of the rows to load (see the module's docstring)."""
    if force:
        return list(range(len(rows)))
    title = service.catalog.object(name).title
    stored = service.catalog.fields(name)[title].stored
    if not stored or not all(title in row for row in rows):
        with service.db.read() as conn:
            present = conn.execute(select(func.count()).select_from(service.tables[name])).scalar()
        return [] if present else list(range(len(rows)))
    values = sorted({row[title] for row in rows})
    existing: set[str] = set()
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        condition = f"{title} in [{', '.join(quote(v) for v in chunk)}]"
        page = service.query(name, filter=condition, fields=[title], limit=len(chunk) * 10)
        existing.update(str(record[title]) for record in page.records)
    return [i for i, row in enumerate(rows) if row[title] not in existing]


def load_data(service: RecordService, package_dir: str | Path, actor: Actor, *,
              force: bool = False, progress=None) -> SeedReport:
    """Load the package's data files, each in one transaction; raises BulkInvalid (its errors
    keyed by the position of the row in the file, 0 being the first under the header) when
    one is invalid, after the files before it were loaded. ``progress(name, loaded, kept)``
    is called after each file."""
    files = {name: _read(path) for name, path in _files(Path(package_dir)).items()}
    todo = {name: _to_load(service, name, rows, force) for name, rows in files.items()}
    report = SeedReport()
    for name in _order(service, list(files)):
        positions = todo[name]
        kept = len(files[name]) - len(positions)
        if kept:
            report.kept[name] = kept
        if not positions:
            report.skipped.append(name)
        else:
            report.loaded[name] = _load_file(service, name, files[name], positions, actor)
        if progress:
            progress(name, report.loaded.get(name, 0), kept)
    return report


def _load_file(service: RecordService, name: str, raw_rows: list[Raw], positions: list[int],
               actor: Actor) -> int:
    rows, own, errors = _rows(service, name, raw_rows, positions)
    with service.transaction() as tx:
        conn = tx.conn
        # the service's own checks run even when a lookup failed here, so a bad file gets
        # every message at once; raising inside the transaction writes nothing
        try:
            ids = service.create_many(name, rows, actor, tx=tx)
        except BulkInvalid as invalid:
            for index, problems in invalid.by_index.items():
                line = positions[index]
                errors[line] = tuple(problems) + errors.get(line, ())
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
                raise BulkInvalid(name, {positions[index]: tuple(problems)})
            service.update(name, ids[index], resolved, actor, tx=tx)
    return len(ids)


def _rows(service: RecordService, name: str, raw_rows: list[Raw], positions: list[int]
          ) -> tuple[list[dict], dict[int, dict[str, str]], dict[int, tuple[FieldError, ...]]]:
    """The rows to create; per row (by its place among them) the lookups to its own object,
    set after the create; and the lookups that name no record (by position in the file)."""
    fields = service.catalog.fields(name)
    rows, own, errors = [], {}, {}
    for index, line in enumerate(positions):
        row, problems = {}, []
        for column, value in raw_rows[line].items():
            if column not in fields:
                continue
            target = fields[column].type.references()
            if target == name:
                own.setdefault(index, {})[column] = value
                continue
            if target is not None:
                resolved = _resolve(service, target, value)
                if resolved is None:
                    problems.append(FieldError(column, f"no {target} {value!r}", "lookup"))
                    continue
                value = resolved
            row[column] = value
        if problems:
            errors[line] = tuple(problems)
        rows.append(row)
    _check_own_lookups(service, name, rows, own, positions, errors)
    return rows, own, errors


def _check_own_lookups(service: RecordService, name: str, rows: list[dict],
                       own: dict[int, dict[str, str]], positions: list[int], errors: dict) -> None:
    """Lookups to the file's own rows are set after the create; catch the ones that can name
    nothing before anything is written (a formula title can only be checked afterwards)."""
    title = service.catalog.object(name).title
    if not service.catalog.fields(name)[title].stored:
        return
    in_file = {str(row[title]) for row in rows if title in row}
    for index, values in own.items():
        missing = tuple(FieldError(column, f"no {name} {value!r}", "lookup")
                        for column, value in values.items()
                        if value not in in_file and _resolve(service, name, value) is None)
        if missing:
            line = positions[index]
            errors[line] = errors.get(line, ()) + missing


def _resolve(service: RecordService, target: str, value: str, conn=None) -> str | None:
    """The id of the ``target`` record whose id or title is ``value`` (titles may be formulas:
    the query language finds them either way)."""
    title = service.catalog.object(target).title
    condition = f"id == {quote(value)} or {title} == {quote(value)}"
    page = service.query(target, filter=condition, fields=["id"], limit=1, conn=conn)
    return page.records[0]["id"] if page.records else None
