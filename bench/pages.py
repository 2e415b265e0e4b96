"""Pages: server time to render end-user pages (Flask test client: routing, session, the
RecordService query and the templates; no network), on SQLite and (when reachable) PostgreSQL.

- a list page of 50 accounts out of 100,000 (the standard CRM's ``all_accounts`` view: sorted
  by name, a roll-up column, a lookup to the owner), first page and a page through the cursor;
- an account's record page with its three related lists (contacts, opportunities, tasks),
  its history and its lookups' names.

The figures are the median (p50) of many requests after a warm-up; the target is 30 ms.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import tempfile
import time
from pathlib import Path

from metacrm.meta import load_package
from metacrm.runtime import Actor
from metacrm.store import deploy as deployment
from metacrm.web import create_app

from .harness import Report
from .records import _open

CRM = Path(__file__).resolve().parent.parent / "metadata" / "crm"
PASSWORD = "bench-password-1"
INDUSTRIES = ["Agriculture", "Construction", "Education", "Finance", "Healthcare",
              "Manufacturing", "Retail", "Technology", "Other"]


def p50(fn, repeat: int) -> float:
    fn()  # warm-up: compiled plans and templates
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fill_accounts(db, owner: str, count: int) -> None:
    now = dt.datetime(2024, 1, 1)
    rows = ((f"b{i:011d}", f"Account {i:06d}", INDUSTRIES[i % len(INDUSTRIES)], owner, now, now, 1,
             0) for i in range(count))
    columns = "id, name, industry, owner, created_at, updated_at, version, opportunity_count"
    with db.write() as conn:
        raw = conn.connection.driver_connection
        if db.dialect == "sqlite":
            raw.executemany(f"INSERT INTO account ({columns}) VALUES (?,?,?,?,?,?,?,?)",
                            ((*r[:4], r[4].isoformat(" "), r[5].isoformat(" "), *r[6:]) for r in rows))
        else:
            with raw.cursor().copy(f"COPY account ({columns}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
    with db.write() as conn:
        conn.exec_driver_sql("ANALYZE" if db.dialect == "sqlite" else "ANALYZE account")


def _site(db, count: int):
    deployment.apply(db, load_package(CRM), deployed_by="bench")
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"}, db=db)
    runtime = app.extensions["metacrm"].runtime()
    user = runtime.accounts.create_user("bench", PASSWORD, full_name="Bench User")
    _fill_accounts(db, user["id"], count)
    who = Actor(user_id=user["id"], username="bench")
    service = runtime.service
    account = service.create("account", {"name": "Zeta Bench Corp", "industry": "Retail"}, who)
    for i in range(5):
        service.create("contact", {"last_name": f"Contact {i}", "account": account["id"],
                                   "email": f"c{i}@bench.example"}, who)
        deal = service.create("opportunity", {"name": f"Deal {i}", "account": account["id"],
                                              "amount": 1000 * (i + 1)}, who)
        service.create("task", {"subject": f"Task {i}", "related_account": account["id"],
                                "related_opportunity": deal["id"]}, who)
        service.update("account", account["id"], {"phone": f"+1 555 010{i}"}, who)
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    signed = client.post("/login", data={"username": "bench", "password": PASSWORD,
                                         "csrf_token": token})
    assert signed.status_code == 302, signed.status_code
    return client, account["id"]


def _measure(report: Report, label: str, db, quick: bool) -> None:
    count = 100_000
    start = time.perf_counter()
    client, account_id = _site(db, count)
    fill = time.perf_counter() - start
    repeat = 15 if quick else 60

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    first = get("/app/account?view=all_accounts").get_data(as_text=True)
    assert first.count("<tr>") >= 50
    took = p50(lambda: get("/app/account?view=all_accounts"), repeat)
    report.add(f"pages.list_100k.{label}", took * 1000, "ms", "< 30 ms",
               f"50 of {count:,} accounts, sorted by name, roll-up and owner columns; "
               f"set up in {fill:.0f} s")
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    took = p50(lambda: get(next_url), repeat)
    report.add(f"pages.list_100k_page_2.{label}", took * 1000, "ms", "< 30 ms",
               "the same list, next page through the cursor")
    took = p50(lambda: get(f"/app/account/{account_id}"), repeat)
    report.add(f"pages.record_3_related.{label}", took * 1000, "ms", "< 30 ms",
               "an account with 3 related lists (5 rows each), history, lookup names")
    took = p50(lambda: get("/app/opportunity/new"), repeat)
    report.add(f"pages.form_new.{label}", took * 1000, "ms", "< 30 ms",
               "the new-opportunity form (tabs, lookups, defaults, form state)")


def run(report: Report, quick: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for kind in ("sqlite",) if quick else ("sqlite", "postgresql"):
            opened = _open(kind, root)
            if opened is None:
                print("pages: PostgreSQL unreachable; skipped")
                continue
            db, cleanup = opened
            try:
                _measure(report, kind, db, quick)
            finally:
                cleanup()
