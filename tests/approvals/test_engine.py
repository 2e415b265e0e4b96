"""The approvals engine on SQLite and PostgreSQL: submitting, the modes, skipped steps, each
approver source, self-approval, recall, reassign, actions, and the errors of each."""

from __future__ import annotations

import json

import pytest

from metacrm.automation.approvals import (ENGINE, AlreadyDecided, ApprovalError, NotAllowed,
                                          RequestNotFound, request_detail, requests_for_record)
from metacrm.runtime import RecordNotFound


def deal(service, actor, **values):
    return service.create("deal", {"name": "Deal", "amount": 1000, "discount": 30, **values},
                          actor)


def status(service, record):
    return service.get("deal", record["id"])["approval_status"]


def step_rows(service, request):
    return request_detail(service, request["id"])["steps"]


# -- submitting -----------------------------------------------------------------------------------


def test_submit_runs_on_submit_and_starts_the_first_step(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    assert request["status"] == "pending" and request["current_step"] == 0
    assert request["submitted_by_name"] == "ann"
    assert status(service, d) == "Pending"
    [step] = step_rows(service, request)
    assert step["name"] == "manager" and step["status"] == "pending"
    assert sorted(a["username"] for a in step["approvers"]) == ["max", "mia"]


def test_entry_criteria_must_hold(service, users):
    d = deal(service, users["ann"], discount=10)
    with pytest.raises(ApprovalError, match="does not meet the entry criteria.*discount > 20"):
        ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    assert requests_for_record(service, "deal", d["id"]) == []
    assert status(service, d) == "Draft"


def test_one_pending_request_per_process(service, users):
    d = deal(service, users["ann"])
    first = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    with pytest.raises(AlreadyDecided) as raised:
        ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    assert raised.value.status == 409 and raised.value.request_id == first["id"]
    # another process may run beside it
    ENGINE.submit(service, users["ann"], "deal", d["id"], "quorum")
    assert len(requests_for_record(service, "deal", d["id"])) == 2


def test_unknown_process_wrong_object_missing_record(service, users):
    d = deal(service, users["ann"])
    with pytest.raises(ApprovalError, match="no approval process 'manger'; did you mean 'manager'"):
        ENGINE.submit(service, users["ann"], "deal", d["id"], "manger")
    with pytest.raises(ApprovalError, match="is for deal, not note"):
        ENGINE.submit(service, users["ann"], "note", d["id"], "manager")
    with pytest.raises(RecordNotFound):
        ENGINE.submit(service, users["ann"], "deal", "nope", "manager")


def test_submitters(service, users):
    d = deal(service, users["ann"])  # ann owns it
    with pytest.raises(NotAllowed, match="may not submit"):
        ENGINE.submit(service, users["zed"], "deal", d["id"], "restricted")
    ENGINE.submit(service, users["ann"], "deal", d["id"], "restricted")  # the owner
    other = deal(service, users["zed"])
    ENGINE.submit(service, users["mia"], "deal", other["id"], "restricted")  # the role


def test_a_first_step_nobody_can_decide_refuses_the_submit(service, users):
    d = deal(service, users["zed"])  # zed has no manager: step owner_manager has nobody
    with pytest.raises(ApprovalError, match="step 'owner_manager' has no approver"):
        ENGINE.submit(service, users["zed"], "deal", d["id"], "chain")
    assert requests_for_record(service, "deal", d["id"]) == []
    assert status(service, d) == "Draft"  # on_submit rolled back with it


# -- modes ----------------------------------------------------------------------------------------


def test_first_one_approval_decides(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    done = ENGINE.decide(service, users["max"], request["id"], "approve", "fine")
    assert done["status"] == "approved" and status(service, d) == "Approved"
    with pytest.raises(AlreadyDecided, match="already approved"):
        ENGINE.decide(service, users["mia"], request["id"], "approve")


def test_first_one_rejection_decides_and_needs_a_comment(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    with pytest.raises(ApprovalError, match="a comment is required") as raised:
        ENGINE.decide(service, users["mia"], request["id"], "reject", "   ")
    assert raised.value.status == 422
    done = ENGINE.decide(service, users["mia"], request["id"], "reject", "too much")
    assert done["status"] == "rejected" and status(service, d) == "Rejected"
    [step] = step_rows(service, done)
    mia = next(a for a in step["approvers"] if a["username"] == "mia")
    assert (mia["decision"], mia["comment"]) == ("rejected", "too much")
    assert mia["decided_at"] is not None


def test_all_needs_every_approver(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "unanimous")
    assert ENGINE.decide(service, users["mia"], request["id"], "approve")["status"] == "pending"
    with pytest.raises(AlreadyDecided, match="you already decided"):
        ENGINE.decide(service, users["mia"], request["id"], "reject")
    assert ENGINE.decide(service, users["dan"], request["id"], "approve")["status"] == "pending"
    assert ENGINE.decide(service, users["fin"], request["id"], "approve")["status"] == "approved"


def test_notify_approvers_mails_each_step_and_a_reassigned_approver(service, users, root):
    from sqlalchemy import select

    from metacrm.store.outbox import OUTBOX

    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "unanimous")
    ENGINE.reassign(service, root, request["id"], "fin", "zed")
    with service.db.read() as conn:
        mails = [json.loads(r.payload) for r in conn.execute(
            select(OUTBOX).where(OUTBOX.c.record_id == d["id"]).order_by(OUTBOX.c.created_at,
                                                                         OUTBOX.c.id))]
    assert sorted(m["to"] for m in mails) == [
        ["dan@example.com", "fin@example.com", "mia@example.com"], ["zed@example.com"]]
    assert all(m["subject"] == "Your approval is asked: unanimous (board)" for m in mails)
    # a process without notify_approvers mails nobody
    other = deal(service, users["ann"])
    ENGINE.submit(service, users["ann"], "deal", other["id"], "quorum")
    with service.db.read() as conn:
        assert conn.execute(select(OUTBOX).where(OUTBOX.c.record_id == other["id"])).all() == []


def test_all_one_rejection_rejects(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "unanimous")
    ENGINE.decide(service, users["mia"], request["id"], "approve")
    assert ENGINE.decide(service, users["dan"], request["id"], "reject")["status"] == "rejected"


def test_quorum_approves_at_n(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "quorum")
    assert ENGINE.decide(service, users["fin"], request["id"], "reject")["status"] == "pending"
    assert ENGINE.decide(service, users["fay"], request["id"], "approve")["status"] == "pending"
    assert ENGINE.decide(service, users["fox"], request["id"], "approve")["status"] == "approved"


def test_quorum_rejects_once_n_is_out_of_reach(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "quorum")
    assert ENGINE.decide(service, users["fin"], request["id"], "reject")["status"] == "pending"
    # 3 finance users, 2 rejections: at most 1 approval is left, fewer than 2
    done = ENGINE.decide(service, users["fay"], request["id"], "reject")
    assert done["status"] == "rejected" and status(service, d) == "Rejected"
    with pytest.raises(AlreadyDecided):
        ENGINE.decide(service, users["fox"], request["id"], "approve")


# -- steps and approver sources ---------------------------------------------------------------------


def test_skipped_step_lookup_field_and_manager_chain(service, users):
    d = deal(service, users["ann"], amount=5000, reviewer=users["zed"].user_id)
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "chain")
    steps = step_rows(service, request)
    assert [(s["name"], s["status"]) for s in steps] == [("big", "skipped"),
                                                        ("owner_manager", "pending")]
    assert "amount > 100000" in steps[0]["note"]
    # owner.manager: ann's manager is mia
    assert [a["username"] for a in steps[1]["approvers"]] == ["mia"]
    with pytest.raises(NotAllowed, match="not an approver of step 'owner_manager'"):
        ENGINE.decide(service, users["max"], request["id"], "approve")
    ENGINE.decide(service, users["mia"], request["id"], "approve")
    steps = step_rows(service, request)
    # the manager chain of the submitter up to a director: mia, then dan
    assert [a["username"] for a in steps[2]["approvers"]] == ["dan", "mia"]
    ENGINE.decide(service, users["mia"], request["id"], "approve")
    done = ENGINE.decide(service, users["dan"], request["id"], "approve")
    assert done["status"] == "approved"
    record = service.get("deal", d["id"])
    assert record["steps_done"] == 2  # the per-step on_approve of both steps
    assert record["approval_status"] == "Approved"


def test_big_amount_uses_the_reviewer_field(service, users):
    d = deal(service, users["ann"], amount=500000, reviewer=users["zed"].user_id)
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "chain")
    [big] = step_rows(service, request)
    assert big["name"] == "big" and [a["username"] for a in big["approvers"]] == ["zed"]


def test_step_on_reject_runs_an_after_action(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "chain")
    ENGINE.decide(service, users["mia"], request["id"], "approve")
    ENGINE.decide(service, users["dan"], request["id"], "reject")
    notes = service.query("note", filter=f'deal == "{d["id"]}"').records
    assert [n["subject"] for n in notes] == ["Chain rejected"]
    assert status(service, d) == "Rejected"


def test_self_approval_is_refused_unless_allowed(service, users):
    mia = users["mia"]
    d = deal(service, mia)
    request = ENGINE.submit(service, mia, "deal", d["id"], "manager")
    # the submitter is left out of the approvers, and refused if she tries
    [step] = step_rows(service, request)
    assert [a["username"] for a in step["approvers"]] == ["max"]
    assert "submitter" in step["note"]
    with pytest.raises(NotAllowed, match="does not allow self-approval"):
        ENGINE.decide(service, mia, request["id"], "approve")
    other = deal(service, mia)
    allowed = ENGINE.submit(service, mia, "deal", other["id"], "self_ok")
    assert ENGINE.decide(service, mia, allowed["id"], "approve")["status"] == "approved"
    # its on_approve email left through the outbox, rendered in the decision's transaction
    from sqlalchemy import select

    from metacrm.store.outbox import OUTBOX

    with service.db.read() as conn:
        [mail] = conn.execute(select(OUTBOX).where(OUTBOX.c.record_id == other["id"])).all()
    assert mail.kind == "send_email" and '"to": ["mia@example.com"]' in mail.payload
    assert "Approved: Deal" in mail.payload


def test_recall_by_the_submitter_only(service, users, root):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    with pytest.raises(NotAllowed, match="only the submitter"):
        ENGINE.recall(service, users["mia"], request["id"])
    done = ENGINE.recall(service, users["ann"], request["id"], "wrong discount")
    assert (done["status"], done["comment"]) == ("recalled", "wrong discount")
    assert status(service, d) == "Draft"
    assert step_rows(service, done)[0]["status"] == "recalled"
    with pytest.raises(AlreadyDecided):
        ENGINE.decide(service, users["mia"], request["id"], "approve")
    # recalled: it can be submitted again
    again = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    ENGINE.recall(service, root, again["id"])  # admins may recall too


def test_reassign(service, users, root):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "unanimous")
    with pytest.raises(NotAllowed, match="only admins"):
        ENGINE.reassign(service, users["mia"], request["id"], "mia", "zed")
    ENGINE.decide(service, users["mia"], request["id"], "approve")
    with pytest.raises(AlreadyDecided, match="already decided"):
        ENGINE.reassign(service, root, request["id"], "mia", "zed")
    with pytest.raises(ApprovalError, match="already an approver"):
        ENGINE.reassign(service, root, request["id"], "dan", "fin")
    with pytest.raises(NotAllowed, match="submitted this request"):
        ENGINE.reassign(service, root, request["id"], "dan", "ann")
    with pytest.raises(ApprovalError, match="no user 'nobody'"):
        ENGINE.reassign(service, root, request["id"], "dan", "nobody")
    ENGINE.reassign(service, root, request["id"], "dan", "zed")
    with pytest.raises(NotAllowed):
        ENGINE.decide(service, users["dan"], request["id"], "approve")
    ENGINE.decide(service, users["zed"], request["id"], "approve")
    assert ENGINE.decide(service, users["fin"], request["id"], "approve")["status"] == "approved"
    approvers = step_rows(service, request)[0]["approvers"]
    dan = next(a for a in approvers if a["username"] == "dan")
    assert not dan["active"] and "reassigned to zed by root" in dan["comment"]
    assert next(a for a in approvers if a["username"] == "zed")["source"] == "reassigned"


def test_decision_errors(service, users):
    with pytest.raises(RequestNotFound) as raised:
        ENGINE.decide(service, users["mia"], "nope", "approve")
    assert raised.value.status == 404
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    with pytest.raises(ApprovalError, match="approve or reject, not 'maybe'"):
        ENGINE.decide(service, users["mia"], request["id"], "maybe")
    with pytest.raises(NotAllowed) as raised:
        ENGINE.decide(service, users["zed"], request["id"], "approve")
    assert raised.value.status == 403


def test_every_step_skipped_approves_at_submit(service, users):
    d = deal(service, users["ann"])
    done = ENGINE.submit(service, users["ann"], "deal", d["id"], "conditional")
    assert done["status"] == "approved" and done["decided_at"] is not None
    assert [s["status"] for s in step_rows(service, done)] == ["skipped"]
    assert status(service, d) == "Approved"  # on_submit, then on_approve
    big = deal(service, users["ann"], amount=5000000)
    assert ENGINE.submit(service, users["ann"], "deal", big["id"], "conditional")[
        "status"] == "pending"


def test_a_quorum_out_of_reach_refuses_the_submit(service, users):
    d = deal(service, users["ann"])
    service.update("user", users["fox"].user_id, {"active": False}, _system())
    service.update("user", users["fay"].user_id, {"active": False}, _system())
    with pytest.raises(ApprovalError, match="needs 2 approvals but has 1 approvers"):
        ENGINE.submit(service, users["ann"], "deal", d["id"], "quorum")
    assert requests_for_record(service, "deal", d["id"]) == []


def test_a_later_step_nobody_can_decide_rejects_the_request(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "chain")
    service.update("user", users["dan"].user_id, {"roles": []}, _system())  # no director now
    with pytest.raises(ApprovalError, match="no manager of ann holds the role 'director'"):
        ENGINE.decide(service, users["mia"], request["id"], "approve")
    assert request_detail(service, request["id"])["status"] == "pending"  # rolled back


def test_deleting_the_record_closes_its_requests(service, users):
    d = deal(service, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "unanimous")
    service.delete("deal", d["id"], users["ann"])  # unanimous does not lock
    with pytest.raises(AlreadyDecided, match="already recalled"):
        ENGINE.decide(service, users["dan"], request["id"], "approve")
    assert request_detail(service, request["id"])["comment"] == "the record was deleted"


def _system():
    from metacrm.runtime import Actor

    return Actor.system()
