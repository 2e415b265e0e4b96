"""The record page's automation panel: the workflow runs on the record and its deliveries
(SQLite and PostgreSQL)."""

from __future__ import annotations

from web_helpers import USER_PASSWORD, sign_in

from metacrm.store import outbox


def test_the_record_page_shows_runs_and_deliveries(site):
    api = site.user()
    account = api.post("/api/v1/account", json={"name": "Panel Co"}).get_json()
    quiet = api.post("/api/v1/opportunity", json={"name": "Quiet deal", "account": account["id"]})
    won = api.post("/api/v1/opportunity", json={
        "name": "Panel win", "account": account["id"], "amount": "900", "stage": "Closed Won",
        "close_date": "2026-11-30"}).get_json()
    with site.db.write() as conn:
        conn.execute(outbox.OUTBOX.update()
                     .where(outbox.OUTBOX.c.record_id == won["id"],
                            outbox.OUTBOX.c.kind == "send_email")
                     .values(status=outbox.DEAD, attempts=8, last_error="SMTPException: refused"))
    client = site.client()
    sign_in(client, "ann", USER_PASSWORD)
    page = client.get(f"/app/opportunity/{won['id']}").get_data(as_text=True)
    assert 'id="automation-title"' in page
    assert 'data-run="won_followup"' in page and "send_email: queued" in page
    assert "SMTPException: refused" in page and ">dead<" in page and "8 attempts" in page
    # a record no workflow touched has no panel
    plain = client.get(f"/app/account/{account['id']}").get_data(as_text=True)
    assert 'id="automation-title"' not in plain
    assert quiet.status_code == 201
