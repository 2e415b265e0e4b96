"""An approval process as plain JSON and back: a request stores the process it was submitted
under, and finishes under it even when a deploy changes or removes the process.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from ...meta import (Action, ApprovalProcess, ApprovalStep, Approvers, Submitters, deep_freeze,
                     thaw)


def to_plain(process: ApprovalProcess) -> dict:
    def plain(value: Any) -> Any:
        if isinstance(value, Action):
            return {"type": value.type, **thaw(value.params)}
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (tuple, list)):
            return [plain(item) for item in value]
        if isinstance(value, Mapping):
            return {key: plain(item) for key, item in value.items()}
        return value
    return plain(process)


def _actions(items) -> tuple[Action, ...]:
    return tuple(Action(item["type"], deep_freeze({k: v for k, v in item.items() if k != "type"}))
                 for item in items or ())


def _approvers(data: Mapping | None) -> Approvers | None:
    if data is None:
        return None
    return Approvers(role=data.get("role"), user=data.get("user"),
                     users=tuple(data.get("users") or ()), field=data.get("field"),
                     manager_chain=data.get("manager_chain"))


def from_plain(data: Mapping) -> ApprovalProcess:
    steps = tuple(ApprovalStep(
        name=s["name"], approvers=_approvers(s["approvers"]), mode=s.get("mode", "first"),
        quorum=s.get("quorum"), escalate_after_hours=s.get("escalate_after_hours"),
        when=s.get("when"), label=s.get("label"), escalate_to=_approvers(s.get("escalate_to")),
        on_approve=_actions(s.get("on_approve")), on_reject=_actions(s.get("on_reject")))
        for s in data["steps"])
    submitters = data.get("submitters")
    return ApprovalProcess(
        name=data["name"], object=data["object"], steps=steps, when=data.get("when"),
        lock=data.get("lock", True),
        editable_while_locked=tuple(data.get("editable_while_locked") or ()),
        reject_requires_comment=data.get("reject_requires_comment", False),
        on_submit=_actions(data.get("on_submit")), on_approve=_actions(data.get("on_approve")),
        on_reject=_actions(data.get("on_reject")), on_recall=_actions(data.get("on_recall")),
        label=data.get("label"), description=data.get("description"),
        package=data.get("package"),
        submitters=Submitters(anyone=submitters["anyone"], owner=submitters["owner"],
                              roles=tuple(submitters["roles"]), users=tuple(submitters["users"]))
        if submitters else None,
        allow_self_approval=data.get("allow_self_approval", False),
        notify_approvers=data.get("notify_approvers", False))
