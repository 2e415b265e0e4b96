"""metacrm.automation: workflows on the write path, the outbox, Celery delivery, the run log.

    pm, engine = plugin_manager(publisher=app.metacrm_publish)
    service = Runtime(db, catalog, plugins=pm).service         # workflows run on every write
    runs_for_record(db, "opportunity", deal_id)                # what they did

The runtime never imports this package: it plugs in through the record hooks, registered by
:func:`plugin_manager` (the workflow engine and the approvals engine, each an object built
with the process's plugin manager). See docs/automation.md.

Other layers import from this package only, never from its modules (``__all__`` is what they
may use; docs/development.md, "Public API of each layer").
"""

from .actions import AFTER, BEFORE, OUTBOX, ActionType, Run, action_types
from .celery_app import make_celery
from .compiled import AutomationError, CompiledWorkflow, WorkflowSet
from .delivery import SIGNATURE_HEADER, IDEMPOTENCY_HEADER, Delivery, Settings, sign, verify
from .engine import Automation
from .publisher import BackgroundPublisher
from .errors import ActionFailed, WorkflowCycle, WorkflowFailed
from .runlog import (dead_letters, delivery_attempts, outbox_for_record, outbox_rows,
                     recent_runs, retry_dead_letter, runs_for_record)
from .worker import Worker, plugin_manager

__all__ = [
    "AFTER", "BEFORE", "OUTBOX", "ActionType", "Run", "action_types", "make_celery", "AutomationError",
    "CompiledWorkflow", "WorkflowSet", "SIGNATURE_HEADER", "IDEMPOTENCY_HEADER", "Delivery",
    "Settings", "sign", "verify", "Automation", "BackgroundPublisher", "ActionFailed", "WorkflowCycle",
    "WorkflowFailed", "dead_letters", "delivery_attempts", "outbox_for_record", "outbox_rows",
    "recent_runs", "retry_dead_letter", "runs_for_record", "Worker", "plugin_manager",
]
