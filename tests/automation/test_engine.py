"""Workflows on the write path: conditions, set_fields, records through the RecordService,
outbox rows in the same transaction, ordering, cycles, failures that roll everything back."""

from __future__ import annotations

import pytest

from metacrm.automation import WorkflowCycle, WorkflowFailed, outbox_for_record, runs_for_record
from metacrm.runtime import RecordInvalid
from metacrm.store import outbox


def rows(db, **kw):
    with db.read() as conn:
        return outbox.read_rows(conn, **kw)


def make_deal(service, ann, **values):
    account = service.create("account", {"name": "Acme", "hook_url": "http://127.0.0.1:9/h"}, ann)
    return service.create("deal", {"name": "Deal", "account": account["id"], **values}, ann)


def test_a_false_condition_does_nothing(service, ann, backend):
    deal = make_deal(service, ann)
    service.update("deal", deal["id"], {"amount": 10}, ann)
    assert runs_for_record(backend[0], "deal", deal["id"]) == []
    assert service.query("task").records == []


def test_winning_runs_every_action_in_the_save(service, ann, backend, published):
    db = backend[0]
    deal = make_deal(service, ann, amount="1200.50")
    won = service.update("deal", deal["id"], {"stage": "Won"}, ann)
    assert won["probability"] == 100                                  # set_fields, in the save
    tasks = service.query("task", fields=["subject", "deal"]).records
    assert [(t["subject"], t["deal"]) for t in tasks] == [("Kick-off Deal", deal["id"])]
    assert service.get("account", deal["account"])["last_won_on"] is not None
    queued = rows(db, object="deal", record_id=deal["id"])
    assert sorted(r["kind"] for r in queued) == ["send_email", "webhook"]
    email = next(r for r in queued if r["kind"] == "send_email")["payload"]
    assert email["to"] == ["ann@example.com"]
    assert email["subject"] == "Won: Deal"
    assert email["body"] == "Deal with Acme at 1200.50"
    hook = next(r for r in queued if r["kind"] == "webhook")["payload"]
    assert hook["url"] == "http://127.0.0.1:9/h"
    assert hook["body"]["changed"] == ["probability", "stage"]
    assert hook["body"]["prior"]["stage"] == "Open"
    # published after commit, each once
    assert sorted(k for k, _ in published) == sorted(r["id"] for r in queued)
    (run,) = runs_for_record(db, "deal", deal["id"])
    assert run["workflow"] == "won" and run["outcome"] == "ok" and run["trigger"] == "update"
    assert [a["type"] for a in run["actions"]] == [
        "set_fields", "create_record", "update_record", "send_email", "webhook"]
    # the records its actions write, it writes as the system (record access is not applied)
    assert [a.get("access") for a in run["actions"]] == [
        None, "as the system: record access is not applied",
        "as the system: record access is not applied", None, None]
    # a second save that does not change the stage does not fire again
    service.update("deal", deal["id"], {"amount": 5}, ann)
    assert len(runs_for_record(db, "deal", deal["id"])) == 1


def test_a_failing_action_rolls_the_whole_save_back(service, ann, backend):
    deal = make_deal(service, ann)
    with pytest.raises(WorkflowFailed) as failed:
        service.update("deal", deal["id"], {"name": "fail"}, ann)
    assert isinstance(failed.value, RecordInvalid) and failed.value.status == 422
    assert "workflow 'broken', action 1 (create_record) failed" in str(failed.value)
    assert "subject" in str(failed.value)
    assert service.get("deal", deal["id"])["name"] == "Deal"         # nothing was saved
    assert service.query("task").records == []


def test_a_cycle_is_an_error_not_a_loop(service, ann, backend):
    deal = make_deal(service, ann, name="loop", amount=1)
    with pytest.raises(WorkflowCycle) as cycle:
        service.update("deal", deal["id"], {"amount": 2}, ann)
    assert "cycle" in str(cycle.value)
    assert "loop_deal(deal" in str(cycle.value) and "loop_task(task" in str(cycle.value)
    assert service.get("deal", deal["id"])["amount"] == 1
    assert service.query("task").records == []


def test_a_blank_recipient_skips_the_email_not_the_save(service, ann, backend):
    from metacrm.automation import runs_for_record
    from metacrm.runtime import Actor

    db = backend[0]
    account = service.create("account", {"name": "A"}, Actor.system())
    deal = service.create("deal", {"name": "D", "account": account["id"]}, Actor.system())
    won = service.update("deal", deal["id"], {"stage": "Won"}, Actor.system())  # no owner
    assert won["stage"] == "Won"
    assert not [r for r in rows(db, object="deal", record_id=deal["id"])
                if r["kind"] == "send_email"]
    [run] = [r for r in runs_for_record(db, "deal", deal["id"]) if r["outcome"] == "ok"
             and any(a["type"] == "send_email" for a in r["actions"])]
    [email] = [a for a in run["actions"] if a["type"] == "send_email"]
    assert email["outcome"] == "skipped" and "no recipient" in email["reason"]


def test_time_based_plans_follow_the_record(service, ann, backend):
    import datetime as dt

    db = backend[0]
    deal = make_deal(service, ann, close_date="2024-06-30")
    (plan,) = rows(db, object="deal", record_id=deal["id"], status="pending")
    assert plan["kind"] == "scheduled" and plan["due_at"] == dt.datetime(2024, 6, 23)
    service.update("deal", deal["id"], {"amount": 3}, ann)           # date unchanged: same plan
    assert [r["id"] for r in rows(db, object="deal", status="pending")] == [plan["id"]]
    service.update("deal", deal["id"], {"close_date": "2024-07-10"}, ann)   # re-planned
    (moved,) = rows(db, object="deal", record_id=deal["id"], status="pending")
    assert moved["due_at"] == dt.datetime(2024, 7, 3)
    assert rows(db, key=plan["id"])[0]["status"] == "cancelled"
    service.update("deal", deal["id"], {"stage": "Lost"}, ann)       # condition stops holding
    assert rows(db, object="deal", record_id=deal["id"], status="pending") == []
    service.update("deal", deal["id"], {"stage": "Open"}, ann)
    assert len(rows(db, object="deal", record_id=deal["id"], status="pending")) == 1
    service.delete("deal", deal["id"], ann)                          # deleted: cancelled
    assert rows(db, object="deal", record_id=deal["id"], status="pending") == []


def test_run_log_readers(service, ann, backend):
    db = backend[0]
    deal = make_deal(service, ann)
    service.update("deal", deal["id"], {"stage": "Won"}, ann)
    deliveries = outbox_for_record(db, "deal", deal["id"])
    assert {d["kind"] for d in deliveries} == {"send_email", "webhook"}
    assert all(d["attempts_log"] == [] for d in deliveries)
