"""Escalation on beat's sweep with a controllable clock: after escalate_after_hours the
undecided approvers get an email through the outbox and escalate_to is added, once per period."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from metacrm.automation import Settings, Worker
from metacrm.automation.approvals import ENGINE, escalate, request_detail
from metacrm.store.outbox import OUTBOX


@pytest.fixture
def worker(backend, clock, service, tmp_path):
    _db, url, _version = backend
    settings = Settings(database_url=url, clock=clock, sweep_grace_seconds=0,
                        broker_url=f"sqla+sqlite:///{tmp_path}/broker.db")
    return Worker(settings, backend[0], load_entry_points=False)


def mails(service):
    with service.db.read() as conn:
        rows = conn.execute(select(OUTBOX).where(OUTBOX.c.kind == "send_email")
                            .order_by(OUTBOX.c.created_at, OUTBOX.c.id)).mappings().all()
    return [json.loads(row["payload"]) for row in rows]


def approvers(service, request):
    return sorted(a["username"] for a in request_detail(service, request["id"])["steps"][0]["approvers"])


def test_escalation_reminds_once_per_period_and_adds_escalate_to(service, users, clock, worker):
    d = service.create("deal", {"name": "Slow", "amount": 1000}, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "escalating")
    assert approvers(service, request) == ["fin"]
    clock.advance(hours=23, minutes=59)
    worker.sweep()
    assert mails(service) == []
    clock.advance(minutes=1)
    published = worker.sweep()
    [mail] = mails(service)
    assert sorted(mail["to"]) == ["dora@example.com", "fin@example.com"]
    assert "Waiting for your approval" in mail["subject"]
    assert any(kind == "send_email" for _id, kind in published)
    assert approvers(service, request) == ["dora", "fin"]
    worker.sweep()  # the same moment again: nothing new
    clock.advance(hours=23)
    worker.sweep()  # within the period
    assert len(mails(service)) == 1
    clock.advance(hours=1)
    worker.sweep()
    assert len(mails(service)) == 2  # the next period's reminder; dora is not added twice
    assert approvers(service, request) == ["dora", "fin"]
    step = request_detail(service, request["id"])["steps"][0]
    assert step["escalations"] == 2
    # the added approver can decide
    assert ENGINE.decide(service, users["dora"], request["id"], "approve")["status"] == "approved"
    clock.advance(hours=48)
    worker.sweep()
    assert len(mails(service)) == 2  # decided steps never escalate


def test_two_sweeps_of_one_moment_escalate_once(service, users, clock):
    d = service.create("deal", {"name": "Slow", "amount": 1000}, users["ann"])
    ENGINE.submit(service, users["ann"], "deal", d["id"], "escalating")
    clock.advance(hours=25)
    first = escalate(service, clock())
    second = escalate(service, clock())
    assert len(first) == 1 and second == []


def test_steps_without_escalation_are_left_alone(service, users, clock, worker):
    d = service.create("deal", {"name": "Quiet", "amount": 1000, "discount": 30}, users["ann"])
    ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    clock.advance(days=30)
    worker.sweep()
    assert mails(service) == []
