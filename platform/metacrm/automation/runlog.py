"""Reading what automation did, for the API, the record page and the command line.

    runs_for_record(db, "opportunity", deal_id)     # its workflow runs, newest first
    outbox_for_record(db, "opportunity", deal_id)   # its deliveries, with their attempts
    recent_runs(db, failures_first=True)            # across the system
    dead_letters(db)                                # rows that gave up
    retry_dead_letter(db, row_id)                   # make one due again (True if it was dead)
"""

from __future__ import annotations

import datetime as dt

from ..store import Database, outbox


def runs_for_record(db: Database, object_name: str, record_id: str, *, limit: int = 100
                    ) -> list[dict]:
    """Workflow runs on one record, newest first: workflow, trigger, actions (each: type,
    outcome, outbox_id or record), outcome (ok | failed), error, started_at, duration_ms."""
    with db.read() as conn:
        return outbox.read_runs(conn, object=object_name, record_id=record_id, limit=limit)


def recent_runs(db: Database, *, failures_first: bool = True, object_name: str | None = None,
                limit: int = 100) -> list[dict]:
    with db.read() as conn:
        return outbox.read_runs(conn, object=object_name, failures_first=failures_first,
                                limit=limit)


def outbox_for_record(db: Database, object_name: str, record_id: str, *, limit: int = 100
                      ) -> list[dict]:
    """The record's outbox rows, newest first, each with ``attempts_log`` (one entry per try:
    attempt, at, ok, error, duration_ms)."""
    with db.read() as conn:
        rows = outbox.read_rows(conn, object=object_name, record_id=record_id, limit=limit)
        for row in rows:
            row["attempts_log"] = outbox.read_attempts(conn, row["id"])
    return rows


def outbox_rows(db: Database, *, status: str | None = None, limit: int = 100) -> list[dict]:
    with db.read() as conn:
        return outbox.read_rows(conn, status=status, limit=limit)


def dead_letters(db: Database, *, limit: int = 100) -> list[dict]:
    return outbox_rows(db, status=outbox.DEAD, limit=limit)


def delivery_attempts(db: Database, row_id: str) -> list[dict]:
    with db.read() as conn:
        return outbox.read_attempts(conn, row_id)


def retry_dead_letter(db: Database, row_id: str, *, publisher=None, now=None) -> bool:
    """Make a dead row pending again (due now, attempts counted afresh); with ``publisher``
    (e.g. ``celery_app.metacrm_publish``) it is sent at once, else at the next sweep."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    with db.write() as conn:
        done = outbox.replay(conn, row_id, now)
        kind = None
        if done:
            kind = outbox.read_rows(conn, key=row_id, limit=1)[0]["kind"]
    if done and publisher is not None:
        publisher([(row_id, kind)])
    return done
