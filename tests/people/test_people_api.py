"""/api/v1/users, for admins: list, read, change and deactivate users; and a deactivation,
a role change and a revocation made through one app count on the very next request in
another app on the same database (another process's token cache). SQLite and PostgreSQL."""

from __future__ import annotations

from api_helpers import problem
from web_helpers import sign_in

from metacrm.automation import plugin_manager
from metacrm.web import create_app
from metacrm.web.auth import current_actor

PASSWORD = "person-password-1"  # the password of conftest.py's ``person``


def test_admins_list_and_read_users(site, person):
    bob, _ = person("bob", roles=["sales_rep"], full_name="Bob B")
    response = site.admin().get("/api/v1/users")
    assert response.status_code == 200
    users = {u["username"]: u for u in response.get_json()["users"]}
    assert users[bob["username"]] == {
        "id": bob["id"], "username": bob["username"], "full_name": "Bob B", "email": None,
        "roles": ["sales_rep"], "manager": None, "active": True, "admin": False, "version": 1}
    assert users["admin"]["admin"] is True
    one = site.admin().get(f"/api/v1/users/{bob['username']}")
    assert one.status_code == 200 and one.headers["ETag"] == '"1"'
    assert one.get_json() == users[bob["username"]]
    assert site.admin().get(f"/api/v1/users/{bob['id']}").get_json()["username"] == \
        bob["username"]


def test_others_may_not(site, person):
    bob, _ = person("bob")
    for method, path, body in (("get", "/api/v1/users", None),
                               ("get", f"/api/v1/users/{bob['username']}", None),
                               ("patch", f"/api/v1/users/{bob['username']}", {"roles": []}),
                               ("post", f"/api/v1/users/{bob['username']}/deactivate", None)):
        problem(getattr(site.user(), method)(path, json=body), 403)
        problem(getattr(site.client(), method)(path, json=body), 401)
    assert site.runtime.accounts.user_view(bob["id"])["active"] is True


def test_patch_changes_what_it_names(site, person):
    bob, _ = person("bob", roles=["sales_rep"])
    carol, _ = person("carol")
    response = site.admin().patch(f"/api/v1/users/{bob['username']}", json={
        "roles": ["sales_manager"], "manager": carol["username"], "admin": True,
        "full_name": "Bob Boss"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["roles"], body["manager"], body["admin"], body["full_name"], body["active"]) \
        == (["sales_manager"], carol["username"], True, "Bob Boss", True)
    assert response.headers["ETag"] == f'"{body["version"]}"'
    cleared = site.admin().patch(f"/api/v1/users/{bob['username']}",
                                 json={"manager": None, "email": None})
    assert cleared.get_json()["manager"] is None
    stale = site.admin().patch(f"/api/v1/users/{bob['username']}", json={"roles": []},
                               headers={"If-Match": '"1"'})
    problem(stale, 412)


def test_patch_errors_say_what_is_wrong(site, person):
    bob, _ = person("bob")
    path = f"/api/v1/users/{bob['username']}"
    body = problem(site.admin().patch(path, json={"roles": [], "colour": "red"}), 400)
    assert body["errors"] == {"colour": ["unknown key"]}
    body = problem(site.admin().patch(path, json={"active": "no", "roles": "finance"}), 422)
    assert body["errors"] == {"active": ["must be true or false"],
                              "roles": ["must be a list of role names"]}
    body = problem(site.admin().patch(path, json={"roles": ["financ"]}), 422)
    assert body["errors"]["roles"] == [
        "'financ' is not one of the options; did you mean 'finance'?"]
    body = problem(site.admin().patch(path, json={"manager": bob["username"]}), 422)
    assert body["errors"]["manager"] == ["a user cannot be their own manager"]
    body = problem(site.admin().patch(path + "x", json={"roles": []}), 404)
    assert body["detail"] == f"no user '{bob['username']}x'; did you mean '{bob['username']}'?"
    problem(site.admin().patch(path, data="roles=x", content_type="text/plain"), 415)
    problem(site.admin().patch(path, json=["roles"]), 400)
    body = problem(site.admin().post("/api/v1/users/admin/deactivate"), 422)
    assert body["errors"] == {"active": ["you cannot deactivate yourself"]}
    assert site.runtime.accounts.user_view(bob["id"])["version"] == 1   # nothing written


def test_the_document_describes_the_user_endpoints(site):
    spec = site.admin().get("/api/openapi.json").get_json()
    assert set(spec["paths"]["/api/v1/users/{username}"]) >= {"get", "patch"}
    assert "post" in spec["paths"]["/api/v1/users/{username}/deactivate"]
    change = spec["components"]["schemas"]["UserAccountChange"]["properties"]
    assert change["roles"]["items"]["enum"] == sorted(site.runtime.catalog.roles)


def _second_app(site):
    """Another web process on the same database: its own Runtimes, its own token cache."""
    return create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "SECRET_KEY": "tests"},
                      db=site.db, plugins=plugin_manager()[0])


def _actor_in(app, token):
    with app.test_request_context("/api/v1/objects",
                                  headers={"Authorization": f"Bearer {token}"}):
        return current_actor()


def test_deactivation_stops_tokens_and_sessions_at_once_in_every_process(site, person):
    dora, token = person("dora", roles=["sales_rep"])
    here = site.app                       # where dora works
    there = _second_app(site)             # where an admin deactivates her
    admin = there.test_client()
    admin.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {site.admin_token}"
    with_token = here.test_client()
    with_token.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    browser = here.test_client()
    assert sign_in(browser, dora["username"], PASSWORD).status_code == 302
    assert with_token.get("/api/v1/objects").status_code == 200   # the token is cached now
    assert browser.get("/profile").status_code == 200
    assert browser.get("/api/v1/objects").status_code == 200

    response = admin.post(f"/api/v1/users/{dora['username']}/deactivate")
    assert response.status_code == 200 and response.get_json()["active"] is False
    problem(with_token.get("/api/v1/objects"), 401)                 # the very next request
    assert browser.get("/profile").status_code == 302               # to the sign-in page
    problem(browser.get("/api/v1/objects"), 401)
    page = browser.get("/login")
    assert sign_in(browser, dora["username"], PASSWORD).status_code == 401
    assert page.status_code == 200

    assert admin.patch(f"/api/v1/users/{dora['username']}",
                       json={"active": True, "roles": ["finance"]}).status_code == 200
    assert with_token.get("/api/v1/objects").status_code == 200     # reactivated
    assert _actor_in(here, token).roles == {"finance"}              # the new roles, at once
    assert sign_in(browser, dora["username"], PASSWORD).status_code == 302

    [row] = site.runtime.accounts.list_tokens(dora["id"])
    with there.app_context():
        there.extensions["metacrm"].runtime().accounts.revoke_token(row["id"])
    problem(with_token.get("/api/v1/objects"), 401)                 # revoked elsewhere
