"""Errors of the approvals engine. They are RecordErrors, so the API turns them into problems
with their ``status`` like any RecordService error."""

from __future__ import annotations

from ...runtime import RecordError


class ApprovalError(RecordError):
    """A submission or decision that cannot be made; nothing was written."""

    status = 422
    slug = "approval-invalid"

    def __init__(self, message: str, *, request_id: str | None = None):
        super().__init__(message)
        self.request_id = request_id

    def to_dict(self) -> dict:
        data = super().to_dict()
        if self.request_id:
            data["request_id"] = self.request_id
        return data


class NotAllowed(ApprovalError):
    """The actor may not do this (not an approver, not the submitter, self-approval)."""

    status = 403


class AlreadyDecided(ApprovalError):
    """The request, the step, or this approver's part was already decided."""

    status = 409


class RequestNotFound(ApprovalError):
    status = 404
