"""A process changed or removed while requests are pending: the plan says how many, and they
finish under the definition they were submitted with. (Its own module: it deploys.)"""

from __future__ import annotations

import pytest
from approval_helpers import PROCESSES, package_files

from metacrm.automation.approvals import ENGINE, request_detail
from metacrm.formula import Environment
from metacrm.meta import load_files
from metacrm.automation import plugin_manager
from metacrm.runtime import RecordInvalid, Runtime
from metacrm.store.deploy import apply, plan


def test_pending_requests_finish_under_their_version(backend, service, users, clock):
    db = backend[0]
    d = service.create("deal", {"name": "Old rules", "amount": 1000}, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "quorum")
    other = service.create("deal", {"name": "Gone", "amount": 1000}, users["ann"])
    ENGINE.submit(service, users["ann"], "deal", other["id"], "unanimous")

    changed = dict(PROCESSES, quorum=PROCESSES["quorum"].replace("quorum: 2", "quorum: 1"))
    del changed["unanimous"]
    catalog = load_files(package_files(changed))
    planned = plan(db, catalog)
    assert not planned.risky
    assert planned.to_json()["notes"] == [
        "approval process quorum changes while 1 request of it is pending; they finish under "
        "the process as it was when submitted",
        "approval process unanimous is removed while 1 request of it is pending; they finish "
        "under the process as it was when submitted",
        "no role declares permissions: every signed-in user may do everything"]
    assert "notes:" in planned.describe()
    version = apply(db, catalog).version
    new = Runtime(db, version.catalog, number=version.number, env=Environment(clock=clock),
                  plugins=plugin_manager(load_entry_points=False)[0]).service

    # the old request still needs 2 approvals; a new one needs 1
    assert ENGINE.decide(new, users["fin"], request["id"], "approve")["status"] == "pending"
    assert ENGINE.decide(new, users["fay"], request["id"], "approve")["status"] == "approved"
    fresh = service.create("deal", {"name": "New rules", "amount": 1000}, users["ann"])
    newer = ENGINE.submit(new, users["ann"], "deal", fresh["id"], "quorum")
    assert newer["metadata_version"] == version.number
    assert ENGINE.decide(new, users["fin"], newer["id"], "approve")["status"] == "approved"
    # the removed process's request can still be decided
    [gone] = [r for r in _pending(new, other["id"])]
    for who in ("mia", "dan", "fin"):
        ENGINE.decide(new, users[who], gone["id"], "approve")
    assert request_detail(new, gone["id"])["status"] == "approved"
    assert new.get("deal", other["id"])["approval_status"] == "Approved"


def test_a_removed_process_still_locks_its_pending_records(backend, service, users, clock):
    db = backend[0]
    d = service.create("deal", {"name": "Locked", "amount": 1000, "discount": 30}, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "manager")
    without = {k: v for k, v in PROCESSES.items() if k != "manager"}
    files = package_files(without)
    del files["appr"]["workflows/auto.yaml"]  # it submits to the removed process
    version = apply(db, load_files(files)).version
    new = Runtime(db, version.catalog, number=version.number, env=Environment(clock=clock),
                  plugins=plugin_manager(load_entry_points=False)[0]).service
    assert "manager" not in new.catalog.approval_processes
    with pytest.raises(RecordInvalid, match="locked while approval request"):
        new.update("deal", d["id"], {"amount": 5}, users["ann"])
    ENGINE.decide(new, users["mia"], request["id"], "approve")
    assert new.update("deal", d["id"], {"amount": 5}, users["ann"])["amount"] == 5


def _pending(service, record_id):
    from metacrm.automation.approvals import requests_for_record

    return [r for r in requests_for_record(service, "deal", record_id) if r["status"] == "pending"]
