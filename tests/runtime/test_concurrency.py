"""Concurrent writers, each thread on its own connection: no lost update, exact roll-ups and
auto-numbers, unique values that hold, and keyset pages that stay stable while rows arrive."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from metacrm.runtime import RecordInvalid, VersionConflict

THREADS = 6


def run_threads(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads started together; re-raise the first failure."""
    barrier = threading.Barrier(count)

    def start(i):
        barrier.wait()
        return work(i)
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(start, range(count)))


@pytest.fixture
def acme(service, ann):
    return service.create("company", {"name": "Acme", "revenue": 0}, ann)


def test_concurrent_partial_updates_never_lose_a_write(service, ann, acme):
    fields = {0: ("rating", lambda k: k % 10), 1: ("revenue", lambda k: (k + 1) * 100),
              2: ("code", lambda k: f"C{k}"), 3: ("founded", lambda k: f"2000-01-{k + 1:02d}"),
              4: ("email", lambda k: f"m{k}@acme.com"), 5: ("tags", lambda k: ["a", "b"][k % 2:k % 2 + 1])}
    rounds = 8

    def work(i):
        name, value = fields[i]
        for k in range(rounds):
            service.update("company", acme["id"], {name: value(k)}, ann)
    run_threads(THREADS, work)
    final = service.get("company", acme["id"])
    assert final["rating"] == 7 and final["revenue"] == 800 and final["code"] == "C7"
    assert str(final["founded"]) == "2000-01-08" and final["email"] == "m7@acme.com"
    assert final["tags"] == ["b"]
    assert final["version"] == 1 + THREADS * rounds          # every update made a version
    updates = [e for e in service.history("company", acme["id"]) if e["operation"] == "update"]
    assert len(updates) == THREADS * rounds


def test_optimistic_increments_with_retries_are_exact(service, ann, acme):
    per_thread = 5

    def work(i):
        conflicts = 0
        for _ in range(per_thread):
            while True:
                current = service.get("company", acme["id"])
                try:
                    service.update("company", acme["id"], {"revenue": current["revenue"] + 1},
                                   ann, version=current["version"])
                    break
                except VersionConflict:
                    conflicts += 1
        return conflicts
    run_threads(THREADS, work)
    assert service.get("company", acme["id"])["revenue"] == THREADS * per_thread


def test_rollups_and_auto_numbers_stay_exact_under_concurrent_children(service, ann, acme):
    per_thread = 6
    rng = random.Random(7)
    amounts = [[Decimal(rng.randint(1, 10_000)) / 100 for _ in range(per_thread)]
               for _ in range(THREADS)]

    def work(i):
        ids = []
        for k, amount in enumerate(amounts[i]):
            if k == per_thread - 1:  # the last ones through the bulk path
                ids += service.create_many("deal", [{"title": f"T{i}", "company": acme["id"],
                                                     "amount": amount}], ann)
            else:
                ids.append(service.create("deal", {"title": f"T{i}", "company": acme["id"],
                                                   "amount": amount}, ann)["id"])
        return ids
    ids = [i for batch in run_threads(THREADS, work) for i in batch]
    company = service.get("company", acme["id"])
    assert company["deal_count"] == THREADS * per_thread
    assert company["deal_total"] == sum(sum(a) for a in amounts)
    assert company["max_amount"] == max(max(a) for a in amounts)
    refs = sorted(service.get("deal", i)["ref"] for i in ids)
    assert refs == [f"D-2024-{n:04d}" for n in range(1, THREADS * per_thread + 1)]


def test_concurrent_child_updates_and_deletes_keep_rollups_exact(service, ann, acme):
    ids = service.create_many("deal", [{"title": f"D{i}", "company": acme["id"], "amount": 10}
                                       for i in range(THREADS * 3)], ann)

    def work(i):
        mine = ids[i * 3:(i + 1) * 3]
        service.update("deal", mine[0], {"amount": 25}, ann)
        service.delete("deal", mine[1], ann)
        service.update("deal", mine[2], {"stage": "Won", "close_date": "2024-01-01"}, ann)
    run_threads(THREADS, work)
    company = service.get("company", acme["id"])
    assert company["deal_count"] == THREADS * 2
    assert company["deal_total"] == THREADS * 35
    assert company["open_total"] == THREADS * 25 and company["won_count"] == THREADS


def test_unique_holds_under_concurrent_creates(service, ann):
    def work(i):
        try:
            service.create("company", {"name": "Same", "code": f"C{i}"}, ann)
            return "created"
        except RecordInvalid as invalid:
            assert invalid.messages == {"name": ["'Same' is already used by another company"]} \
                or invalid.messages == {"name": ["is already used by another company"]}
            return "refused"
    results = run_threads(THREADS, work)
    assert results.count("created") == 1 and results.count("refused") == THREADS - 1


def test_keyset_pages_are_stable_under_concurrent_inserts(service, ann, acme):
    existing = set(service.create_many(
        "deal", [{"title": f"D{i:03d}", "company": acme["id"], "amount": i % 17}
                 for i in range(120)], ann))
    stop = threading.Event()

    def writer(i):
        k = 0
        while not stop.is_set():
            service.create("deal", {"title": f"N{i}-{k}", "company": acme["id"],
                                    "amount": k % 17}, ann)
            k += 1
        return k

    def scan(sort):
        seen, cursor = [], None
        while True:
            page = service.query("deal", sort=sort, limit=7, cursor=cursor,
                                 fields=["id", "amount"])
            seen += [r["id"] for r in page.records]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor

    with ThreadPoolExecutor(3) as pool:
        writers = [pool.submit(writer, i) for i in range(2)]
        try:
            scans = [scan("-amount"), scan("title"), scan("amount,-title")]
        finally:
            stop.set()
        assert sum(w.result() for w in writers) > 0
    for seen in scans:
        assert len(seen) == len(set(seen))        # nothing twice
        assert existing <= set(seen)              # nothing that was there before is skipped
