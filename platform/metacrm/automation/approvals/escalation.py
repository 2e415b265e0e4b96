"""Escalation: a step waiting longer than ``escalate_after_hours`` reminds its undecided
approvers by email (through the outbox) and, the first time, adds the ``escalate_to``
approvers. Beat's sweeper calls :func:`escalate` on every run (the ``automation_sweep`` hook).

Once per period: each step keeps when its next escalation is due (``escalate_due_at``: a period
after the start, then a period after each escalation), moved with a compare-and-set, so two
sweeps at the same moment escalate once; a sweep reads only the steps that are due.
"""

from __future__ import annotations

import datetime as dt

from ...runtime import RecordService
from ...store import approvals as store
from .definition import from_plain
from .mail import mail_approvers
from .people import People
from .steps import approver_row


def escalate(service: RecordService, now: dt.datetime) -> list[tuple[str, str]]:
    """Escalate every step that is due; returns the outbox rows queued, to publish."""
    with service.db.read() as conn:
        candidates = store.steps_to_escalate(conn, now)
    queued = []
    for row in candidates:
        process = from_plain(row["definition"])
        step = process.steps[row["position"]]
        next_due = now + dt.timedelta(hours=step.escalate_after_hours or 0)
        with service.transaction() as tx:
            conn = tx.conn
            store.read_request(conn, row["request_id"], lock=True)
            if not store.claim_escalation(conn, row["id"], row["escalate_due_at"], now,
                                          next_due):
                continue  # decided meanwhile, or another sweep took this period
            queued += _escalate_step(service, conn, row, process, step, now)
    return queued


def _escalate_step(service, conn, row, process, step, now) -> list[tuple[str, str]]:
    people = People(service, conn)
    approvers = [a for a in store.approvers_of(conn, step_ids=[row["id"]]) if a["active"]]
    present = {a["user_id"] for a in approvers}
    added = []
    if step.escalate_to is not None and row["escalations"] == 0:
        record = service.store.fetch_one(conn, row["object"], row["record_id"]) or {}
        request = store.read_request(conn, row["request_id"])
        for user in people.approvers(step.escalate_to, record, row["object"],
                                     request["submitted_by"]):
            if user["id"] in present:
                continue
            if user["id"] == request["submitted_by"] and not process.allow_self_approval:
                continue
            added.append(approver_row(row["request_id"], row["id"], user, "escalation"))
            present.add(user["id"])
        store.add_approvers(conn, added)
    waiting = [a["user_id"] for a in approvers if a["decision"] is None] + [
        a["user_id"] for a in added]
    return mail_approvers(conn, process, step, [people.by_id(i) for i in waiting],
                          row["object"], row["record_id"], now, waiting_since=row["started_at"])
