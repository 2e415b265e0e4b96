"""The store's record SQL on its own: unique indexes, RecordStore, counters, history, roll-up
statements and query-plan cursors, on SQLite and PostgreSQL (a schema of this module's own)."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, insert
from sqlalchemy.exc import IntegrityError

from pg_support import drop_schema, postgres_database, unique_schema

from metacrm.meta import load_package
from metacrm.formula import Environment
from metacrm.store import Database, build_tables, init_database
from metacrm.store import counters
from metacrm.store.history import HISTORY, decode_values, history_row, read_history, write_history
from metacrm.store.query import QueryError, QueryPlan, parse_sort
from metacrm.store.records import RecordStore
from metacrm.store.rollups import RollupIndex
from metacrm.store.tables import unique_index_name


FILES = {
    "package.yaml": "kind: package\nname: gadgets\nversion: 1.0.0\n",
    "objects/gadget.yaml": """
        kind: object
        name: gadget
        title: name
        fields:
          name:  {type: text, unique: true, required: true}
          mail:  {type: email, unique: true}
          parts: {type: rollup, from: part.gadget, aggregate: count}
          heavy: {type: rollup, from: part.gadget, aggregate: sum, field: weight, filter: 'big'}
    """,
    "objects/part.yaml": """
        kind: object
        name: part
        title: label
        fields:
          label:  {type: text}
          gadget: {type: lookup, to: gadget, on_delete: cascade}
          weight: {type: decimal}
          big:    {type: formula, returns: boolean, expression: 'weight > 10 or label == "big"'}
    """,
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("gadgets") / "gadgets"
    for name, body in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(body))
    return load_package(root)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def setup(request, catalog, tmp_path_factory, worker_id):
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('rs')}/rs.db")
    else:
        schema = unique_schema("rs")
        db = postgres_database(schema)
    metadata = MetaData()
    tables = build_tables(catalog, metadata)
    init_database(db)
    with db.write() as conn:
        metadata.create_all(conn)
    yield db, tables
    db.dispose()
    if request.param == "postgresql":
        drop_schema(schema)


@pytest.fixture
def db(setup):
    db, tables = setup
    with db.write() as conn:
        for table in (tables["part"], tables["gadget"], HISTORY, counters.COUNTERS):
            conn.execute(table.delete())
    return db


@pytest.fixture
def tables(setup):
    return setup[1]


def row(record_id, **values):
    return {"id": record_id, "created_at": None, "updated_at": None, "created_by": None,
            "updated_by": None, "owner": None, "version": 1, **values}


def gadget(record_id, name, mail=None):
    return row(record_id, name=name, mail=mail, parts=0, heavy=0)


# -- unique indexes -------------------------------------------------------------------------

def test_unique_fields_get_unique_indexes(tables):
    indexes = {index.name: index for index in tables["gadget"].indexes}
    assert indexes[unique_index_name("gadget", "name")].unique
    mail = indexes[unique_index_name("gadget", "mail")]
    assert mail.unique and "lower" in str(mail.expressions[0])


def test_the_database_enforces_them_ignoring_case_for_email(db, tables):
    with db.write() as conn:
        conn.execute(insert(tables["gadget"]), [gadget("g1", "A", "x@y.com")])
    for duplicate in (gadget("g2", "A"), gadget("g3", "B", "X@Y.COM")):
        with pytest.raises(IntegrityError):
            with db.write() as conn:
                conn.execute(insert(tables["gadget"]), [duplicate])
    with db.write() as conn:  # blanks never clash
        conn.execute(insert(tables["gadget"]), [gadget("g4", "C"), gadget("g5", "D")])


# -- RecordStore ----------------------------------------------------------------------------

def test_record_store(db, tables):
    store = RecordStore(tables, db.dialect)
    with db.write() as conn:
        store.insert(conn, "gadget", [gadget("g1", "A", "Mail@x.com"), gadget("g2", "B")])
        store.insert(conn, "part", [row("p1", label="x", gadget="g1", weight=Decimal(3)),
                                    row("p2", label="y", gadget="g1", weight=None)])
        assert store.fetch_one(conn, "gadget", "g1", lock="no_key_update")["name"] == "A"
        assert store.fetch_one(conn, "gadget", "nope") is None
        assert set(store.fetch(conn, "gadget", ["g2", "g1", "zz"], lock="update")) == {"g1", "g2"}
        assert store.existing(conn, "gadget", ["g1", "zz"]) == {"g1"}
        assert store.taken(conn, "gadget", "mail", ["MAIL@X.COM"], casefold=True) == {
            "mail@x.com": "g1"}
        assert store.taken(conn, "gadget", "name", ["a", "B"]) == {"B": "g2"}
        assert store.referencing(conn, "part", "gadget", "g1") == ["p1", "p2"]
        assert store.count_referencing(conn, "part", "gadget", "g1") == 2
        assert store.lookup_values(conn, "part", "gadget", ["p1", "p2"]) == {"g1"}
        store.lock(conn, "gadget", ["g1"])
        store.update(conn, "gadget", "g2", {"name": "B2", "version": 2})
        store.delete(conn, "part", "p2")
        assert store.fetch_one(conn, "gadget", "g2")["name"] == "B2"
        assert store.referencing(conn, "part", "gadget", "g1") == ["p1"]


def test_many_ids_are_chunked(db, tables):
    store = RecordStore(tables, db.dialect)
    with db.write() as conn:
        store.insert(conn, "gadget", [gadget(f"g{i:04d}", f"N{i}") for i in range(1200)])
        ids = [f"g{i:04d}" for i in range(1300)]
        assert len(store.existing(conn, "gadget", ids)) == 1200
        assert len(store.fetch(conn, "gadget", ids)) == 1200


# -- counters -------------------------------------------------------------------------------

def test_counters_reserve_blocks_and_roll_back(db):
    with db.write() as conn:
        assert counters.reserve(conn, "gadget", "n") == 1
        assert counters.reserve(conn, "gadget", "n", 5) == 6
        assert counters.reserve(conn, "other", "n") == 1
    with pytest.raises(RuntimeError):
        with db.write() as conn:
            counters.reserve(conn, "gadget", "n", 10)
            raise RuntimeError("rolled back")
    with db.read() as conn:
        assert counters.current(conn, "gadget", "n") == 6
        assert counters.current(conn, "gadget", "never") == 0
    with pytest.raises(ValueError):
        with db.write() as conn:
            counters.reserve(conn, "gadget", "n", 0)


# -- history --------------------------------------------------------------------------------

def test_history_round_trip(db):
    at = dt.datetime(2024, 5, 1, 12, 0, 0)
    values = [Decimal("10.50"), dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5), ["a", "b"],
              True, 7, "text"]
    rows = [history_row("gadget", "g1", "update", field=f"f{i}", old=None, new=value,
                        version=2, actor_id="u1", actor_name="ann", at=at, metadata_version=4)
            for i, value in enumerate(values)]
    rows.append(history_row("gadget", "g1", "delete", old={"weight": Decimal("1.5"), "x": None},
                            at=at))
    with db.write() as conn:
        write_history(conn, rows)
        write_history(conn, [])
    with db.read() as conn:
        entries = read_history(conn, "gadget", "g1")
    assert [e["new"] for e in entries[:-1]] == ["10.50", "2024-01-02", "2024-01-02 03:04:05",
                                               ["a", "b"], True, 7, "text"]
    assert entries[-1]["old"] == {"weight": "1.5", "x": None}
    decoded = decode_values(entries, {"f0": Decimal, "f1": dt.date.fromisoformat,
                                      "weight": Decimal, "f6": int})
    assert decoded[0]["new"] == Decimal("10.50") and decoded[1]["new"] == dt.date(2024, 1, 2)
    assert decoded[6]["new"] == "text"   # a value that no longer fits its field stays as it was
    assert decoded[-1]["old"]["weight"] == Decimal("1.5")
    assert entries[0]["at"] == at and entries[0]["metadata_version"] == 4


# -- roll-up statements ---------------------------------------------------------------------

def test_rollup_feeds_and_recompute(db, tables, catalog):
    rollups = RollupIndex(catalog, tables, db.dialect)
    (feed,) = rollups.fed_by("part")
    assert feed.parent == "gadget" and feed.fields == ("parts", "heavy")
    # the filter reads the formula `big`, which reads weight and label
    assert feed.reads == {"gadget", "weight", "big", "label"}
    assert rollups.initial_values("gadget") == {"parts": 0, "heavy": 0}
    store = RecordStore(tables, db.dialect)
    with db.write() as conn:
        store.insert(conn, "gadget", [gadget("g1", "A"), gadget("g2", "B")])
        store.insert(conn, "part", [row("p1", label="x", gadget="g1", weight=Decimal(30)),
                                    row("p2", label="big", gadget="g1", weight=Decimal(2)),
                                    row("p3", label="x", gadget="g1", weight=Decimal(3))])
        rollups.recompute(conn, feed, {"g1", "g2"})
        one, two = (store.fetch_one(conn, "gadget", g) for g in ("g1", "g2"))
    assert (one["parts"], one["heavy"]) == (3, Decimal(32))
    assert (two["parts"], two["heavy"]) == (0, 0)


# -- query plans ----------------------------------------------------------------------------

def test_cursors_round_trip_and_refuse_tampering(db, tables, catalog):
    store = RecordStore(tables, db.dialect)
    with db.write() as conn:
        store.insert(conn, "gadget", [gadget(f"g{i}", f"N{i % 3}-{i}") for i in range(5)])
        store.insert(conn, "part", [row(f"p{i}", label=None if i % 2 else f"L{i % 2}",
                                        gadget="g1", weight=Decimal(i) / 4) for i in range(6)])
    plan = QueryPlan(catalog, tables, db.dialect, "part", fields=["label", "weight", "big"],
                     sort="-weight,label")
    with db.read() as conn:
        first = plan.page(conn, Environment(), limit=4)
        assert plan.decode_cursor(first.next_cursor)[-1] == first.records[-1]["id"]
        rest = plan.page(conn, Environment(), limit=4, cursor=first.next_cursor)
    assert [r["weight"] for r in first.records + rest.records] == sorted(
        (Decimal(i) / 4 for i in range(6)), reverse=True)
    for bad in ("", "x", first.next_cursor[:-3] + "AAA"):
        with pytest.raises(QueryError):
            plan.decode_cursor(bad)


def test_parse_sort():
    assert parse_sort("-amount, name") == (("amount", True), ("name", False))
    assert parse_sort(["account.name", "+id"]) == (("account.name", False), ("id", False))
    assert parse_sort(None) == () and parse_sort("") == ()
    with pytest.raises(QueryError):
        parse_sort("amount desc")


def test_count_and_filter(db, tables, catalog):
    store = RecordStore(tables, db.dialect)
    with db.write() as conn:
        store.insert(conn, "gadget", [gadget("g1", "A")])
        store.insert(conn, "part", [row(f"p{i}", label="x", gadget="g1", weight=Decimal(i * 5))
                                    for i in range(4)])
    plan = QueryPlan(catalog, tables, db.dialect, "part", filter="big and gadget.name == 'A'",
                     fields=["weight"])
    with db.read() as conn:
        page = plan.page(conn, Environment(), count=True)
    assert page.count == 1 and [r["weight"] for r in page.records] == [15]  # weight > 10
