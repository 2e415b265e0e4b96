"""What a user may do, and why, as JSON: the answers of ``metacrm access explain/check`` and of
``GET /api/v1/{object}/{id}/access?user=NAME`` (docs/access.md), built once here.

    user, actor = person(runtime, "sam")                  # UnknownUser names the closest
    explain_record(runtime, user, actor, "opportunity", deal_id)
    # {"read": True, "edit": False, "delete": False, "because": [...], "not_because": [...],
    #  "hidden_fields": [...], "read_only_fields": [...], "user", "object", "id", "title", ...}
    user_rights(runtime, user, actor)                     # per object: actions, records, fields

The user's Actor is built as a sign-in builds it (``Accounts.actor``) and the answer comes from
the version's compiled ``Access`` — the predicate lists and writes use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..formula import EvalContext
from ..meta import USER_OBJECT
from .access import Access
from .actor import Actor
from .errors import RecordNotFound

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["person", "explain_record", "user_rights"]


def person(runtime: "Runtime", username: str) -> tuple[dict, Actor]:
    """The user record and its Actor (an inactive user's: no roles, so nothing); UnknownUser
    (a 404 naming the closest username) when there is none."""
    accounts = runtime.accounts
    user = accounts.get_user(username)
    actor = accounts.actor(user["id"])
    if actor is None:  # inactive: they cannot sign in, so they may do nothing
        actor = Actor(user["id"], user["username"])
    return user, actor


def _status(runtime: "Runtime", user: dict, actor: Actor) -> str | None:
    """Why nothing is restricted for this user (None: their roles decide)."""
    if user.get("active") is False:
        return None
    if actor.is_admin:
        return f"{actor.username} is an admin: admins may do everything with every record"
    if runtime.catalog.access_open:
        return ("the package is open (no role declares permissions): every signed-in user "
                "may do everything with every record")
    return None


def explain_record(runtime: "Runtime", user: dict, actor: Actor, object_name: str,
                   record_id: str) -> dict:
    """What ``actor`` may do with one record and why, as JSON (the same as the API's
    ``GET /api/v1/{object}/{id}/access?user=NAME``). RecordNotFound or UnknownObject when
    there is no such record."""
    runtime.rules(object_name)  # UnknownObject (with a suggestion) for an unknown object
    with runtime.db.read() as conn:
        record = runtime.store.fetch_one(conn, object_name, record_id)
        if record is None:
            raise RecordNotFound(object_name, record_id)
        title_field = runtime.catalog.object(object_name).title
        head = {"user": actor.username, "object": object_name, "id": record_id,
                "title": record.get(title_field) if title_field else None,
                "admin": actor.is_admin, "open": runtime.catalog.access_open,
                "active": user.get("active") is not False}
        if not head["active"]:
            return {**head, "read": False, "edit": False, "delete": False, "because": [],
                    "not_because": [f"{actor.username} is inactive: they cannot sign in"],
                    "hidden_fields": [], "read_only_fields": []}
        reason = _status(runtime, user, actor)
        if reason is not None:
            return {**head, "read": True, "edit": True, "delete": True, "because": [reason],
                    "not_because": [], "hidden_fields": [], "read_only_fields": []}
        access = runtime.access(actor)
        ctx = EvalContext(lambda name, rid: runtime.store.fetch_one(conn, name, rid), record,
                          False, runtime.service.environment(actor))
        answer = access.explain(object_name, record, ctx)
    fields = _field_levels(runtime, access, object_name) if answer["read"] else {}
    return {**head, **answer,
            "hidden_fields": sorted(f for f, level in fields.items() if level == "none"),
            "read_only_fields": sorted(f for f, level in fields.items() if level == "read")}


def _field_levels(runtime: "Runtime", access: Access, object_name: str) -> dict[str, str]:
    """Field -> read | none: the fields this user may not see, and — when they may create or
    edit records of the object — the stored fields they may not write (system and computed
    fields, which nobody writes, are left out unless hidden)."""
    writes = access.may(object_name, "create") or access.may(object_name, "edit")
    levels = {}
    for name, field in runtime.catalog.object(object_name).fields.items():
        level = access.field_access(object_name, name)
        if level == "none" or (level == "read" and writes and field.stored
                               and not field.system):
            levels[name] = level
    return levels


def user_rights(runtime: "Runtime", user: dict, actor: Actor) -> dict:
    """The user's effective rights per object: actions, the records they may read and edit
    (an expression, null for every record) and their fields that are read-only or hidden."""
    head = {"user": actor.username, "roles": sorted(actor.roles), "admin": actor.is_admin,
            "open": runtime.catalog.access_open, "active": user.get("active") is not False}
    catalog = runtime.catalog
    if not head["active"]:
        return {**head, "note": f"{actor.username} is inactive: they cannot sign in",
                "objects": {}, "no_access": sorted(catalog.objects)}
    reason = _status(runtime, user, actor)
    if reason is not None:
        return {**head, "note": reason,
                "objects": {name: {"allow": ["all"], "read": None, "edit": None, "fields": {}}
                            for name in catalog.objects},
                "no_access": []}
    access = runtime.access(actor)
    objects, no_access = {}, []
    for name in catalog.objects:
        if not access.may(name, "read"):
            no_access.append(name)
            continue
        allow = [a for a in ("read", "create", "edit", "delete", "view_all", "modify_all")
                 if access.may(name, a)]
        objects[name] = {
            "allow": allow,
            "read": access.predicate(name, "read"),
            "edit": access.predicate(name, "edit") if access.may(name, "edit") else None,
            "fields": _field_levels(runtime, access, name),
            "why": _record_reason(catalog, access, name)}
    return {**head, "note": None, "objects": objects, "no_access": sorted(no_access)}


def _record_reason(catalog, access: Access, object_name: str) -> str:
    """Which records they read and edit, in words."""
    if object_name == USER_OBJECT:
        return "reads every user" + ("" if access.may(USER_OBJECT, "view_all")
                                     or USER_OBJECT in _granted(catalog, access)
                                     else " (username, full name and active only)")
    sharing = catalog.object(object_name).sharing
    own = "their own" + (f" and those owned by users holding {', '.join(sorted(access.below))}"
                         f" (below their role)" if access.below else "")
    rules = [rule for rule in catalog.sharing_rules_for(object_name)
             if rule.roles is None or set(rule.roles) & access.roles]

    def scope(everything: bool, shared) -> str:
        if everything:
            return "every record"
        names = [rule.name for rule in shared]
        return own + (f", and those of the sharing rule{'s' * (len(names) > 1)} "
                      f"{', '.join(names)}" if names else "")

    reads = scope(access.may(object_name, "view_all") or sharing in ("read", "edit"), rules)
    text = f"reads {reads}"
    if access.may(object_name, "edit"):
        edits = scope(access.may(object_name, "modify_all") or sharing == "edit",
                      [rule for rule in rules if rule.access == "edit"])
        text = f"reads and edits {reads}" if edits == reads else f"{text}; edits {edits}"
    return f"{text} (sharing: {sharing})"


def _granted(catalog, access: Access) -> set[str]:
    """The objects one of the user's roles names in its permissions."""
    return {name for role in access.roles if role in catalog.roles
            for name in (catalog.roles[role].permissions or {})}
