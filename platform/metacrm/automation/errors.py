"""Errors of workflow runs."""

from __future__ import annotations

from ..runtime import RECORD, FieldError, RecordInvalid


class ActionFailed(Exception):
    """An action could not do its work (a blank recipient, no approvals engine…)."""


class ActionSkipped(Exception):
    """An action that leaves the transaction has nowhere to go for this record (an email
    whose ``to`` is blank, a webhook whose url formula is blank): it is not sent and the run
    log says why. Not a failure: a record must stay savable although, say, its owner has no
    email address yet."""


class WorkflowFailed(RecordInvalid):
    """A synchronous action of a workflow failed: the whole save is rolled back. A 422 like
    any invalid record, naming the workflow and the action."""

    def __init__(self, object_name: str, workflow: str, index: int, action_type: str,
                 reason: str):
        self.workflow, self.index, self.action_type, self.reason = workflow, index, action_type, reason
        super().__init__(object_name, [FieldError(
            RECORD, f"workflow '{workflow}', action {index + 1} ({action_type}) failed: {reason}",
            "workflow")])


class WorkflowCycle(WorkflowFailed):
    """Workflows that keep triggering each other (or one that re-triggers itself)."""

    def __init__(self, object_name: str, workflow: str, chain: list[str], reason: str):
        self.chain = chain
        RecordInvalid.__init__(self, object_name, [FieldError(
            RECORD, f"workflow '{workflow}': {reason}: " + " -> ".join(chain), "workflow_cycle")])
        self.workflow, self.index, self.action_type, self.reason = workflow, -1, "", reason
