"""Cross-document checks of access: roles' ``permissions`` and sharing rules.

Run after every document is read and linked (see :mod:`metacrm.meta.assembly`). The shape of
``permissions`` (action names, field access values) is the JSON Schema's business; here, what
needs the rest of the package::

    roles/sales_rep.yaml:7: permissions.oportunity: unknown object 'oportunity'; did you mean 'opportunity'?
    roles/sales_rep.yaml:9: permissions.opportunity.fields.margn: unknown field 'margn' on 'opportunity'; did you mean 'margin'?
    sharing/big_deals.yaml:5: when: column 1: changed() needs the record being written, …
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metacrm.formula import FType

from .checks import field_of, object_for
from .errors import suggest
from .expressions import ExpressionChecker
from .sources import DocPath, SourceDocument
from .system import USER_OBJECT

if TYPE_CHECKING:
    from .assembly import Assembly

#: what only admins do with users, whatever the roles say
USER_WRITE_ACTIONS = ("create", "edit", "delete", "modify_all")
#: fields of ``user`` every signed-in user may read (lookups show them)
USER_PUBLIC_FIELDS = ("username", "full_name", "active")


def check_access(assembly: "Assembly", checker: ExpressionChecker) -> None:
    check_permissions(assembly)
    check_sharing_rules(assembly, checker)


def check_permissions(assembly: "Assembly") -> None:
    for name, role in assembly.built["role"].items():
        if not role.permissions:
            continue
        document = assembly.documents["role"][name]
        for object_name, value in document.data["permissions"].items():
            path: DocPath = ("permissions", object_name)
            obj = assembly.objects.get(object_name)
            if obj is None:
                if not assembly.is_broken(object_name):
                    assembly.problems.at(document, path, f"unknown object '{object_name}'",
                                         suggest(object_name, assembly.objects))
                continue
            if object_name == USER_OBJECT:
                _check_user_actions(assembly, document, path, value)
            fields = value.get("fields") if isinstance(value, dict) else None
            for field_name, access in (fields or {}).items():
                field_path = path + ("fields", field_name)
                if not field_of(assembly, document, field_path, obj, field_name):
                    continue
                if access != "none":
                    continue
                if field_name == "id":
                    assembly.problems.at(document, field_path, "'id' cannot be none: a record "
                                         "needs its id (hide other fields instead)", value=True)
                elif object_name == USER_OBJECT and field_name in USER_PUBLIC_FIELDS:
                    assembly.problems.at(document, field_path, f"user.{field_name} cannot be "
                                         "none: every signed-in user may read users' username, "
                                         "full_name and active (lookups show them)", value=True)


def _check_user_actions(assembly: "Assembly", document: SourceDocument, path: DocPath,
                        value) -> None:
    """Only admins write users: a role listing a write action on ``user`` would promise what
    it cannot give (``all`` is accepted and gives read and view_all)."""
    if isinstance(value, dict):
        path, value = path + ("allow",), value.get("allow")
    if not isinstance(value, list):
        return
    for i, action in enumerate(value):
        if action in USER_WRITE_ACTIONS:
            assembly.problems.at(document, path + (i,), f"'{action}' on user: only admins "
                                 "write users (a role may grant read and view_all)", value=True)


def check_sharing_rules(assembly: "Assembly", checker: ExpressionChecker) -> None:
    roles = assembly.built["role"]
    for name, rule in assembly.built["sharing_rule"].items():
        document = assembly.documents["sharing_rule"][name]
        for i, role in enumerate(rule.roles or ()):
            if role not in roles and not assembly.is_broken_document("role", role):
                assembly.problems.at(document, ("roles", i), f"unknown role '{role}'",
                                     suggest(role, roles), value=True)
        obj = object_for(assembly, document, ("object",), rule.object)
        if obj is None:
            continue
        # it becomes part of every list query's WHERE clause: the query usage, like a filter
        checker.check(document, ("when",), rule.when, object_name=obj.name, usage="query",
                      result=FType.BOOLEAN)
