"""The standard CRM deployed with a sales team, an app over it, and API clients per user:
what the API, page and CRM-process tests share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from metacrm.meta import load_package
from metacrm.automation import plugin_manager
from metacrm.runtime import Actor
from metacrm.store import Database
from metacrm.store import deploy as deployment
from metacrm.web import create_app

CRM = Path(__file__).resolve().parents[2] / "metadata" / "crm"
PASSWORD = "team-password-1"
#: username, roles, manager, admin
TEAM = [("root", [], None, True), ("mia", ["sales_manager"], None, False),
        ("ann", ["sales_rep"], "mia", False), ("bob", ["sales_rep"], "mia", False),
        ("fin", ["finance"], None, False), ("fay", ["finance"], None, False),
        ("fox", ["finance"], None, False)]


@dataclass
class CrmSite:
    db: Database
    app: object
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def runtime(self):
        return self.app.extensions["metacrm"].runtime()

    def api(self, username: str):
        client = self.app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens[username]}"
        return client

    def opportunity(self, username: str = "ann", **values) -> dict:
        client = self.api(username)
        account = client.post("/api/v1/account", json={"name": f"Acct {len(self.ids)}"}).json
        body = {"name": "Big deal", "account": account["id"], "amount": "200000",
                "discount": "10", **values}
        made = client.post("/api/v1/opportunity", json=body)
        assert made.status_code == 201, made.json
        return made.json


def make_crm_site(db: Database) -> CrmSite:
    deployment.apply(db, load_package(CRM), deployed_by="tests")
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "SECRET_KEY": "tests"},
                     db=db, plugins=plugin_manager()[0])
    site = CrmSite(db, app)
    accounts = site.runtime.accounts
    for username, roles, manager, admin in TEAM:
        user = accounts.create_user(username, PASSWORD, admin=admin, roles=roles,
                                    email=f"{username}@example.com")
        site.ids[username] = user["id"]
        if manager:
            site.runtime.service.update("user", user["id"], {"manager": site.ids[manager]},
                                        Actor.system())
        site.tokens[username] = accounts.create_token(user["id"], "tests")
    return site
