"""What one user may do: object permissions, field access and the record predicate.

    access = runtime.access(actor)             # compiled once per (version, roles); None: open
    access.may("opportunity", "edit")          # the union of the actor's roles' permissions
    access.field_access("opportunity", "discount")   # "edit" | "read" | "none"
    access.predicate("opportunity", "read")    # an expression of the formula language, or None

The record predicate is one expression — the owner, the role hierarchy, the object's
``sharing`` and the sharing rules — that the query layer compiles into every read's WHERE
(SQL back-end) and the RecordService checks on one record for a write (Python back-end), so
the list and the one-record check cannot disagree. Admins, the system actor and a package in
which no role declares ``permissions`` (it stays open) get ``None``: no Access at all.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ..formula import EvalContext, FieldInfo, Scope, compile_condition, quote
from ..meta import (ACTIONS, USER_OBJECT, Catalog, ObjectType, record_predicate,
                    roles_below)
from .actor import Actor
from .rules import reads

__all__ = ["Access", "VisibleScope", "access_for", "EVERYONE_READS_OF_USER"]

#: the fields of ``user`` every signed-in user may read (lookups show them)
EVERYONE_READS_OF_USER = frozenset({"id", "username", "full_name", "active"})


def access_for(catalog: Catalog, actor: Actor) -> "Access | None":
    """The actor's Access, or None when nothing is restricted for them."""
    if actor.is_admin or catalog.access_open:
        return None
    return Access(catalog, frozenset(actor.roles))


class Access:
    def __init__(self, catalog: Catalog, roles: frozenset[str]):
        self.catalog = catalog
        self.roles = roles
        #: the key of this Access in the runtime's cache (what it depends on)
        self.key = tuple(sorted(roles))
        self._allow: dict[str, set[str]] = {}
        #: per object, the field levels of each role that grants it (a field a role does not
        #: name is ``edit`` for that role): the union is the most any of them gives
        grants: dict[str, list[Mapping[str, str]]] = {}
        for name in sorted(roles):
            role = catalog.roles.get(name)
            for object_name, permission in ((role.permissions or {}) if role else {}).items():
                self._allow.setdefault(object_name, set()).update(permission.allow)
                grants.setdefault(object_name, []).append(permission.fields)
        self._fields: dict[str, dict[str, str]] = {}
        for object_name, maps in grants.items():
            named = {field for levels in maps for field in levels}
            self._fields[object_name] = {
                field: max((levels.get(field, "edit") for levels in maps), key=_RANK.__getitem__)
                for field in named}
        for object_name, allowed in self._allow.items():
            if "modify_all" in allowed:
                allowed.update({"read", "edit", "view_all"})
            if "view_all" in allowed:
                allowed.add("read")
        self.below = roles_below(catalog, roles)
        self._hidden: dict[str, frozenset[str]] = {}
        self._predicates: dict[tuple[str, str], str | None] = {}
        self._checks: dict[tuple[str, str], object] = {}

    # -- objects ----------------------------------------------------------------------------

    def may(self, object_name: str, action: str) -> bool:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if object_name == USER_OBJECT and action == "read":
            return True  # every signed-in user may read users' names (lookups show them)
        return action in self._allow.get(object_name, ())

    def readable(self) -> list[str]:
        return [name for name in self.catalog.objects if self.may(name, "read")]

    # -- fields -----------------------------------------------------------------------------

    def field_access(self, object_name: str, field_name: str) -> str:
        """``edit``, ``read`` or ``none`` for this user (a computed field they may see: read)."""
        if field_name in self.hidden(object_name):
            return "none"
        if not self.may(object_name, "edit") and not self.may(object_name, "create"):
            return "read"
        return self._fields.get(object_name, {}).get(field_name, "edit")

    def hidden(self, object_name: str) -> frozenset[str]:
        """The fields this user may not see: ``none`` ones, and formula fields and roll-ups
        that read one (else a formula would leak what it hides)."""
        found = self._hidden.get(object_name)
        if found is None:
            obj = self.catalog.objects.get(object_name)
            found = frozenset() if obj is None else self._hide(obj)
            self._hidden[object_name] = found
        return found

    def _hide(self, obj: ObjectType) -> frozenset[str]:
        if not self.may(obj.name, "read"):
            return frozenset(obj.fields) - {"id"}
        if obj.name == USER_OBJECT and USER_OBJECT not in self._allow:
            hidden = set(obj.fields) - EVERYONE_READS_OF_USER
        else:
            hidden = {name for name, level in self._fields.get(obj.name, {}).items()
                      if level == "none"}
        changed = True
        while changed:  # formula fields reading hidden ones (or reading such formulas)
            changed = False
            for name, field in obj.fields.items():
                if name in hidden:
                    continue
                source = field.type.formula()
                summary = field.type.child_summary()
                if source is not None and reads(source) & hidden:
                    hidden.add(name)
                    changed = True
                elif summary is not None and self._summary_hidden(summary):
                    hidden.add(name)
                    changed = True
        return frozenset(hidden)

    def _summary_hidden(self, summary) -> bool:
        """A roll-up is hidden when the children or the field it sums are hidden."""
        if not self.may(summary.child_object, "read"):
            return True
        child_hidden = self.hidden(summary.child_object)
        used = {summary.field} if summary.field else set()
        return bool((used | set(reads(summary.filter))) & child_hidden)

    # -- records ----------------------------------------------------------------------------

    def predicate(self, object_name: str, action: str = "read") -> str | None:
        """The records of ``object_name`` this user may read (``action="read"``) or edit and
        delete (``"edit"``), as an expression; None: every record."""
        key = (object_name, action)
        if key not in self._predicates:
            self._predicates[key] = self._predicate(object_name, action)
        return self._predicates[key]

    def admits(self, object_name: str, action: str, record: Mapping, ctx: EvalContext) -> bool:
        """Does the predicate hold for one record (the Python back-end of what the list query
        adds in SQL)? ``ctx``'s environment is the acting user's."""
        key = (object_name, action)
        check = self._checks.get(key)
        if check is None:
            source = self.predicate(object_name, action)
            check = self._checks[key] = (lambda record, ctx: True) if source is None else \
                compile_condition(source, self.catalog.scope(object_name))
        return bool(check(record, ctx))

    def explain(self, object_name: str, record: Mapping, ctx: EvalContext) -> dict:
        """What this user may do with one record and why, in sentences: ``{"read": bool,
        "edit": bool, "delete": bool, "because": [...], "not_because": [...]}``."""
        because, missing = [], []
        granted = sorted(self._allow.get(object_name, ()))
        roles = [name for name in sorted(self.roles)
                 if object_name in ((self.catalog.roles[name].permissions or {})
                                    if name in self.catalog.roles else {})]
        if granted:
            because.append(f"role{'s' * (len(roles) != 1)} {', '.join(roles) or '-'} "
                           f"grant{'s' * (len(roles) == 1)} {', '.join(granted)} on {object_name}")
        elif object_name != USER_OBJECT:
            missing.append(f"none of the roles {', '.join(sorted(self.roles)) or '(no role)'} "
                           f"grants anything on {object_name}")
        answers = {}
        for action in ("read", "edit"):
            if not self.may(object_name, action):
                answers[action] = False
                if granted:
                    missing.append(f"{action}: none of your roles grants {action} on "
                                   f"{object_name}")
                continue
            source = self.predicate(object_name, action)
            if source is None:
                answers[action] = True
                because.append(self._open_reason(object_name, action))
                continue
            answers[action] = self.admits(object_name, action, record, ctx)
            for term, label in self._terms(object_name, action):
                holds = bool(compile_condition(term, self.catalog.scope(object_name))(record, ctx))
                (because if holds else missing).append(
                    f"{action}: {label} {'holds' if holds else 'does not hold'}")
        answers["delete"] = answers["edit"] and self.may(object_name, "delete")
        return {**answers, "because": because, "not_because": missing}

    def _open_reason(self, object_name: str, action: str) -> str:
        allowed = self._allow.get(object_name, set())
        if "modify_all" in allowed or (action == "read" and "view_all" in allowed):
            return f"{action}: view_all/modify_all on {object_name} skips record access"
        if object_name == USER_OBJECT:
            return f"{action}: every signed-in user may read users"
        return f"{action}: {object_name}'s sharing is '{self.catalog.object(object_name).sharing}'"

    def _terms(self, object_name: str, action: str) -> list[tuple[str, str]]:
        """The predicate's parts, each with a sentence naming it."""
        terms = [("owner == current_user()", "you own it")]
        terms += [(f"{quote(role)} in owner.roles",
                   f"its owner holds role {role}, below yours ({' → '.join(self._path_to(role))})")
                  for role in sorted(self.below)]
        for rule in self.catalog.sharing_rules_for(object_name):
            if rule.roles is not None and not (set(rule.roles) & self.roles):
                continue
            if action == "edit" and rule.access != "edit":
                continue
            terms.append((f"({rule.when})", f"sharing rule {rule.name} ({rule.when})"))
        return terms

    def _path_to(self, role: str) -> list[str]:
        """``role`` up the hierarchy to the first of this user's roles."""
        path = [role]
        while path[-1] not in self.roles and len(path) <= len(self.catalog.roles):
            above = self.catalog.roles[path[-1]].reports_to
            if above is None:
                break
            path.append(above)
        return path

    def _predicate(self, object_name: str, action: str) -> str | None:
        return record_predicate(self.catalog, self.roles, object_name, action)


_RANK = {"none": 0, "read": 1, "edit": 2}


class VisibleScope:
    """A Scope that shows only what a user may see: their hidden fields do not exist (a filter
    on one is refused exactly like an unknown field), nor do the fields of objects they may
    not read (but the lookup's id)."""

    def __init__(self, scope: Scope, access: Access):
        self._scope = scope
        self._access = access
        self._hidden = access.hidden(scope.object_name)

    @property
    def object_name(self) -> str:
        return self._scope.object_name

    def field(self, name: str) -> FieldInfo | None:
        return None if name in self._hidden else self._scope.field(name)

    def field_names(self) -> Iterable[str]:
        return [name for name in self._scope.field_names() if name not in self._hidden]

    def scope_for(self, object_name: str) -> "VisibleScope":
        return VisibleScope(self._scope.scope_for(object_name), self._access)
