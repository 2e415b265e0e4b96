"""The inbox in a real browser (Debian's chromium through Playwright, the UI tests' helpers):
approve in place without a page load, the row shows the outcome. Skips without chromium
(fails with CI=true)."""

from __future__ import annotations

import os

import pytest

from crm_site import PASSWORD, make_crm_site
from ui_support import chromium_path, launch, live_server

from metacrm.store import Database


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if chromium_path() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('browser')}/b.db")
    site = make_crm_site(db)
    with live_server(site.app) as base:
        yield site, base
    db.dispose()


def test_approve_in_place_from_the_inbox(served):
    from playwright.sync_api import expect, sync_playwright

    site, base = served
    opp = site.opportunity(discount="30", name="Browser deal")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_context(base_url=base).new_page()
        page.goto("/login")
        page.get_by_label("Username").fill("mia")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        page.get_by_role("button", name="mia").click()
        page.get_by_role("link", name="Approvals inbox").click()
        row = page.locator("tr.crm-approval-row", has_text="Browser deal")
        expect(row).to_be_visible()
        # rejecting needs a comment: the error appears in the row, the form stays
        row.get_by_role("button", name="Reject").click()
        expect(page.get_by_role("alert")).to_contain_text("A comment is required to reject")
        row = page.locator("tr.crm-approval-row").first
        row.get_by_label("Comment").fill("looks right")
        row.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("status")).to_contain_text("You approved it")
        assert page.url.endswith("/inbox")  # swapped in place, no navigation
        browser.close()
    record = site.api("ann").get(f"/api/v1/opportunity/{opp['id']}").json
    assert record["approval_status"] == "Approved"
