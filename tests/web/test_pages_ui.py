"""The end-user pages through the Flask test client, on SQLite and PostgreSQL: every page, the
error paths (bad input keeps values and shows messages, unknown objects and records, version
conflicts), the form-state endpoint, filters, paging, boards and search."""

from __future__ import annotations

import json
import re
from html import unescape
import uuid

import pytest

from web_helpers import ADMIN_PASSWORD, USER_PASSWORD, csrf_token, sign_in



@pytest.fixture()
def ann(site):
    client = site.client()
    assert sign_in(client, "ann", USER_PASSWORD).status_code == 302
    return client


@pytest.fixture()
def admin(site):
    """A client signed in as the admin (what the standard CRM's roles keep from ann: deleting
    accounts, creating cases)."""
    client = site.client()
    assert sign_in(client, "admin", ADMIN_PASSWORD).status_code == 302
    return client


@pytest.fixture()
def actor(site):
    return site.actor()


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def post_form(client, url, data):
    """Post ``data`` as the form at ``url`` would (with its CSRF token)."""
    page = client.get(url)
    assert page.status_code == 200, page.data[:500]
    return client.post(url, data={"csrf_token": csrf_token(page.data), **data})


def text(response) -> str:
    return response.get_data(as_text=True)


def write_package(folder, objects: dict[str, str], package_extra: str = ""):
    """A package ``mini`` in ``folder`` with the given objects (name -> fields YAML)."""
    package = folder / "mini"
    (package / "objects").mkdir(parents=True, exist_ok=True)
    (package / "package.yaml").write_text("kind: package\nname: mini\nversion: 1.0.0\n"
                                          + package_extra)
    for name, fields in objects.items():
        (package / "objects" / f"{name}.yaml").write_text(
            f"kind: object\nname: {name}\ntitle: {fields.split(':', 1)[0].strip()}\n"
            f"fields:\n{fields}")
    return package


def mini_site(tmp_path, objects: dict[str, str], package_extra: str = "", **config):
    """(site, signed-in client as ann, package folder) over a SQLite file."""
    from web_helpers import make_site
    from metacrm.store import Database
    package = write_package(tmp_path, objects, package_extra)
    site = make_site(Database.from_url(f"sqlite:///{tmp_path}/mini.db"), package, **config)
    client = site.client()
    sign_in(client, "ann", USER_PASSWORD)
    return site, client, package


def test_pages_need_sign_in(site):
    client = site.client()
    for url in ("/", "/app/account", "/app/account/new", "/search?q=x"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_home_lists_objects_and_shell(ann):
    html = text(ann.get("/"))
    for plural in ("Accounts", "Contacts", "Opportunities", "Tasks"):
        assert f">{plural}</a>" in html
    assert 'href="/app/user"' not in html  # users are not an app page
    assert "ann" in html and "Sign out" in html
    assert 'id="global-search"' in html


def test_create_account_through_the_form(site, ann):
    name = unique("Acme")
    response = post_form(ann, "/app/account/new", {
        "name": name, "industry": "Retail", "annual_revenue": "1200.5", "employees": "12"})
    assert response.status_code == 303
    record_url = response.headers["Location"]
    page = text(ann.get(record_url))
    assert name in page
    assert "1,200.50" in page
    assert "Retail" in page
    record_id = record_url.rsplit("/", 1)[1]
    stored = site.runtime.service.get("account", record_id)
    assert stored["annual_revenue"] == pytest.approx(1200.5)
    assert stored["owner"] == site.user_id


def test_invalid_input_keeps_values_and_shows_messages(site, ann):
    response = post_form(ann, "/app/account/new", {
        "name": "", "employees": "-3", "annual_revenue": "lots", "website": "acme.example"})
    assert response.status_code == 422
    html = text(response)
    assert 'id="f-name-error"' in html and "Name is required" in html
    assert "Employees must be at least 0" in html
    assert 'value="lots"' in html  # what the user typed is kept, bad or not
    assert 'value="acme.example"' in html
    assert 'aria-invalid="true"' in html
    assert "not saved" in html


def test_record_rule_message_shown_on_the_form(site, ann):
    response = post_form(ann, "/app/contact/new", {"last_name": "Nobody", "do_not_call": "false"})
    assert response.status_code == 422
    assert "Give a phone number, a mobile number or an email address." in text(response)
    assert 'value="Nobody"' in text(response)


def test_create_opportunity_with_lookup_prefilled_from_related_list(site, ann, actor):
    service = site.runtime.service
    account = service.create("account", {"name": unique("Globex")}, actor)
    record_page = text(ann.get(f"/app/account/{account['id']}"))
    link = f"/app/opportunity/new?account={account['id']}"
    assert link in record_page
    form = text(ann.get(link))
    assert f'name="account" value="{account["id"]}"' in form
    assert f'value="{account["name"]}"' in form  # the lookup shows the account's name
    response = post_form(ann, link, {"name": "Deal", "account": account["id"],
                                     "stage": "Proposal", "amount": "100", "probability": "25"})
    assert response.status_code == 303
    deal_id = response.headers["Location"].rsplit("/", 1)[1]
    assert service.get("opportunity", deal_id)["account"] == account["id"]
    # the account's page lists it, with the deal's name
    assert "Deal" in text(ann.get(f"/app/account/{account['id']}"))


def test_edit_and_version_conflict(site, ann, actor):
    service = site.runtime.service
    account = service.create("account", {"name": unique("Initech")}, actor)
    url = f"/app/account/{account['id']}/edit"
    page = ann.get(url)
    assert 'name="version" value="1"' in text(page)
    token = csrf_token(page.data)
    service.update("account", account["id"], {"phone": "+1 555 0100"}, actor)  # someone else
    response = ann.post(url, data={"csrf_token": token, "version": "1", "name": "Renamed",
                                   "phone": "+1 555 0100"})
    assert response.status_code == 409
    html = text(response)
    assert "changed while you were editing" in html
    assert "by ann" in html and "Reload it" in html
    assert 'value="Renamed"' in html  # the user's values are kept
    assert service.get("account", account["id"])["name"] == account["name"]
    response = ann.post(url, data={"csrf_token": token, "version": "2", "name": "Renamed"})
    assert response.status_code == 303
    assert service.get("account", account["id"])["name"] == "Renamed"


def test_unknown_object_and_record_are_404_pages(ann):
    for url in ("/app/nothing", "/app/nothing/new", "/app/account/0000/edit",
                "/app/account/0000", "/app/user", "/app/account/board/name",
                "/app/opportunity/board/nope"):
        response = ann.get(url)
        assert response.status_code == 404, url
        assert 'id="error-message"' in text(response)
    assert "no object type 'nothing'" in unescape(text(ann.get("/app/nothing")))


def test_form_state_endpoint_follows_visible_when(site, ann):
    page = ann.get("/app/opportunity/new")
    html = text(page)
    assert re.search(r'data-field="loss_reason"[^>]*hidden', html)
    token = csrf_token(page.data)

    def state(**values):
        response = ann.post("/app/opportunity/_state", data={"csrf_token": token, **values})
        assert response.status_code == 200
        return json.loads(response.headers["HX-Trigger"])["metacrm:formstate"]

    lost = state(stage="Closed Lost", amount="1000", probability="20")
    assert lost["fields"]["loss_reason"] == {"visible": True, "required": True,
                                             "read_only": False}
    assert "200.00" in lost["values"]["expected_revenue"]  # the formula, computed on the server
    assert any(lost["sections"].values())
    open_ = state(stage="Proposal")
    assert open_["fields"]["loss_reason"]["visible"] is False
    assert open_["fields"]["loss_reason"]["required"] is False
    assert open_["fields"]["name"]["required"] is True
    # a bad value of a field a rule reads leaves the rule unjudged, not an error page
    assert state(amount="many")["fields"]["name"]["required"] is True


def test_read_only_when_follows_the_record(site, ann):
    token = csrf_token(ann.get("/app/task/new").data)
    response = ann.post("/app/task/_state", data={"csrf_token": token, "status": "Open"})
    fields = json.loads(response.headers["HX-Trigger"])["metacrm:formstate"]["fields"]
    assert fields["completed_on"]["read_only"] is True
    response = ann.post("/app/task/_state", data={"csrf_token": token, "status": "Completed"})
    fields = json.loads(response.headers["HX-Trigger"])["metacrm:formstate"]["fields"]
    assert fields["completed_on"]["read_only"] is False


def test_required_when_error_shown_on_submit(site, ann, actor):
    account = site.runtime.service.create("account", {"name": unique("Lost Co")}, actor)
    response = post_form(ann, "/app/opportunity/new", {
        "name": "Lost deal", "account": account["id"], "stage": "Closed Lost"})
    assert response.status_code == 422
    html = text(response)
    assert 'id="f-loss_reason-error"' in html
    assert not re.search(r'data-field="loss_reason"[^>]*hidden', html)  # shown: it is wrong


def test_list_filter_sort_and_paging(site, ann, actor):
    service = site.runtime.service
    tag = uuid.uuid4().hex[:6]
    service.create_many("account", [{"name": f"Page {tag} {i:03d}", "employees": i}
                                    for i in range(120)], actor)
    base = f"/app/account?view=all_accounts&f=name&o=contains&v={tag}"
    first = text(ann.get(base))
    assert f"Page {tag} 000" in first and f"Page {tag} 049" in first
    assert f"Page {tag} 050" not in first
    next_url = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', first).group(1)
    second = text(ann.get(next_url.replace("&amp;", "&")))
    assert f"Page {tag} 050" in second and f"Page {tag} 000" not in second
    prev_url = re.search(r'<a class="page-link" rel="prev" href="([^"]+)"', second).group(1)
    assert f"Page {tag} 000" in text(ann.get(prev_url.replace("&amp;", "&")))
    third_url = re.search(r'rel="next" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    third = text(ann.get(third_url))
    assert f"Page {tag} 119" in third and 'rel="next" aria-disabled' in third
    back = re.search(r'rel="prev" href="([^"]+)"', third).group(1).replace("&amp;", "&")
    assert f"Page {tag} 050" in text(ann.get(back))
    count = text(ann.get(f"/app/account/_count?view=all_accounts&f=name&o=contains&v={tag}"))
    assert count == "120 accounts"
    # numbers compare as numbers; sorting by a header
    few = text(ann.get(base + "&f=employees&o=ge&v=117&sort=-employees"))
    assert few.index(f"Page {tag} 119") < few.index(f"Page {tag} 117")
    assert f"Page {tag} 116" not in few


def test_filter_values_are_quoted_and_bad_ones_reported(site, ann, actor):
    service = site.runtime.service
    service.create("account", {"name": 'Quote "me" \\ please'}, actor)
    html = unescape(text(ann.get('/app/account?f=name&o=contains&v="me" \\')))
    assert 'Quote "me" \\ please' in html
    html = text(ann.get("/app/account?f=employees&o=gt&v=twelve"))
    assert 'id="filter-error-1"' in html and "Employees" in html
    html = unescape(text(ann.get("/app/account?f=nope&o=eq&v=1")))
    assert "there is no field 'nope'" in html
    html = text(ann.get("/app/account?cursor=garbage"))
    assert 'id="list-problem"' in html  # a stale link says so and shows the first page


def test_date_filter(site, ann, actor):
    service = site.runtime.service
    account = service.create("account", {"name": unique("Dates")}, actor)
    service.create("opportunity", {"name": "Early", "account": account["id"],
                                   "close_date": "2020-01-15"}, actor)
    service.create("opportunity", {"name": "Late", "account": account["id"],
                                   "close_date": "2030-06-01"}, actor)
    html = text(ann.get(f"/app/opportunity?view=all&f=account&o=eq&v={account['id']}"
                        "&f=close_date&o=lt&v=2021-01-01"))
    assert "Early" in html and "Late" not in html


def test_lookup_columns_link_to_related_record(site, ann, actor):
    service = site.runtime.service
    account = service.create("account", {"name": unique("Linked")}, actor)
    service.create("opportunity", {"name": "Linked deal", "account": account["id"],
                                   "stage": "Proposal"}, actor)
    html = text(ann.get(f"/app/opportunity?view=all&f=account&o=eq&v={account['id']}"))
    assert f'href="/app/account/{account["id"]}">{account["name"]}</a>' in html
    assert 'class="badge crm-badge' in html and "Proposal" in html


def test_board_and_moves(site, ann, actor):
    service = site.runtime.service
    account = service.create("account", {"name": unique("Board")}, actor)
    deal = service.create("opportunity", {"name": unique("Card"), "account": account["id"]},
                          actor)
    page = ann.get("/app/opportunity/board/stage?view=all")
    html = text(page)
    assert deal["name"] in html and 'data-lane="Prospecting"' in html
    token = csrf_token(page.data)
    moved = ann.post(f"/app/opportunity/{deal['id']}/move", headers={"Accept": "application/json"},
                     data={"csrf_token": token, "field": "stage", "value": "Proposal",
                           "version": "1"})
    assert moved.status_code == 200 and moved.json["version"] == 2
    refused = ann.post(f"/app/opportunity/{deal['id']}/move",
                       headers={"Accept": "application/json"},
                       data={"csrf_token": token, "field": "stage", "value": "Closed Won",
                             "version": "2"})
    assert refused.status_code == 422
    assert "A won opportunity needs a close date." in refused.json["messages"]
    assert service.get("opportunity", deal["id"])["stage"] == "Proposal"
    stale = ann.post(f"/app/opportunity/{deal['id']}/move", headers={"Accept": "application/json"},
                     data={"csrf_token": token, "field": "stage", "value": "Negotiation",
                           "version": "1"})
    assert stale.status_code == 409
    # without JavaScript: the card's menu posts the same form and comes back to the board
    plain = ann.post(f"/app/opportunity/{deal['id']}/move",
                     data={"csrf_token": token, "field": "stage", "value": "Negotiation",
                           "version": "2", "next": "/app/opportunity/board/stage"})
    assert plain.status_code == 303
    assert service.get("opportunity", deal["id"])["stage"] == "Negotiation"
    assert ann.post(f"/app/opportunity/{deal['id']}/move",
                    data={"csrf_token": token, "field": "name", "value": "x"}).status_code == 404


def test_record_page_history_related_and_delete(site, ann, admin, actor):
    service = site.runtime.service
    account = service.create("account", {"name": unique("Hist")}, actor)
    service.update("account", account["id"], {"phone": "+44 20 7946 0000"}, actor)
    contact = service.create("contact", {"last_name": "Related", "account": account["id"],
                                         "email": f"{uuid.uuid4().hex[:6]}@example.com"}, actor)
    html = text(ann.get(f"/app/account/{account['id']}"))
    assert "created the record" in html and "Phone" in html
    assert f"/app/contact/{contact['id']}" in html
    assert "Contacts (Account)" in html
    confirm = admin.get(f"/app/account/{account['id']}/delete")
    assert "Delete account" in text(confirm) and "emptied" in text(confirm)
    response = admin.post(f"/app/account/{account['id']}/delete",
                          data={"csrf_token": csrf_token(confirm.data), "version": "2"})
    assert response.status_code == 303
    assert ann.get(f"/app/account/{account['id']}").status_code == 404
    assert service.get("contact", contact["id"])["account"] is None


def test_delete_refused_shows_why(site, admin, actor):
    service = site.runtime.service
    account = service.create("account", {"name": unique("Kept")}, actor)
    service.create("opportunity", {"name": "Blocks", "account": account["id"]}, actor)
    confirm = admin.get(f"/app/account/{account['id']}/delete")
    response = admin.post(f"/app/account/{account['id']}/delete",
                          data={"csrf_token": csrf_token(confirm.data), "version": "1"})
    assert response.status_code == 422
    assert "cannot be deleted" in text(response)
    assert service.get("account", account["id"])


def test_search_and_lookup_options(site, ann, actor):
    service = site.runtime.service
    name = unique("Searchable")
    account = service.create("account", {"name": name}, actor)
    contact = service.create("contact", {"first_name": "Zed", "last_name": name.split()[1],
                                         "email": f"{uuid.uuid4().hex[:6]}@example.com"}, actor)
    html = text(ann.get(f"/search?q={name.split()[1]}"))
    assert f"/app/account/{account['id']}" in html
    assert f"/app/contact/{contact['id']}" in html  # a formula title (full name) is searched
    partial = text(ann.get(f"/search?q={name.split()[1]}", headers={"HX-Request": "true"}))
    assert "<html" not in partial and name in partial
    options = text(ann.get(f"/app/account/_options?q={name.split()[1].upper()}&for=f-account"))
    assert f'data-id="{account["id"]}"' in options and 'role="option"' in options
    users = text(ann.get("/app/user/_options?q=ann"))
    assert "Ann Seller" in users
    assert "No match" in text(ann.get('/app/account/_options?q="no such"'))


def test_new_object_deployed_is_usable_at_once(tmp_path):
    """A package with an object and no layout or list view gets every page from defaults."""
    from metacrm.meta import load_package
    from metacrm.store import deploy as deployment
    gadget = ("  label: {type: text, required: true}\n"
              "  colour: {type: picklist, options: [Red, Blue]}\n")
    site, client, package = mini_site(tmp_path, {"gadget": gadget})
    assert client.get("/app/gadget").status_code == 200
    created = post_form(client, "/app/gadget/new", {"label": "Widget", "colour": "Red"})
    assert created.status_code == 303
    assert "Widget" in text(client.get(created.headers["Location"]))
    assert client.get("/app/gadget/board/colour").status_code == 200
    # deploy a new field: the running app shows it on the form, no restart
    write_package(tmp_path, {"gadget": gadget + "  weight: {type: decimal, scale: 3, "
                                           "label: Weight (kg)}\n"})
    deployment.apply(site.db, load_package(package), deployed_by="tests")
    form = text(client.get("/app/gadget/new"))
    assert "Weight (kg)" in form and 'step="0.001"' in form
    site.db.dispose()


def test_template_overrides_by_file_name_and_navigation_groups(tmp_path):
    """record-<object>.html wins over record.html (and list-, form-, board-…), from an
    override folder that holds only those files; a package's ``navigation`` groups the menu."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "record-gadget.html").write_text(
        '{% extends "record.html" %}{% block record_actions_extra %}'
        '<button id="approve">Submit for approval</button>{% endblock %}')
    (templates / "list-gadget.html").write_text(
        '{% extends "list.html" %}{% block content %}<p id="custom-list">Gadgets!</p>'
        '{{ super() }}{% endblock %}')
    site, client, _ = mini_site(
        tmp_path, {"gadget": "  label: {type: text}\n", "part": "  label: {type: text}\n"},
        "navigation:\n  - {label: Workshop, objects: [gadget]}\n", TEMPLATES_DIR=str(templates))
    gadget = site.runtime.service.create("gadget", {"label": "G1"}, site.actor())
    part = site.runtime.service.create("part", {"label": "P1"}, site.actor())
    assert 'id="approve"' in text(client.get(f"/app/gadget/{gadget['id']}"))
    assert 'id="approve"' not in text(client.get(f"/app/part/{part['id']}"))
    assert 'id="custom-list"' in text(client.get("/app/gadget"))
    assert 'id="custom-list"' not in text(client.get("/app/part"))
    home = text(client.get("/"))
    assert "Workshop" in home and home.index("Workshop") < home.index(">Parts<")
    site.db.dispose()


def test_an_override_extends_the_shipped_template_it_replaces(tmp_path):
    """An override folder's record.html replaces the shipped one for every object, and can
    still extend it as ``default:record.html``; record-<object>.html comes first, and extends
    the override."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "record.html").write_text(
        '{% extends "default:record.html" %}{% block record_sidebar_extra %}'
        '<aside id="house-notes">House notes</aside>{{ super() }}{% endblock %}')
    (templates / "record-part.html").write_text(
        '{% extends "record.html" %}{% block record_actions_extra %}'
        '<button id="reorder">Reorder</button>{% endblock %}')
    site, client, _ = mini_site(
        tmp_path, {"gadget": "  label: {type: text}\n", "part": "  label: {type: text}\n"},
        TEMPLATES_DIR=str(templates))
    who = site.actor()
    gadget = site.runtime.service.create("gadget", {"label": "G1"}, who)
    part = site.runtime.service.create("part", {"label": "P1"}, who)
    page = text(client.get(f"/app/gadget/{gadget['id']}"))
    assert 'id="house-notes"' in page and 'id="reorder"' not in page
    assert f'href="/app/gadget/{gadget["id"]}/edit"' in page  # the rest of the shipped page
    page = text(client.get(f"/app/part/{part['id']}"))
    assert 'id="house-notes"' in page and 'id="reorder"' in page
    assert "House notes" not in text(client.get("/app/gadget"))  # other pages: shipped ones
    site.db.dispose()


def test_list_partial_for_htmx(ann):
    """Filters, sorting and paging swap only the results (the page itself for a browser
    without JavaScript)."""
    partial = text(ann.get("/app/account?sort=-name", headers={"HX-Request": "true",
                                                               "HX-Target": "list-results"}))
    assert "<html" not in partial
    assert 'id="filter-bar"' in partial and "crm-list" in partial
    assert "<html" in text(ann.get("/app/account?sort=-name"))


def test_history_names_lookups_and_view_all_means_unfiltered(site, ann, actor):
    service = site.runtime.service
    first = service.create("account", {"name": unique("First")}, actor)
    second = service.create("account", {"name": unique("Second")}, actor)
    deal = service.create("opportunity", {"name": "Moves", "account": first["id"]}, actor)
    service.update("opportunity", deal["id"], {"account": second["id"],
                                              "stage": "Closed Won",
                                              "close_date": "2026-01-02"}, actor)
    html = text(ann.get(f"/app/opportunity/{deal['id']}"))
    history = html[html.index('id="history-title"'):]
    assert f">{first['name']}</a>" in history and f">{second['name']}</a>" in history
    # "view all" of a related list: no view filter, even though the first view has one
    listing = text(ann.get(f"/app/opportunity?view=all&f=account&o=eq&v={second['id']}"))
    assert "Moves" in listing  # a won deal: the open_pipeline view would hide it


def test_lookup_text_without_a_chosen_record_is_an_error(site, ann, actor):
    response = post_form(ann, "/app/opportunity/new", {
        "name": "Unlinked", "account": "", "account__text": "No such company", "stage": "Proposal"})
    assert response.status_code == 422
    html = unescape(text(response))
    assert "no record chosen for “No such company”" in html
    assert 'value="No such company"' in html  # what was typed stays
    assert 'value="Unlinked"' in html
    options = text(ann.get("/app/account/_options?account__text=zzz-nothing&for=f-account"))
    assert "No match for" in unescape(options)


def test_every_object_gets_its_pages(site, ann):
    catalog = site.runtime.catalog
    access = site.runtime.access(site.actor())
    for name, obj in catalog.objects.items():
        if name == "user" or (access is not None and not access.may(name, "read")):
            continue
        assert ann.get(f"/app/{name}").status_code == 200, name
        form = ann.get(f"/app/{name}/new")
        # (a 403 page when ann's roles do not let her create them)
        may_create = access is None or access.may(name, "create")
        assert form.status_code == (200 if may_create else 403), name
        for field in obj.fields.values():
            if getattr(field.type, "options", None) and field.type.ftype.value == "text":
                assert ann.get(f"/app/{name}/board/{field.name}").status_code == 200, field.name
        for view in catalog.views_for(name):
            assert ann.get(f"/app/{name}?view={view.name}").status_code == 200, view.name


def test_a_field_in_error_is_shown_even_when_hidden_by_its_rule(tmp_path):
    site, client, _ = mini_site(tmp_path, {"ticket": (
        "  subject: {type: text}\n"
        "  kind: {type: picklist, options: [A, B]}\n"
        "  reason: {type: text, required: true, visible_when: 'kind == \"B\"'}\n")})
    assert re.search(r'data-field="reason"[^>]*hidden', text(client.get("/app/ticket/new")))
    response = post_form(client, "/app/ticket/new", {"subject": "S", "kind": "A"})
    assert response.status_code == 422
    html = text(response)
    assert "Reason is required" in html
    assert not re.search(r'data-field="reason"[^>]*hidden', html)
    site.db.dispose()


def test_a_form_without_its_csrf_token_says_what_to_do(ann):
    response = ann.post("/app/account/new", data={"name": "No token"})
    assert response.status_code == 400
    assert "reload the page and send it again" in text(response)
