"""RecordService.update: partial updates, checks on change, optimistic locking, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from runtime_helpers import snapshot

from metacrm.runtime import RECORD, RecordInvalid, RecordNotFound, VersionConflict


@pytest.fixture
def acme(service, ann):
    return service.create("company", {"name": "Acme", "revenue": "1000", "code": "AC"}, ann)


@pytest.fixture
def deal(service, ann, acme):
    return service.create("deal", {"title": "D", "company": acme["id"], "amount": "100"}, ann)


def failing(service, *args, error=RecordInvalid, **kwargs):
    before = snapshot(service.db, service)
    with pytest.raises(error) as caught:
        service.update(*args, **kwargs)
    assert snapshot(service.db, service) == before
    return caught.value


def test_partial_update_keeps_other_fields(service, ann, bob, acme):
    updated = service.update("company", acme["id"], {"rating": 9}, bob)
    assert updated["rating"] == 9 and updated["name"] == "Acme" and updated["code"] == "AC"
    assert updated["version"] == 2 and updated["updated_by"] == bob.user_id
    assert updated["created_by"] == ann.user_id and updated["created_at"] == acme["created_at"]
    assert updated["label"] == "Acme (Bronze)"


def test_an_update_that_changes_nothing_writes_nothing(service, ann, acme):
    before = snapshot(service.db, service)
    same = service.update("company", acme["id"], {"name": "Acme", "revenue": "1000.00",
                                                  "label": "Acme (Bronze)", "id": acme["id"]}, ann)
    assert same["version"] == 1
    assert snapshot(service.db, service) == before


def test_update_of_a_missing_record(service, ann):
    failing(service, "company", "nope", {"rating": 1}, ann, error=RecordNotFound)


def test_checks_run_on_the_merged_record(service, ann, acme):
    error = failing(service, "company", acme["id"], {"tier": "Gold", "revenue": None}, ann)
    assert error.messages == {RECORD: ["A gold company needs a revenue."]}
    error = failing(service, "company", acme["id"], {"name": None}, ann)
    assert error.messages == {"name": ["is required"]}


def test_unique_on_change(service, ann, acme):
    other = service.create("company", {"name": "Other"}, ann)
    assert failing(service, "company", other["id"], {"code": "AC"}, ann).messages == {
        "code": ["'AC' is already used by another company"]}
    # keeping one's own value is no clash
    service.update("company", acme["id"], {"code": "AC", "rating": 1}, ann)


def test_lookups_on_change(service, ann, deal):
    assert failing(service, "deal", deal["id"], {"company": "gone"}, ann).messages == {
        "company": ["there is no company with id 'gone'"]}


def test_read_only_change_is_an_error(service, ann, acme):
    error = failing(service, "company", acme["id"], {"locked": "x"}, ann)
    assert error.messages == {"locked": ["is read-only"]} and error.errors[0].code == "read_only"
    error = failing(service, "company", acme["id"], {"label": "Other", "deal_count": 3,
                                                       "created_at": "2020-01-01"}, ann)
    assert error.messages == {"label": ["is computed: it cannot be set"],
                              "deal_count": ["is computed: it cannot be set"],
                              "created_at": ["is set by the system"]}


def test_read_only_when_is_judged_on_the_new_values(service, ann, deal):
    assert failing(service, "deal", deal["id"], {"close_date": "2024-02-01"}, ann).messages == {
        "close_date": ['is read-only when stage == "Open"']}
    won = service.update("deal", deal["id"], {"stage": "Won", "close_date": "2024-02-01"}, ann)
    assert won["close_date"] == dt.date(2024, 2, 1)


def test_rules_see_prior_values(service, ann, deal):
    service.update("deal", deal["id"], {"stage": "Lost", "loss_reason": "price"}, ann)
    error = failing(service, "deal", deal["id"], {"stage": "Open"}, ann)
    assert error.messages == {"stage": ["A closed deal stays closed."]}


def test_defaults_do_not_apply_on_update(service, ann, deal):
    updated = service.update("deal", deal["id"], {"quantity": None}, ann)
    assert updated["quantity"] is None and updated["stage"] == "Open"


# -- optimistic locking -----------------------------------------------------------------------

def test_stale_version_conflicts_and_writes_nothing(service, ann, bob, acme):
    service.update("company", acme["id"], {"rating": 2}, bob, version=1)
    conflict = failing(service, "company", acme["id"], {"rating": 3}, ann, version=1,
                       error=VersionConflict)
    assert conflict.current == 2 and conflict.expected == 1
    assert conflict.updated_by == "bob"
    assert conflict.updated_at == dt.datetime(2024, 5, 1, 12, 30)
    assert "version 2, not 1" in str(conflict) and "by bob" in str(conflict)
    assert conflict.to_dict()["current_version"] == 2


def test_version_in_the_input_is_the_expected_version(service, ann, acme):
    service.update("company", acme["id"], {"rating": 2, "version": 1}, ann)
    failing(service, "company", acme["id"], {"rating": 3, "version": "1"}, ann,
            error=VersionConflict)
    assert service.update("company", acme["id"], {"rating": 3, "version": 2}, ann)["version"] == 3


def test_current_version_succeeds(service, ann, acme):
    assert service.update("company", acme["id"], {"rating": 2}, ann, version=1)["version"] == 2


# -- history ----------------------------------------------------------------------------------

def test_history_records_each_changed_field(service, ann, bob, acme):
    service.update("company", acme["id"], {"rating": 8, "revenue": "2500.50", "tags": ["a"]}, bob)
    entries = service.history("company", acme["id"])
    assert [(e["operation"], e["field"]) for e in entries] == [
        ("create", None), ("update", "rating"), ("update", "revenue"), ("update", "tags")]
    create, rating, revenue, tags = entries
    assert create["actor_id"] == ann.user_id and create["actor_name"] == "ann"
    assert revenue["old"] == Decimal("1000.00") and revenue["new"] == Decimal("2500.50")
    assert rating["old"] == 5 and rating["new"] == 8
    assert tags["old"] is None and tags["new"] == ["a"]
    assert revenue["actor_name"] == "bob" and revenue["version"] == 2
    assert revenue["at"] == dt.datetime(2024, 5, 1, 12, 30)
    assert {e["metadata_version"] for e in entries} == {3}


def test_history_of_an_unknown_record(service):
    with pytest.raises(RecordNotFound):
        service.history("company", "nope")
