"""Deploy: adding a field to a large table through plan + apply, on SQLite and PostgreSQL.

The table is filled with raw SQL (the fastest way in: this measures the deploy, not inserts);
then a package that adds one field is planned and applied. Adding a column is O(1) on both
databases, so the time is the deploy's own work: loading and diffing the catalogs, counting
risks (none here), one ALTER TABLE, storing the version.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid

from sqlalchemy import create_engine, event, text

from metacrm.meta import load_files
from metacrm.store import Database
from metacrm.store import deploy as deployment

from .harness import Report

PG_URL = os.environ.get("METACRM_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")

ITEM = """kind: object
name: item
title: name
fields:
  name: {type: text, max_length: 80}
  quantity: {type: integer}
  price: {type: currency}
"""


def _catalog(extra: str = "", version: str = "1.0.0"):
    return load_files({"bench": {
        "package.yaml": f"kind: package\nname: bench\nversion: {version}\n",
        "objects/item.yaml": ITEM + extra}})


def _fill_sqlite(db: Database, rows: int) -> None:
    with db.write() as conn:
        raw = conn.connection.driver_connection
        raw.executemany("INSERT INTO item (id, name, quantity, price, version) VALUES (?, ?, ?, ?, 1)",
                        ((f"i{n}", f"Item {n}", n % 100, "9.99") for n in range(rows)))


def _fill_postgres(db: Database, rows: int) -> None:
    with db.write() as conn:
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy("COPY item (id, name, quantity, price, version) FROM STDIN") as copy:
            for n in range(rows):
                copy.write_row((f"i{n}", f"Item {n}", n % 100, "9.99", 1))
        conn.exec_driver_sql("ANALYZE item")


def _add_field(report: Report, db: Database, label: str, rows: int, fill) -> None:
    deployment.apply(db, _catalog())
    start = time.perf_counter()
    fill(db, rows)
    filled = time.perf_counter() - start
    new = _catalog("  discount: {type: percent}\n", "1.1.0")
    start = time.perf_counter()
    plan = deployment.plan(db, new)
    planned = time.perf_counter() - start
    result = deployment.apply(db, plan)
    total = time.perf_counter() - start
    assert result.version is not None and not plan.risks
    steps = "; ".join(str(step) for step in plan.steps)
    shown = f"{rows // 1000:,}k" if rows < 1_000_000 else f"{rows // 1_000_000}M"
    report.add(f"deploy.add_field_{shown}_rows.{label}", total, "s", "< 1 s",
               f"plan {planned * 1000:.0f} ms + apply; {steps}; filled in {filled:.1f} s")
    # for comparison: a rename, O(1) on PostgreSQL, a copy of the table on SQLite
    new = load_files({"bench": {
        "package.yaml": "kind: package\nname: bench\nversion: 1.2.0\n",
        "objects/item.yaml": ITEM.replace("  quantity: {type: integer}",
                                          "  stock: {type: integer, renamed_from: quantity}")
        + "  discount: {type: percent}\n"}})
    start = time.perf_counter()
    result = deployment.apply(db, new)
    took = time.perf_counter() - start
    assert result.version is not None
    rebuilt = any(step.rewrites for step in result.plan.steps)
    report.add(f"deploy.rename_field_{shown}_rows.{label}", took, "s", "",
               "copies the table (batch mode)" if rebuilt else "ALTER … RENAME COLUMN")


def _postgres_database(schema: str) -> Database | None:
    engine = create_engine(PG_URL, pool_pre_ping=True)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # noqa: BLE001 - no server: the figure is left out
        print(f"deploy bench: PostgreSQL unavailable ({type(error).__name__}); skipped")
        engine.dispose()
        return None

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn, _):
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_conn.commit()

    engine.dispose()
    return Database(engine)


def run(report: Report, quick: bool) -> None:
    rows = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{tmp}/bench.db")
        try:
            _add_field(report, db, "sqlite", rows, _fill_sqlite)
        finally:
            db.dispose()
    schema = f"bench_deploy_{uuid.uuid4().hex[:8]}"
    db = _postgres_database(schema)
    if db is None:
        return
    try:
        _add_field(report, db, "postgresql", rows, _fill_postgres)
    finally:
        db.dispose()
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        db.dispose()
