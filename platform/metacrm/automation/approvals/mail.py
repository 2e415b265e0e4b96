"""Emails to approvers (a step waits for them; an escalation reminds them), through the outbox
in the transaction that made them wait, so a rolled-back decision sends nothing."""

from __future__ import annotations

from typing import Iterable, Mapping

from ...meta import ApprovalProcess, ApprovalStep
from ...store import outbox


def mail_approvers(conn, process: ApprovalProcess, step: ApprovalStep, users: Iterable[Mapping],
                   object_name: str, record_id: str, now, *, waiting_since=None
                   ) -> list[tuple[str, str]]:
    """Queue one email to the users who have an address; returns the outbox row [(id, kind)]
    (none when nobody has an address)."""
    emails = sorted({u["email"] for u in users if u is not None and u.get("email")})
    if not emails:
        return []
    label, where = process.label or process.name, step.label or step.name
    if waiting_since is None:
        subject = f"Your approval is asked: {label} ({where})"
        body = (f"The {object_name} {record_id} waits for your decision at step '{where}' of "
                f"'{label}'. Approve or reject it from your approvals inbox.")
    else:
        subject = f"Waiting for your approval: {label} ({where})"
        body = (f"The {object_name} {record_id} has waited at step '{where}' of '{label}' "
                f"since {waiting_since:%Y-%m-%d %H:%M} UTC. Approve or reject it from your "
                "approvals inbox.")
    row = outbox.outbox_row("send_email", {"to": emails, "cc": [], "bcc": [], "subject": subject,
                                           "body": body},
                            due_at=now, now=now, workflow=f"approval {process.name}"[:64],
                            object=object_name, record_id=record_id)
    outbox.enqueue(conn, [row])
    return [(row["id"], row["kind"])]
