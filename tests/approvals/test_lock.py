"""The approval lock through every write path: the RecordService, a workflow action, a bulk
import; editable fields, admins and the engine's own actions pass."""

from __future__ import annotations

import pytest

from metacrm.automation.approvals import ENGINE, LOCKED, requests_for_record
from metacrm.runtime import Actor, RecordInvalid


@pytest.fixture
def locked(service, users):
    d = service.create("deal", {"name": "Locked", "amount": 1000, "discount": 30}, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    return service.get("deal", d["id"]), request


def test_an_update_is_refused_naming_the_request(service, users, locked):
    record, request = locked
    with pytest.raises(RecordInvalid) as raised:
        service.update("deal", record["id"], {"amount": 5, "name": "Other"}, users["ann"])
    errors = {e.field: e for e in raised.value.errors}
    assert set(errors) == {"amount", "name"}
    assert errors["amount"].code == LOCKED
    assert request["id"] in errors["amount"].message
    assert "Manager approval" in errors["amount"].message
    assert service.get("deal", record["id"])["amount"] == record["amount"]


def test_editable_fields_pass_and_the_same_value_is_no_change(service, users, locked):
    record, _ = locked
    changed = service.update("deal", record["id"], {"next_step": "Call", "amount": record["amount"]},
                             users["ann"])
    assert changed["next_step"] == "Call"


def test_admins_pass(service, root, locked):
    record, _ = locked
    assert service.update("deal", record["id"], {"amount": 7}, root)["amount"] == 7


def test_delete_is_refused(service, users, locked):
    record, _ = locked
    with pytest.raises(RecordInvalid) as raised:
        service.delete("deal", record["id"], users["ann"])
    assert raised.value.errors[0].code == LOCKED
    assert "_record" in raised.value.messages


def test_a_workflow_action_is_refused_and_rolls_its_save_back(service, users, locked):
    record, _ = locked
    with pytest.raises(RecordInvalid, match="locked while approval request"):
        service.create("note", {"subject": "bump", "deal": record["id"]}, users["ann"])
    assert service.query("note", filter=f'deal == "{record["id"]}"').records == []


def test_a_bulk_import_is_refused_whole(service, users, locked):
    record, _ = locked
    rows = [{"subject": "fine", "deal": record["id"]}, {"subject": "bump", "deal": record["id"]}]
    with pytest.raises(RecordInvalid, match="locked"):
        service.create_many("note", rows, users["ann"])
    assert service.query("note", filter=f'deal == "{record["id"]}"').records == []


def test_the_engine_writes_read_only_fields_and_the_lock_lifts(service, users, locked):
    record, request = locked
    ENGINE.decide(service, users["mia"], request["id"], "approve")
    after = service.get("deal", record["id"])
    assert after["approval_status"] == "Approved"
    assert service.update("deal", record["id"], {"amount": 9}, users["ann"])["amount"] == 9


def test_no_lock_process_locks_nothing(service, users):
    d = service.create("deal", {"name": "Free", "amount": 1000}, users["ann"])
    ENGINE.submit(service, users["ann"], "deal", d["id"], "unanimous")
    assert service.update("deal", d["id"], {"amount": 3}, users["ann"])["amount"] == 3


def test_the_workflow_action_submits_and_locks(service, users):
    d = service.create("deal", {"name": "Auto", "amount": 1000, "discount": 60}, users["ann"])
    after = service.get("deal", d["id"])
    assert after["approval_status"] == "Pending"
    with pytest.raises(RecordInvalid, match="locked"):
        service.update("deal", d["id"], {"amount": 1}, users["ann"])
    # an admin raising the discount again fires the workflow again: no second request, no error
    service.update("deal", d["id"], {"discount": 70}, Actor.system())
    assert [r["status"] for r in requests_for_record(service, "deal", d["id"])] == ["pending"]
