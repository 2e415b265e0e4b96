"""The profile page in a real browser at phone width: reached from the user menu, no
sideways scrolling, a token created (shown once) and revoked. Waiting is Playwright's
``expect``; nothing sleeps."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ui_support import sign_in


def test_profile_at_phone_width(browser, live):
    site, base = live
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=base)
    page = context.new_page()
    sign_in(page)
    page.get_by_role("button", name="Menu").click()
    open_user_menu(page)
    page.get_by_role("link", name="Your profile").click()
    expect(page).to_have_url(re.compile(r"/profile$"))
    expect(page.locator("#profile-summary")).to_contain_text("Signed in as ann")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_label("What it is for").fill("phone")
    page.get_by_role("button", name="Create a token").click()
    shown = page.get_by_label("New API token")
    expect(shown).to_have_value(re.compile(r"^mcrm_"))
    token = shown.input_value()
    assert site.client(token).get("/api/v1/objects").status_code == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_role("button", name="Revoke phone").click()
    expect(page.get_by_role("status")).to_contain_text("The token was revoked")
    expect(page.get_by_label("New API token")).to_have_count(0)
    assert site.client(token).get("/api/v1/objects").status_code == 401
    context.close()


def open_user_menu(page) -> None:
    """Open the user menu; a click that lands while the collapsed navigation is still opening
    (a loaded machine) does not open the dropdown, so it is clicked again until it shows."""
    for attempt in range(3):
        page.get_by_role("button", name="ann").click()
        try:
            expect(page.get_by_role("link", name="Your profile")).to_be_visible(timeout=5000)
            return
        except AssertionError:
            if attempt == 2:
                raise
