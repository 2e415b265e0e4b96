"""The automation outbox and run log: what workflows owe the outside world, and what they did.

``meta_outbox`` holds every action that leaves a record's transaction (an email, a webhook, a
plugin's asynchronous action, a time-based or periodic run). Rows are written in the same
transaction as the record change, so a crash before commit loses both and a crash after
commit loses neither. A row's ``id`` is its delivery key (sent downstream as Idempotency-Key).

    status: pending --claim--> sending --succeed--> delivered
                 ^                 |--fail--> pending (due later) ... --> dead --retry--> pending
                 '---- a claim whose lease ran out is claimable again (the worker died)
    cancelled: a time-based plan that no longer holds

``meta_outbox_attempt`` keeps one row per delivery attempt; ``meta_workflow_run`` one row per
workflow run (trigger, record, actions, outcome, duration, error).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import (BigInteger, Boolean, Column, Connection, Index, Integer, String, Table,
                        Text, and_, case, insert, or_, select, update)

from ..formula import DateTimeSeconds
from .system import SYSTEM_METADATA

PENDING, SENDING, DELIVERED, DEAD, CANCELLED = "pending", "sending", "delivered", "dead", "cancelled"

OUTBOX = Table(
    "meta_outbox", SYSTEM_METADATA,
    #: the delivery key: unique per action, the same on every retry
    Column("id", String(64), primary_key=True),
    #: email | webhook | scheduled | periodic | a plugin action type (chat.notify)
    Column("kind", String(64), nullable=False),
    Column("workflow", String(64)),
    Column("object", String(64)),
    Column("record_id", String(64)),
    #: what to deliver, as JSON (rendered in the transaction: the record as it was saved)
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False, default=PENDING),
    Column("attempts", Integer, nullable=False, default=0),
    #: not before this time (a retry's backoff, a time-based action's moment)
    Column("due_at", DateTimeSeconds(), nullable=False),
    #: a worker holds the row until then; past it, the row is claimable again
    Column("claimed_until", DateTimeSeconds()),
    Column("last_error", Text),
    Column("created_at", DateTimeSeconds(), nullable=False),
    Column("delivered_at", DateTimeSeconds()),
    #: a time-based plan's identity (workflow:record): re-planning cancels the older row
    Column("plan", String(160)),
)
Index("ix_meta_outbox_due", OUTBOX.c.status, OUTBOX.c.due_at)
Index("ix_meta_outbox_record", OUTBOX.c.object, OUTBOX.c.record_id)
Index("ix_meta_outbox_plan", OUTBOX.c.plan)

ATTEMPTS = Table(
    "meta_outbox_attempt", SYSTEM_METADATA,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("outbox_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTimeSeconds(), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("duration_ms", Integer),
)
Index("ix_meta_outbox_attempt_row", ATTEMPTS.c.outbox_id, ATTEMPTS.c.id)

RUNS = Table(
    "meta_workflow_run", SYSTEM_METADATA,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("workflow", String(64), nullable=False),
    Column("object", String(64), nullable=False),
    Column("record_id", String(64)),
    #: create | update | delete | scheduled | periodic
    Column("trigger", String(16), nullable=False),
    #: JSON: [{"type": …, "outcome": done | queued | failed, "outbox_id"?: …}]
    Column("actions", Text, nullable=False),
    #: ok | failed
    Column("outcome", String(8), nullable=False),
    Column("error", Text),
    Column("started_at", DateTimeSeconds(), nullable=False),
    Column("duration_ms", Integer, nullable=False),
)
Index("ix_meta_workflow_run_record", RUNS.c.object, RUNS.c.record_id, RUNS.c.id)
Index("ix_meta_workflow_run_outcome", RUNS.c.outcome, RUNS.c.id)


def new_key() -> str:
    return uuid.uuid4().hex


def outbox_row(kind: str, payload: Mapping, *, due_at: dt.datetime, now: dt.datetime,
               workflow: str | None = None, object: str | None = None,
               record_id: str | None = None, plan: str | None = None,
               key: str | None = None) -> dict:
    return {"id": key or new_key(), "kind": kind, "workflow": workflow, "object": object,
            "record_id": record_id, "payload": json.dumps(payload, default=str, sort_keys=True),
            "status": PENDING, "attempts": 0, "due_at": due_at, "claimed_until": None,
            "last_error": None, "created_at": now, "delivered_at": None, "plan": plan}


def enqueue(conn: Connection, rows: list[dict]) -> list[str]:
    if rows:
        conn.execute(insert(OUTBOX), rows)
    return [row["id"] for row in rows]


def cancel_plan(conn: Connection, plan: str) -> int:
    """Cancel the pending rows of a time-based plan; returns how many."""
    return conn.execute(update(OUTBOX).where(OUTBOX.c.plan == plan, OUTBOX.c.status == PENDING)
                        .values(status=CANCELLED)).rowcount


def claimable(now: dt.datetime):
    return or_(and_(OUTBOX.c.status == PENDING, OUTBOX.c.due_at <= now),
               and_(OUTBOX.c.status == SENDING, OUTBOX.c.claimed_until < now))


def claim(conn: Connection, key: str, now: dt.datetime, lease: dt.timedelta) -> dict | None:
    """Take a row for delivery (one worker at a time: the UPDATE is the lock); None when it
    is delivered, dead, not due, or held by another worker."""
    taken = conn.execute(update(OUTBOX).where(OUTBOX.c.id == key, claimable(now)).values(
        status=SENDING, claimed_until=now + lease, attempts=OUTBOX.c.attempts + 1)).rowcount
    if not taken:
        return None
    row = conn.execute(select(OUTBOX).where(OUTBOX.c.id == key)).mappings().one()
    out = dict(row)
    out["payload"] = json.loads(row["payload"])
    return out


#: kinds a worker runs as workflows (in a transaction of their own), not delivers
RUN_KINDS = ("scheduled", "periodic")


def claim_many(conn: Connection, keys: Sequence[str], now: dt.datetime, lease: dt.timedelta
               ) -> list[dict]:
    """Take every claimable row of ``keys`` that is delivered (not run) in one statement:
    the rows this worker now holds. (UPDATE … RETURNING: PostgreSQL, SQLite 3.35+.)"""
    if not keys:
        return []
    taken = conn.execute(
        update(OUTBOX).where(OUTBOX.c.id.in_(list(keys)), claimable(now),
                             OUTBOX.c.kind.not_in(RUN_KINDS))
        .values(status=SENDING, claimed_until=now + lease, attempts=OUTBOX.c.attempts + 1)
        .returning(*OUTBOX.c)).mappings().all()
    return [{**row, "payload": json.loads(row["payload"])} for row in taken]


def succeed_many(conn: Connection, done: Sequence[tuple[Mapping, int]], now: dt.datetime) -> None:
    """Mark delivered rows (each with its attempt's duration) in two statements."""
    if not done:
        return
    conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_([row["id"] for row, _ in done])).values(
        status=DELIVERED, delivered_at=now, claimed_until=None, last_error=None))
    conn.execute(insert(ATTEMPTS), [
        {"outbox_id": row["id"], "attempt": row["attempts"], "at": now, "ok": True,
         "error": None, "duration_ms": ms} for row, ms in done])


def succeed(conn: Connection, row: Mapping, now: dt.datetime, duration_ms: int) -> None:
    conn.execute(update(OUTBOX).where(OUTBOX.c.id == row["id"]).values(
        status=DELIVERED, delivered_at=now, claimed_until=None, last_error=None))
    _attempt(conn, row, now, None, duration_ms)


def fail(conn: Connection, row: Mapping, now: dt.datetime, error: str, duration_ms: int, *,
         retry_at: dt.datetime | None) -> str:
    """Record a failed attempt: due again at ``retry_at``, or dead when None. Returns the status."""
    status = PENDING if retry_at is not None else DEAD
    conn.execute(update(OUTBOX).where(OUTBOX.c.id == row["id"]).values(
        status=status, due_at=retry_at or row["due_at"], claimed_until=None,
        last_error=error[:4000]))
    _attempt(conn, row, now, error, duration_ms)
    return status


def _attempt(conn, row, now, error, duration_ms) -> None:
    conn.execute(insert(ATTEMPTS).values(outbox_id=row["id"], attempt=row["attempts"], at=now,
                                         ok=error is None, error=error and error[:4000],
                                         duration_ms=duration_ms))


def close(conn: Connection, row: Mapping, now: dt.datetime, status: str, note: str | None,
          duration_ms: int = 0) -> None:
    """Finish a claimed row as delivered (a time-based run done) or cancelled (its plan no
    longer holds), with a note of why."""
    conn.execute(update(OUTBOX).where(OUTBOX.c.id == row["id"]).values(
        status=status, delivered_at=now, claimed_until=None, last_error=note))
    _attempt(conn, row, now, None, duration_ms)


def due(conn: Connection, now: dt.datetime, limit: int = 1000, grace: dt.timedelta = dt.timedelta(0)
        ) -> list[tuple[str, str]]:
    """(id, kind) of rows that should be delivered now and are not held by a live worker;
    with ``grace``, only those due for at least that long (rows just published are left to
    the task already on its way)."""
    rows = conn.execute(select(OUTBOX.c.id, OUTBOX.c.kind)
                        .where(claimable(now), OUTBOX.c.due_at <= now - grace)
                        .order_by(OUTBOX.c.due_at, OUTBOX.c.id).limit(limit))
    return [(r.id, r.kind) for r in rows]


def replay(conn: Connection, key: str, now: dt.datetime) -> bool:
    """A dead row becomes pending again, due now, with a fresh count of attempts."""
    return bool(conn.execute(update(OUTBOX).where(OUTBOX.c.id == key, OUTBOX.c.status == DEAD)
                             .values(status=PENDING, due_at=now, attempts=0)).rowcount)


def read_rows(conn: Connection, *, status: str | None = None, object: str | None = None,
              record_id: str | None = None, key: str | None = None, limit: int = 100) -> list[dict]:
    query = select(OUTBOX)
    for column, value in (("status", status), ("object", object), ("record_id", record_id),
                          ("id", key)):
        if value is not None:
            query = query.where(OUTBOX.c[column] == value)
    rows = conn.execute(query.order_by(OUTBOX.c.created_at.desc(), OUTBOX.c.id).limit(limit))
    return [{**row, "payload": json.loads(row["payload"])} for row in rows.mappings()]


def read_attempts(conn: Connection, key: str) -> list[dict]:
    rows = conn.execute(select(ATTEMPTS).where(ATTEMPTS.c.outbox_id == key).order_by(ATTEMPTS.c.id))
    return [dict(row) for row in rows.mappings()]


def log_runs(conn: Connection, runs: Iterable[Mapping[str, Any]]) -> None:
    rows = [{**run, "actions": json.dumps(run["actions"], default=str)} for run in runs]
    if rows:
        conn.execute(insert(RUNS), rows)


def read_runs(conn: Connection, *, object: str | None = None, record_id: str | None = None,
              failures_first: bool = False, limit: int = 100) -> list[dict]:
    query = select(RUNS)
    if object is not None:
        query = query.where(RUNS.c.object == object)
    if record_id is not None:
        query = query.where(RUNS.c.record_id == record_id)
    order = [RUNS.c.id.desc()]
    if failures_first:
        order.insert(0, case((RUNS.c.outcome == "failed", 0), else_=1))
    rows = conn.execute(query.order_by(*order).limit(limit)).mappings()
    return [{**row, "actions": json.loads(row["actions"])} for row in rows]
