"""Helpers of the automation tests: an inline package, receivers for webhooks and email, a
controllable clock, polling with a deadline (never a sleep as an assertion)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from metacrm.automation import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify
from metacrm.store import Database

SECRET = "s3cret"

OBJECTS = {
    "objects/account.yaml": """
kind: object
name: account
title: name
fields:
  name: {type: text, required: true}
  hook_url: {type: url}
  last_won_on: {type: date, read_only: true}
""",
    "objects/deal.yaml": """
kind: object
name: deal
title: name
fields:
  name: {type: text, required: true}
  account: {type: lookup, to: account, on_delete: cascade}
  stage: {type: picklist, options: [Open, Won, Lost], default: Open}
  amount: {type: currency}
  probability: {type: percent}
  close_date: {type: date}
  flagged: {type: boolean, default: false}
""",
    "objects/task.yaml": """
kind: object
name: task
title: subject
fields:
  subject: {type: text, required: true}
  deal: {type: lookup, to: deal, on_delete: cascade}
  status: {type: picklist, options: [Open, Done], default: Open}
  late: {type: boolean, default: false}
""",
}

WORKFLOWS = {
    "workflows/won.yaml": """
kind: workflow
name: won
object: deal
trigger: [create, update]
when: 'changed(stage) and stage == "Won"'
actions:
  - type: set_fields
    values: {probability: 100}
  - type: create_record
    object: task
    values: {subject: '="Kick-off " & name', deal: '=id'}
  - type: update_record
    record: account
    values: {last_won_on: '=today()'}
  - type: send_email
    to: '=owner.email'
    subject: 'Won: {{ record.name }}'
    body: '{{ record.name }} with {{ record.account.name }} at {{ record.amount }}'
  - type: webhook
    url: '=account.hook_url'
""",
    "workflows/broken.yaml": """
kind: workflow
name: broken
object: deal
trigger: [update]
when: 'changed(name) and name == "fail"'
actions:
  - type: create_record
    object: task
    values: {subject: '=if(false, "x", null)'}
""",
    "workflows/loop_deal.yaml": """
kind: workflow
name: loop_deal
object: deal
trigger: [update]
when: 'name == "loop" and changed(amount)'
actions:
  - type: create_record
    object: task
    values: {subject: loop, deal: '=id'}
""",
    "workflows/loop_task.yaml": """
kind: workflow
name: loop_task
object: task
trigger: [create]
when: 'subject == "loop"'
actions:
  - type: update_record
    record: deal
    values: {amount: '=deal.amount + 1'}
""",
    "workflows/reminder.yaml": """
kind: workflow
name: reminder
object: deal
trigger: [create, update]
when: 'stage == "Open"'
schedule: {field: close_date, offset_days: -7}
actions:
  - type: set_fields
    values: {flagged: true}
  - type: webhook
    url: '=account.hook_url'
""",
    "workflows/late_tasks.yaml": """
kind: workflow
name: late_tasks
object: task
trigger: [periodic]
every: 1h
when: 'status == "Open" and not late'
actions:
  - type: set_fields
    values: {late: true}
""",
}


def package_files(extra: dict | None = None, workflows: dict | None = None) -> dict:
    files = {"package.yaml": "kind: package\nname: auto\nversion: 1.0.0\n", **OBJECTS}
    files.update(WORKFLOWS if workflows is None else workflows)
    files.update(extra or {})
    return {"auto": files}


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class WebhookReceiver:
    """A local HTTP server that checks signatures, honours Idempotency-Key, and can fail the
    first N requests."""

    def __init__(self, fail_first: int = 0, secret: str = SECRET):
        self.requests: list[dict] = []
        self.deliveries: dict[str, dict] = {}
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get(IDEMPOTENCY_HEADER)
                signed = verify(secret, body, self.headers.get(SIGNATURE_HEADER))
                with receiver.lock:
                    receiver.requests.append({"key": key, "signed": signed})
                    failing = len(receiver.requests) <= receiver.fail_first
                    if not failing and signed and key not in receiver.deliveries:
                        receiver.deliveries[key] = json.loads(body)
                self.send_response(503 if failing else (200 if signed else 401))
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def empty_tables(db: Database) -> None:
    """Empty the object tables and the automation tables between tests."""
    from sqlalchemy import text

    from metacrm.store.history import HISTORY
    from metacrm.store.outbox import ATTEMPTS, OUTBOX, RUNS

    with db.write() as conn:
        for table in ("task", "deal", "account", "user"):
            conn.execute(text(f'DELETE FROM "{table}"'))
        for table in (OUTBOX, ATTEMPTS, RUNS, HISTORY):
            conn.execute(table.delete())
