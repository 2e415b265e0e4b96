"""The pages in a real browser: sign-in, forms (lookups, validation errors, visible_when),
paging, the board, and a deploy showing up without a restart. Every wait is Playwright's
``expect`` polling the page; nothing sleeps."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from ui_support import live_server, sign_in
from web_helpers import make_site

from metacrm.meta import load_package
from metacrm.store import Database
from metacrm.store import deploy as deployment


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def test_sign_in_shows_the_shell(page):
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Opportunities")
    expect(page.get_by_role("button", name="ann")).to_be_visible()
    page.get_by_role("button", name="ann").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_wrong_password_is_refused(browser, live):
    site, base = live
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    context.close()


def test_create_account_then_opportunity_with_an_error_fixed(page):
    account = unique("Acme")
    page.goto("/app/account/new")
    page.get_by_label("Name").fill(account)
    page.get_by_label("Industry").select_option("Retail")
    page.get_by_label("Annual revenue").fill("250000")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#record-title")).to_have_text(account)

    # the related list's "new" pre-fills the account
    page.locator('[data-related="opportunity.account"]').get_by_role("link", name="New").click()
    expect(page.get_by_label("Account")).to_have_value(account)
    page.get_by_label("Amount").fill("-5")
    page.get_by_role("button", name="Create opportunity").click()
    # the server refuses: messages beside the fields, values kept
    expect(page.locator("#f-name-error")).to_have_text("Name is required")
    expect(page.locator("#f-amount-error")).to_contain_text("must be at least 0")
    expect(page.get_by_label("Amount")).to_have_value("-5")
    expect(page.get_by_label("Account")).to_have_value(account)
    page.get_by_label("Name").fill("Big deal")
    page.get_by_label("Amount").fill("1200")
    page.get_by_role("button", name="Create opportunity").click()
    expect(page.locator("#record-title")).to_have_text("Big deal")
    expect(page.get_by_role("main")).to_contain_text("1,200.00")
    expect(page.get_by_role("link", name=account)).to_be_visible()


def test_lookup_type_ahead(page, live):
    site, _ = live
    who = site.actor()
    name = unique("Typeahead")
    site.runtime.service.create("account", {"name": name}, who)
    page.goto("/app/opportunity/new")
    page.get_by_label("Name").fill("Found by name")
    page.get_by_label("Account").fill(name.split()[1])
    option = page.get_by_role("option", name=name)
    expect(option).to_be_visible()
    # keyboard: down to the suggestion, Enter picks it
    page.get_by_label("Account").press("ArrowDown")
    expect(option).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Account")).to_have_value(name)
    page.get_by_role("button", name="Create opportunity").click()
    expect(page.locator("#record-title")).to_have_text("Found by name")
    expect(page.get_by_role("link", name=name)).to_be_visible()


def test_visible_when_field_appears_when_the_stage_changes(page):
    page.goto("/app/opportunity/new")
    loss = page.get_by_label("Loss reason")
    expect(loss).to_be_hidden()
    page.get_by_label("Amount").fill("1000")
    page.get_by_label("Stage").select_option("Closed Lost")
    expect(loss).to_be_visible()
    expect(page.locator('[data-field="loss_reason"]')).to_have_class(re.compile("crm-required"))
    expect(page.locator('[data-output="expected_revenue"]')).to_have_text("100.00")
    page.get_by_label("Stage").select_option("Proposal")
    expect(loss).to_be_hidden()


def test_list_pages_through_more_records_than_one_page(page, live):
    site, _ = live
    who = site.actor()
    tag = uuid.uuid4().hex[:6]
    site.runtime.service.create_many("account", [{"name": f"Row {tag} {i:03d}"}
                                                 for i in range(75)], who)
    page.goto("/app/account?view=all_accounts")
    page.get_by_label("Field").first.select_option(label="Name")
    page.get_by_label("Value").first.fill(tag)
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.crm-list tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#list-count")).to_have_text("75 accounts")
    page.get_by_role("link", name="Next ›").click()
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text(f"Row {tag} 050")
    page.get_by_role("link", name="‹ Previous").click()
    expect(rows.first).to_contain_text(f"Row {tag} 000")
    # a column header sorts
    page.get_by_role("link", name="Name").click()
    expect(rows.first).to_contain_text(f"Row {tag} 074")


def drag(page, card, lane):
    """Drag ``card`` into ``lane`` with the mouse, in small steps as a person would."""
    lane.scroll_into_view_if_needed()
    card.scroll_into_view_if_needed()
    box, goal = card.bounding_box(), lane.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 8, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] - 12, steps=12)
    page.mouse.up()


def test_drag_a_card_on_the_board(page, live):
    site, _ = live
    who = site.actor()
    service = site.runtime.service
    account = service.create("account", {"name": unique("Board")}, who)
    deal = service.create("opportunity", {"name": unique("Drag me"), "account": account["id"],
                                          "stage": "Prospecting", "amount": 10}, who)
    page.goto(f"/app/opportunity/board/stage?view=all&f=account&o=eq&v={account['id']}")
    card = page.locator(f'[data-id="{deal["id"]}"]')
    target = page.locator('[data-lane="Proposal"]')
    drag(page, card, target)
    expect(target.locator(f'[data-id="{deal["id"]}"]')).to_be_visible()
    expect(card).to_have_attribute("data-version", "2")
    assert service.get("opportunity", deal["id"])["stage"] == "Proposal"
    # a refused move snaps back, with the reason shown
    won = page.locator('[data-lane="Closed Won"]')
    error = page.locator("#board-error")
    for attempt in range(3):
        # a synthetic drag now and then does not register with SortableJS (the page is still
        # settling after the first move): drag again; what is asserted is the refusal
        drag(page, card, won)
        try:
            expect(error).to_contain_text("A won opportunity needs a close date.", timeout=5000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    expect(target.locator(f'[data-id="{deal["id"]}"]')).to_be_visible()
    assert service.get("opportunity", deal["id"])["stage"] == "Proposal"
    # the keyboard way: the card's menu
    card.get_by_label(re.compile("Move .* to")).select_option("Negotiation")
    card.get_by_role("button", name="Move").click()
    expect(page.locator('[data-lane="Negotiation"]').locator(f'[data-id="{deal["id"]}"]')
           ).to_be_visible()
    assert service.get("opportunity", deal["id"])["stage"] == "Negotiation"


def test_phone_width_form_is_usable(browser, live):
    site, base = live
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=base)
    page = context.new_page()
    sign_in(page)
    for path in ("/", "/app/opportunity?view=all", "/app/opportunity/board/stage",
                 "/app/account/new"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways: {width}px"
    page.get_by_label("Name").fill(unique("Phone"))
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#record-title")).to_contain_text("Phone")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Opportunities")).to_be_visible()
    context.close()


def test_a_deployed_field_appears_without_a_restart(browser, tmp_path):
    package = tmp_path / "mini"
    (package / "objects").mkdir(parents=True)
    (package / "package.yaml").write_text("kind: package\nname: mini\nversion: 1.0.0\n")
    object_file = package / "objects" / "gadget.yaml"
    object_file.write_text("kind: object\nname: gadget\ntitle: label\nfields:\n"
                           "  label: {type: text, required: true}\n")
    db = Database.from_url(f"sqlite:///{tmp_path}/mini.db")
    site = make_site(db, package)
    with live_server(site.app) as base:
        context = browser.new_context(base_url=base)
        page = context.new_page()
        sign_in(page)
        page.goto("/app/gadget/new")
        expect(page.get_by_label("Label")).to_be_visible()
        expect(page.get_by_label("Colour")).to_have_count(0)
        object_file.write_text(object_file.read_text()
                               + "  colour: {type: picklist, options: [Red, Blue]}\n")
        deployment.apply(db, load_package(package), deployed_by="tests")
        page.reload()
        page.get_by_label("Label").fill("Widget")
        page.get_by_label("Colour").select_option("Blue")
        page.get_by_role("button", name="Create gadget").click()
        expect(page.locator("#record-title")).to_have_text("Widget")
        expect(page.get_by_role("main")).to_contain_text("Blue")
        context.close()
    db.dispose()


def test_global_search_suggests_records(page, live):
    site, _ = live
    who = site.actor()
    name = unique("Findable")
    account = site.runtime.service.create("account", {"name": name}, who)
    page.get_by_label("Search records").fill(name.split()[1])
    suggestion = page.locator("#global-search-results").get_by_role("link", name=name)
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page).to_have_url(re.compile(f"/app/account/{account['id']}$"))
    expect(page.locator("#record-title")).to_have_text(name)
