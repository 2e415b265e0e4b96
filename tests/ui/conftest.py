"""Browser tests: Playwright driving Debian's chromium against a real server thread over a
real database (a SQLite file, and a PostgreSQL schema when a server is reachable).

Without chromium the tests skip, except with CI=true, where a missing browser fails them
(scripts/test installs it). Playwright never downloads a browser of its own here.
"""

from __future__ import annotations

import os

import pytest

from pg_support import drop_schema, postgres_database, unique_schema
from ui_support import chromium_path, launch, live_server, sign_in
from web_helpers import make_site

from metacrm.store import Database  # noqa: E402


def _need_browser():
    if chromium_path() is None:
        message = "chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


#: how long expect() polls: generous, because CI machines are shared (nothing sleeps: a
#: passing check returns as soon as the page is right)
EXPECT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    _need_browser()
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request, tmp_path_factory):
    """(site, base URL): the standard CRM served from a thread."""
    _need_browser()
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('ui')}/ui.db")
        cleanup = None
    else:
        schema = unique_schema("ui")
        db = postgres_database(schema)
        cleanup = schema
    site = make_site(db)
    with live_server(site.app) as base:
        yield site, base
    db.dispose()
    if cleanup:
        drop_schema(cleanup)


@pytest.fixture()
def page(browser, live):
    """A signed-in page (user ann), 1280 px wide."""
    site, base = live
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    page = context.new_page()
    sign_in(page)
    yield page
    context.close()
