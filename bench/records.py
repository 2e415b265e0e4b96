"""Records: RecordService creates (one at a time, in bulk) beside hand-written SQLAlchemy Core
``executemany`` of the same rows (the limit), and a filtered, sorted, limit-50 query on
100,000 and 1,000,000 records, on SQLite and (when reachable) PostgreSQL.

Each side runs in the same process on the same database, one after the other, so the ratios
compare like with like. The bulk path does everything a create does (coercion, defaults,
required, unique and lookup checks, a validation rule, auto-numbers, a roll-up on the parent,
one history row per record); the Core baseline only inserts prepared rows into the same table
with the same indexes. The query tables are filled with the driver's fastest path (COPY on
PostgreSQL), since that measures the query, not the fill.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import MetaData, event, insert, text

from metacrm.formula import Environment
from metacrm.meta import load_package
from metacrm.runtime import Actor, RecordService, Runtime
from metacrm.runtime.ids import new_ids
from metacrm.store import Database, build_tables, init_database

from .harness import Report, duration

PG_URL = os.environ.get("METACRM_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed"]

PACKAGE = {
    "package.yaml": "kind: package\nname: bench_records\nversion: 1.0.0\n",
    "objects/client.yaml": """kind: object
name: client
title: name
fields:
  name: {type: text, required: true}
  deal_count: {type: rollup, from: deal.client, aggregate: count}
""",
    "objects/deal.yaml": """kind: object
name: deal
title: name
fields:
  ref:      {type: auto_number, format: 'D-{000000}'}
  name:     {type: text, required: true, max_length: 120}
  client:   {type: lookup, to: client, required: true, on_delete: restrict}
  email:    {type: email, unique: true}
  amount:   {type: currency, min: 0}
  quantity: {type: integer, default: 1}
  stage:    {type: picklist, options: [Prospecting, Qualification, Proposal, Negotiation, Closed], default: Prospecting}
  close_date: {type: date}
  weighted: {type: formula, returns: currency, expression: 'amount * quantity'}
validations:
  - name: closed_needs_date
    when: 'stage == "Closed" and is_blank(close_date)'
    field: close_date
    message: A closed deal needs a close date.
indexes:
  - [stage, amount]
""",
}


def _catalog(root: Path):
    folder = root / "bench_records"
    for name, body in PACKAGE.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body)
    return load_package(folder)


def _open(kind: str, root: Path):
    """(Database, cleanup) for a fresh SQLite file or a fresh PostgreSQL schema; None if the
    server is unreachable."""
    if kind == "sqlite":
        db = Database.from_url(f"sqlite:///{root}/records.db")
        return db, db.dispose
    schema = f"bench_records_{uuid.uuid4().hex[:8]}"
    db = Database.from_url(PG_URL, pool_size=2)
    try:
        with db.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception:  # noqa: BLE001 - no server: skip PostgreSQL
        db.dispose()
        return None

    @event.listens_for(db.engine, "connect")
    def _search_path(dbapi_conn, _):
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_conn.commit()
    db.engine.dispose()

    def cleanup():
        db.dispose()
        with Database.from_url(PG_URL).engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    return db, cleanup


def _inputs(count: int, client_id: str, start: int) -> list[dict]:
    """What a caller hands the service: text as it comes from JSON or a CSV."""
    rng = random.Random(start)
    return [{"name": f"Deal {start + i}", "client": client_id, "email": f"d{start + i}@example.com",
             "amount": f"{rng.randint(0, 1_000_000) / 100:.2f}", "stage": rng.choice(STAGES[:4]),
             "quantity": rng.randint(1, 9)} for i in range(count)]


def _core_rows(inputs: list[dict], start: int) -> list[dict]:
    """The same rows as a hand-written program would insert them: typed, every column set."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    ids = new_ids(len(inputs))
    return [{"id": ids[i], "ref": f"X-{start + i:06d}", "name": r["name"], "client": r["client"],
             "email": r["email"], "amount": Decimal(r["amount"]), "quantity": r["quantity"],
             "stage": r["stage"], "close_date": None, "created_at": now, "updated_at": now,
             "created_by": None, "updated_by": None, "owner": None, "version": 1}
            for i, r in enumerate(inputs)]


def _creates(report: Report, label: str, db: Database, service: RecordService, quick: bool):
    actor = Actor.system()
    client = service.create("client", {"name": "Acme"}, actor)["id"]
    table = service.tables["deal"]
    singles = 300 if quick else 2000
    bulk = 5_000 if quick else 50_000
    batch = 1000
    inputs = _inputs(singles, client, 0)
    start = time.perf_counter()
    for row in inputs:
        service.create("deal", row, actor)
    single_rate = singles / (time.perf_counter() - start)

    def bulk_run(offset):
        for part in range(0, bulk, batch):
            service.create_many("deal", _inputs(batch, client, offset + part), actor)

    def core_run(offset):
        rows = [_core_rows(_inputs(batch, client, offset + part), offset + part)
                for part in range(0, bulk, batch)]
        start = time.perf_counter()
        for part in rows:
            with db.write() as conn:
                conn.execute(insert(table), part)
        return time.perf_counter() - start

    core_singles = _core_rows(_inputs(singles, client, 30_000_000), 30_000_000)
    start = time.perf_counter()
    for row in core_singles:
        with db.write() as conn:
            conn.execute(insert(table), [row])
    core_single_rate = singles / (time.perf_counter() - start)

    offset = 10_000_000
    start = time.perf_counter()
    bulk_run(offset)
    bulk_rate = bulk / (time.perf_counter() - start)
    core_rate = bulk / core_run(20_000_000)
    report.add(f"records.create_one.{label}", single_rate, "rec/s", "",
               f"{single_rate / core_rate:.1%} of Core executemany, {single_rate / core_single_rate:.0%}"
               f" of a Core INSERT per transaction ({core_single_rate:,.0f}/s); a transaction each")
    report.add(f"records.create_many.{label}", bulk_rate, "rec/s", ">= 25% of Core",
               f"{bulk_rate / core_rate:.1%} of Core executemany; batches of {batch}")
    report.add(f"records.core_executemany.{label}", core_rate, "rec/s", "",
               "hand-written SQLAlchemy Core, the same rows and table (the limit)")


def _fill(db: Database, table: str, count: int, start: int) -> None:
    rng = random.Random(start)
    now = dt.datetime(2024, 1, 1)
    rows = ((f"q{start + i:09d}", f"Deal {start + i}", "c",
             None if i % 50 == 0 else f"{rng.randint(0, 10_000_000) / 100:.2f}",
             rng.randint(1, 9), STAGES[rng.randrange(5)], now, now, 1)
            for i in range(count))
    columns = "id, name, client, amount, quantity, stage, created_at, updated_at, version"
    with db.write() as conn:
        raw = conn.connection.driver_connection
        if db.dialect == "sqlite":
            raw.executemany(f"INSERT INTO {table} ({columns}) VALUES (?,?,?,?,?,?,?,?,?)",
                            ((*r[:6], r[6].isoformat(" "), r[7].isoformat(" "), r[8]) for r in rows))
        else:
            with raw.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
    with db.write() as conn:
        conn.exec_driver_sql("ANALYZE" if db.dialect == "sqlite" else f"ANALYZE {table}")


def _queries(report: Report, label: str, db: Database, service: RecordService, quick: bool):
    with db.write() as conn:  # the query table: the create benchmark's rows are gone
        conn.exec_driver_sql("DELETE FROM deal")
        conn.exec_driver_sql("INSERT INTO client (id, name, version) VALUES ('c', 'Client', 1)")
    filled = 0
    for size in ([100_000] if quick else [100_000, 1_000_000]):
        start = time.perf_counter()
        _fill(db, "deal", size - filled, filled)
        fill_time = time.perf_counter() - start
        filled = size
        shown = f"{size // 1000:,}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        kwargs = {"filter": 'stage == "Negotiation"', "sort": "-amount", "limit": 50,
                  "fields": ["name", "amount", "stage", "weighted", "client.name"]}
        first = service.query("deal", **kwargs)
        assert len(first.records) == 50 and first.next_cursor
        took = duration(lambda: service.query("deal", **kwargs), repeat=20)
        report.add(f"records.query_{shown}.{label}", took * 1000, "ms", "< 10 ms",
                   f"filter stage, sort -amount, limit 50, formula + lookup columns; "
                   f"filled in {fill_time:.0f} s")
        deep = first
        for _ in range(20):  # a page far into the result
            deep = service.query("deal", cursor=deep.next_cursor, **kwargs)
        took = duration(lambda: service.query("deal", cursor=deep.next_cursor, **kwargs), repeat=20)
        report.add(f"records.query_{shown}_page_21.{label}", took * 1000, "ms", "< 10 ms",
                   "the same query, 21st page through the cursor")
        took = duration(lambda: service.query("deal", filter='stage == "Negotiation"',
                                              limit=1, count=True), repeat=3)
        report.add(f"records.count_{shown}.{label}", took * 1000, "ms", "",
                   "count=True on the same filter (about a fifth of the rows)")


def deployed_databases(root: Path, catalog, suite: str):
    """(kind, Database) for a fresh SQLite file and (when the server answers) a fresh
    PostgreSQL schema, each with the catalog's tables made, removed after its turn."""
    for kind in ("sqlite", "postgresql"):
        opened = _open(kind, root)
        if opened is None:
            print(f"{suite}: PostgreSQL unreachable at {PG_URL}; skipped")
            continue
        db, cleanup = opened
        try:
            metadata = MetaData()
            build_tables(catalog, metadata)
            init_database(db)
            with db.write() as conn:
                metadata.create_all(conn)
            yield kind, db
        finally:
            cleanup()


def run(report: Report, quick: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        catalog = _catalog(root)
        for kind, db in deployed_databases(root, catalog, "records"):
            service = Runtime(db, catalog, env=Environment()).service
            _creates(report, kind, db, service, quick)
            _queries(report, kind, db, service, quick)
