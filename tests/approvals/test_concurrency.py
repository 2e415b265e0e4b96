"""Two approvers deciding one step at the same instant: taken one after the other (the request
row is locked FOR UPDATE on PostgreSQL; SQLite serialises writers), never advanced twice."""

from __future__ import annotations

import threading

from metacrm.automation.approvals import ENGINE, AlreadyDecided, request_detail

ROUNDS = 4


def race(calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as err:  # noqa: BLE001 - the test looks at what each got
            results[i] = err

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def status_changes(service, record_id):
    return [h["new"] for h in service.history("deal", record_id) if h["field"] == "approval_status"]


def test_two_approvals_at_once_reach_the_quorum_once(service, users):
    for _ in range(ROUNDS):
        d = service.create("deal", {"name": "Race", "amount": 1000}, users["ann"])
        request = ENGINE.submit(service, users["ann"], "deal", d["id"], "quorum")
        results = race([lambda: ENGINE.decide(service, users["fay"], request["id"], "approve"),
                        lambda: ENGINE.decide(service, users["fox"], request["id"], "approve")])
        assert all(isinstance(r, dict) for r in results), results
        assert sorted(r["status"] for r in results) == ["approved", "pending"]
        detail = request_detail(service, request["id"])
        assert detail["status"] == "approved"
        assert sorted(a["decision"] or "-" for a in detail["steps"][0]["approvers"]) == [
            "-", "approved", "approved"]
        assert status_changes(service, d["id"]) == ["Pending", "Approved"]  # on_approve once


def test_first_mode_one_wins_the_other_is_told(service, users):
    for _ in range(ROUNDS):
        d = service.create("deal", {"name": "Race", "amount": 1000, "discount": 30}, users["ann"])
        request = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
        results = race([lambda: ENGINE.decide(service, users["mia"], request["id"], "approve"),
                        lambda: ENGINE.decide(service, users["max"], request["id"], "reject",
                                              "no")])
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, AlreadyDecided)]
        assert len(won) == 1 and len(lost) == 1, results
        detail = request_detail(service, request["id"])
        assert detail["status"] == won[0]["status"]
        assert len(status_changes(service, d["id"])) == 2


def test_two_submits_at_once_make_one_request(service, users):
    for _ in range(ROUNDS):
        d = service.create("deal", {"name": "Race", "amount": 1000, "discount": 30}, users["ann"])
        results = race([lambda: ENGINE.submit(service, users["ann"], "deal", d["id"], "manager"),
                        lambda: ENGINE.submit(service, users["mia"], "deal", d["id"], "manager")])
        made = [r for r in results if isinstance(r, dict)]
        refused = [r for r in results if isinstance(r, AlreadyDecided)]
        assert len(made) == 1 and len(refused) == 1, results
        assert refused[0].status == 409
        assert status_changes(service, d["id"]) == ["Pending"]
