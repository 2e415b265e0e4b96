"""Access: what record access costs a list and a create (issue 12, "Speed").

A sales org on 1,000,000 opportunities (100,000 with --quick), SQLite and (when reachable)
PostgreSQL: opportunities are ``sharing: private``; roles form a three-level hierarchy (vp ←
manager ← rep); two criteria sharing rules give reps the deals of the accounts they own
(``account.owner == current_user()``) and every big closed deal (``stage == "Closed" and amount
> 90000``). 1 vp, 4 managers and 40 reps own the deals and the 10,000 accounts evenly, so a
rep sees about 5% of the deals.

- ``access.list_*``: filter ``stage == "Negotiation"``, sort ``-amount``, limit 50, with a
  lookup column, as a rep (the access predicate ANDed into the WHERE) and as an admin (no
  predicate); target: the rep's ≤ 1.5× the admin's. Also a manager (ten reps below).
- ``access.create_one``: one create in its own transaction as a rep (object and field
  checks, the new record still editable) and as an admin; target: the check adds ≤ 10%.

Indexes of the bench package: ``opportunity [stage, amount, owner, account]`` — the admin's
query reads it in order and stops after 50 rows; the rep's reads it in the same order and
judges ``owner`` and the account from the index alone, fetching a row only when it is
theirs — and ``account [id, owner]``, so the account-team rule reads the account's owner from
an index too. (On SQLite these two take the rep's list from about 9x to under 3x the admin's
at 100,000 rows; PostgreSQL evaluates the predicate on the row either way.) The lookups' own
indexes (``account``, ``owner``) are made for every lookup; an index on ``[owner, stage,
amount]`` does not help: the predicate is one OR, which no single index serves.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from metacrm.formula import Environment
from metacrm.meta import load_package
from metacrm.runtime import Runtime
from metacrm.store import Database

from .harness import Report, duration
from .records import deployed_databases

STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed"]
REGIONS = ["EMEA", "APAC", "AMER"]
MANAGERS, REPS_PER_MANAGER, ACCOUNTS = 4, 10, 10_000
#: the list's table sizes (quick: the first only)
SIZES = [100_000, 1_000_000]

PACKAGE = {
    "package.yaml": "kind: package\nname: bench_access\nversion: 1.0.0\n",
    "objects/account.yaml": """kind: object
name: account
title: name
sharing: read
fields:
  name:   {type: text, required: true}
  region: {type: picklist, options: [EMEA, APAC, AMER]}
indexes:
  - [id, owner]
""",
    "objects/opportunity.yaml": """kind: object
name: opportunity
title: name
sharing: private
fields:
  name:       {type: text, required: true, max_length: 120}
  account:    {type: lookup, to: account, required: true, on_delete: restrict}
  amount:     {type: currency, min: 0}
  stage:      {type: picklist, options: [Prospecting, Qualification, Proposal, Negotiation, Closed], default: Prospecting}
  region:     {type: picklist, options: [EMEA, APAC, AMER]}
  discount:   {type: percent, default: 0}
  close_date: {type: date}
indexes:
  - [stage, amount, owner, account]
""",
    "roles/vp.yaml": """kind: role
name: vp
permissions:
  account: [read, create, edit, delete]
  opportunity: [read, create, edit, delete]
""",
    "roles/manager.yaml": """kind: role
name: manager
reports_to: vp
permissions:
  account: [read, create, edit]
  opportunity: [read, create, edit, delete]
""",
    "roles/rep.yaml": """kind: role
name: rep
reports_to: manager
permissions:
  account: [read, create, edit]
  opportunity:
    allow: [read, create, edit]
    fields: {discount: read}
""",
    "sharing/account_team.yaml": """kind: sharing_rule
name: account_team
object: opportunity
when: 'account.owner == current_user()'
roles: [rep]
access: read
""",
    "sharing/big_closed.yaml": """kind: sharing_rule
name: big_closed
object: opportunity
when: 'stage == "Closed" and amount > 90000'
roles: [rep, manager]
access: read
""",
}


def _catalog(root: Path):
    folder = root / "bench_access"
    for name, body in PACKAGE.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body)
    return load_package(folder)


def _people(runtime: Runtime) -> dict:
    """The admin, the vp, the managers and the reps (Actors as a sign-in builds them)."""
    accounts = runtime.accounts
    admin = accounts.create_user("admin", admin=True)
    people = {"admin": accounts.actor(admin["id"]), "owners": []}
    vp = accounts.create_user("vp", roles=["vp"])
    people["owners"].append(vp["id"])
    for m in range(MANAGERS):
        manager = accounts.create_user(f"manager{m}", roles=["manager"])
        people["owners"].append(manager["id"])
        people.setdefault("manager", accounts.actor(manager["id"]))
        for r in range(REPS_PER_MANAGER):
            rep = accounts.create_user(f"rep{m}_{r}", roles=["rep"])
            people["owners"].append(rep["id"])
            people.setdefault("rep", accounts.actor(rep["id"]))
    return people


def _copy(db: Database, table: str, columns: str, rows) -> None:
    """Rows through the driver's fastest path (COPY on PostgreSQL): the fill is not measured."""
    with db.write() as conn:
        raw = conn.connection.driver_connection
        if db.dialect == "sqlite":
            marks = ",".join("?" * len(columns.split(",")))
            raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                            (tuple(v.isoformat(" ") if isinstance(v, dt.datetime) else v
                                   for v in r) for r in rows))
        else:
            with raw.cursor().copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for r in rows:
                    copy.write_row(r)


def _fill(db: Database, owners: list[str], accounts: list[str], count: int, start: int):
    rng = random.Random(start)
    now = dt.datetime(2024, 1, 1)
    _copy(db, "opportunity",
          "id, name, account, amount, stage, region, discount, owner, created_at, updated_at, "
          "version",
          ((f"o{start + i:09d}", f"Deal {start + i}", accounts[rng.randrange(len(accounts))],
            None if i % 50 == 0 else f"{rng.randint(0, 10_000_000) / 100:.2f}",
            STAGES[rng.randrange(5)], REGIONS[rng.randrange(3)], 0,
            owners[rng.randrange(len(owners))], now, now, 1) for i in range(count)))
    with db.write() as conn:
        conn.exec_driver_sql("ANALYZE" if db.dialect == "sqlite" else "ANALYZE opportunity")


def _lists(report: Report, label: str, db: Database, runtime: Runtime, people: dict,
           quick: bool) -> None:
    service = runtime.service
    owners = people["owners"]
    rng = random.Random(7)
    now = dt.datetime(2024, 1, 1)
    account_ids = [f"a{i:06d}" for i in range(ACCOUNTS)]
    _copy(db, "account", "id, name, region, owner, created_at, updated_at, version",
          ((aid, f"Account {i}", REGIONS[i % 3], owners[rng.randrange(len(owners))], now, now,
            1) for i, aid in enumerate(account_ids)))
    filled = 0
    for size in (SIZES[:1] if quick else SIZES):
        start = time.perf_counter()
        _fill(db, owners, account_ids, size - filled, filled)
        fill_time = time.perf_counter() - start
        filled = size
        shown = f"{size // 1000:,}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        kwargs = {"filter": 'stage == "Negotiation"', "sort": "-amount", "limit": 50,
                  "fields": ["name", "amount", "stage", "account.name"]}
        took = {}
        for who in ("admin", "rep", "manager"):
            actor = people[who]
            page = service.query("opportunity", actor, **kwargs)
            assert len(page.records) == 50, (who, len(page.records))
            took[who] = duration(lambda: service.query("opportunity", actor, **kwargs),
                                 repeat=20)
        seen = service.query("opportunity", people["rep"], limit=1, count=True).count
        ratio = took["rep"] / took["admin"]
        report.add(f"access.list_{shown}.rep.{label}", took["rep"] * 1000, "ms",
                   "<= 1.5x admin",
                   f"{ratio:.2f}x the admin's {took['admin'] * 1000:.2f} ms; the rep sees "
                   f"{seen:,} of {size:,}; filled in {fill_time:.0f} s")
        report.add(f"access.list_{shown}.admin.{label}", took["admin"] * 1000, "ms", "",
                   "the same query without a predicate")
        report.add(f"access.list_{shown}.manager.{label}", took["manager"] * 1000, "ms", "",
                   f"{took['manager'] / took['admin']:.2f}x the admin's; ten reps below")


def _creates(report: Report, label: str, runtime: Runtime, people: dict, quick: bool) -> None:
    service = runtime.service
    count = 200 if quick else 1000
    account = "a000000"
    best = {"rep": 0.0, "admin": 0.0}
    serial = 0
    for _ in range(3):  # rounds interleave the two, so noise does not land on one
        for who in ("rep", "admin"):
            actor = people[who]
            start = time.perf_counter()
            for _ in range(count):
                serial += 1
                service.create("opportunity", {"name": f"New {serial}", "account": account,
                                               "amount": "1200.00", "stage": "Proposal"}, actor)
            best[who] = max(best[who], count / (time.perf_counter() - start))
    cost = best["admin"] / best["rep"] - 1
    report.add(f"access.create_one.rep.{label}", best["rep"], "rec/s", "<= 10% slower",
               f"{cost:+.1%} time per create against an admin's {best['admin']:,.0f}/s "
               "(a transaction each)")


def run(report: Report, quick: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        catalog = _catalog(root)
        for kind, db in deployed_databases(root, catalog, "access"):
            runtime = Runtime(db, catalog, env=Environment())
            people = _people(runtime)
            _lists(report, kind, db, runtime, people, quick)
            _creates(report, kind, runtime, people, quick)
