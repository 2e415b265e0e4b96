"""What automation did, over HTTP: a record's runs and outbox rows, and the admins' views
across the system with "retry" for dead letters (SQLite and PostgreSQL)."""

from __future__ import annotations

from metacrm.store import outbox


def _won(site):
    api = site.user()
    account = api.post("/api/v1/account", json={"name": "Automation Ltd"}).get_json()
    won = api.post("/api/v1/opportunity", json={
        "name": "Won through the API", "account": account["id"], "amount": "500",
        "stage": "Closed Won", "close_date": "2026-11-30"})
    assert won.status_code == 201, won.get_json()
    return won.get_json()


def test_a_records_runs_and_outbox(site):
    deal = _won(site)
    response = site.user().get(f"/api/v1/opportunity/{deal['id']}/automation")
    assert response.status_code == 200
    body = response.get_json()
    runs = {run["workflow"]: run for run in body["runs"]}
    assert runs["won_followup"]["outcome"] == "ok"
    assert runs["won_followup"]["trigger"] == "create"
    kinds = {row["kind"] for row in body["outbox"]}
    assert "send_email" in kinds
    assert all(row["status"] == "pending" for row in body["outbox"])   # no worker here


def test_unknown_records_and_anonymous_calls(site):
    assert site.user().get("/api/v1/opportunity/nope/automation").status_code == 404
    assert site.user().get("/api/v1/nothing/x/automation").status_code == 404
    assert site.client().get("/api/v1/automation/runs").status_code == 401
    assert site.user().get("/api/v1/automation/runs").status_code == 403
    assert site.user().get("/api/v1/automation/outbox").status_code == 403
    bad = site.admin().get("/api/v1/automation/outbox?status=lost")
    assert bad.status_code == 400 and "status" in bad.get_json()["errors"]
    assert site.admin().get("/api/v1/automation/runs?limit=0").status_code == 400


def test_admins_see_failures_first_and_retry_dead_letters(site):
    deal = _won(site)
    with site.db.write() as conn:
        row = next(r for r in outbox.read_rows(conn, object="opportunity", record_id=deal["id"]))
        conn.execute(outbox.OUTBOX.update().where(outbox.OUTBOX.c.id == row["id"])
                     .values(status=outbox.DEAD, last_error="RuntimeError: smtp down"))
    dead = site.admin().get("/api/v1/automation/outbox?status=dead").get_json()["outbox"]
    assert row["id"] in {r["id"] for r in dead}
    runs = site.admin().get("/api/v1/automation/runs").get_json()["runs"]
    assert runs and runs == sorted(runs, key=lambda r: r["outcome"] != "failed")
    retried = site.admin().post(f"/api/v1/automation/outbox/{row['id']}/retry")
    assert retried.status_code == 200
    with site.db.read() as conn:
        assert outbox.read_rows(conn, key=row["id"])[0]["status"] == outbox.PENDING
    again = site.admin().post(f"/api/v1/automation/outbox/{row['id']}/retry")
    assert again.status_code == 409
