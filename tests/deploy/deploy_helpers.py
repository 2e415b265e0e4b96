"""Helpers for the deploy tests: packages from YAML texts, rows written straight to tables.

(Rows go in through SQLAlchemy Core, not the RecordService: these tests are about what a
deploy does to data already stored, whatever wrote it.)
"""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, func, inspect, insert, select, text
from sqlalchemy.engine import Engine

from metacrm.meta import Catalog, load_files
from metacrm.store import Database, build_tables
from metacrm.store import deploy as deployment


def files(objects: dict[str, str], *, name: str = "app", version: str = "1.0.0",
          others: dict[str, str] | None = None, requires=()) -> dict[str, str]:
    """A package's files: ``objects`` maps an object name to its YAML (dedented)."""
    head = f"kind: package\nname: {name}\nversion: {version}\n"
    if requires:
        head += f"requires: [{', '.join(requires)}]\n"
    result = {"package.yaml": head}
    for object_name, body in objects.items():
        result[f"objects/{object_name}.yaml"] = textwrap.dedent(body).lstrip("\n")
    for path, body in (others or {}).items():
        result[path] = textwrap.dedent(body).lstrip("\n")
    return result


def catalog(objects: dict[str, str], **kwargs) -> Catalog:
    package = files(objects, **kwargs)
    return load_files({kwargs.get("name", "app"): package})


def write_package(root: Path, name: str, texts: dict[str, str]) -> Path:
    folder = root / name
    for relative, text in texts.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def deploy(db: Database, cat: Catalog, **kwargs):
    return deployment.apply(db, cat, **kwargs)


def insert_rows(db: Database, cat: Catalog, object_name: str, rows: list[dict]) -> None:
    table = build_tables(cat)[object_name]
    with db.write() as conn:
        conn.execute(insert(table), [{"version": 1, **row} for row in rows])


def rows(db: Database, cat: Catalog, object_name: str, *columns: str) -> list[tuple]:
    table = build_tables(cat)[object_name]
    with db.read() as conn:
        return [tuple(row) for row in conn.execute(
            select(table.c.id, *[table.c[c] for c in columns]).order_by(table.c.id))]


def count(db: Database, cat: Catalog, object_name: str) -> int:
    table = build_tables(cat)[object_name]
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def columns(db: Database, table: str) -> list[str]:
    with db.read() as conn:
        return [c["name"] for c in inspect(conn).get_columns(table)]


def indexes(db: Database, table: str) -> set[str]:
    """The table's index names (on SQLite from sqlite_master: reflection skips expressions)."""
    with db.read() as conn:
        if db.dialect == "sqlite":
            return set(conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                "AND name NOT LIKE 'sqlite_autoindex%'"), {"t": table}).scalars())
        return {i["name"] for i in inspect(conn).get_indexes(table)}


def tables(db: Database) -> set[str]:
    with db.read() as conn:
        return set(inspect(conn).get_table_names())


# -- counting what a deploy does (plan once) --------------------------------------------------

#: what planning runs, by counter name: (module, function); every binding of the function in
#: metacrm's modules is wrapped (``from x import f`` copies it into the importer)
PLANNING = {
    "diff": ("metacrm.meta.diff", "diff"),
    "find_risks": ("metacrm.store.risks", "find_risks"),
    "load_package": ("metacrm.meta.loader", "load_package"),
    "stored_loads": ("metacrm.store.versions", "load"),
}


@contextlib.contextmanager
def counting_planning() -> Iterator[Counter]:
    """Counts, while inside: diffs, risk searches, packages loaded from folders, stored
    versions read (with their files), and ``count(…)`` SQL statements (``count_queries``:
    the risks' counts), on every engine."""
    calls: Counter = Counter()
    patched: list[tuple[object, str, object]] = []
    for key, (module_name, name) in PLANNING.items():
        original = getattr(importlib.import_module(module_name), name)

        def counted(*args, __key=key, __original=original, **kwargs):
            calls[__key] += 1
            return __original(*args, **kwargs)

        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("metacrm") \
                    and getattr(module, name, None) is original:
                patched.append((module, name, original))
                setattr(module, name, counted)

    def on_sql(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\bcount\(", statement, re.IGNORECASE):
            calls["count_queries"] += 1

    event.listen(Engine, "before_cursor_execute", on_sql)
    try:
        yield calls
    finally:
        event.remove(Engine, "before_cursor_execute", on_sql)
        for module, name, original in patched:
            setattr(module, name, original)
