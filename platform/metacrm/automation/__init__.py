"""metacrm.automation: workflows on the write path, the outbox, Celery delivery, the run log.

    pm, engine = plugin_manager(publisher=app.metacrm_publish)
    service = RecordService(db, catalog, tables, plugins=pm)   # workflows run on every write
    runs_for_record(db, "opportunity", deal_id)                # what they did

The runtime never imports this package: it plugs in through the record hooks (built in:
``metacrm.automation.plugin`` in ``metacrm.plugins.DEFAULT_PLUGINS``). See docs/automation.md.
"""

from .actions import AFTER, BEFORE, OUTBOX, ActionType, Run
from .celery_app import make_celery
from .compiled import AutomationError, CompiledWorkflow, WorkflowSet
from .delivery import SIGNATURE_HEADER, IDEMPOTENCY_HEADER, Delivery, Settings, sign, verify
from .engine import Automation
from .errors import ActionFailed, WorkflowCycle, WorkflowFailed
from .runlog import (dead_letters, delivery_attempts, outbox_for_record, outbox_rows,
                     recent_runs, retry_dead_letter, runs_for_record)
from .worker import Worker, plugin_manager

__all__ = [
    "AFTER", "BEFORE", "OUTBOX", "ActionType", "Run", "make_celery", "AutomationError",
    "CompiledWorkflow", "WorkflowSet", "SIGNATURE_HEADER", "IDEMPOTENCY_HEADER", "Delivery",
    "Settings", "sign", "verify", "Automation", "ActionFailed", "WorkflowCycle",
    "WorkflowFailed", "dead_letters", "delivery_attempts", "outbox_for_record", "outbox_rows",
    "recent_runs", "retry_dead_letter", "runs_for_record", "Worker", "plugin_manager",
]
