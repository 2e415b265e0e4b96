"""Queries: filters (lookups, formula fields, current_user, today), sort (stored, formula and
lookup fields, blanks last), keyset pagination, field selection, count, errors; and one SELECT
per page, whatever the formula fields and lookups asked for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from runtime_helpers import clean

from metacrm.runtime import Actor, QueryInvalid, UnknownObject


@pytest.fixture
def data(service, ann, bob):
    acme = service.create("company", {"name": "Acme", "tier": "Gold", "revenue": 5_000_000,
                                      "tags": ["a", "b"]}, ann)
    beta = service.create("company", {"name": "Beta", "revenue": 10}, bob)
    rows = [("Alpha", acme, 500, 2, "Open", ann), ("Bravo", acme, 150, None, "Open", bob),
            ("Charlie", beta, None, 1, "Open", ann), ("Delta", beta, 20, 3, "Lost", bob),
            ("Echo", beta, 20, 1, "Open", ann)]
    deals = {}
    for title, company, amount, quantity, stage, actor in rows:
        deals[title] = service.create("deal", {
            "title": title, "company": company["id"], "amount": amount, "quantity": quantity,
            "stage": stage, "loss_reason": "price" if stage == "Lost" else None}, actor)
    return {"acme": acme, "beta": beta, "deals": deals}


def titles(page):
    return [r["title"] for r in page.records]


def q(service, actor=None, **kwargs):
    kwargs.setdefault("fields", ["title"])
    return service.query("deal", actor, **kwargs)


# -- filters ----------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('stage == "Open"', ["Alpha", "Bravo", "Charlie", "Echo"]),
    ('company.name == "Acme"', ["Alpha", "Bravo"]),
    ('company.tier == "Gold" and amount > 200', ["Alpha"]),
    ("weighted >= 40", ["Alpha", "Delta"]),                       # a formula field
    ('company_tier == "Bronze"', ["Charlie", "Delta", "Echo"]),   # a formula through a lookup
    ("is_blank(amount)", ["Charlie"]),
    ("amount != 20", ["Alpha", "Bravo"]),                         # blank is never != anything
    ('"a" in company.tags', ["Alpha", "Bravo"]),
    ("company.revenue > 1000 and not is_blank(quantity)", ["Alpha"]),
    ("due == today() + 7", ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]),
])
def test_filters(service, data, expression, expected):
    assert titles(q(service, filter=expression, sort="title")) == expected


def test_current_user_is_the_acting_user(service, data, ann, bob):
    assert titles(q(service, ann, filter="owner == current_user()", sort="title")) == [
        "Alpha", "Charlie", "Echo"]
    assert titles(q(service, bob, filter="owner == current_user()", sort="title")) == [
        "Bravo", "Delta"]


# -- sort -------------------------------------------------------------------------------------

@pytest.mark.parametrize("sort, expected", [
    ("title", ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]),
    ("-title", ["Echo", "Delta", "Charlie", "Bravo", "Alpha"]),
    ("amount,title", ["Delta", "Echo", "Bravo", "Alpha", "Charlie"]),      # blanks last
    ("-amount,title", ["Alpha", "Bravo", "Delta", "Echo", "Charlie"]),     # blanks last too
    ("-weighted,title", ["Alpha", "Delta", "Echo", "Bravo", "Charlie"]),   # a formula field
    ("company.name,-title", ["Bravo", "Alpha", "Echo", "Delta", "Charlie"]),
    (["-quantity", "title"], ["Delta", "Alpha", "Charlie", "Echo", "Bravo"]),
])
def test_sort(service, data, sort, expected):
    assert titles(q(service, sort=sort)) == expected


def test_default_order_is_creation_order(service, data):
    assert titles(q(service)) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]


# -- pages --------------------------------------------------------------------------------------

@pytest.mark.parametrize("sort", ["amount", "-amount", "-quantity,amount", "title", None])
def test_pages_cover_everything_once(service, data, sort):
    everything = titles(q(service, sort=sort))
    seen, cursor = [], None
    while True:
        page = q(service, sort=sort, limit=2, cursor=cursor)
        assert len(page.records) <= 2
        seen += titles(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == everything


def test_count_only_when_asked(service, data):
    assert q(service, filter='stage == "Open"').count is None
    assert q(service, filter='stage == "Open"', count=True, limit=1).count == 4


def test_field_selection(service, data):
    page = service.query("deal", fields=["title", "company.name", "weighted"], sort="title",
                         limit=1)
    assert page.records == [{"id": data["deals"]["Alpha"]["id"], "title": "Alpha",
                             "company.name": "Acme", "weighted": Decimal("1000")}]


def test_all_fields_by_default(service, data):
    record = service.query("deal", sort="title", limit=1).records[0]
    assert set(record) == set(service.catalog.fields("deal"))
    assert record == service.get("deal", record["id"])


def selects(service, work) -> list[str]:
    """The SELECT statements ``work()`` sends to the database."""
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(service.db.engine, "before_cursor_execute", seen)
    try:
        work()
    finally:
        event.remove(service.db.engine, "before_cursor_execute", seen)
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_one_select_per_page(service, data):
    # every field: formula fields, one through a lookup (company_tier) — still one SELECT
    assert len(selects(service, lambda: service.query("deal", limit=50))) == 1
    assert len(selects(service, lambda: service.get("deal", data["deals"]["Alpha"]["id"]))) == 1


def test_a_first_key_that_can_be_blank_takes_at_most_two(service, data):
    # the rows where it is set, then (when the page is not full yet) the blank ones
    assert len(selects(service, lambda: service.query("deal", sort="-amount", limit=2))) == 1
    assert len(selects(service, lambda: service.query("deal", sort="-amount", limit=50))) == 2


# -- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, part, message", [
    ({"filter": "amout > 1"}, "filter", "unknown field 'amout'; did you mean 'amount'?"),
    ({"filter": "amount"}, "filter", "must be a condition"),
    ({"filter": "changed(amount)"}, "filter", "changed"),
    ({"sort": "colour"}, "sort", "unknown field 'colour'"),
    ({"sort": "amount; drop"}, "sort", "is not a field name"),
    ({"sort": "company.tags"}, "sort", "cannot sort by 'company.tags'"),
    ({"fields": ["title", "bogus"]}, "fields", "unknown field 'bogus'"),
    ({"limit": 0}, "limit", "from 1 to 1000"),
    ({"cursor": "garbage!"}, "cursor", "not a cursor"),
])
def test_query_errors(service, data, kwargs, part, message):
    with pytest.raises(QueryInvalid) as caught:
        service.query("deal", **kwargs)
    assert list(caught.value.errors) == [part]
    assert message in caught.value.errors[part][0]


def test_a_cursor_belongs_to_its_sort(service, data):
    cursor = q(service, sort="amount", limit=1).next_cursor
    with pytest.raises(QueryInvalid, match="another sort"):
        q(service, sort="title", cursor=cursor)


def test_unknown_object(service):
    with pytest.raises(UnknownObject):
        service.query("dael")


# -- property: pages in any sort order are one full sorted scan --------------------------------

SORTABLE = ["title", "amount", "quantity", "stage", "weighted", "company.name", "due", "id"]

rows_strategy = st.lists(st.tuples(
    st.sampled_from(["a", "b", "B", "c", ""]),                  # titles repeat (and blank)
    st.one_of(st.none(), st.integers(0, 5).map(Decimal)),       # amounts repeat, some blank
    st.one_of(st.none(), st.integers(-2, 2)),
    st.sampled_from(["Open", "Lost"]),
    st.integers(0, 2),                                          # which company
    st.one_of(st.none(), st.integers(0, 3)),                    # due: days from today
), min_size=0, max_size=40)
sort_strategy = st.lists(st.tuples(st.sampled_from(SORTABLE), st.booleans()),
                         min_size=0, max_size=3, unique_by=lambda k: k[0])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=rows_strategy, sort=sort_strategy, limit=st.integers(1, 7))
def test_pagination_is_one_sorted_scan(service, tables, rows, sort, limit):
    clean(service.db, tables["__metadata__"])
    ann = Actor.system()
    companies = service.create_many("company", [{"name": n, "revenue": 1} for n in "XYZ"], ann)
    title_of = {"": None}
    service.create_many("deal", [
        {"title": title_of.get(t, t) or "blank", "company": companies[c], "amount": a,
         "quantity": qty, "stage": s, "loss_reason": "x" if s == "Lost" else None,
         "due": None if d is None else dt.date(2024, 5, 1) + dt.timedelta(days=d)}
        for t, a, qty, s, c, d in rows], ann)
    spec = ",".join(("-" if desc else "") + field for field, desc in sort)
    fields = ["title", "amount", "quantity", "due"]
    full = service.query("deal", sort=spec or None, fields=fields, limit=1000)
    assert full.next_cursor is None and len(full.records) == len(rows)
    for field, desc in sort[:1]:  # the first key's order and blanks-last, checked in Python
        if field in ("amount", "quantity", "due"):
            values = [r[field] for r in full.records]
            present = [v for v in values if v is not None]
            assert values == present + [None] * (len(values) - len(present))
            assert present == sorted(present, reverse=desc)
    seen, cursor = [], None
    while True:
        page = service.query("deal", sort=spec or None, fields=fields, limit=limit,
                             cursor=cursor)
        seen += page.records
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == full.records
