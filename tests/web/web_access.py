"""The access tests' package (tests/access) served by a web app: people with passwords and
tokens, and records of which some must never reach some of them (a unique module name: test
folders are not packages).

Who sees which deal (tests/access/test_rules.py has the table): rita (rep) sees d1 (hers), d2
(jim's: junior, below rep) and d4 (the emea_team rule), never d3 (the boss's, on an APAC
account); a rep may not see ``margin`` (nor ``net``, a formula reading it, nor the account's
``margin_total`` roll-up) and may only read ``discount``; a rep may not read notes at all.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from access_helpers import FILES
from web_helpers import USER_PASSWORD, Site, make_site

from metacrm.runtime import Actor
from metacrm.store import Database

#: the margin of every deal: no rep may ever see it, in any format
MARGIN = 987654
#: what must never reach a rep: the margin, the net (amount - margin) of each deal, the
#: accounts' margin_total, and d3 (its name, its id is added by the fixture)
SECRET_NAME = "Secret Falcon"
NOTE_BODY = "Hidden note zebra"

WEB_FILES = {
    **FILES,
    "objects/account.yaml": """
        kind: object
        name: account
        title: name
        sharing: read
        fields:
          name: {type: text, required: true}
          region: {type: picklist, options: [EMEA, APAC]}
          margin_total: {type: rollup, from: deal.account, aggregate: sum, field: margin}
    """,
    "objects/deal.yaml": """
        kind: object
        name: deal
        title: name
        sharing: private
        fields:
          name: {type: text, required: true}
          amount: {type: currency}
          discount: {type: percent}
          margin: {type: currency}
          net: {type: formula, returns: currency, expression: 'amount - margin'}
          region: {type: picklist, options: [EMEA, APAC]}
          stage: {type: picklist, options: [Open, Won, Lost]}
          account: {type: lookup, to: account}
    """,
    "layouts/account.yaml": """
        kind: layout
        name: account_default
        object: account
        default: true
        sections:
          - label: Account
            fields: [name, region, margin_total]
        related: [deal.account]
    """,
    "layouts/deal.yaml": """
        kind: layout
        name: deal_default
        object: deal
        default: true
        sections:
          - label: Deal
            columns: 2
            fields: [name, account, amount, discount, region, stage]
          - label: Money
            fields: [margin, net]
    """,
    "views/all_deals.yaml": """
        kind: list_view
        name: all_deals
        label: All deals
        object: deal
        columns: [name, account, amount, margin, net, discount, region, stage]
        sort: [name]
    """,
    "views/fat_margins.yaml": """
        kind: list_view
        name: fat_margins
        label: Fat margins
        object: deal
        columns: [name, margin]
        filter: 'margin > 1000'
        sort: [-margin]
    """,
    "approvals/finance_review.yaml": """
        kind: approval_process
        name: finance_review
        label: Finance review
        object: deal
        steps:
          - name: finance
            approvers: {role: finance}
            mode: first
    """,
}

ROLES = {"boss": ["manager"], "rita": ["rep"], "ron": ["rep"], "jim": ["junior"],
         "fay": ["finance"], "al": ["auditor"], "zoe": []}


@dataclass
class AccessSite:
    site: Site
    actors: dict[str, Actor]
    tokens: dict[str, str]
    deals: dict[str, str]
    accounts: dict[str, str]
    note: str
    forbidden: list[str] = field(default_factory=list)

    @property
    def app(self):
        return self.site.app

    @property
    def runtime(self):
        return self.site.runtime

    def api(self, username: str):
        """A test client sending ``username``'s API token."""
        return self.site.client(self.tokens[username])

    def browser(self, username: str):
        """A test client signed in as ``username`` (a session; CSRF is off on this site)."""
        client = self.site.client()
        response = client.post("/login", data={"username": username,
                                               "password": USER_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    def leaks(self, body: str) -> list[str]:
        """The forbidden values found in ``body``."""
        return [value for value in self.forbidden if value in body]


def write_package(folder: Path) -> Path:
    for name, body in WEB_FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body).lstrip())
    return folder


def make_access_site(db: Database, folder: Path) -> AccessSite:
    # CSRF is off: the URL walk posts to every route as a signed-in user
    site = make_site(db, write_package(folder / "sales"), WTF_CSRF_ENABLED=False)
    runtime = site.runtime
    accounts = runtime.accounts
    actors, tokens = {}, {}
    for name, roles in ROLES.items():
        user = accounts.create_user(name, USER_PASSWORD, roles=roles, full_name=name.title())
        actors[name] = Actor(user["id"], name, roles=frozenset(roles))
        tokens[name] = accounts.create_token(user["id"], "tests")
    service = runtime.service
    system = Actor.system()
    emea = service.create("account", {"name": "Emea Co", "region": "EMEA"}, system)["id"]
    apac = service.create("account", {"name": "Apac Co", "region": "APAC"}, system)["id"]
    deals = {}
    for name, owner, amount, region, account in (
            ("d1", "rita", 50_000, "EMEA", emea), ("d2", "jim", 200_000, "APAC", apac),
            (SECRET_NAME, "boss", 10_000, "EMEA", apac), ("d4", "ron", 150_000, "EMEA", emea)):
        deals[name] = service.create("deal", {
            "name": name, "owner": actors[owner].user_id, "amount": amount, "region": region,
            "stage": "Open", "account": account, "discount": 5, "margin": MARGIN}, system)["id"]
    deals["d3"] = deals[SECRET_NAME]
    # a change of the margin, so history has one to leave out
    service.update("deal", deals["d1"], {"margin": MARGIN + 1}, system)
    service.update("deal", deals["d1"], {"margin": MARGIN}, system)
    note = service.create("note", {"body": NOTE_BODY}, system)["id"]
    forbidden = [SECRET_NAME, deals["d3"], NOTE_BODY, note]
    for number in {MARGIN, MARGIN + 1, MARGIN - 50_000, MARGIN - 150_000, MARGIN - 200_000,
                   2 * MARGIN}:  # the margins, the nets (negative), the accounts' totals
        forbidden += [str(number), f"{number:,}", str(Decimal(number).quantize(Decimal("0.01")))]
    return AccessSite(site, actors, tokens, deals, {"EMEA": emea, "APAC": apac}, note,
                      forbidden)
