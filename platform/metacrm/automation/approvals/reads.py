"""What is recorded, read back: a record's requests with their steps and decisions, one
request, and the inbox of what waits for a user (their own parts and their delegators').

    requests_for_record(service, "opportunity", deal_id)   # oldest first, steps and approvers
    request_detail(service, request_id)
    inbox(service, actor)                                   # newest step first
"""

from __future__ import annotations

from typing import Iterable

from ...runtime import Actor, RecordService
from ...store import approvals as store
from .errors import RequestNotFound


def _assemble(conn, requests: list[dict]) -> list[dict]:
    ids = [r["id"] for r in requests]
    steps = store.steps_of(conn, ids)
    approvers = store.approvers_of(conn, request_ids=ids)
    by_step: dict[str, list] = {}
    for row in approvers:
        by_step.setdefault(row["step_id"], []).append(_approver(row))
    by_request: dict[str, list] = {}
    for step in steps:
        by_request.setdefault(step["request_id"], []).append(
            {**{k: v for k, v in step.items() if k != "request_id"},
             "approvers": by_step.get(step["id"], [])})
    out = []
    for request in requests:
        definition = request["definition"]
        out.append({**{k: v for k, v in request.items()
                       if k not in ("definition", "pending_key")},
                    "label": definition.get("label") or request["process"],
                    "reject_requires_comment": definition.get("reject_requires_comment", False),
                    "steps": by_request.get(request["id"], [])})
    return out


def _approver(row: dict) -> dict:
    """One approver's part; ``shown`` is how a page names who decided ("bob for ann")."""
    shown = row["username"]
    if row["decided_by_name"]:
        shown = f"{row['decided_by_name']} for {row['username']}"
    return {k: v for k, v in row.items() if k not in ("request_id", "step_id")} | {
        "shown": shown}


def requests_for_record(service: RecordService, object_name: str, record_id: str, *,
                        conn=None) -> list[dict]:
    service.rules(object_name)  # an unknown object raises UnknownObject
    with _reading(service, conn) as c:
        return _assemble(c, store.requests_for_record(c, object_name, record_id))


def request_detail(service: RecordService, request_id: str, *, conn=None) -> dict:
    with _reading(service, conn) as c:
        found = store.read_request(c, request_id)
        if found is None:
            raise RequestNotFound(f"there is no approval request '{request_id}'",
                                  request_id=request_id)
        return _assemble(c, [found])[0]


def inbox(service: RecordService, actor: Actor, *, conn=None) -> list[dict]:
    """Parts waiting for the actor: their own, and those of users who delegated to them
    today (``on_behalf_of`` names whose part it is)."""
    if actor.user_id is None:
        return []
    with _reading(service, conn) as c:
        today = service.env.today()
        givers = [d["user_id"] for d in store.delegations(c, delegate_id=actor.user_id, on=today)]
        rows = store.waiting_for(c, [actor.user_id, *givers])
        titles = _titles(service, c, ((r["object"], r["record_id"]) for r in rows))
        items, seen = [], set()
        for row in rows:
            mine = row["user_id"] == actor.user_id
            key = (row["request_id"], row["username"])
            if key in seen:
                continue
            seen.add(key)
            items.append({"request_id": row["request_id"], "process": row["process"],
                          "object": row["object"], "record_id": row["record_id"],
                          "title": titles.get((row["object"], row["record_id"])),
                          "step": row["step"], "step_label": row["step_label"] or row["step"],
                          "waiting_since": row["started_at"],
                          "submitted_by": row["submitted_by_name"],
                          "submitted_at": row["submitted_at"],
                          "on_behalf_of": None if mine else row["username"]})
        items.sort(key=lambda i: (i["waiting_since"], i["request_id"]), reverse=True)
        return items


def _titles(service: RecordService, conn, keys: Iterable[tuple[str, str]]) -> dict:
    out = {}
    for object_name, record_id in set(keys):
        try:
            title = service.catalog.object(object_name).title
            record = service.get(object_name, record_id, fields=[title], conn=conn)
            out[(object_name, record_id)] = record.get(title)
        except Exception:  # noqa: BLE001 - an object gone from the catalog, a record deleted
            out[(object_name, record_id)] = None
    return out


class _reading:
    """The caller's connection, or a read transaction of our own."""

    def __init__(self, service: RecordService, conn):
        self.service, self.conn, self._cm = service, conn, None

    def __enter__(self):
        if self.conn is not None:
            return self.conn
        self._cm = self.service.db.read()
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc) if self._cm is not None else False
