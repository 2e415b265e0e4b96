"""metacrm.automation.approvals: approval processes — submit, decide (first, all, quorum),
recall, reassign, delegation, the record lock and escalation. See docs/approvals.md.

    from metacrm.automation.approvals import ENGINE as approvals
    request = approvals.submit(service, ann, "opportunity", deal_id, "big_discount")
    approvals.decide(service, bob, request["id"], "approve", comment="ok")
    requests_for_record(service, "opportunity", deal_id); inbox(service, bob)

Registered by :func:`metacrm.automation.plugin_manager` (an ``ApprovalsPlugin`` on the record
hooks); the runtime never imports it. ``ENGINE`` calls the engine registered in the service's
own plugin manager.
"""

from .delegations import add_delegation, list_delegations, remove_delegation
from .engine import Approvals
from .errors import AlreadyDecided, ApprovalError, NotAllowed, RequestNotFound
from .escalation import escalate
from .lock import LOCKED
from .plugin import ENGINE, PLUGIN_NAME, ApprovalsPlugin, engine_for
from .reads import inbox, request_detail, requests_for_record
from .steps import outcome

__all__ = ["Approvals", "ApprovalsPlugin", "ENGINE", "PLUGIN_NAME", "engine_for", "ApprovalError", "AlreadyDecided", "NotAllowed",
           "RequestNotFound", "LOCKED", "add_delegation", "list_delegations",
           "remove_delegation", "escalate", "inbox", "request_detail", "requests_for_record",
           "outcome"]
