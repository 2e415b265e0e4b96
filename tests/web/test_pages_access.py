"""Access on the pages (issue 12), as the people of tests/access's package (``web_access.py``):
what the menu, home, search, lookups, lists, boards, record pages and forms show of objects,
records and fields one may not see; a save one may not make is shown on the form."""

from __future__ import annotations

import re
from html import unescape

from web_access import NOTE_BODY, SECRET_NAME


def text(response, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code,
                                            response.get_data(as_text=True)[:2000])
    return unescape(response.get_data(as_text=True))


def shows(page: str, name: str) -> bool:
    """Is a record named ``name`` on the page (a word, not a part of some id)?"""
    return re.search(rf"\b{re.escape(name)}\b", page) is not None


def clean(access_site, body: str) -> str:
    assert not access_site.leaks(body), access_site.leaks(body)
    return body


def test_navigation_and_home_show_readable_objects(access_site):
    rita = text(access_site.browser("rita").get("/"))
    assert "/app/deal" in rita and "/app/account" in rita and "/app/note" not in rita
    assert "Notes" not in rita
    zoe = text(access_site.browser("zoe").get("/"))
    assert "/app/deal" not in zoe and "/app/account" not in zoe and "/app/note" not in zoe
    admin = access_site.site.client()
    admin.post("/login", data={"username": "admin", "password": "admin-password-1"})
    assert "/app/note" in text(admin.get("/"))
    # fay reads deals and accounts but creates none: no "New" buttons
    fay = text(access_site.browser("fay").get("/"))
    assert "/app/deal" in fay and "/app/deal/new" not in fay and "/app/account/new" not in fay
    assert "/app/deal/new" in rita


def test_search_finds_only_what_one_may_see(access_site):
    rita = access_site.browser("rita")
    assert SECRET_NAME not in text(rita.get("/search?q=falcon"))
    assert "d1" in text(rita.get("/search?q=d1"))
    clean(access_site, text(rita.get("/search?q=zebra")))
    assert SECRET_NAME in text(access_site.browser("boss").get("/search?q=falcon"))
    # lookups' type-ahead
    assert "Emea Co" in text(rita.get("/app/account/_options?q=co"))
    assert SECRET_NAME not in text(rita.get("/app/deal/_options?q=falcon"))
    text(rita.get("/app/note/_options?q=zebra"), 404)
    assert "Rita" in text(rita.get("/app/user/_options?q=rit"))    # users' names: everyone


def test_list_shows_no_hidden_field_nor_view(access_site):
    rita = access_site.browser("rita")
    page = clean(access_site, text(rita.get("/app/deal")))
    assert "d1" in page and "d4" in page and SECRET_NAME not in page
    assert ">Margin<" not in page and ">Net<" not in page and "margin" not in page.lower()
    assert "Fat margins" not in page                 # a view filtering on what she may not see
    assert "no longer exist" not in page
    # asking for it anyway: the default view; a filter or sort on it: an unknown field
    assert "Fat margins" not in text(rita.get("/app/deal?view=fat_margins"))
    filtered = clean(access_site, text(rita.get("/app/deal?f=margin&o=gt&v=1")))
    assert "there is no field 'margin'" in filtered
    clean(access_site, text(rita.get("/app/deal?sort=-margin")))
    counted = text(rita.get("/app/deal/_count"))
    assert counted.strip() == "3 deals"
    admin = access_site.site.client()
    admin.post("/login", data={"username": "admin", "password": "admin-password-1"})
    everything = text(admin.get("/app/deal"))
    assert "Fat margins" in everything and "987,654" in everything


def test_board_shows_only_their_and_their_teams_deals(access_site):
    page = clean(access_site, text(access_site.browser("rita").get("/app/deal/board/stage")))
    assert all(name in page for name in ("d1", "d2", "d4")) and SECRET_NAME not in page
    jim = text(access_site.browser("jim").get("/app/deal/board/stage"))
    assert shows(jim, "d2") and not shows(jim, "d1") and not shows(jim, "d4")


def test_record_page_and_related_lists(access_site):
    rita = access_site.browser("rita")
    page = clean(access_site, text(rita.get(f"/app/deal/{access_site.deals['d1']}")))
    assert "Discount" in page and "Margin" not in page and "Net" not in page
    assert "Money" not in page                        # a section of hidden fields only
    assert "Edit" in page
    # the history leaves the margin's changes out
    assert "changed" not in page.split('id="history-title"')[1]
    account = clean(access_site, text(rita.get(f"/app/account/{access_site.accounts['APAC']}")))
    assert "d2" in account and SECRET_NAME not in account and "Margin total" not in account
    # jim (junior) reads his deal but not accounts: the account is an id, not a link
    jim = text(access_site.browser("jim").get(f"/app/deal/{access_site.deals['d2']}"))
    assert access_site.accounts["APAC"] in jim and "/app/account/" not in jim
    # fay reads d2 but edits nothing: no Edit, no Delete; the edit form is a 403 page
    fay = access_site.browser("fay")
    page = text(fay.get(f"/app/deal/{access_site.deals['d2']}"))
    assert f"/app/deal/{access_site.deals['d2']}/edit" not in page and "/delete" not in page
    assert "may not edit deals" in text(fay.get(f"/app/deal/{access_site.deals['d2']}/edit"), 403)
    assert "may not create deals" in text(fay.get("/app/deal/new"), 403)
    text(fay.get(f"/app/deal/{access_site.deals['d1']}"), 404)   # not a big deal: not hers


def test_forms_show_read_fields_read_only_and_refusals_on_the_form(access_site):
    rita = access_site.browser("rita")
    deal_id = access_site.deals["d4"]                # ron's: rita edits it by the EMEA rule
    form = clean(access_site, text(rita.get(f"/app/deal/{deal_id}/edit")))
    assert 'name="discount"' not in form and 'data-field="discount"' in form
    assert 'data-field="margin"' not in form and 'data-field="net"' not in form
    new = text(rita.get("/app/deal/new"))
    assert 'name="amount"' in new and 'name="discount"' not in new and "margin" not in new
    # moving it out of what she may see (APAC) is refused, on the form, with a 403
    refused = rita.post(f"/app/deal/{deal_id}/edit", data={
        "name": "d4", "region": "APAC", "version": str(_version(access_site, deal_id))})
    page = clean(access_site, text(refused, 403))
    assert 'id="form-errors"' in page and "not saved" in page
    assert access_site.runtime.service.get("deal", deal_id)["region"] == "EMEA"
    # a discount posted anyway is not read: the form never offered it
    saved = rita.post(f"/app/deal/{deal_id}/edit", data={
        "name": "d4", "discount": "90", "version": str(_version(access_site, deal_id))})
    assert saved.status_code == 303
    assert str(access_site.runtime.service.get("deal", deal_id)["discount"]) == "5.00"
    # the board's move, too
    moved = rita.post(f"/app/deal/{deal_id}/move", headers={"Accept": "application/json"},
                      data={"field": "region", "value": "APAC",
                            "version": str(_version(access_site, deal_id))})
    assert moved.status_code == 403 and moved.json["messages"] and not moved.json["ok"]


def test_a_note_does_not_exist_for_a_rep(access_site):
    rita = access_site.browser("rita")
    for url in ("/app/note", "/app/note/new", f"/app/note/{access_site.note}",
                "/app/note/_count"):
        page = text(rita.get(url), 404)
        assert NOTE_BODY not in page and not re.search(r"/app/note/new", page)


def _version(access_site, deal_id: str) -> int:
    return access_site.runtime.service.get("deal", deal_id)["version"]


def test_specs_are_built_once_per_set_of_roles(access_site):
    from metacrm.web.ui.specs import form_spec
    runtime = access_site.runtime
    rita, ron, al = (runtime.access(access_site.actors[n]) for n in ("rita", "ron", "al"))
    assert rita.key == ron.key
    assert form_spec(runtime, "deal", rita) is form_spec(runtime, "deal", ron)
    assert form_spec(runtime, "deal", rita) is not form_spec(runtime, "deal", al)
    full = form_spec(runtime, "deal")
    assert {"margin", "net"} <= set(full.all_fields) and full.all_fields["discount"].editable
    mine = form_spec(runtime, "deal", rita)
    assert not {"margin", "net"} & set(mine.all_fields)
    assert not mine.all_fields["discount"].editable
    assert [s.label for s in mine.sections] == ["Deal"]
