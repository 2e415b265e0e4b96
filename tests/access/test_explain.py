"""Explain (issue 12, item 5) on the access tests' package: ``metacrm access explain USER
OBJECT ID``, ``metacrm access check USER`` and ``GET /api/v1/{object}/{id}/access?user=NAME``
(through the web tests' app), SQLite and PostgreSQL. The answers name the rule that decides,
the CLI's JSON and the API's are the same, and ``read`` is exactly "the user's list has it"."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from access_helpers import make_deals, package_files, people
from pg_support import drop_schema, postgres_database, schema_url, unique_schema
from web_helpers import make_site

from metacrm.cli import main
from metacrm.meta import load_files
from metacrm.runtime import Actor
from metacrm.store import Database
from metacrm.store import deploy as deployment

SYSTEM = Actor.system()
USERS = ["boss", "rita", "ron", "jim", "fay", "al", "zoe", "ivy", "admin"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """The package deployed, an app over it (admin; ann without roles), the access tests'
    people, ivy (a rep, inactive) and four deals:

    d1 rita 50,000 EMEA on an EMEA account; d2 jim 200,000 APAC (APAC account);
    d3 boss 10,000 EMEA on the APAC account; d4 ron 150,000 EMEA on the EMEA account.
    Returns (site, CLI URL, deal ids by name)."""
    folder = tmp_path_factory.mktemp("explain-package") / "sales"
    for name, body in package_files()["sales"].items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body)
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("explain") / "explain.db"
        db, url, schema = Database.from_url(f"sqlite:///{path}"), f"sqlite:///{path}", None
    else:
        schema = unique_schema("expl")
        db, url = postgres_database(schema), schema_url(schema)
    site = make_site(db, folder)
    service = site.runtime.service
    users = people(service)
    ivy = service.runtime.accounts.create_user("ivy", roles=["rep"])
    service.update("user", ivy["id"], {"active": False}, SYSTEM)
    deals = make_deals(service, users)
    yield site, url, deals
    db.dispose()
    if schema:
        drop_schema(schema)


def cli(url, *args):
    result = CliRunner().invoke(main, ["--database", url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def explain(url, user, record_id, object_name="deal") -> dict:
    return json.loads(cli(url, "access", "explain", user, object_name, record_id, "--json"))


def test_explain_names_the_rule_that_decides(world):
    site, url, deals = world
    out = cli(url, "access", "explain", "rita", "deal", deals["d2"])
    assert out.splitlines()[0] == f"rita on deal {deals['d2']} (d2): read yes, edit yes, delete yes"
    assert "  + read: its owner holds role junior, below yours (junior → rep) holds" in out
    assert "  - read: you own it does not hold" in out
    assert "hidden fields: margin, net" in out          # net = amount - margin: hidden too
    assert "read-only fields: discount" in out

    fay = explain(url, "fay", deals["d2"])
    assert (fay["read"], fay["edit"], fay["delete"]) == (True, False, False)
    assert "read: sharing rule big_deals (amount > 100000) holds" in fay["because"]
    assert "edit: none of your roles grants edit on deal" in fay["not_because"]

    rita = explain(url, "rita", deals["d3"])             # boss's, on the APAC account
    assert not (rita["read"] or rita["edit"] or rita["delete"])
    assert ('read: sharing rule emea_team (region == "EMEA" and account.region == "EMEA") '
            "does not hold") in rita["not_because"]
    assert ron_edits_by_rule(url, deals)

    boss = explain(url, "boss", deals["d2"])             # jim: junior → rep → manager
    assert "read: its owner holds role junior, below yours (junior → rep → manager) holds" \
        in boss["because"]

    al = explain(url, "al", deals["d3"])
    assert (al["read"], al["edit"]) == (True, False)
    assert "read: view_all/modify_all on deal skips record access" in al["because"]
    assert al["hidden_fields"] == ["discount"] and al["read_only_fields"] == []

    zoe = explain(url, "zoe", deals["d1"])
    assert not zoe["read"] and zoe["because"] == []
    assert zoe["not_because"] == ["none of the roles (no role) grants anything on deal"]


def ron_edits_by_rule(url, deals) -> bool:
    ron = explain(url, "ron", deals["d1"])               # rita's, EMEA on EMEA: the edit rule
    return ron["edit"] and ('edit: sharing rule emea_team (region == "EMEA" and '
                            'account.region == "EMEA") holds') in ron["because"]


def test_admins_inactive_users_and_errors(world):
    site, url, deals = world
    admin = explain(url, "admin", deals["d1"])
    assert admin["admin"] and admin["read"] and admin["edit"] and admin["delete"]
    assert admin["because"] == ["admin is an admin: admins may do everything with every record"]
    ivy = explain(url, "ivy", deals["d1"])
    assert not (ivy["active"] or ivy["read"] or ivy["edit"] or ivy["delete"])
    assert ivy["not_because"] == ["ivy is inactive: they cannot sign in"]

    def fails(*args):
        result = CliRunner().invoke(main, ["--database", url, "access", *args])
        assert result.exit_code == 1, result.output
        return result.output

    assert "did you mean 'rita'" in fails("explain", "ritta", "deal", deals["d1"])
    assert '"RecordNotFound"' in fails("explain", "rita", "deal", "no-such-id")
    assert "did you mean 'deal'" in fails("explain", "rita", "deals", deals["d1"])
    assert '"UnknownUser"' in fails("check", "nobody")


def test_the_api_answers_the_same_for_admins_only(world):
    site, url, deals = world
    client = site.admin()
    for record_id in deals.values():
        for user in USERS:
            response = client.get(f"/api/v1/deal/{record_id}/access?user={user}")
            assert response.status_code == 200, response.get_data(as_text=True)
            assert response.get_json() == explain(url, user, record_id)
    d1 = deals["d1"]
    unknown = client.get(f"/api/v1/deal/{d1}/access?user=ritta")
    assert unknown.status_code == 404 and "did you mean 'rita'" in unknown.get_json()["detail"]
    assert client.get("/api/v1/deal/nope/access?user=rita").status_code == 404
    assert client.get(f"/api/v1/deals/{d1}/access?user=rita").status_code == 404
    missing = client.get(f"/api/v1/deal/{d1}/access")
    assert missing.status_code == 400 and "user" in missing.get_json()["errors"]
    assert site.user().get(f"/api/v1/deal/{d1}/access?user=rita").status_code == 403
    assert site.client().get(f"/api/v1/deal/{d1}/access?user=rita").status_code == 401


@pytest.mark.parametrize("username", ["boss", "rita", "ron", "jim", "fay", "al"])
def test_explain_agrees_with_the_list_query(world, username):
    site, url, deals = world
    runtime = site.runtime
    accounts = runtime.accounts
    actor = accounts.actor(accounts.find_user(username)["id"])
    listed = {r["id"] for r in runtime.service.query("deal", actor, limit=100).records}
    for record_id in deals.values():
        assert explain(url, username, record_id)["read"] == (record_id in listed)


def test_check_lists_object_and_field_rights(world):
    site, url, deals = world
    out = cli(url, "access", "check", "rita")
    assert out.splitlines()[0] == "rita (rep)"
    assert "deal: read, create, edit, delete" in out
    assert ("  records: reads and edits their own and those owned by users holding junior (below "
            "their role), and those of the sharing rule emea_team (sharing: private)") in out
    assert ('  read where: owner == current_user() or "junior" in owner.roles or '
            '(region == "EMEA" and account.region == "EMEA")') in out
    assert "  hidden fields: margin, net" in out and "  read-only fields: discount" in out
    assert out.splitlines()[-1] == "no access: note"

    fay = json.loads(cli(url, "access", "check", "fay", "--json"))
    assert fay["roles"] == ["finance"] and fay["no_access"] == ["note"]
    assert fay["objects"]["deal"]["allow"] == ["read"]
    assert fay["objects"]["deal"]["read"] == "owner == current_user() or (amount > 100000)"
    assert fay["objects"]["deal"]["edit"] is None and fay["objects"]["deal"]["fields"] == {}
    assert fay["objects"]["account"]["why"] == "reads every record (sharing: read)"

    al = json.loads(cli(url, "access", "check", "al", "--json"))
    assert al["objects"]["deal"]["allow"] == ["read", "view_all"]
    assert al["objects"]["deal"]["read"] is None
    assert al["objects"]["deal"]["fields"] == {"discount": "none"}

    zoe = json.loads(cli(url, "access", "check", "zoe", "--json"))
    assert list(zoe["objects"]) == ["user"] and zoe["no_access"] == ["account", "deal", "note"]
    assert "admins may do everything" in cli(url, "access", "check", "admin")
    assert "ivy is inactive" in cli(url, "access", "check", "ivy")


def test_an_open_package_says_so(tmp_path):
    files = {"open": {"package.yaml": "kind: package\nname: open\nversion: 1.0.0\n",
                      "objects/note.yaml": "kind: object\nname: note\ntitle: body\n"
                                           "fields:\n  body: {type: text}\n",
                      "roles/clerk.yaml": "kind: role\nname: clerk\n"}}
    url = f"sqlite:///{tmp_path}/open.db"
    db = Database.from_url(url)
    try:
        plan = deployment.plan(db, load_files(files))
        assert plan.notes == ("no role declares permissions: every signed-in user may do "
                              "everything",)
        deployment.apply(db, plan)
    finally:
        db.dispose()
    cli(url, "user", "create", "cleo", "--role", "clerk")
    note = json.loads(cli(url, "record", "create", "note", "--json", '{"body": "hi"}'))
    answer = explain(url, "cleo", note["id"], "note")
    assert answer["open"] and answer["read"] and answer["edit"] and answer["delete"]
    assert answer["because"] == ["the package is open (no role declares permissions): every "
                                 "signed-in user may do everything with every record"]
    assert "the package is open" in cli(url, "access", "check", "cleo")
