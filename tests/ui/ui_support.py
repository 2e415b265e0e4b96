"""Helpers of the browser tests and of scripts/screenshots (a unique module name: test
folders are not packages): a real server thread over a real database, the system chromium,
and sample records."""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from decimal import Decimal

from werkzeug.serving import make_server

from metacrm.runtime import Actor


@contextmanager
def live_server(app):
    """Serve ``app`` from a thread on 127.0.0.1 (a free port); yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def sign_in(page, username="ann", password=None):
    """Sign in through the login page (the test users' password by default)."""
    from web_helpers import USER_PASSWORD
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def chromium_path() -> str | None:
    """Debian's chromium (Playwright never downloads a browser of its own here)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright):
    path = chromium_path()
    # as root (containers, CI) chromium refuses to start with its sandbox on
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=path, args=args)


ACCOUNTS = [
    ("Acme Corporation", "Manufacturing", "https://acme.example.com", "1250000"),
    ("Globex", "Technology", "https://globex.example.com", "8400000"),
    ("Initech", "Technology", "https://initech.example.com", "560000"),
    ("Umbrella Health", "Healthcare", "https://umbrella.example.com", "12000000"),
    ("Stark Retail", "Retail", None, "3100000"),
]
DEALS = [
    ("Acme Corporation", "Factory sensors", "48000", "Proposal"),
    ("Acme Corporation", "Support renewal", "12000", "Negotiation"),
    ("Globex", "Cloud migration", "150000", "Qualification"),
    ("Globex", "Data platform", "98000", "Prospecting"),
    ("Initech", "TPS reports automation", "23000", "Closed Won"),
    ("Umbrella Health", "Clinic scheduling", "67000", "Proposal"),
    ("Stark Retail", "Point of sale refresh", "41000", "Prospecting"),
]


def seed(service, user_id: str, username: str = "ann") -> dict[str, str]:
    """A few accounts, contacts, opportunities and tasks owned by the user; returns the
    accounts' ids by name."""
    # (with their roles: the standard CRM's roles decide what they may create)
    who = service.runtime.accounts.actor(user_id) or Actor(user_id=user_id, username=username)
    ids = {}
    for name, industry, website, revenue in ACCOUNTS:
        ids[name] = service.create("account", {"name": name, "industry": industry,
                                               "website": website,
                                               "annual_revenue": revenue}, who)["id"]
    contacts = [("Wile", "Coyote", "Acme Corporation"), ("Hank", "Scorpio", "Globex"),
                ("Bill", "Lumbergh", "Initech"), ("Alice", "Abernathy", "Umbrella Health")]
    for first, last, account in contacts:
        service.create("contact", {"first_name": first, "last_name": last,
                                   "account": ids[account],
                                   "email": f"{first.lower()}@example.com"}, who)
    for account, name, amount, stage in DEALS:
        data = {"name": name, "account": ids[account], "amount": Decimal(amount),
                "stage": stage, "probability": 40}
        if stage == "Closed Won":
            data["close_date"] = "2026-11-20"
        deal = service.create("opportunity", data, who)
        service.create("task", {"subject": f"Call about {name}", "related_opportunity": deal["id"],
                                "related_account": ids[account]}, who)
    return ids
