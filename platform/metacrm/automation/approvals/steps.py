"""When a step is decided, and how the next one starts.

    outcome("quorum", 2, ["approved", None, "rejected"])   # None: still open
    outcome("quorum", 2, ["rejected", None, "rejected"])   # "rejected": 2 can no longer be had

Modes: ``first`` — the first decision decides; ``all`` — every approver must approve, one
rejection rejects; ``quorum: N`` — N approvals approve, and the step is rejected as soon as N
can no longer be reached (approvals + undecided < N).
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping, Sequence

from ...formula import EvalContext, compile_condition
from ...meta import ApprovalProcess, ApprovalStep
from ...runtime import RecordService
from ...store import approvals as store
from .errors import ApprovalError
from .mail import mail_approvers
from .people import People

APPROVED, REJECTED = store.APPROVED, store.REJECTED


def required(step: ApprovalStep, approvers: int) -> int:
    """How many approvals decide the step."""
    if step.mode == "all":
        return approvers
    if step.mode == "quorum":
        return step.quorum or 1
    return 1


def outcome(mode: str, quorum: int | None, decisions: Sequence[str | None]) -> str | None:
    """``approved``, ``rejected``, or None while the step is still open."""
    approvals = sum(1 for d in decisions if d == APPROVED)
    rejections = sum(1 for d in decisions if d == REJECTED)
    undecided = len(decisions) - approvals - rejections
    if mode == "first":
        return APPROVED if approvals else REJECTED if rejections else None
    if mode == "all":
        if rejections:
            return REJECTED
        return APPROVED if undecided == 0 and approvals else None
    needed = quorum or 1
    if approvals >= needed:
        return APPROVED
    return REJECTED if approvals + undecided < needed else None


def holds(service: RecordService, conn, process: ApprovalProcess, source: str | None,
          record: Mapping, prior: Mapping | None = None, is_new: bool = False) -> bool:
    """Does a process's or step's ``when`` hold for the record? (No condition: yes.)"""
    if not source:
        return True
    try:
        # compiled per version; a request's definition may be older than the catalog, so
        # conditions are keyed by their source, not by process
        cache = service.runtime.part("approvals.conditions", dict)
        key = (process.object, source)
        if key not in cache:
            cache[key] = compile_condition(source, service.catalog.scope(process.object))
        condition = cache[key]
        ctx = EvalContext(lambda obj, rid: service.store.fetch_one(conn, obj, rid),
                          prior if prior is not None else record, is_new, service.env)
        return condition(record, ctx)
    except Exception as err:  # noqa: BLE001 - a condition that cannot run is a clear error
        raise ApprovalError(f"approval process '{process.name}': the condition '{source}' "
                            f"cannot be evaluated: {err}") from err


def start_next(service: RecordService, conn, people: People, request: Mapping,
               process: ApprovalProcess, position: int, record: Mapping, now
               ) -> tuple[str, str | None]:
    """Start the first step from ``position`` whose condition holds, recording skipped ones.

    Returns (``started``, None), (``done``, None) when no step is left, or (``unreachable``,
    why) when the step found cannot be decided (no approver, fewer than its quorum); that
    step is then recorded as rejected."""
    for index in range(position, len(process.steps)):
        step = process.steps[index]
        row = {"id": store.new_id(), "request_id": request["id"], "position": index,
               "name": step.name, "label": step.label, "mode": step.mode,
               "quorum": step.quorum, "status": store.PENDING, "started_at": now,
               "decided_at": None, "escalated_at": None, "escalations": 0, "note": None,
               "escalate_due_at": now + dt.timedelta(hours=step.escalate_after_hours)
               if step.escalate_after_hours else None}
        if not holds(service, conn, process, step.when, record):
            store.insert_step(conn, {**row, "status": store.SKIPPED, "decided_at": now,
                                     "escalate_due_at": None,
                                     "note": f"skipped: {step.when} is false"}, [])
            continue
        users = people.approvers(step.approvers, record, process.object, request["submitted_by"])
        note = None
        if not process.allow_self_approval and request["submitted_by"] is not None:
            kept = [u for u in users if u["id"] != request["submitted_by"]]
            if len(kept) < len(users):
                note = "the submitter is not an approver of their own request"
            users = kept
        need = required(step, len(users))
        if not users or len(users) < need:
            why = (f"step '{step.name}' has no approver" if not users else
                   f"step '{step.name}' needs {need} approvals but has {len(users)} approvers")
            if note:
                why += f" ({note})"
            store.insert_step(conn, {**row, "status": store.REJECTED, "decided_at": now,
                                     "escalate_due_at": None, "note": why}, [])
            return "unreachable", why
        store.insert_step(conn, {**row, "note": note}, [approver_row(request["id"], row["id"], u)
                                                         for u in users])
        store.update_request(conn, request["id"], current_step=index)
        if process.notify_approvers:
            mail_approvers(conn, process, step, users, process.object, request["record_id"], now)
        return "started", None
    return "done", None


def approver_row(request_id: str, step_id: str, user: Mapping, source: str | None = None
                 ) -> dict:
    return {"id": store.new_id(), "request_id": request_id, "step_id": step_id,
            "user_id": user["id"], "username": user["username"], "decision": None,
            "decided_at": None, "comment": None, "decided_by": None, "decided_by_name": None,
            "source": source, "active": True}
