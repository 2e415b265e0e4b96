"""Automation benchmarks: write throughput with 0, 5 and 20 workflows whose conditions are
false and with 5 that fire set_fields (target: 20 non-matching cost under 15%); outbox
delivery throughput through the Worker to a local webhook receiver (no broker: the Celery
figure is left to a later round)."""

from __future__ import annotations

import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import threading

from metacrm.automation import Settings, Worker
from metacrm.meta import load_files
from metacrm.runtime import Actor
from metacrm.store import Database, outbox
from metacrm.store.deploy import apply

OBJECT = """
kind: object
name: item
title: name
fields:
  name: {type: text, required: true}
  amount: {type: integer}
  flag: {type: boolean}
  hook: {type: url}
"""


def _workflows(n_false: int, n_true: int, webhook: bool = False) -> dict:
    files = {}
    for i in range(n_false):
        files[f"workflows/f{i}.yaml"] = (f"kind: workflow\nname: f{i}\nobject: item\ntrigger: [create]\n"
                                         f"when: 'amount > {10 ** 9 + i}'\nactions:\n"
                                         "  - {type: set_fields, values: {flag: true}}\n")
    for i in range(n_true):
        files[f"workflows/t{i}.yaml"] = (f"kind: workflow\nname: t{i}\nobject: item\ntrigger: [create]\n"
                                         "when: 'amount >= 0'\nactions:\n"
                                         "  - {type: set_fields, values: {flag: true}}\n")
    if webhook:
        files["workflows/hook.yaml"] = ("kind: workflow\nname: hook\nobject: item\ntrigger: [create]\n"
                                        "actions:\n  - {type: webhook, url: '=hook'}\n")
    return files


def _package(workflows: dict) -> dict:
    return {"b": {"package.yaml": "kind: package\nname: b\nversion: 1.0.0\n",
                  "objects/item.yaml": OBJECT, **workflows}}


def _service(root: Path, name: str, workflows: dict):
    url = f"sqlite:///{root}/{name}.db"
    db = Database.from_url(url)
    apply(db, load_files(_package(workflows)))
    worker = Worker(Settings(database_url=url, sweep_grace_seconds=0), db, load_entry_points=False)
    return db, worker, worker.service()


def _create_rate(service, count: int, hook: str = "") -> float:
    rows = [{"name": f"n{i}", "amount": i, "hook": hook or None} for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 1000):
        service.create_many("item", rows[start:start + 1000], Actor.system())
    return count / (time.perf_counter() - started)


def run(report, quick: bool) -> None:
    count = 2000 if quick else 10000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = None
        for label, files in (("0", {}), ("5_false", _workflows(5, 0)),
                             ("20_false", _workflows(20, 0)), ("5_set_fields", _workflows(0, 5))):
            db, _, service = _service(root, label, files)
            value = _create_rate(service, count)
            db.dispose()
            base = base or value
            report.add(f"automation.create.{label}_workflows", value, "records/s",
                       "20 false: >= 85% of 0" if label == "20_false" else "",
                       f"{value / base:.0%} of no workflows")
        _delivery(report, root, 300 if quick else 2000)


def _delivery(report, root: Path, count: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        db, worker, service = _service(root, "hooks", _workflows(0, 0, webhook=True))
        _create_rate(service, count, hook=url)
        with db.read() as conn:
            keys = [k for k, _ in outbox.due(conn, worker.settings.clock(), limit=count)]
        started = time.perf_counter()
        for key in keys:
            worker.deliver(key)
        value = len(keys) / (time.perf_counter() - started)
        report.add("automation.outbox.deliver_in_process", value, "actions/s", "",
                   "one process, no broker; SQLite")
        db.dispose()
    finally:
        server.shutdown()
        server.server_close()
