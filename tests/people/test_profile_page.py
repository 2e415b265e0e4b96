"""/profile through the test client: any signed-in user changes their name and email and
their password (the current one required; other sessions end) and makes and revokes their
own API tokens. SQLite and PostgreSQL."""

from __future__ import annotations

import re

from web_helpers import csrf_token, sign_in

PASSWORD = "person-password-1"  # the password of conftest.py's ``person``


def _signed_in(site, user):
    client = site.client()
    assert sign_in(client, user["username"], PASSWORD).status_code == 302
    return client


def _errors(response) -> list[str]:
    return re.findall(r'class="invalid-feedback[^"]*" id="profile-([\w]+)-error">([^<]*)<',
                      response.get_data(as_text=True))


def test_the_page_needs_a_session_and_is_linked_from_the_menu(site, person):
    assert site.client().get("/profile").status_code == 302
    bob, _ = person("bob", roles=["sales_rep"], full_name="Bob B")
    client = _signed_in(site, bob)
    assert 'href="/profile"' in client.get("/").get_data(as_text=True)
    page = client.get("/profile")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f"Signed in as <strong>{bob['username']}</strong>" in html
    assert "Sales representative" in html and 'value="Bob B"' in html
    assert 'id="no-tokens"' not in html  # the fixture's token is listed


def test_name_and_email_are_saved_or_refused_beside_the_field(site, person):
    bob, _ = person("bob")
    client = _signed_in(site, bob)
    token = csrf_token(client.get("/profile").data)
    bad = client.post("/profile", data={"csrf_token": token, "full_name": "Bob New",
                                        "email": "not-an-email"})
    assert bad.status_code == 422
    assert _errors(bad) == [("email", "&#39;not-an-email&#39; is not a valid email address")]
    assert 'value="Bob New"' in bad.get_data(as_text=True)          # the input is kept
    taken = client.post("/profile", data={"csrf_token": token, "full_name": "",
                                          "email": "admin@example.com"})
    assert _errors(taken) == [
        ("email", "&#39;admin@example.com&#39; is already used by another user")]
    done = client.post("/profile", data={"csrf_token": token, "full_name": "Bob New",
                                         "email": f"{bob['username']}@example.com"})
    assert done.status_code == 303 and done.headers["Location"] == "/profile"
    view = site.runtime.accounts.user_view(bob["id"])
    assert (view["full_name"], view["email"]) == ("Bob New", f"{bob['username']}@example.com")
    [change] = [e for e in site.runtime.service.history("user", bob["id"])
                if e["field"] == "full_name"]
    assert change["actor_name"] == bob["username"]                 # made by the user
    assert "Your name and email were saved." in client.get("/profile").get_data(as_text=True)
    refused = site.client().post("/profile", data={"full_name": "x"})
    assert refused.status_code in (302, 400)                       # no session, no CSRF token


def test_a_new_password_needs_the_current_one_and_ends_other_sessions(site, person):
    bob, _ = person("bob")
    client, elsewhere = _signed_in(site, bob), _signed_in(site, bob)
    token = csrf_token(client.get("/profile").data)

    def change(current, new, confirm=None):
        return client.post("/profile/password", data={
            "csrf_token": token, "current_password": current, "new_password": new,
            "confirm": new if confirm is None else confirm})

    wrong = change("not-my-password", "brand-new-pass-1")
    assert wrong.status_code == 422
    assert _errors(wrong) == [("current_password", "Is not your current password")]
    assert _errors(change(PASSWORD, "short")) == [
        ("new_password", "Must be at least 8 characters")]
    assert _errors(change(PASSWORD, "brand-new-pass-1", "brand-new-pass-2")) == [
        ("confirm", "Does not match the new password.")]
    assert elsewhere.get("/profile").status_code == 200            # nothing changed yet
    assert change(PASSWORD, "brand-new-pass-1").status_code == 303
    assert client.get("/profile").status_code == 200               # this session stays
    assert elsewhere.get("/profile").status_code == 302            # the other one ended
    assert site.runtime.accounts.authenticate(bob["username"], "brand-new-pass-1")
    assert site.runtime.accounts.authenticate(bob["username"], PASSWORD) is None


def test_tokens_are_shown_once_and_revoked_by_their_owner_only(site, person):
    bob, bobs_token = person("bob")
    carol, carols_token = person("carol")
    client = _signed_in(site, bob)
    token = csrf_token(client.get("/profile").data)
    made = client.post("/profile/tokens", data={"csrf_token": token, "name": "laptop"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    new = re.search(r'id="new-token-value" readonly value="(mcrm_[^"]+)"',
                    made.get_data(as_text=True)).group(1)
    assert site.client(new).get("/api/v1/objects").status_code == 200
    assert new not in client.get("/profile").get_data(as_text=True)   # shown that once
    [laptop] = [t for t in site.runtime.accounts.list_tokens(bob["id"]) if t["name"] == "laptop"]
    [carols] = site.runtime.accounts.list_tokens(carol["id"])
    other = client.post(f"/profile/tokens/{carols['id']}/revoke", data={"csrf_token": token})
    assert other.status_code == 303
    assert site.client(carols_token).get("/api/v1/objects").status_code == 200  # not hers
    revoked = client.post(f"/profile/tokens/{laptop['id']}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    assert site.client(new).get("/api/v1/objects").status_code == 401
    assert site.client(bobs_token).get("/api/v1/objects").status_code == 200
    html = client.get("/profile").get_data(as_text=True)
    assert "The token was revoked: it no longer works." in html and "revoked " in html
