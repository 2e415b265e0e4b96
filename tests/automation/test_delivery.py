"""Delivering the outbox without a broker (the Worker's functions): signed webhooks with
retries and a dead letter, email to a local SMTP server, time-based and periodic workflows
under a controllable clock."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from automation_helpers import WebhookReceiver

from metacrm.automation import delivery_attempts, recent_runs, retry_dead_letter, runs_for_record
from metacrm.store import outbox


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


def rows(db, **kw):
    with db.read() as conn:
        return outbox.read_rows(conn, **kw)


def win(service, ann, url, name="Deal"):
    account = service.create("account", {"name": "Acme", "hook_url": url}, ann)
    deal = service.create("deal", {"name": name, "account": account["id"]}, ann)
    return service.update("deal", deal["id"], {"stage": "Won"}, ann)


def test_a_webhook_that_fails_three_times_is_delivered_once(worker, service, ann, backend,
                                                           receiver, clock, published):
    db = backend[0]
    receiver.fail_first = 3
    deal = win(service, ann, receiver.url)
    hook = next(r for r in rows(db, object="deal") if r["kind"] == "webhook")
    assert worker.deliver(hook["id"]) == "pending"            # 503: due again after a backoff
    assert worker.deliver(hook["id"]) == "skipped"            # not due yet
    for step in (1, 2, 4):                                     # 1 s, 2 s, 4 s: exponential
        clock.advance(seconds=step)
        assert worker.deliver(hook["id"]) in ("pending", "delivered")
    assert rows(db, key=hook["id"])[0]["status"] == "delivered"
    assert worker.deliver(hook["id"]) == "skipped"            # a duplicate publish: no-op
    assert len(receiver.requests) == 4 and {r["key"] for r in receiver.requests} == {hook["id"]}
    assert all(r["signed"] for r in receiver.requests)
    assert list(receiver.deliveries) == [hook["id"]]
    body = receiver.deliveries[hook["id"]]
    assert body["id"] == deal["id"] and body["record"]["stage"] == "Won"
    assert body["changed"] == ["probability", "stage"]
    attempts = delivery_attempts(db, hook["id"])
    assert [a["ok"] for a in attempts] == [False, False, False, True]
    assert "503" in attempts[0]["error"]


def test_after_max_attempts_a_row_is_dead_and_can_be_replayed(worker, service, ann, backend,
                                                              receiver, clock, settings):
    db = backend[0]
    worker.settings = dataclasses.replace(settings, max_attempts=2)
    receiver.fail_first = 2
    win(service, ann, receiver.url)
    hook = next(r for r in rows(db, object="deal") if r["kind"] == "webhook")
    assert worker.deliver(hook["id"]) == "pending"
    clock.advance(seconds=5)
    assert worker.deliver(hook["id"]) == "dead"
    assert [r["id"] for r in rows(db, status="dead")] == [hook["id"]]
    assert rows(db, key=hook["id"])[0]["last_error"].startswith("RuntimeError")
    assert retry_dead_letter(db, hook["id"], now=clock()) is True
    assert retry_dead_letter(db, hook["id"], now=clock()) is False   # no longer dead
    assert worker.deliver(hook["id"]) == "delivered"
    assert list(receiver.deliveries) == [hook["id"]]


def test_a_bad_signature_secret_is_refused_by_the_receiver(worker, service, ann, backend,
                                                          settings):
    receiver = WebhookReceiver(secret="other")
    try:
        win(service, ann, receiver.url)
        hook = next(r for r in rows(backend[0], object="deal") if r["kind"] == "webhook")
        assert worker.deliver(hook["id"]) == "pending"
        assert receiver.deliveries == {} and receiver.requests[0]["signed"] is False
    finally:
        receiver.close()


def test_email_reaches_an_smtp_server(worker, service, ann, backend, settings):
    from aiosmtpd.controller import Controller

    class Inbox:
        messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port (the controller needs one up front)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        worker.settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
        win(service, ann, "http://127.0.0.1:9/unused", name="Big & <deal>")
        mail = next(r for r in rows(backend[0], object="deal") if r["kind"] == "send_email")
        assert worker.deliver(mail["id"]) == "delivered"
        ((to, text),) = inbox.messages
        assert to == ["ann@example.com"]
        assert "Subject: Won: Big & <deal>" in text               # no HTML escaping in mail
        assert f"Idempotency-Key: {mail['id']}" in text
        assert "Big & <deal> with Acme" in text
    finally:
        controller.stop()


def test_a_time_based_workflow_runs_when_due_and_once(worker, service, ann, backend, clock,
                                                      receiver, published):
    db = backend[0]
    account = service.create("account", {"name": "Acme", "hook_url": receiver.url}, ann)
    deal = service.create("deal", {"name": "D", "account": account["id"],
                                   "close_date": "2024-05-20"}, ann)   # due 2024-05-13
    assert worker.sweep() == []                                 # not due yet
    clock.now = dt.datetime(2024, 5, 13, 0, 0, 1)
    due = worker.sweep()
    assert [kind for _, kind in due] == ["scheduled"]
    assert worker.deliver(due[0][0]) == "delivered"
    assert worker.deliver(due[0][0]) == "skipped"               # once
    assert service.get("deal", deal["id"])["flagged"] is True    # set_fields ran
    hook = next(r for r in rows(db, object="deal") if r["kind"] == "webhook")
    assert (hook["id"], "webhook") in published                  # queued by the scheduled run
    assert worker.deliver(hook["id"]) == "delivered"
    assert receiver.deliveries[hook["id"]]["event"] == "scheduled"
    assert [r["trigger"] for r in runs_for_record(db, "deal", deal["id"])][:1] == ["scheduled"]


def test_a_plan_for_a_deleted_record_never_runs(worker, service, ann, backend, clock):
    account = service.create("account", {"name": "Acme"}, ann)
    deal = service.create("deal", {"name": "D", "account": account["id"],
                                   "close_date": "2024-05-20"}, ann)
    (plan,) = rows(backend[0], status="pending")
    service.delete("deal", deal["id"], ann)
    clock.now = dt.datetime(2024, 6, 1)
    assert worker.sweep() == []
    assert rows(backend[0], key=plan["id"])[0]["status"] == "cancelled"


def test_periodic_workflows_run_once_per_period_on_matching_records(worker, service, ann,
                                                                    backend, clock):
    ids = [service.create("task", {"subject": f"t{i}"}, ann)["id"] for i in range(3)]
    service.update("task", ids[0], {"status": "Done"}, ann)
    assert worker.run_periodic() == 2
    assert [service.get("task", i)["late"] for i in ids] == [False, True, True]
    extra = service.create("task", {"subject": "new"}, ann)["id"]
    assert worker.run_periodic() == 0                            # same hour: already ran
    clock.advance(hours=1)
    assert worker.run_periodic() == 1                            # next period: the new one
    assert service.get("task", extra)["late"] is True
    assert {r["trigger"] for r in recent_runs(backend[0])} >= {"periodic"}


def test_a_failing_scheduled_run_is_logged_and_retried(worker, service, ann, backend, clock):
    db = backend[0]
    account = service.create("account", {"name": "Acme"}, ann)
    deal = service.create("deal", {"name": "D", "account": account["id"],
                                   "close_date": "2024-05-02"}, ann)
    with db.write() as conn:   # broken behind the service's back: set_fields cannot save it
        conn.execute(service.tables["deal"].update()
                     .where(service.tables["deal"].c.id == deal["id"]).values(name=""))
    clock.now = dt.datetime(2024, 5, 2)
    ((key, _),) = worker.sweep()
    assert worker.deliver(key) == "failed"
    (run,) = recent_runs(db, failures_first=True, limit=1)
    assert run["outcome"] == "failed" and "name" in run["error"]
    assert rows(db, key=key)[0]["status"] == "pending"                  # retried later


def test_a_batch_delivers_each_row_once_and_records_every_attempt(worker, service, ann, backend,
                                                                  receiver, clock):
    db = backend[0]
    for i in range(4):
        win(service, ann, receiver.url, name=f"Deal {i}")
    hooks = [r["id"] for r in rows(db) if r["kind"] == "webhook"]
    receiver.fail_first = 1                        # the first POST of the batch fails
    with db.write() as conn:                       # one row is held by another worker
        held = outbox.claim(conn, hooks[-1], clock(), dt.timedelta(minutes=5))
    statuses = worker.deliver_many(hooks)
    assert statuses[hooks[-1]] == "skipped"        # not ours: left alone
    assert sorted(statuses[k] for k in hooks[:-1]) == ["delivered", "delivered", "pending"]
    again = worker.deliver_many(hooks)             # a duplicate publish of the same batch
    assert all(status in ("skipped",) for status in again.values())
    clock.advance(seconds=5)
    worker.deliver_many(hooks[:-1])
    assert {r["id"]: r["status"] for r in rows(db) if r["id"] in hooks[:-1]} == \
        {k: "delivered" for k in hooks[:-1]}
    assert sorted(receiver.deliveries) == sorted(hooks[:-1])
    assert held is not None and rows(db, key=hooks[-1])[0]["status"] == "sending"
    assert sum(len(delivery_attempts(db, k)) for k in hooks[:-1]) == 4   # 3 ok + 1 failure


def test_a_time_based_run_checks_its_condition_again_when_due(worker, service, ann, backend,
                                                              clock):
    db = backend[0]
    account = service.create("account", {"name": "Acme"}, ann)
    deal = service.create("deal", {"name": "D", "account": account["id"],
                                   "close_date": "2024-05-20"}, ann)
    # the condition (stage == "Open") stops holding without a save through the service
    with db.write() as conn:
        conn.execute(service.tables["deal"].update()
                     .where(service.tables["deal"].c.id == deal["id"]).values(stage="Won"))
    clock.now = dt.datetime(2024, 5, 13, 0, 0, 1)
    [(key, kind)] = worker.sweep()
    assert kind == "scheduled" and worker.deliver(key) == "cancelled"
    row = rows(db, key=key)[0]
    assert row["status"] == "cancelled" and "condition no longer holds" in row["last_error"]
    assert service.get("deal", deal["id"])["flagged"] is not True   # its actions did not run
