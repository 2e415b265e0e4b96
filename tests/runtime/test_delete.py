"""RecordService.delete: on_delete restrict / set_null / cascade through the service, so
history, versions and roll-ups stay right; a refused delete writes nothing."""

from __future__ import annotations

import pytest

from runtime_helpers import snapshot

from metacrm.runtime import RECORD, RecordInvalid, RecordNotFound, VersionConflict


@pytest.fixture
def acme(service, ann):
    return service.create("company", {"name": "Acme"}, ann)


def refused(service, object_name, record_id, actor, **kwargs) -> RecordInvalid:
    before = snapshot(service.db, service)
    with pytest.raises(RecordInvalid) as caught:
        service.delete(object_name, record_id, actor, **kwargs)
    assert snapshot(service.db, service) == before
    return caught.value


def test_delete_and_history_snapshot(service, ann, bob, acme):
    service.delete("company", acme["id"], bob)
    with pytest.raises(RecordNotFound):
        service.get("company", acme["id"])
    last = service.history("company", acme["id"])[-1]
    assert last["operation"] == "delete" and last["actor_name"] == "bob"
    assert last["old"]["name"] == "Acme" and last["old"]["id"] == acme["id"]
    assert last["version"] == 1


def test_delete_missing(service, ann):
    with pytest.raises(RecordNotFound):
        service.delete("company", "nope", ann)


def test_delete_with_a_stale_version(service, ann, acme):
    service.update("company", acme["id"], {"rating": 1}, ann)
    before = snapshot(service.db, service)
    with pytest.raises(VersionConflict):
        service.delete("company", acme["id"], ann, version=1)
    assert snapshot(service.db, service) == before
    service.delete("company", acme["id"], ann, version=2)


def test_restrict_refuses_and_says_why(service, ann, acme):
    for i in range(2):
        service.create("deal", {"title": f"D{i}", "company": acme["id"]}, ann)
    error = refused(service, "company", acme["id"], ann)
    assert error.messages == {RECORD: ["cannot be deleted: 2 deals refer to it through 'company'"]}
    assert error.errors[0].code == "restricted"


def test_set_null_empties_the_lookup_through_the_service(service, ann, bob, acme):
    person = service.create("person", {"last_name": "L", "company": acme["id"]}, ann)
    child = service.create("company", {"name": "Child", "parent": acme["id"]}, ann)
    service.delete("company", acme["id"], bob)
    person = service.get("person", person["id"])
    assert person["company"] is None and person["version"] == 2
    assert person["updated_by"] == bob.user_id
    assert service.get("company", child["id"])["parent"] is None
    change = service.history("person", person["id"])[-1]
    assert (change["field"], change["old"], change["new"]) == ("company", acme["id"], None)


def test_cascade_deletes_children_through_the_service(service, ann, acme):
    deal = service.create("deal", {"title": "D", "company": acme["id"]}, ann)
    lines = [service.create("line", {"product": p, "deal": deal["id"], "total": 5}, ann)
             for p in ("a", "b")]
    service.delete("deal", deal["id"], ann)
    for line in lines:
        with pytest.raises(RecordNotFound):
            service.get("line", line["id"])
        assert service.history("line", line["id"])[-1]["operation"] == "delete"
    assert service.get("company", acme["id"])["deal_count"] == 0


def test_a_restriction_deep_in_a_cascade_refuses_it_all(service, ann, acme):
    deal = service.create("deal", {"title": "D", "company": acme["id"]}, ann)
    line = service.create("line", {"product": "a", "deal": deal["id"]}, ann)
    service.create("line", {"product": "b", "deal": deal["id"]}, ann)
    service.create("note", {"body": "keep", "line": line["id"]}, ann)
    error = refused(service, "deal", deal["id"], ann)   # the deal -> its lines -> a note
    assert error.messages == {RECORD: [
        f"cannot be deleted: it would delete line '{line['id']}', which cannot be deleted: "
        "1 note refers to it through 'line'"]}


def test_deleting_a_user_who_owns_records_is_refused(service, ann, acme):
    error = refused(service, "user", ann.user_id, ann)
    assert "refer" in error.messages[RECORD][0] and "'owner'" in error.messages[RECORD][0]


def test_cascade_refused_below(service, ann, acme):
    deal = service.create("deal", {"title": "D", "company": acme["id"]}, ann)
    service.create("line", {"product": "a", "deal": deal["id"]}, ann)
    # lines cascade from deals; a deal itself is restricted by nothing: the cascade succeeds,
    # while deleting the company is refused by its deals
    error = refused(service, "company", acme["id"], ann)
    assert error.messages[RECORD] == ["cannot be deleted: 1 deal refers to it through 'company'"]


def test_rollups_follow_deletes(service, ann, acme):
    deals = [service.create("deal", {"title": f"D{i}", "company": acme["id"], "amount": a}, ann)
             for i, a in enumerate((10, 20, 30))]
    service.delete("deal", deals[2]["id"], ann)
    company = service.get("company", acme["id"])
    assert company["deal_count"] == 2 and company["deal_total"] == 30
    assert company["max_amount"] == 20


def test_self_reference_is_no_obstacle(service, ann, acme):
    # a company whose parent is itself is refused by a rule, but a child pointing at a parent
    # that is being deleted is emptied first
    child = service.create("company", {"name": "C", "parent": acme["id"]}, ann)
    grandchild = service.create("company", {"name": "G", "parent": child["id"]}, ann)
    service.delete("company", child["id"], ann)
    assert service.get("company", grandchild["id"])["parent"] is None
