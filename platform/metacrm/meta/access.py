"""Access from the catalog alone (pure: no database): which records a set of roles may read
or edit, as one expression of the formula language, and what a deploy plan says about access.

    record_predicate(catalog, {"sales_rep"}, "opportunity", "read")
    # 'owner == current_user() or ("EMEA" == region)'   — None: every record; "false": none
    roles_below(catalog, {"sales_manager"})               # frozenset({'sales_rep'})
    access_notes(deployed, candidate)
    # ['no role declares permissions: every signed-in user may do everything']

The runtime compiles the predicate into every read (``metacrm.runtime.Access``) and the store's
deploy plan counts with it the records a change of access takes from users: one definition.
"""

from __future__ import annotations

from typing import Iterable

from ..formula import quote
from .catalog import Catalog
from .system import USER_OBJECT

__all__ = ["access_notes", "OPEN_NOTE", "NOTHING", "granted", "record_predicate",
           "roles_below"]

#: the predicate of records a set of roles may not read (or edit) at all
NOTHING = "false"


def granted(catalog: Catalog, roles: Iterable[str], object_name: str) -> frozenset[str]:
    """The actions the roles grant on the object together (view_all brings read, modify_all
    read, edit and view_all)."""
    allowed: set[str] = set()
    for name in roles:
        role = catalog.roles.get(name)
        permission = (role.permissions or {}).get(object_name) if role is not None else None
        if permission is not None:
            allowed.update(permission.allow)
    if "modify_all" in allowed:
        allowed.update({"read", "edit", "view_all"})
    if "view_all" in allowed:
        allowed.add("read")
    return frozenset(allowed)


def roles_below(catalog: Catalog, roles: Iterable[str]) -> frozenset[str]:
    """Every role that reports to one of ``roles``, directly or through others."""
    children: dict[str, list[str]] = {}
    for role in catalog.roles.values():
        if role.reports_to:
            children.setdefault(role.reports_to, []).append(role.name)
    found: set[str] = set()
    todo = [child for role in roles for child in children.get(role, ())]
    while todo:
        role = todo.pop()
        if role not in found:
            found.add(role)
            todo.extend(children.get(role, ()))
    return frozenset(found)


def record_predicate(catalog: Catalog, roles: Iterable[str], object_name: str,
                     action: str = "read") -> str | None:
    """The records of ``object_name`` a (non-admin) user holding ``roles`` may read
    (``action="read"``) or edit and delete (``"edit"``): None for every record, ``NOTHING``
    for none, else the owner, the role hierarchy and the sharing rules, or-ed."""
    if catalog.access_open:
        return None
    if object_name == USER_OBJECT:  # every signed-in user reads users; only admins write
        return None if action == "read" else NOTHING
    roles = frozenset(roles)
    allowed = granted(catalog, roles, object_name)
    if "modify_all" in allowed or (action == "read" and "view_all" in allowed):
        return None
    if action not in allowed:
        return NOTHING
    sharing = catalog.object(object_name).sharing
    if sharing == "edit" or (sharing == "read" and action == "read"):
        return None
    terms = ["owner == current_user()"]
    # the role hierarchy: records owned by users holding a role below one of theirs
    terms += [f"{quote(role)} in owner.roles" for role in sorted(roles_below(catalog, roles))]
    terms += [f"({rule.when})" for rule in catalog.sharing_rules_for(object_name)
              if (rule.roles is None or set(rule.roles) & roles)
              and (action == "read" or rule.access == "edit")]
    return " or ".join(terms)

OPEN_NOTE = "no role declares permissions: every signed-in user may do everything"


def access_notes(old: Catalog | None, new: Catalog) -> list[str]:
    """One line when ``new`` is open (no role declares ``permissions``); one line when access
    starts being enforced (``old`` was open, or there was none, and ``new`` is not); else none."""
    if new.access_open:
        return [OPEN_NOTE]
    if old is None or old.access_open:
        count = sum(role.permissions is not None for role in new.roles.values())
        return [f"access is enforced from now on: {count} role{'s' * (count != 1)} "
                f"declare{'s' * (count == 1)} permissions"]
    return []
