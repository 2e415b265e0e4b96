"""Records over the REST API: create, read, list (filter, sort, fields, cursor, count), update
and delete with ETag/If-Match, batches, history. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from api_helpers import account, count, create, problem, tag


def test_create_returns_201_location_etag_and_computed_fields(site):
    client = site.user()
    acme = account(client)
    response = client.post("/api/v1/opportunity", json={
        "name": "Big deal", "account": acme["id"], "amount": 1200.5, "close_date": "2026-03-01"})
    assert response.status_code == 201
    deal = response.get_json()
    assert response.headers["Location"] == f"/api/v1/opportunity/{deal['id']}"
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Cache-Control"] == "no-store"
    # decimals as exact text, dates ISO, datetimes RFC 3339, the formula computed
    assert deal["amount"] == "1200.50"
    assert deal["probability"] == "10.00"
    # (PostgreSQL gives the formula's quotient more digits: the same number; reported)
    assert Decimal(deal["expected_revenue"]) == Decimal("120.05")
    assert deal["close_date"] == "2026-03-01"
    assert deal["created_at"].endswith("Z") and "T" in deal["created_at"]
    assert deal["owner"] == site.user_id and deal["created_by"] == site.user_id
    assert deal["number"].startswith("OPP-")

    again = client.get(response.headers["Location"])
    assert again.status_code == 200
    assert again.get_json() == deal
    assert again.headers["ETag"] == '"1"'
    assert again.headers["Cache-Control"] == "no-store"


def test_rollups_show_in_the_parent(site):
    client = site.user()
    acme = account(client)
    for amount in ("100", "250.25"):
        create(client, "opportunity", {"name": tag(), "account": acme["id"], "amount": amount})
    parent = client.get(f"/api/v1/account/{acme['id']}").get_json()
    assert parent["opportunity_count"] == 2
    assert parent["open_pipeline"] == "350.25"


def test_get_with_fields_and_lookup_paths(site):
    client = site.user()
    acme = account(client, "Acme " + tag())
    deal = create(client, "opportunity", {"name": "D", "account": acme["id"]})
    body = client.get(f"/api/v1/opportunity/{deal['id']}?fields=name,account.name").get_json()
    assert body == {"id": deal["id"], "name": "D", "account.name": acme["name"]}


def test_list_filter_sort_fields_count_and_cursor(site):
    client = site.user()
    acme = account(client)
    prefix = tag()
    amounts = ["50", "10", "40", "20", "30"]
    for i, amount in enumerate(amounts):
        create(client, "opportunity", {"name": f"{prefix}-{i}", "account": acme["id"],
                                       "amount": amount})
    condition = quote(f'starts_with(name, "{prefix}") and amount >= 20')
    query = f"filter={condition}&sort=-amount&fields=name,amount,account.name&limit=2&count=true"
    seen = []
    url = f"/api/v1/opportunity?{query}"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        assert page["count"] == 4
        assert all(set(r) == {"id", "name", "amount", "account.name"} for r in page["records"])
        seen += [r["amount"] for r in page["records"]]
        pages += 1
        if page["next_cursor"]:
            link = response.headers["Link"]
            assert link.endswith('>; rel="next"') and "cursor=" in link
            url = f"/api/v1/opportunity?{query}&cursor={quote(page['next_cursor'])}"
        else:
            assert "Link" not in response.headers
            url = None
    assert seen == ["50.00", "40.00", "30.00", "20.00"]
    assert pages == 2


def test_the_link_header_leads_to_the_next_page(site):
    client = site.user()
    acme = account(client)
    prefix = tag()
    for i in range(3):
        create(client, "opportunity", {"name": f"{prefix}-{i}", "account": acme["id"]})
    condition = quote(f'starts_with(name, "{prefix}")')
    first = client.get(f"/api/v1/opportunity?filter={condition}&sort=name&limit=2")
    target = first.headers["Link"].split(">")[0].lstrip("<")
    second = client.get(target)
    assert [r["name"] for r in second.get_json()["records"]] == [f"{prefix}-2"]


def test_patch_with_if_match(site):
    client = site.user()
    deal = create(client, "opportunity", {"name": tag(), "account": account(client)["id"]})
    url = f"/api/v1/opportunity/{deal['id']}"
    ok = client.patch(url, json={"stage": "proposal"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.get_json()["stage"] == "Proposal"
    assert ok.headers["ETag"] == '"2"'

    stale = problem(client.patch(url, json={"stage": "Negotiation"},
                                 headers={"If-Match": '"1"'}), 412)
    assert stale["current_version"] == 2 and stale["expected_version"] == 1
    assert stale["updated_by"] == "ann" and stale["updated_at"].endswith("Z")
    assert client.get(url).get_json()["stage"] == "Proposal"  # nothing written

    problem(client.patch(url, json={"stage": "Negotiation"}, headers={"If-Match": "nonsense"}),
            412)
    assert client.get(url).get_json()["version"] == 2

    # a version in the body is the same check without the header: a conflict (409)
    conflict = problem(client.patch(url, json={"stage": "Negotiation", "version": 1}), 409)
    assert conflict["current_version"] == 2
    assert client.patch(url, json={"next_step": "call"}, headers={"If-Match": "*"}).status_code \
        == 200


def test_patch_errors_name_fields_and_write_nothing(site):
    client = site.user()
    deal = create(client, "opportunity", {"name": tag(), "account": account(client)["id"]})
    url = f"/api/v1/opportunity/{deal['id']}"
    body = problem(client.patch(url, json={"amount": "lots", "approval_status": "Approved",
                                           "stagee": "Proposal"}), 422)
    assert body["errors"]["amount"] == ["expected a number, got 'lots'"]
    assert "approval_status" in body["errors"]
    assert "did you mean 'stage'" in body["errors"]["stagee"][0]
    assert client.get(url).get_json() == deal


def test_delete_with_if_match_and_restrict(site):
    client = site.user()
    acme = account(client)
    deal = create(client, "opportunity", {"name": tag(), "account": acme["id"]})
    url = f"/api/v1/opportunity/{deal['id']}"
    problem(client.delete(url, headers={"If-Match": '"5"'}), 412)
    assert client.get(url).status_code == 200

    # (the admin: the standard CRM's sales reps may not delete accounts)
    refused = problem(site.admin().delete(f"/api/v1/account/{acme['id']}"), 409)
    assert "refers to it" in refused["errors"]["_record"][0]

    deleted = client.delete(url, headers={"If-Match": '"1"'})
    assert deleted.status_code == 204 and deleted.data == b""
    problem(client.get(url), 404)
    # a deleted record's history: for whoever may see every record (access is judged on the
    # record, which is gone)
    history = site.admin().get(f"{url}/history").get_json()["history"]
    assert [h["operation"] for h in history] == ["create", "delete"]


def test_history(site):
    client = site.user()
    deal = create(client, "opportunity", {"name": tag(), "account": account(client)["id"]})
    url = f"/api/v1/opportunity/{deal['id']}"
    client.patch(url, json={"amount": "12.5"})
    entries = client.get(f"{url}/history").get_json()["history"]
    assert [(e["operation"], e["field"]) for e in entries] == [("create", None),
                                                                ("update", "amount")]
    assert entries[1]["old"] is None and Decimal(entries[1]["new"]) == Decimal("12.5")
    assert entries[1]["actor_name"] == "ann" and entries[1]["at"].endswith("Z")
    problem(client.get("/api/v1/opportunity/nope/history"), 404)


def test_batch_create_is_one_transaction(site):
    client = site.user()
    acme = account(client)
    prefix = tag()
    rows = [{"name": f"{prefix}-{i}", "account": acme["id"]} for i in range(3)]
    response = client.post("/api/v1/opportunity", json=rows)
    assert response.status_code == 201
    ids = response.get_json()["ids"]
    assert len(ids) == 3
    assert [client.get(f"/api/v1/opportunity/{i}").get_json()["name"] for i in ids] == \
        [row["name"] for row in rows]


def test_a_bad_item_in_a_batch_writes_nothing(site):
    client = site.user()
    acme = account(client)
    prefix = tag()
    rows = [{"name": f"{prefix}-{i}", "account": acme["id"]} for i in range(5)]
    rows[3] = {"name": f"{prefix}-3", "amount": "x"}
    body = problem(client.post("/api/v1/opportunity", json=rows), 422)
    assert set(body["errors"]) == {"3"}
    assert body["errors"]["3"]["amount"] == ["expected a number, got 'x'"]
    assert body["errors"]["3"]["account"] == ["is required"]
    assert count(site, "opportunity", f'starts_with(name, "{prefix}")') == 0

    rows[3] = "not a record"
    body = problem(client.post("/api/v1/opportunity", json=rows), 422)
    assert body["errors"] == {"3": {"_record": ["must be a JSON object of field values"]}}
    assert count(site, "opportunity", f'starts_with(name, "{prefix}")') == 0


def test_batch_limits(site):
    client = site.user()
    problem(client.post("/api/v1/account", json=[]), 400)
    prefix = tag()
    body = problem(client.post("/api/v1/account",
                               json=[{"name": f"{prefix}-{i}"} for i in range(1001)]), 413)
    assert "at most 1000" in body["detail"]
    assert count(site, "account", f'starts_with(name, "{prefix}")') == 0
    problem(client.post("/api/v1/acount", json=[{"name": "x"}]), 404)


def test_a_thousand_in_one_batch(site):
    prefix = tag()
    response = site.user().post("/api/v1/account",
                                json=[{"name": f"{prefix}-{i}"} for i in range(1000)])
    assert response.status_code == 201
    assert count(site, "account", f'starts_with(name, "{prefix}")') == 1000


def test_user_records_are_readable_by_all_and_written_by_admins(site):
    ann = site.user()
    users = ann.get("/api/v1/user?fields=username&sort=username").get_json()["records"]
    assert {"admin", "ann"} <= {u["username"] for u in users}
    assert ann.get(f"/api/v1/user/{site.admin_id}").get_json()["username"] == "admin"

    name = tag()
    problem(ann.post("/api/v1/user", json={"username": name}), 403)
    problem(ann.patch(f"/api/v1/user/{site.user_id}", json={"username": "admin2"}), 403)
    problem(ann.delete(f"/api/v1/user/{site.admin_id}"), 403)
    assert count(site, "user", f'username == "{name}"') == 0
    assert ann.get(f"/api/v1/user/{site.user_id}").get_json()["username"] == "ann"

    admin = site.admin()
    changed = admin.patch(f"/api/v1/user/{site.user_id}", json={"full_name": "Ann S."})
    assert changed.status_code == 200 and changed.get_json()["full_name"] == "Ann S."


# at most 14 significant digits: SQLite stores NUMERIC columns as REAL, which is not exact
# beyond 15 (a store issue, reported; PostgreSQL's numeric is exact at any size)
@settings(max_examples=25, deadline=None)
@given(amount=st.decimals(min_value=Decimal("0"), max_value=Decimal("999999999999.99"),
                          places=2, allow_nan=False, allow_infinity=False),
       as_number=st.booleans())
def test_decimals_round_trip_exactly(site, amount, as_number):
    client = site.admin()
    # a JSON number is read as an exact decimal, never through a binary float
    raw = format(amount, "f") if as_number else f'"{amount}"'
    response = client.post("/api/v1/account", data=f'{{"name": "round trip", '
                           f'"annual_revenue": {raw}}}', content_type="application/json")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["annual_revenue"] == format(amount.quantize(Decimal("0.01")), "f")


@settings(max_examples=15, deadline=None)
@given(amounts=st.lists(st.one_of(st.none(), st.integers(0, 5).map(str)), min_size=0,
                        max_size=12),
       descending=st.booleans(), limit=st.integers(1, 5))
def test_paging_with_the_cursor_sees_every_record_once_in_order(site, amounts, descending,
                                                                limit):
    """Keyset pages over ties and blanks: each record once, blanks last either way."""
    client = site.user()
    prefix = tag()
    if amounts:
        rows = [{"name": f"{prefix}-{i}", "account": _shared_account(site), "amount": amount}
                for i, amount in enumerate(amounts)]
        assert client.post("/api/v1/opportunity", json=rows).status_code == 201
    condition = quote(f'starts_with(name, "{prefix}")')
    query = f"filter={condition}&sort={'-' if descending else ''}amount&limit={limit}"
    seen, cursor = [], None
    while True:
        url = f"/api/v1/opportunity?{query}" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = client.get(url).get_json()
        assert len(page["records"]) <= limit
        seen += page["records"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len({r["id"] for r in seen}) == len(seen) == len(amounts)
    values = [Decimal(r["amount"]) if r["amount"] is not None else None for r in seen]
    present = sorted((Decimal(a) for a in amounts if a is not None), reverse=descending)
    assert values == present + [None] * amounts.count(None)


_ACCOUNTS: dict = {}


def _shared_account(site) -> str:
    """One account per database for the property test (creating one per example is slow)."""
    if site.db not in _ACCOUNTS:
        _ACCOUNTS[site.db] = account(site.user())["id"]
    return _ACCOUNTS[site.db]
