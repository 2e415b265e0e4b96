"""The approval pages with Flask's test client (SQLite and PostgreSQL): the inbox, approving
and rejecting in place (htmx) and by form, the record page's panel and buttons."""

from __future__ import annotations

import re

from crm_site import PASSWORD


def signed_in(crm, username):
    client = crm.app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or \
        re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    client.post("/login", data={"username": username, "password": PASSWORD,
                                "csrf_token": token.group(1)})
    return client


def csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def pending_request(crm, discount="30"):
    opp = crm.opportunity(discount=discount)
    rid = crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}/approvals").json["requests"][0]["id"]
    return opp, rid


def test_inbox_lists_and_approves_in_place(crm):
    opp, rid = pending_request(crm)
    mia = signed_in(crm, "mia")
    page = mia.get("/inbox")
    assert page.status_code == 200
    assert f'id="approval-{rid}"' in page.text and "Big deal" in page.text
    done = mia.post(f"/approvals/{rid}/decide", data={"decision": "approve", "comment": "ok"},
                    headers={"HX-Request": "true", "X-CSRFToken": csrf(page.text)})
    assert done.status_code == 200
    assert "You approved it; the request is now approved." in done.text
    assert "<form" not in done.text  # the row shows the outcome instead of the buttons
    assert f'id="approval-{rid}"' not in mia.get("/inbox").text


def test_a_refused_decision_shows_the_error_in_the_row(crm):
    _opp, rid = pending_request(crm)
    mia = signed_in(crm, "mia")
    page = mia.get("/inbox")
    refused = mia.post(f"/approvals/{rid}/decide", data={"decision": "reject", "comment": ""},
                       headers={"HX-Request": "true", "X-CSRFToken": csrf(page.text)})
    assert "A comment is required to reject this request." in refused.text
    assert 'value="reject"' in refused.text  # the form is still there
    # without htmx: a redirect back with the message flashed
    back = mia.post(f"/approvals/{rid}/decide", data={"decision": "reject", "comment": "no",
                                                      "next": "/inbox",
                                                      "csrf_token": csrf(page.text)})
    assert back.status_code == 303 and back.headers["Location"].endswith("/inbox")
    assert "You rejected it; the request is now rejected." in mia.get("/inbox").text


def test_the_record_page_shows_decisions_and_offers_actions(crm):
    opp = crm.opportunity(discount="10")
    ann = signed_in(crm, "ann")
    url = f"/app/opportunity/{opp['id']}"
    page = ann.get(url)
    assert "Submit for approval" in page.text and "crm-approvals" not in page.text
    # submitting with the entry criteria false: the reason is flashed, nothing changes
    sent = ann.post(f"{url}/approvals", data={"process": "big_discount",
                                              "csrf_token": csrf(page.text)})
    assert sent.status_code == 303
    assert "does not meet the entry criteria" in ann.get(url).text
    crm.api("ann").patch(f"/api/v1/opportunity/{opp['id']}", json={"discount": "45"})
    page = ann.get(url)
    assert "crm-approvals" in page.text and "pending" in page.text
    assert "Recall" in page.text and "Submit for approval" not in page.text
    mia = signed_in(crm, "mia")
    panel = mia.get(url).text
    assert 'value="approve"' in panel and "(needed to reject)" in panel
    rid = re.search(r'data-request="([0-9a-f]+)"', panel).group(1)
    mia.post(f"/approvals/{rid}/decide", data={"decision": "approve", "comment": "good",
                                               "next": url, "csrf_token": csrf(panel)})
    shown = ann.get(url).text
    assert "mia: approved" in shown and "“good”" in shown
    recalled = ann.post(f"/approvals/{rid}/recall", data={"next": url,
                                                           "csrf_token": csrf(shown)})
    assert recalled.headers["Location"].endswith(url)
    assert "recalled" in ann.get(url).text


def test_the_inbox_needs_a_sign_in(crm):
    assert crm.app.test_client().get("/inbox").status_code in (302, 401)


def test_the_edit_form_is_refused_while_locked(crm):
    opp, rid = pending_request(crm)
    ann = signed_in(crm, "ann")
    url = f"/app/opportunity/{opp['id']}/edit"
    form = ann.get(url)
    refused = ann.post(url, data={"amount": "1", "csrf_token": csrf(form.text)})
    assert refused.status_code == 422
    assert f"locked while approval request {rid}" in refused.text
    assert crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}").json["amount"] == "200000.00"
