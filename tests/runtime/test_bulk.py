"""create_many: one transaction, the same checks as create, all or nothing, errors per index."""

from __future__ import annotations

from decimal import Decimal

import pytest

from runtime_helpers import count, snapshot

from metacrm.runtime import BulkInvalid, RecordInvalid


@pytest.fixture
def acme(service, ann):
    return service.create("company", {"name": "Acme", "email": "a@acme.com"}, ann)


def test_bulk_creates_in_order_with_defaults_and_numbers(service, ann, acme):
    rows = [{"title": f"D{i}", "company": acme["id"], "amount": i * 10} for i in range(5)]
    ids = service.create_many("deal", rows, ann)
    assert len(ids) == len(set(ids)) == 5
    deals = [service.get("deal", i) for i in ids]
    assert [d["title"] for d in deals] == [f"D{i}" for i in range(5)]
    assert [d["ref"] for d in deals] == [f"D-2024-{n:04d}" for n in range(1, 6)]
    assert {d["stage"] for d in deals} == {"Open"} and {d["owner"] for d in deals} == {ann.user_id}
    assert service.get("company", acme["id"])["deal_total"] == Decimal(100)
    assert all(service.history("deal", i)[0]["operation"] == "create" for i in ids)


def test_empty_bulk(service, ann):
    assert service.create_many("company", [], ann) == []


def test_bulk_is_all_or_nothing_with_errors_per_index(service, ann, acme):
    rows = [{"name": "Fine"},
            {"name": ""},                                  # required
            {"name": "Acme"},                              # taken in the database
            {"name": "Twin", "code": "T"},
            {"name": "Twin2", "code": "T"},                # repeats #3 in the batch
            {"name": "Mail", "email": "A@ACME.COM"},       # taken, ignoring case
            {"name": "Lost", "parent": "nope"},            # lookup
            {"name": "Gold", "tier": "Gold"},              # record-level rule
            {"name": "Bad", "rating": "x", "colour": 1}]   # coercion + unknown field
    before = snapshot(service.db, service)
    with pytest.raises(BulkInvalid) as caught:
        service.create_many("company", rows, ann)
    assert snapshot(service.db, service) == before
    errors = caught.value.messages_by_index
    assert sorted(errors) == [1, 2, 4, 5, 6, 7, 8]
    assert errors[1] == {"name": ["is required"]}
    assert errors[2] == {"name": ["'Acme' is already used by another company"]}
    assert errors[4] == {"code": ["'T' is also given to record #3 of this batch"]}
    assert errors[5] == {"email": ["'A@ACME.COM' is already used by another company"]}
    assert errors[6] == {"parent": ["there is no company with id 'nope'"]}
    assert errors[7] == {"_record": ["A gold company needs a revenue."]}
    assert set(errors[8]) == {"rating", "colour"}
    assert isinstance(caught.value, RecordInvalid)
    assert "7 invalid company records, none written" in str(caught.value)
    assert caught.value.to_dict()["errors"]["1"] == {"name": ["is required"]}


def test_bulk_batch_duplicates_ignore_case_for_email(service, ann):
    with pytest.raises(BulkInvalid) as caught:
        service.create_many("person", [{"last_name": "A", "email": "x@y.com"},
                                       {"last_name": "B", "email": "X@Y.COM"}], ann)
    assert list(caught.value.by_index) == [1]


def test_bulk_numbers_are_not_used_by_a_failed_batch(service, ann, acme):
    with pytest.raises(BulkInvalid):
        service.create_many("deal", [{"title": "A", "company": acme["id"]}, {"title": ""}], ann)
    assert service.create("deal", {"title": "B", "company": acme["id"]}, ann)["ref"] == "D-2024-0001"


def test_a_big_bulk(service, ann, acme):
    rows = [{"last_name": f"L{i}", "email": f"p{i}@example.com", "company": acme["id"]}
            for i in range(2500)]
    service.create_many("person", rows, ann)
    assert count(service.db, service.tables["person"]) == 2500
    page = service.query("person", filter='company.name == "Acme"', limit=5, count=True)
    assert page.count == 2500
