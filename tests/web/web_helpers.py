"""Helpers of the web tests (a unique module name: test folders are not packages)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from metacrm.meta import load_package
from metacrm.automation import plugin_manager
from metacrm.store import Database
from metacrm.store import deploy as deployment
from metacrm.web import create_app

TESTS = Path(__file__).resolve().parents[1]
CRM = TESTS.parent / "metadata" / "crm"

#: the passwords of the users every web test database has
ADMIN_PASSWORD = "admin-password-1"
USER_PASSWORD = "user-password-1"


@dataclass
class Site:
    """A deployed database, an app over it, and two users with tokens."""

    db: Database
    app: object
    admin_token: str
    user_token: str
    admin_id: str
    user_id: str

    @property
    def state(self):
        return self.app.extensions["metacrm"]

    @property
    def runtime(self):
        return self.state.runtime()

    def client(self, token: str | None = None):
        """A test client; with ``token`` every request carries it as a Bearer token."""
        client = self.app.test_client()
        if token is not None:
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    def admin(self):
        return self.client(self.admin_token)

    def actor(self, user_id: str | None = None):
        """The Actor of a user as a request would have it (with their roles; ann by
        default): records made for a test must be made by someone allowed to."""
        return self.runtime.accounts.actor(user_id or self.user_id)

    def user(self):
        return self.client(self.user_token)


def make_site(db: Database, package: Path = CRM, **config) -> Site:
    """Deploy ``package`` to ``db`` and make an app with an admin ``admin`` and a user ``ann``
    (role ``sales_rep`` when the package has it)."""
    deployment.apply(db, load_package(package), deployed_by="tests")
    # no broker: outbox rows stay in the table (the automation tests deliver them)
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "SECRET_KEY": "tests",
                      **config}, db=db, plugins=plugin_manager()[0])
    runtime = app.extensions["metacrm"].runtime()
    accounts = runtime.accounts
    roles = [r for r in ("sales_rep",) if r in runtime.catalog.roles]
    admin = accounts.create_user("admin", ADMIN_PASSWORD, admin=True, full_name="Ada Admin",
                                 email="admin@example.com")
    user = accounts.create_user("ann", USER_PASSWORD, roles=roles, full_name="Ann Seller",
                                email="ann@example.com")
    return Site(db=db, app=app, admin_token=accounts.create_token(admin["id"], "tests"),
                user_token=accounts.create_token(user["id"], "tests"),
                admin_id=admin["id"], user_id=user["id"])


def csrf_token(html: bytes | str) -> str:
    """The CSRF token of a rendered page (its <meta name="csrf-token"> or a form's field)."""
    import re
    text = html.decode() if isinstance(html, bytes) else html
    match = (re.search(r'name="csrf-token" content="([^"]+)"', text)
             or re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text)
             or re.search(r'name="csrf_token" value="([^"]+)"', text))
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, username: str, password: str):
    """Sign in through the login form; returns the response of the POST."""
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(page.data)})
