"""The record page's automation panel: what workflows did with the record (runs, each
action's outcome) and what is waiting to leave or has left (emails, webhooks: their status
and attempts). The same data as ``GET /api/v1/<object>/<id>/automation``.

Record pages get ``crm_automation(object, id)`` (a context function) for the
``record_panels`` block of templates/record.html.
"""

from __future__ import annotations

from ...automation import outbox_for_record, runs_for_record
from .common import blueprint, runtime

#: how many runs and deliveries the panel lists (newest first)
SHOWN = 10


def record_automation(object_name: str, record_id: str) -> dict:
    db = runtime().service.db
    return {"runs": runs_for_record(db, object_name, record_id, limit=SHOWN),
            "outbox": outbox_for_record(db, object_name, record_id, limit=SHOWN)}


@blueprint.app_context_processor
def _automation_context():
    return {"crm_automation": record_automation}
