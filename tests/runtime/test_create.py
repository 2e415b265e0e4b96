"""RecordService.create: each step of the write pipeline and its error, on SQLite and
PostgreSQL; an error writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from runtime_helpers import FIXED_NOW, snapshot

from metacrm.runtime import (RECORD, Actor, ReadOnlyField, RecordInvalid, RecordNotFound,
                             UnknownObject)


def invalid(service, object_name, data, actor) -> dict:
    """The messages of a create that must fail, after proving it wrote nothing."""
    before = snapshot(service.db, service)
    with pytest.raises(RecordInvalid) as caught:
        service.create(object_name, data, actor)
    assert snapshot(service.db, service) == before
    return caught.value.messages


@pytest.fixture
def acme(service, ann):
    return service.create("company", {"name": "Acme", "revenue": "1000"}, ann)


# -- system fields and defaults -------------------------------------------------------------

def test_system_fields_are_set(service, ann):
    company = service.create("company", {"name": "Acme"}, ann)
    assert isinstance(company["id"], str) and 0 < len(company["id"]) <= 64
    assert company["created_at"] == company["updated_at"] == dt.datetime(2024, 5, 1, 12, 30)
    assert company["created_by"] == company["updated_by"] == ann.user_id
    assert company["owner"] == ann.user_id
    assert company["version"] == 1
    assert service.get("company", company["id"]) == company


def test_ids_are_unique_and_time_ordered(service, ann):
    ids = [service.create("company", {"name": f"C{i}"}, ann)["id"] for i in range(5)]
    assert len(set(ids)) == 5
    assert ids[0][:12] <= ids[-1][:12]  # the time prefix never goes back


def test_literal_and_formula_defaults(service, ann, acme):
    deal = service.create("deal", {"title": "D", "company": acme["id"], "amount": "5000"}, ann)
    assert deal["stage"] == "Open"                       # literal
    assert deal["quantity"] == 1
    assert deal["approved"] is False                     # read-only field with a default
    assert deal["due"] == dt.date(2024, 5, 8)            # =today() + 7, on the fixed clock
    assert deal["discount"] == Decimal("12.35")          # formula, rounded to the scale
    assert deal["assignee"] == ann.user_id               # =current_user()
    small = service.create("deal", {"title": "S", "company": acme["id"], "amount": "10"}, ann)
    assert small["discount"] == 0                        # a default formula reads the input


def test_explicit_blank_stays_blank(service, ann, acme):
    deal = service.create("deal", {"title": "D", "company": acme["id"], "quantity": None,
                                   "due": "", "assignee": None}, ann)
    assert deal["quantity"] is None and deal["due"] is None and deal["assignee"] is None


def test_owner_defaults_to_the_actor_and_may_be_given(service, ann, bob):
    assert service.create("company", {"name": "A"}, ann)["owner"] == ann.user_id
    assert service.create("company", {"name": "B", "owner": bob.user_id}, ann)["owner"] == bob.user_id
    assert service.create("company", {"name": "C"}, Actor.system())["owner"] is None


def test_rollups_start_at_their_empty_values(service, ann, acme):
    assert acme["deal_count"] == 0 and acme["deal_total"] == 0
    assert acme["min_amount"] is None and acme["avg_amount"] is None


def test_formula_fields_come_back_computed(service, ann, acme):
    assert acme["label"] == "Acme (Bronze)" and acme["big"] is False
    deal = service.create("deal", {"title": "D", "company": acme["id"], "amount": "20.50",
                                   "quantity": 3}, ann)
    assert deal["weighted"] == Decimal("61.5") and deal["company_tier"] == "Bronze"


# -- coercion ---------------------------------------------------------------------------------

def test_values_are_coerced_by_field_type(service, ann):
    company = service.create("company", {"name": "  Acme ", "tier": "gold", "rating": "7",
                                         "revenue": "1200.5", "founded": "1999-12-31",
                                         "tags": "a;b", "email": " Info@Acme.com "}, ann)
    assert company["tier"] == "Gold" and company["rating"] == 7
    assert company["revenue"] == Decimal("1200.50") and company["founded"] == dt.date(1999, 12, 31)
    assert company["tags"] == ["a", "b"] and company["email"] == "Info@Acme.com"


def test_coercion_errors_name_every_field(service, ann):
    messages = invalid(service, "company", {"name": "X", "rating": "lots", "revenue": "-5",
                                            "tier": "Platinum", "founded": "yesterday",
                                            "email": "not-an-email"}, ann)
    assert messages["rating"] == ["expected a whole number, got 'lots'"]
    assert messages["revenue"] == ["must be at least 0"]
    assert messages["tier"][0].startswith("'Platinum' is not one of the options")
    assert "founded" in messages and "email" in messages


def test_unknown_fields_are_errors_with_a_suggestion(service, ann):
    messages = invalid(service, "company", {"name": "X", "revenu": 5}, ann)
    assert messages == {"revenu": ["'company' has no field 'revenu'; did you mean 'revenue'?"]}


def test_input_must_be_a_mapping(service, ann):
    assert invalid(service, "company", ["name"], ann) == {
        RECORD: ["a record must be a mapping of field names to values"]}


def test_unknown_object(service, ann):
    with pytest.raises(UnknownObject, match="did you mean 'company'"):
        service.create("compny", {}, ann)


# -- required ---------------------------------------------------------------------------------

def test_required(service, ann):
    assert invalid(service, "company", {"name": "  "}, ann) == {"name": ["is required"]}
    assert invalid(service, "company", {}, ann) == {"name": ["is required"]}


def test_required_when(service, ann, acme):
    messages = invalid(service, "deal", {"title": "D", "company": acme["id"], "stage": "Lost"}, ann)
    assert messages == {"loss_reason": ['is required when stage == "Lost"']}
    deal = service.create("deal", {"title": "D", "company": acme["id"], "stage": "Lost",
                                   "loss_reason": "price"}, ann)
    assert deal["stage"] == "Lost"


def test_required_is_checked_after_defaults(service, ann, acme):
    # stage is required and has a default: leaving it out is fine, blanking it is not
    assert service.create("deal", {"title": "D", "company": acme["id"]}, ann)["stage"] == "Open"
    messages = invalid(service, "deal", {"title": "D", "company": acme["id"], "stage": None}, ann)
    assert messages == {"stage": ["is required"]}


# -- read-only --------------------------------------------------------------------------------

def test_read_only_input_is_an_error_not_dropped(service, ann, acme):
    before = snapshot(service.db, service)
    with pytest.raises(RecordInvalid) as caught:
        service.create("company", {"name": "X", "locked": "mine"}, ann)
    assert snapshot(service.db, service) == before
    error = caught.value.errors[0]
    assert isinstance(error, ReadOnlyField) and error.code == "read_only"
    assert caught.value.messages == {"locked": ["is read-only"]}


def test_read_only_field_may_repeat_its_default(service, ann, acme):
    deal = service.create("deal", {"title": "D", "company": acme["id"], "approved": False}, ann)
    assert deal["approved"] is False
    assert invalid(service, "deal", {"title": "D", "company": acme["id"], "approved": True},
                   ann) == {"approved": ["is read-only"]}


def test_read_only_when(service, ann, acme):
    messages = invalid(service, "deal", {"title": "D", "company": acme["id"],
                                         "close_date": "2024-01-01"}, ann)
    assert messages == {"close_date": ['is read-only when stage == "Open"']}
    won = service.create("deal", {"title": "D", "company": acme["id"], "stage": "Won",
                                  "close_date": "2024-01-01"}, ann)
    assert won["close_date"] == dt.date(2024, 1, 1)


def test_computed_and_system_fields_cannot_be_set(service, ann, acme):
    messages = invalid(service, "deal", {"title": "D", "company": acme["id"], "ref": "D-1",
                                         "weighted": 5, "line_total": 3, "id": "mine",
                                         "version": 7, "created_by": ann.user_id}, ann)
    assert messages == {"ref": ["is computed: it cannot be set"],
                        "weighted": ["is computed: it cannot be set"],
                        "line_total": ["is computed: it cannot be set"],
                        "id": ["is set by the system"], "version": ["is set by the system"],
                        "created_by": ["is set by the system"]}


# -- unique -----------------------------------------------------------------------------------

def test_unique(service, ann, acme):
    assert invalid(service, "company", {"name": "Acme"}, ann) == {
        "name": ["'Acme' is already used by another company"]}
    # text uniqueness is exact: another case is another value
    assert service.create("company", {"name": "ACME"}, ann)["name"] == "ACME"


def test_email_uniqueness_ignores_case(service, ann):
    service.create("company", {"name": "A", "email": "info@acme.com"}, ann)
    assert invalid(service, "company", {"name": "B", "email": "INFO@Acme.com"}, ann) == {
        "email": ["'INFO@Acme.com' is already used by another company"]}


def test_unique_ignores_blanks(service, ann):
    for name in ("A", "B", "C"):
        service.create("company", {"name": name, "code": None, "email": ""}, ann)


# -- lookups ----------------------------------------------------------------------------------

def test_lookups_must_exist(service, ann, acme):
    messages = invalid(service, "deal", {"title": "D", "company": "no-such-id"}, ann)
    assert messages == {"company": ["there is no company with id 'no-such-id'"]}
    person = service.create("person", {"last_name": "Lovelace", "company": acme["id"]}, ann)
    assert person["company_name"] == "Acme"


def test_a_lookup_to_another_object_is_not_enough(service, ann, acme):
    person = service.create("person", {"last_name": "L"}, ann)
    assert invalid(service, "deal", {"title": "D", "company": person["id"]}, ann) == {
        "company": [f"there is no company with id '{person['id']}'"]}


# -- validation rules -------------------------------------------------------------------------

def test_rule_with_a_field(service, ann, acme):
    messages = invalid(service, "deal", {"title": "D", "company": acme["id"], "stage": "Won"}, ann)
    # close_date is read-only while Open only; a Won deal without one breaks the rule
    assert messages == {"close_date": ["A won deal needs a close date."]}


def test_record_level_rule(service, ann):
    assert invalid(service, "company", {"name": "G", "tier": "Gold"}, ann) == {
        RECORD: ["A gold company needs a revenue."]}


def test_rule_through_a_lookup(service, ann):
    gold = service.create("company", {"name": "G", "tier": "Gold", "revenue": 5}, ann)
    assert invalid(service, "deal", {"title": "D", "company": gold["id"], "amount": 50}, ann) == {
        "amount": ["Gold companies get deals of at least 100."]}
    service.create("deal", {"title": "D", "company": gold["id"], "amount": 150}, ann)


def test_every_problem_is_reported_at_once(service, ann):
    messages = invalid(service, "deal", {"title": "", "company": "nope", "amount": "-1",
                                         "stage": "Lost", "ref": "x", "colour": "red"}, ann)
    assert set(messages) == {"title", "company", "amount", "loss_reason", "ref", "colour"}


def test_a_rule_reading_a_bad_field_is_skipped(service, ann):
    # revenue fails coercion; the gold rule reads revenue, so it says nothing more
    assert invalid(service, "company", {"name": "G", "tier": "Gold", "revenue": "lots"}, ann) \
        == {"revenue": ["expected a number, got 'lots'"]}


# -- auto-numbers -----------------------------------------------------------------------------

def test_auto_numbers_count_up_with_the_creation_date(service, ann, acme):
    refs = [service.create("deal", {"title": f"D{i}", "company": acme["id"]}, ann)["ref"]
            for i in range(3)]
    assert refs == ["D-2024-0001", "D-2024-0002", "D-2024-0003"]


def test_a_failed_create_uses_no_number(service, ann, acme):
    service.create("deal", {"title": "D", "company": acme["id"]}, ann)
    with pytest.raises(RecordInvalid):
        service.create("deal", {"title": "", "company": acme["id"]}, ann)
    assert service.create("deal", {"title": "E", "company": acme["id"]}, ann)["ref"] == "D-2024-0002"


# -- get --------------------------------------------------------------------------------------

def test_get(service, ann, acme):
    assert service.get("company", acme["id"], fields=["name", "label"]) == {
        "id": acme["id"], "name": "Acme", "label": "Acme (Bronze)"}
    with pytest.raises(RecordNotFound, match="no company record with id 'nope'"):
        service.get("company", "nope")


def test_the_clock_is_the_services(service, ann):
    assert service.env.now() == FIXED_NOW.replace(tzinfo=None)
