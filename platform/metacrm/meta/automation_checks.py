"""Cross-document checks of workflows, approval processes and their actions.

Action values that start with ``=`` are formulas evaluated on the triggering record and must
fit the field they are written to; other values must be valid for that field's type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from croniter import croniter

from metacrm.formula import FType

from .checks import field_of, object_for
from .errors import suggest
from .expressions import ExpressionChecker
from .model import Action, Field, ObjectType
from .sources import DocPath, SourceDocument
from .system import USER_OBJECT
from .values import FieldValueError, check_email, check_url

if TYPE_CHECKING:
    from .assembly import Assembly

APPROVAL_ACTION_LISTS = ("on_submit", "on_approve", "on_reject", "on_recall")
#: ``{{ record.account.name }}`` in an email's subject or body
_TEMPLATE_FIELD = re.compile(r"\{\{\s*record\.([A-Za-z0-9_.]+)")


@dataclass
class ActionSite:
    """Where a list of actions is checked: its document, and the record that triggers it."""

    assembly: "Assembly"
    checker: ExpressionChecker
    document: SourceDocument
    record: ObjectType

    def problem(self, path: DocPath, message: str, suggestion: str | None = None) -> None:
        self.assembly.problems.at(self.document, path, message, suggestion, value=True)

    def formula(self, path: DocPath, source: str, result: FType) -> None:
        self.checker.check(self.document, path, source[1:], object_name=self.record.name,
                           usage="write", result=result, column_offset=1)


def follow_path(assembly: "Assembly", obj: ObjectType, dotted: str
                ) -> tuple[Field | None, str | None, str | None]:
    """The field ``dotted`` (``account.owner``) reaches from ``obj`` through lookups, or
    (None, the problem, a suggestion); the problem is None when the path runs into something
    already reported broken."""
    current: ObjectType | None = obj
    field = None
    names = dotted.split(".")
    for i, name in enumerate(names):
        if current is None:
            return None, f"'{names[i - 1]}' is not a lookup, so '{dotted}' leads nowhere", None
        field = current.fields.get(name)
        if field is None:
            if assembly.is_broken(current.name, name):
                return None, None, None
            return None, f"unknown field '{name}' on '{current.name}'", suggest(name, current.fields)
        target = field.type.field_info(name).target
        if target is not None and target not in assembly.objects:
            return None, None, None  # the lookup's own check reports the missing object
        current = assembly.objects.get(target) if target else None
    return field, None, None


def check_workflows(assembly: "Assembly", checker: ExpressionChecker) -> None:
    for name, workflow in assembly.built["workflow"].items():
        document = assembly.documents["workflow"][name]
        obj = object_for(assembly, document, ("object",), workflow.object)
        if obj is None:
            continue
        periodic = "periodic" in workflow.trigger
        if workflow.when is not None:
            # a periodic workflow's condition is a filter over stored records: nothing changed
            checker.check(document, ("when",), workflow.when, object_name=obj.name,
                          usage="query" if periodic else "write", result=FType.BOOLEAN)
        _check_every(assembly, document, workflow, periodic)
        schedule = workflow.schedule
        if schedule is not None and field_of(assembly, document, ("schedule", "field"), obj, schedule.field):
            if not obj.fields[schedule.field].ftype.is_temporal:
                assembly.problems.at(document, ("schedule", "field"), f"'{schedule.field}' is not a "
                                     "date or datetime field", value=True)
        check_actions(ActionSite(assembly, checker, document, obj), ("actions",), workflow.actions)


#: ``every: 30m`` / ``1h`` / ``2d``: a number and a unit
EVERY_INTERVAL = re.compile(r"^([1-9][0-9]*)\s*([smhd])$")


def _check_every(assembly: "Assembly", document: SourceDocument, workflow, periodic: bool) -> None:
    if not periodic:
        if workflow.every is not None:
            assembly.problems.at(document, ("every",), "'every' needs trigger periodic", value=True)
        return
    if len(workflow.trigger) > 1:
        assembly.problems.at(document, ("trigger",), "periodic cannot be combined with create, "
                             "update or delete", value=True)
    if workflow.schedule is not None:
        assembly.problems.at(document, ("schedule",), "a periodic workflow has no schedule",
                             value=True)
    if workflow.every is None:
        assembly.problems.at(document, ("trigger",), "trigger periodic needs 'every' (an interval "
                             "such as 1h, or a cron expression)")
    elif not EVERY_INTERVAL.match(workflow.every.strip()):
        if not croniter.is_valid(workflow.every):
            assembly.problems.at(document, ("every",), f"'{workflow.every}' is neither an interval "
                                 "(30m, 1h, 2d) nor a cron expression ('0 8 * * 1-5')", value=True)


def check_approvals(assembly: "Assembly", checker: ExpressionChecker) -> None:
    for name, process in assembly.built["approval_process"].items():
        document = assembly.documents["approval_process"][name]
        obj = object_for(assembly, document, ("object",), process.object)
        if obj is None:
            continue
        if process.when is not None:
            checker.check(document, ("when",), process.when, object_name=obj.name, usage="write",
                          result=FType.BOOLEAN)
        for i, field_name in enumerate(process.editable_while_locked):
            field_of(assembly, document, ("editable_while_locked", i), obj, field_name)
        site = ActionSite(assembly, checker, document, obj)
        for i, step in enumerate(process.steps):
            path = ("steps", i)
            for key in ("approvers", "escalate_to"):
                if getattr(step, key) is not None:
                    _check_approvers(assembly, document, path + (key,), obj, getattr(step, key))
            if step.when is not None:
                checker.check(document, path + ("when",), step.when, object_name=obj.name,
                              usage="write", result=FType.BOOLEAN)
            for key in ("on_approve", "on_reject"):
                check_actions(site, path + (key,), getattr(step, key))
        if process.submitters is not None:
            for i, role in enumerate(process.submitters.roles):
                _check_role(assembly, document, ("submitters", i, "role"), role)
        for key in APPROVAL_ACTION_LISTS:
            check_actions(site, (key,), getattr(process, key))


def _check_approvers(assembly, document, path, obj, approvers) -> None:
    for key in ("role", "manager_chain"):
        if getattr(approvers, key) is not None:
            _check_role(assembly, document, path + (key,), getattr(approvers, key))
    if approvers.field is not None:
        _check_user_path(assembly, document, path + ("field",), obj, approvers.field)


def _check_role(assembly, document, path, role) -> None:
    roles = assembly.built["role"]
    if role not in roles and not assembly.is_broken_document("role", role):
        assembly.problems.at(document, path, f"unknown role '{role}'", suggest(role, roles),
                             value=True)


def _check_user_path(assembly, document, path, obj, dotted) -> None:
    field, problem, hint = follow_path(assembly, obj, dotted)
    if field is None:
        if problem:
            assembly.problems.at(document, path, problem, hint, value=True)
    elif field.type.field_info(field.name).target != USER_OBJECT:
        assembly.problems.at(document, path, f"'{dotted}' is not a lookup to user", value=True)


def check_actions(site: ActionSite, base: DocPath, actions: tuple[Action, ...]) -> None:
    for i, action in enumerate(actions):
        check = _ACTION_CHECKS.get(action.type, _plugin_action)
        check(site, base + (i,), action)


def _plugin_action(site: ActionSite, path: DocPath, action: Action) -> None:
    """An action type from a plugin (a dotted name): it must be installed, and checks its keys."""
    types = site.assembly.vocabulary.actions
    kind = types.get(action.type)
    if kind is None:
        site.problem(path + ("type",), f"unknown action type '{action.type}' (no installed plugin "
                     "registers it)", suggest(action.type, types))
        return
    for key, message in kind.check(dict(action.params)):
        site.problem(path + ((key,) if key else ()), message)


def _check_values(site: ActionSite, path: DocPath, values, target: ObjectType) -> None:
    for key, value in values.items():
        value_path = path + ("values", key)
        if not field_of(site.assembly, site.document, value_path, target, key):
            continue
        field = target.fields[key]
        if not field.editable:
            why = "it is a system field" if field.system else f"a {field.type_name} field is computed"
            site.problem(value_path, f"'{key}' cannot be set: {why}")
        elif isinstance(value, str) and value.startswith("="):
            site.formula(value_path, value, field.ftype)
        else:
            _check_literal(site, value_path, field, value)


def _check_literal(site: ActionSite, path: DocPath, field: Field, value: Any) -> None:
    try:
        field.type.validate(field.type.coerce(list(value) if isinstance(value, tuple) else value))
    except FieldValueError as error:
        site.problem(path, error.message)


def _set_fields(site: ActionSite, path: DocPath, action: Action) -> None:
    _check_values(site, path, action.values, site.record)


def _create_record(site: ActionSite, path: DocPath, action: Action) -> None:
    target = object_for(site.assembly, site.document, path + ("object",), action.params["object"])
    if target is not None:
        _check_values(site, path, action.values, target)


def _update_record(site: ActionSite, path: DocPath, action: Action) -> None:
    dotted = action.params["record"]
    field, problem, hint = follow_path(site.assembly, site.record, dotted)
    if field is None:
        if problem:
            site.problem(path + ("record",), problem, hint)
        return
    target_name = field.type.field_info(field.name).target
    if target_name is None:
        site.problem(path + ("record",), f"'{dotted}' is not a lookup field")
    elif target_name in site.assembly.objects:
        _check_values(site, path, action.values, site.assembly.objects[target_name])


def _send_email(site: ActionSite, path: DocPath, action: Action) -> None:
    for key in ("to", "cc", "bcc"):
        recipients = action.params.get(key)
        if recipients is None:
            continue
        items = [(path + (key,), recipients)] if isinstance(recipients, str) else [
            (path + (key, i), item) for i, item in enumerate(recipients)]
        for item_path, item in items:
            _check_text_or_formula(site, item_path, item, check_email)
    for key in ("subject", "body"):
        template = action.params.get(key)
        for dotted in _TEMPLATE_FIELD.findall(template or ""):
            field, problem, hint = follow_path(site.assembly, site.record, dotted.rstrip("."))
            if field is None and problem:
                site.problem(path + (key,), f"{{{{ record.{dotted} }}}}: {problem}", hint)


def _webhook(site: ActionSite, path: DocPath, action: Action) -> None:
    _check_text_or_formula(site, path + ("url",), action.params["url"], check_url)


def _check_text_or_formula(site: ActionSite, path: DocPath, value: str,
                           check: Callable[[str], None]) -> None:
    if value.startswith("="):
        site.formula(path, value, FType.TEXT)
        return
    try:
        check(value)
    except FieldValueError as error:
        site.problem(path, error.message)


def _submit_for_approval(site: ActionSite, path: DocPath, action: Action) -> None:
    name = action.params["process"]
    processes = site.assembly.built["approval_process"]
    process = processes.get(name)
    if process is None:
        if not site.assembly.is_broken_document("approval_process", name):
            site.problem(path + ("process",), f"unknown approval process '{name}'",
                         suggest(name, processes))
    elif process.object != site.record.name:
        site.problem(path + ("process",), f"approval process '{name}' is for '{process.object}', "
                     f"not '{site.record.name}'")


_ACTION_CHECKS: dict[str, Callable[[ActionSite, DocPath, Action], None]] = {
    "set_fields": _set_fields, "create_record": _create_record, "update_record": _update_record,
    "send_email": _send_email, "webhook": _webhook, "submit_for_approval": _submit_for_approval,
}
