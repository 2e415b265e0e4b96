"""HTTP (named http_api: a module named ``http`` here would hide the standard library's,
since bench/ is the first folder on the path): metacrm's generated REST API beside a hand-written Flask + SQLAlchemy ORM app for the
same object (bench/http_baseline.py), each served by gunicorn with the same workers and
threads on the same database kind (SQLite files), driven by the same bounded load client on
loopback: single create, get by id, a filtered sorted list on 100,000 records (limit 50) and
batch create of 1,000.

Both sides check a Bearer token and validate input; metacrm also runs its whole write
pipeline (defaults, checks, history, hooks). The client is a pool of threads with keep-alive
sessions; it shares the machine's cores with the servers, alike for both sides.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from metacrm.meta import load_package
from metacrm.automation import plugin_manager
from metacrm.runtime import Actor, Runtime
from metacrm.store import Database
from metacrm.store import deploy as deployment

from .harness import Report

ROOT = Path(__file__).resolve().parent.parent
WORKERS, THREADS, CLIENTS = 2, 4, 8
STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed"]
PACKAGE = {
    "package.yaml": "kind: package\nname: bench_http\nversion: 1.0.0\n",
    "objects/deal.yaml": """kind: object
name: deal
title: name
fields:
  name:       {type: text, required: true, max_length: 120}
  amount:     {type: currency, min: 0}
  stage:      {type: picklist, options: [Prospecting, Qualification, Proposal, Negotiation, Closed], default: Prospecting}
  close_date: {type: date}
indexes:
  - [stage, amount]
""",
}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _row(i: int) -> dict:
    rng = random.Random(i)
    return {"name": f"Deal {i}", "amount": f"{rng.randint(0, 1_000_000)}.00",
            "stage": rng.choice(STAGES), "close_date": f"2027-{rng.randint(1, 12):02d}-15"}


def _serve(command: list[str], env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=10)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError(f"server did not start: {command}")


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _load(requests_count: int, make_request, clients: int = CLIENTS) -> tuple[float, list[float]]:
    """Requests per second and each request's latency (s), ``clients`` threads sharing the work."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests_count))

    def client():
        session = requests.Session()
        mine = []
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            start = time.perf_counter()
            response = make_request(session, i)
            mine.append(time.perf_counter() - start)
            if response.status_code >= 400:
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return requests_count / (time.perf_counter() - start), latencies


class Side:
    def __init__(self, name: str, base: str, token: str, paths: dict):
        self.name, self.base, self.paths = name, base, paths
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def create(self, session, i):
        return session.post(self.base + self.paths["create"], json=_row(10_000_000 + i),
                            headers=self.headers)

    def get(self, ids):
        return lambda session, i: session.get(self.base + self.paths["get"].format(ids[i % len(ids)]),
                                              headers=self.headers)

    def list(self, session, i):
        stage = STAGES[i % len(STAGES)]
        return session.get(self.base + self.paths["list"].format(stage), headers=self.headers)

    def batch(self, offset):
        rows = lambda i: [_row(offset + i * 1000 + j) for j in range(1000)]  # noqa: E731
        return lambda session, i: session.post(self.base + self.paths["create"], json=rows(i),
                                               headers=self.headers)


def _metacrm(root: Path, fill: int) -> tuple[str, str, list[str]]:
    folder = root / "bench_http"
    for name, body in PACKAGE.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body)
    url = f"sqlite:///{root}/metacrm.db"
    db = Database.from_url(url)
    catalog = load_package(folder)
    deployment.apply(db, catalog, deployed_by="bench")
    runtime = Runtime(db, catalog, plugins=plugin_manager()[0])
    service, accounts = runtime.service, runtime.accounts
    user = accounts.create_user("bench", "bench-password", admin=True)
    token = accounts.create_token(user["id"])
    ids: list[str] = []
    for start in range(0, fill, 5000):
        ids += service.create_many("deal", [_row(i) for i in range(start, min(fill, start + 5000))],
                                   Actor.system())
    db.dispose()
    return url, token, ids[:: max(1, len(ids) // 500)]


def _baseline(root: Path, fill: int) -> tuple[str, str, list[str]]:
    from sqlalchemy.orm import Session
    from .http_baseline import Base, Deal, _deal, engine_for
    url, token = f"sqlite:///{root}/baseline.db", "baseline-token"
    engine = engine_for(url)
    Base.metadata.create_all(engine)
    ids = []
    with Session(engine) as session:
        for start in range(0, fill, 5000):
            deals = [_deal(_row(i))[0] for i in range(start, min(fill, start + 5000))]
            session.add_all(deals)
            session.commit()
            ids += [d.id for d in deals]
    engine.dispose()
    return url, token, ids[:: max(1, len(ids) // 500)]


def _measure(side: Side, ids: list[str], quick: bool) -> dict:
    n = 300 if quick else 2000
    results = {}
    results["create"], _ = _load(n, side.create)
    results["get"], _ = _load(n, side.get(ids))
    # latency of one client at a time: what a user waits for, not the queue behind 8 clients
    _, latencies = _load(n // 3, side.list, clients=1)
    results["list_p50"] = statistics.median(latencies) * 1000
    batches = 3 if quick else 10
    rate, _ = _load(batches, side.batch(20_000_000 + (0 if side.name == "baseline" else 10**6)))
    results["batch"] = rate * 1000
    return results


def run(report: Report, quick: bool) -> None:
    fill = 20_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        gunicorn = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "--threads",
                    str(THREADS), "--log-level", "warning"]
        m_url, m_token, m_ids = _metacrm(root, fill)
        b_url, b_token, b_ids = _baseline(root, fill)
        figures = {}
        port = _port()
        server = _serve([sys.executable, "-m", "metacrm.cli", "--database", m_url, "serve",
                         "--port", str(port), "--workers", str(WORKERS), "--threads",
                         str(THREADS)], {"METACRM_RATELIMIT_ENABLED": "false",
                                         "METACRM_SECRET_KEY": "bench"}, port)
        try:
            figures["metacrm"] = _measure(Side("metacrm", f"http://127.0.0.1:{port}", m_token, {
                "create": "/api/v1/deal", "get": "/api/v1/deal/{}",
                "list": '/api/v1/deal?filter=stage%20%3D%3D%20%22{}%22&sort=-amount&limit=50'}),
                m_ids, quick)
        finally:
            _stop(server)
        port = _port()
        server = _serve([*gunicorn, "-b", f"127.0.0.1:{port}",
                         f"bench.http_baseline:create_app({b_url!r}, {b_token!r})"], {}, port)
        try:
            figures["baseline"] = _measure(Side("baseline", f"http://127.0.0.1:{port}", b_token, {
                "create": "/deals", "get": "/deals/{}", "list": "/deals?stage={}&limit=50"}),
                b_ids, quick)
        finally:
            _stop(server)
    m, b = figures["metacrm"], figures["baseline"]
    note = f"gunicorn {WORKERS}x{THREADS}, {CLIENTS} clients, SQLite"
    report.add("http.create_one.metacrm", m["create"], "req/s", ">= 70% of baseline",
               f"{m['create'] / b['create']:.0%} of hand-written Flask+ORM ({b['create']:,.0f}/s); {note}")
    report.add("http.get.metacrm", m["get"], "req/s", ">= 70% of baseline",
               f"{m['get'] / b['get']:.0%} of hand-written ({b['get']:,.0f}/s)")
    report.add("http.list_p50.metacrm", m["list_p50"], "ms", "< 10 ms",
               f"filter stage, sort -amount, limit 50 on {fill:,} records, one client; hand-written "
               f"{b['list_p50']:.1f} ms")
    report.add("http.batch_1000.metacrm", m["batch"], "rec/s", ">= 100% of baseline",
               f"{m['batch'] / b['batch']:.0%} of a per-object ORM loop ({b['batch']:,.0f} rec/s)")
