"""Access in a real browser (issue 12): a sales rep signed in sees on the board and in search
only their own and their team's deals (tests/access's package, ``web_access.py``: rita is a
rep, jim a junior reporting to reps; ron is another rep, the boss their manager)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from pg_support import drop_schema, postgres_database, unique_schema
from ui_support import live_server, sign_in
from web_access import make_access_site

from metacrm.runtime import Actor
from metacrm.store import Database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def access_live(request, tmp_path_factory, browser):
    """(the access site, base URL), served from a thread."""
    folder = tmp_path_factory.mktemp("access-package")
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('ui')}/access.db")
        schema = None
    else:
        schema = unique_schema("uiacc")
        db = postgres_database(schema)
    site = make_access_site(db, folder)
    with live_server(site.app) as base:
        yield site, base
    db.dispose()
    if schema:
        drop_schema(schema)


def test_a_rep_sees_only_their_and_their_teams_deals(browser, access_live):
    site, base = access_live
    word = "Harbor" + uuid.uuid4().hex[:4]
    service, system = site.runtime.service, Actor.system()
    # APAC deals on an APAC account: no sharing rule shares them with reps
    for owner in ("rita", "jim", "ron", "boss"):
        service.create("deal", {"name": f"{word} {owner}", "owner": site.actors[owner].user_id,
                                "region": "APAC", "stage": "Open", "amount": 1000,
                                "account": site.accounts["APAC"], "margin": 987654}, system)
    mine, team = f"{word} rita", f"{word} jim"
    hidden = [f"{word} ron", f"{word} boss"]       # a peer's, the manager's

    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    page = context.new_page()
    sign_in(page, "rita")
    page.goto(f"/app/deal/board/stage?f=name&o=contains&v={word}")
    lane = page.locator('[data-lane="Open"]')
    expect(lane.get_by_role("link", name=mine)).to_be_visible()
    expect(lane.get_by_role("link", name=team)).to_be_visible()
    expect(lane.locator(".crm-card")).to_have_count(2)
    for name in hidden:
        expect(page.get_by_text(name)).to_have_count(0)
    expect(page.get_by_role("main")).not_to_contain_text("987,654")   # the margin: hers to not see

    # search, as she types
    page.get_by_label("Search records").fill(word)
    results = page.locator("#global-search-results")
    expect(results.get_by_role("link", name=mine)).to_be_visible()
    expect(results.get_by_role("link", name=team)).to_be_visible()
    expect(results.get_by_role("link")).to_have_count(2)
    # and the search page
    page.goto(f"/search?q={word}")
    expect(page.get_by_role("main").get_by_role("link", name=mine)).to_be_visible()
    for name in hidden:
        expect(page.get_by_text(name)).to_have_count(0)
    # a hidden deal's page is the usual 404
    ron = service.query("deal", system, filter=f'name == "{word} ron"').records[0]["id"]
    response = page.goto(f"/app/deal/{ron}")
    assert response.status == 404
    expect(page.locator("#error-message")).to_contain_text("there is no deal")
    context.close()

    # the manager sees all four
    context = browser.new_context(base_url=base)
    page = context.new_page()
    sign_in(page, "boss")
    page.goto(f"/app/deal/board/stage?f=name&o=contains&v={word}")
    expect(page.locator('[data-lane="Open"]').locator(".crm-card")).to_have_count(4)
    context.close()
