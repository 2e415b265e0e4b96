"""The approval tables: requests, their steps, every approver's decision, and delegations.

    meta_approval_request    one per submission: process, record, status, the process
                             definition it started under (it finishes under it), who and when
    meta_approval_step       one per step reached: started, skipped, approved or rejected
    meta_approval_approver   one per approver of a step: decision, time, comment, and who
                             decided when a delegate did ("B for A")
    meta_delegation          "B decides for A from day X to day Y"

``pending_key`` is ``process:object:record`` while a request is pending and NULL after: its
unique index makes "at most one pending request per process and record" hold under
concurrency, not only in a check before the insert.

The engine (``metacrm.automation.approvals``) decides; this module only reads and writes rows.
Decisions lock the request row first (``FOR UPDATE`` on PostgreSQL; SQLite writers are
serialised by ``BEGIN IMMEDIATE``), so two approvers at the same instant are taken one after
the other and a step is never advanced twice.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, Iterable

from sqlalchemy import (Boolean, Column, Connection, Date, Index, Integer, String, Table, Text,
                        and_, bindparam, func, insert, or_, select, update)

from ..formula import DateTimeSeconds
from .system import SYSTEM_METADATA

PENDING, APPROVED, REJECTED, RECALLED, SKIPPED = (
    "pending", "approved", "rejected", "recalled", "skipped")

REQUESTS = Table(
    "meta_approval_request", SYSTEM_METADATA,
    Column("id", String(32), primary_key=True),
    Column("process", String(64), nullable=False),
    Column("object", String(64), nullable=False),
    Column("record_id", String(64), nullable=False),
    #: pending | approved | rejected | recalled
    Column("status", String(12), nullable=False),
    #: process:object:record while pending, else NULL (unique: one pending per process+record)
    Column("pending_key", String(200)),
    #: the process as it was when submitted (JSON): the request finishes under it
    Column("definition", Text, nullable=False),
    Column("metadata_version", Integer),
    #: whether the record is locked while pending (from the definition, kept for the lock check)
    Column("locks", Boolean, nullable=False),
    #: the position (0-based) of the step under way; NULL once decided
    Column("current_step", Integer),
    Column("submitted_by", String(64)),
    Column("submitted_by_name", String(120), nullable=False),
    Column("submitted_at", DateTimeSeconds(), nullable=False),
    Column("decided_at", DateTimeSeconds()),
    #: the recall's comment, or why the engine rejected it (no approver left)
    Column("comment", Text),
)
Index("ix_meta_approval_request_record", REQUESTS.c.object, REQUESTS.c.record_id,
      REQUESTS.c.status)
Index("ux_meta_approval_request_pending", REQUESTS.c.pending_key, unique=True)
Index("ix_meta_approval_request_status", REQUESTS.c.status)

STEPS = Table(
    "meta_approval_step", SYSTEM_METADATA,
    Column("id", String(32), primary_key=True),
    Column("request_id", String(32), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    Column("label", String(200)),
    Column("mode", String(12), nullable=False),
    Column("quorum", Integer),
    #: pending | approved | rejected | skipped | recalled
    Column("status", String(12), nullable=False),
    Column("started_at", DateTimeSeconds(), nullable=False),
    Column("decided_at", DateTimeSeconds()),
    #: the last escalation (reminder) of this step
    Column("escalated_at", DateTimeSeconds()),
    #: when the next escalation is due (a period after the start or the last one); NULL: never
    Column("escalate_due_at", DateTimeSeconds()),
    Column("escalations", Integer, nullable=False, default=0),
    Column("note", Text),
)
Index("ix_meta_approval_step_request", STEPS.c.request_id, STEPS.c.position)
Index("ix_meta_approval_step_due", STEPS.c.status, STEPS.c.escalate_due_at)

APPROVERS = Table(
    "meta_approval_approver", SYSTEM_METADATA,
    Column("id", String(32), primary_key=True),
    Column("request_id", String(32), nullable=False),
    Column("step_id", String(32), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("username", String(120), nullable=False),
    #: None (undecided) | approved | rejected
    Column("decision", String(12)),
    Column("decided_at", DateTimeSeconds()),
    Column("comment", Text),
    #: who decided, when not the approver (a delegate, or an admin's reassignment source)
    Column("decided_by", String(64)),
    Column("decided_by_name", String(120)),
    #: why this approver is here: None (the step's approvers) | escalation | reassigned
    Column("source", String(16)),
    #: false once reassigned to someone else (kept for the record)
    Column("active", Boolean, nullable=False, default=True),
)
Index("ix_meta_approval_approver_step", APPROVERS.c.step_id)
Index("ix_meta_approval_approver_user", APPROVERS.c.user_id, APPROVERS.c.decision)

DELEGATIONS = Table(
    "meta_delegation", SYSTEM_METADATA,
    Column("id", String(32), primary_key=True),
    #: the approver who is away
    Column("user_id", String(64), nullable=False),
    #: who decides for them
    Column("delegate_id", String(64), nullable=False),
    #: inclusive dates, in the organisation's time zone
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("created_at", DateTimeSeconds(), nullable=False),
    Column("created_by", String(64)),
)
Index("ix_meta_delegation_delegate", DELEGATIONS.c.delegate_id, DELEGATIONS.c.starts_on)
Index("ix_meta_delegation_user", DELEGATIONS.c.user_id)


def new_id() -> str:
    return uuid.uuid4().hex


def _rows(result) -> list[dict]:
    return [dict(row._mapping) for row in result]


# -- requests -----------------------------------------------------------------------------------


def insert_request(conn: Connection, row: dict) -> None:
    conn.execute(insert(REQUESTS), [row])


def pending_key(process: str, object_name: str, record_id: str) -> str:
    return f"{process}:{object_name}:{record_id}"


def read_request(conn: Connection, request_id: str, *, lock: bool = False) -> dict | None:
    query = select(REQUESTS).where(REQUESTS.c.id == request_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = conn.execute(query).first()
    if found is None:
        return None
    row = dict(found._mapping)
    row["definition"] = json.loads(row["definition"])
    return row


def update_request(conn: Connection, request_id: str, **values) -> None:
    conn.execute(update(REQUESTS).where(REQUESTS.c.id == request_id).values(**values))


def requests_for_record(conn: Connection, object_name: str, record_id: str,
                        status: str | None = None) -> list[dict]:
    query = select(REQUESTS).where(REQUESTS.c.object == object_name,
                                   REQUESTS.c.record_id == record_id)
    if status is not None:
        query = query.where(REQUESTS.c.status == status)
    rows = _rows(conn.execute(query.order_by(REQUESTS.c.submitted_at, REQUESTS.c.id)))
    for row in rows:
        row["definition"] = json.loads(row["definition"])
    return rows


#: built once: the write path runs it on every update of a lockable object
_LOCKING = (select(REQUESTS.c.id, REQUESTS.c.process, REQUESTS.c.definition)
            .where(REQUESTS.c.object == bindparam("object"),
                   REQUESTS.c.record_id == bindparam("record_id"),
                   REQUESTS.c.status == PENDING, REQUESTS.c.locks))


def locking_requests(conn: Connection, object_name: str, record_id: str) -> list[dict]:
    """Pending requests that lock this record (the write path's check: one indexed query)."""
    rows = _rows(conn.execute(_LOCKING, {"object": object_name, "record_id": record_id}))
    for row in rows:
        row["definition"] = json.loads(row["definition"])
    return rows


def objects_with_pending(conn: Connection, *, locking: bool) -> set[str]:
    """Objects that have a pending request (a locking one, with ``locking``), whatever process
    it was submitted to."""
    query = select(REQUESTS.c.object).distinct().where(REQUESTS.c.status == PENDING)
    return set(conn.execute(query.where(REQUESTS.c.locks) if locking else query).scalars())


def count_pending(conn: Connection, processes: Iterable[str] | None = None) -> dict[str, int]:
    """Pending requests by process (all processes, or those named)."""
    query = (select(REQUESTS.c.process, func.count()).where(REQUESTS.c.status == PENDING)
             .group_by(REQUESTS.c.process))
    if processes is not None:
        query = query.where(REQUESTS.c.process.in_(list(processes)))
    return {name: count for name, count in conn.execute(query)}


# -- steps and approvers ------------------------------------------------------------------------


def insert_step(conn: Connection, row: dict, approvers: list[dict]) -> None:
    conn.execute(insert(STEPS), [row])
    if approvers:
        conn.execute(insert(APPROVERS), approvers)


def steps_of(conn: Connection, request_ids: Iterable[str]) -> list[dict]:
    ids = list(request_ids)
    if not ids:
        return []
    return _rows(conn.execute(select(STEPS).where(STEPS.c.request_id.in_(ids))
                              .order_by(STEPS.c.request_id, STEPS.c.position)))


def current_step(conn: Connection, request_id: str) -> dict | None:
    return conn.execute(select(STEPS).where(STEPS.c.request_id == request_id,
                                            STEPS.c.status == PENDING)).mappings().first()


def update_step(conn: Connection, step_id: str, **values) -> None:
    conn.execute(update(STEPS).where(STEPS.c.id == step_id).values(**values))


def approvers_of(conn: Connection, *, step_ids: Iterable[str] | None = None,
                 request_ids: Iterable[str] | None = None) -> list[dict]:
    query = select(APPROVERS)
    if step_ids is not None:
        query = query.where(APPROVERS.c.step_id.in_(list(step_ids)))
    if request_ids is not None:
        query = query.where(APPROVERS.c.request_id.in_(list(request_ids)))
    return _rows(conn.execute(query.order_by(APPROVERS.c.step_id, APPROVERS.c.username,
                                             APPROVERS.c.id)))


def add_approvers(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(insert(APPROVERS), rows)


def update_approver(conn: Connection, approver_id: str, **values) -> None:
    conn.execute(update(APPROVERS).where(APPROVERS.c.id == approver_id).values(**values))


def waiting_for(conn: Connection, user_ids: Iterable[str]) -> list[dict]:
    """Undecided, active approver rows of pending steps for these users, with their request."""
    ids = list(user_ids)
    if not ids:
        return []
    query = (select(APPROVERS, REQUESTS.c.process, REQUESTS.c.object, REQUESTS.c.record_id,
                    REQUESTS.c.submitted_by_name, REQUESTS.c.submitted_at,
                    STEPS.c.name.label("step"), STEPS.c.label.label("step_label"),
                    STEPS.c.started_at)
             .join(STEPS, STEPS.c.id == APPROVERS.c.step_id)
             .join(REQUESTS, REQUESTS.c.id == APPROVERS.c.request_id)
             .where(APPROVERS.c.user_id.in_(ids), APPROVERS.c.decision.is_(None),
                    APPROVERS.c.active, STEPS.c.status == PENDING,
                    REQUESTS.c.status == PENDING)
             .order_by(STEPS.c.started_at, APPROVERS.c.id))
    return _rows(conn.execute(query))


def steps_to_escalate(conn: Connection, now: dt.datetime, limit: int = 500) -> list[dict]:
    """Pending steps whose escalation is due (one indexed range read), with their request."""
    query = (select(STEPS, REQUESTS.c.definition, REQUESTS.c.object, REQUESTS.c.record_id,
                    REQUESTS.c.process)
             .join(REQUESTS, REQUESTS.c.id == STEPS.c.request_id)
             .where(STEPS.c.status == PENDING, STEPS.c.escalate_due_at <= now,
                    REQUESTS.c.status == PENDING)
             .order_by(STEPS.c.escalate_due_at, STEPS.c.id).limit(limit))
    rows = _rows(conn.execute(query))
    for row in rows:
        row["definition"] = json.loads(row["definition"])
    return rows


def claim_escalation(conn: Connection, step_id: str, due: dt.datetime, now: dt.datetime,
                     next_due: dt.datetime) -> bool:
    """Mark the step escalated at ``now`` (the next due at ``next_due``) unless another sweep
    already took the period due at ``due``: the compare-and-set makes two beats escalate one
    period once."""
    done = conn.execute(update(STEPS).where(STEPS.c.id == step_id, STEPS.c.status == PENDING,
                                            STEPS.c.escalate_due_at == due)
                        .values(escalated_at=now, escalate_due_at=next_due,
                                escalations=STEPS.c.escalations + 1))
    return done.rowcount == 1


# -- delegations --------------------------------------------------------------------------------


def insert_delegation(conn: Connection, row: dict) -> None:
    conn.execute(insert(DELEGATIONS), [row])


def delete_delegation(conn: Connection, delegation_id: str) -> int:
    return conn.execute(DELEGATIONS.delete().where(DELEGATIONS.c.id == delegation_id)).rowcount


def read_delegation(conn: Connection, delegation_id: str) -> dict | None:
    found = conn.execute(select(DELEGATIONS).where(DELEGATIONS.c.id == delegation_id)).first()
    return dict(found._mapping) if found else None


def delegations(conn: Connection, *, user_id: str | None = None,
                delegate_id: str | None = None, on: dt.date | None = None) -> list[dict]:
    """Delegations given by ``user_id`` or to ``delegate_id`` (either, when both), in force
    on day ``on`` when given."""
    query = select(DELEGATIONS)
    who = []
    if user_id is not None:
        who.append(DELEGATIONS.c.user_id == user_id)
    if delegate_id is not None:
        who.append(DELEGATIONS.c.delegate_id == delegate_id)
    if who:
        query = query.where(or_(*who))
    if on is not None:
        query = query.where(and_(DELEGATIONS.c.starts_on <= on, DELEGATIONS.c.ends_on >= on))
    return _rows(conn.execute(query.order_by(DELEGATIONS.c.starts_on, DELEGATIONS.c.id)))


def to_json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def pending_notes(conn: Connection, changes) -> tuple[str, ...]:
    """The deploy plan's notes: approval processes changed, renamed or removed while requests
    of theirs are pending. Those requests finish under the definition they were submitted
    with, so nothing is refused; the plan says how many there are."""
    touched = {c.old_name or c.name: c for c in changes
               if c.kind == "approval_process" and c.action != "added"}
    if not touched:
        return ()
    if not conn.dialect.has_table(conn, REQUESTS.name):  # a database from before approvals
        return ()
    counts = count_pending(conn, touched)
    notes = []
    for name, count in sorted(counts.items()):
        what = {"removed": "is removed", "renamed": "is renamed"}.get(touched[name].action,
                                                                     "changes")
        notes.append(f"approval process {name} {what} while {count} request"
                     f"{'s' * (count != 1)} of it {'are' if count != 1 else 'is'} pending; "
                     f"they finish under the process as it was when submitted")
    return tuple(notes)
