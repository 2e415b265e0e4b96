"""Delegations: "B decides for A from day X to day Y" (inclusive, in the organisation's time
zone). A decision B makes for A is recorded on A's part as decided by B ("B for A").

    add_delegation(service, actor, user="ann", delegate="bob", starts_on=d1, ends_on=d2)
    list_delegations(service, actor)            # given by or to the actor (admins: all)
    remove_delegation(service, actor, delegation_id)

A user manages their own delegations; admins manage anyone's.
"""

from __future__ import annotations

import datetime as dt

from ...runtime import Actor, RecordService
from ...store import approvals as store
from .errors import ApprovalError, NotAllowed, RequestNotFound
from .people import People


def _date(value, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ApprovalError(f"{key} must be a date (YYYY-MM-DD), not {value!r}") from None


def add_delegation(service: RecordService, actor: Actor, *, delegate: str, starts_on,
                   ends_on, user: str | None = None) -> dict:
    starts, ends = _date(starts_on, "starts_on"), _date(ends_on, "ends_on")
    if ends < starts:
        raise ApprovalError(f"ends_on ({ends}) is before starts_on ({starts})")
    with service.transaction() as tx:
        conn = tx.conn
        people = People(service, conn)
        giver = people.by_username(user) if user else people.by_id(actor.user_id)
        if giver is None:
            raise ApprovalError("name the user who delegates (the system actor has none)")
        if giver["id"] != actor.user_id and not actor.is_admin:
            raise NotAllowed("only admins may delegate for someone else")
        taker = people.by_username(delegate)
        if taker["id"] == giver["id"]:
            raise ApprovalError("a user cannot delegate to themselves")
        if taker.get("active") is False:
            raise ApprovalError(f"user '{delegate}' is inactive")
        row = {"id": store.new_id(), "user_id": giver["id"], "delegate_id": taker["id"],
               "starts_on": starts, "ends_on": ends, "created_at": service.env.now(),
               "created_by": actor.user_id}
        store.insert_delegation(conn, row)
        return _named(people, row)


def list_delegations(service: RecordService, actor: Actor) -> list[dict]:
    with service.db.read() as conn:
        people = People(service, conn)
        if actor.is_admin:
            rows = store.delegations(conn)
        else:
            rows = store.delegations(conn, user_id=actor.user_id, delegate_id=actor.user_id)
        return [_named(people, row) for row in rows]


def remove_delegation(service: RecordService, actor: Actor, delegation_id: str) -> None:
    with service.transaction() as tx:
        conn = tx.conn
        row = store.read_delegation(conn, delegation_id)
        if row is None:
            raise RequestNotFound(f"there is no delegation '{delegation_id}'")
        if row["user_id"] != actor.user_id and not actor.is_admin:
            raise NotAllowed("only the user who delegated (or an admin) may remove it")
        store.delete_delegation(conn, delegation_id)


def _named(people: People, row: dict) -> dict:
    giver, taker = people.by_id(row["user_id"]), people.by_id(row["delegate_id"])
    return {**row, "user": giver["username"] if giver else None,
            "delegate": taker["username"] if taker else None}
