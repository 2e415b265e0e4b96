"""Who approves a step and who may submit: approvers and submitters resolved to users.

    people = People(service, conn)
    people.approvers(step.approvers, record, submitter_id)   # [user dict], in a stable order
    people.may_submit(process.submitters, actor, record)

Inactive users (``active: false``) never approve: they cannot sign in to decide.
"""

from __future__ import annotations

from typing import Mapping

from ...meta import Approvers, Submitters
from ...runtime import Actor, RecordService
from .errors import ApprovalError

#: users are read a page at a time
_PAGE = 1000
_FIELDS = ["id", "username", "full_name", "email", "active", "manager", "roles"]


class People:
    """The ``user`` records one transaction needs, read once."""

    def __init__(self, service: RecordService, conn):
        self.service = service
        self.conn = conn
        self._all: list[dict] | None = None
        self._by_id: dict[str, dict | None] = {}

    def all(self) -> list[dict]:
        if self._all is None:
            users, cursor = [], None
            while True:
                page = self.service.query("user", fields=_FIELDS, sort="username", limit=_PAGE,
                                          cursor=cursor, conn=self.conn)
                users.extend(page.records)
                cursor = page.next_cursor
                if not cursor:
                    break
            self._all = users
            self._by_id.update({u["id"]: u for u in users})
        return self._all

    def by_id(self, user_id: str | None) -> dict | None:
        if user_id is None:
            return None
        if user_id not in self._by_id:
            found = self.service.store.fetch_one(self.conn, "user", user_id)
            self._by_id[user_id] = found
        return self._by_id[user_id]

    def by_username(self, username: str) -> dict:
        for user in self.all():
            if user["username"] == username:
                return user
        raise ApprovalError(f"there is no user '{username}'")

    def approvers(self, approvers: Approvers, record: Mapping, object_name: str,
                  submitter_id: str | None) -> list[dict]:
        """The active users ``approvers`` names for this record, without duplicates."""
        kind = approvers.kind
        if kind == "user":
            found = [self.by_username(approvers.user)]
        elif kind == "users":
            found = [self.by_username(name) for name in approvers.users]
        elif kind == "role":
            found = [u for u in self.all() if approvers.role in (u.get("roles") or ())]
        elif kind == "field":
            found = [self._through(approvers.field, record, object_name)]
        else:
            found = self.manager_chain(submitter_id, approvers.manager_chain)
        seen, out = set(), []
        for user in found:
            if user is not None and user.get("active") is not False and user["id"] not in seen:
                seen.add(user["id"])
                out.append(user)
        return out

    def _through(self, path: str, record: Mapping, object_name: str) -> dict | None:
        """The user a lookup path (``owner.manager``) reaches from the record, or None."""
        current, obj = record, object_name
        for name in path.split("."):
            value = current.get(name) if current else None
            if value is None:
                return None
            target = self.service.catalog.fields(obj)[name].type.field_info(name).target
            current, obj = self.service.store.fetch_one(self.conn, target, value), target
        return current

    def manager_chain(self, user_id: str | None, role: str) -> list[dict]:
        """The user's manager, their manager… up to and including the first who holds
        ``role``. No such manager (or a loop in the chain) is an error: nobody could approve."""
        chain, seen = [], {user_id}
        user = self.by_id(user_id)
        while user is not None and user.get("manager") is not None:
            manager = self.by_id(user["manager"])
            if manager is None or manager["id"] in seen:
                break
            seen.add(manager["id"])
            chain.append(manager)
            if role in (manager.get("roles") or ()):
                return chain
            user = manager
        who = user_id and (self.by_id(user_id) or {}).get("username") or "the submitter"
        raise ApprovalError(f"no manager of {who} holds the role '{role}' (manager_chain)")

    def may_submit(self, submitters: Submitters | None, actor: Actor, record: Mapping) -> bool:
        if submitters is None or submitters.anyone or actor.is_admin:
            return True
        if submitters.owner and actor.user_id is not None and record.get("owner") == actor.user_id:
            return True
        if set(submitters.roles) & set(actor.roles):
            return True
        return actor.username in submitters.users and not actor.is_system
