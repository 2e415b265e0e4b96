"""What automation did, over HTTP (``docs/automation.md``, ``docs/api.md``).

    GET  /api/v1/<object>/<id>/automation       the record's workflow runs and outbox rows
                                                (a 404 unless they may read the record; the
                                                rows' payloads only for unrestricted users)
    GET  /api/v1/automation/runs                admins: runs across the system, failures first
    GET  /api/v1/automation/outbox?status=dead  admins: outbox rows (pending, dead, …)
    POST /api/v1/automation/outbox/<id>/retry   admins: a dead letter is sent again

(``/v1/automation/…`` is a fixed path: it wins over ``/v1/<object>/<id>``, so an object
named ``automation`` could not be listed through the API; the loader does not forbid it.)
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from ...automation import (outbox_for_record, outbox_rows, recent_runs, retry_dead_letter,
                           runs_for_record)
from ..auth import api_actor
from .current import admin_actor, api_runtime
from .io import json_response
from .problems import ApiProblem

STATUSES = ("pending", "sending", "delivered", "dead", "cancelled")


def _limit() -> int:
    text = request.args.get("limit", "100")
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise ApiProblem(400, "limit must be a whole number from 1 to 1000", slug="bad-query",
                         errors={"limit": [f"not a number from 1 to 1000: {text!r}"]})
    return int(text)


def record_automation(object_name: str, record_id: str):
    actor = api_actor()
    runtime = api_runtime()
    runtime.service.get(object_name, record_id, actor, fields=["id"])  # 404s as for the record
    db = runtime.service.db
    outbox = outbox_for_record(db, object_name, record_id)
    if runtime.access(actor) is not None:
        # a payload (an e-mail's text, a webhook's record) may hold fields they may not see
        outbox = [{k: v for k, v in row.items() if k != "payload"} for row in outbox]
    return json_response({"runs": runs_for_record(db, object_name, record_id, limit=_limit()),
                          "outbox": outbox})


def system_runs():
    admin_actor()
    failures_first = request.args.get("failures_first", "true").lower() != "false"
    runs = recent_runs(api_runtime().service.db, failures_first=failures_first,
                       object_name=request.args.get("object"), limit=_limit())
    return json_response({"runs": runs})


def system_outbox():
    admin_actor()
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiProblem(400, f"unknown status {status!r}", slug="bad-query",
                         errors={"status": [f"one of {', '.join(STATUSES)}"]})
    return json_response({"outbox": outbox_rows(api_runtime().service.db, status=status,
                                                limit=_limit())})


def retry(row_id: str):
    admin_actor()
    publisher = current_app.extensions.get("metacrm_publisher")
    if not retry_dead_letter(api_runtime().service.db, row_id, publisher=publisher):
        raise ApiProblem(409, f"outbox row {row_id!r} is not a dead letter (or does not exist)",
                         slug="not-dead")
    return json_response({"retried": row_id})


def init_blueprint(blueprint: Blueprint) -> None:
    route = blueprint.add_url_rule
    route("/v1/<object_name>/<record_id>/automation", "record_automation", record_automation,
          methods=["GET"])
    route("/v1/automation/runs", "automation_runs", system_runs, methods=["GET"])
    route("/v1/automation/outbox", "automation_outbox", system_outbox, methods=["GET"])
    route("/v1/automation/outbox/<row_id>/retry", "automation_retry", retry, methods=["POST"])
