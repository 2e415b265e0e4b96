"""Accounts: users get and lose roles, a manager, the admin flag and the active flag without
being recreated; and every process stops trusting a token as soon as such a change is
committed (the sign-in generation read with the version number). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from metacrm.runtime import Actor, RecordInvalid, RecordNotFound, Runtimes, VersionConflict
from metacrm.store import versions


def admin_actor(site) -> Actor:
    return site.runtime.accounts.actor(site.admin_id)


def generation(site) -> int:
    with site.db.read() as conn:
        return versions.newest(conn)[1]


def test_roles_manager_name_and_flags_change_in_place(site, person):
    accounts = site.runtime.accounts
    bob, _ = person("bob", roles=["sales_rep"])
    carol, _ = person("carol")
    view = accounts.update_user(bob["username"], roles=["finance", "sales_rep"],
                                manager=carol["username"], full_name="Bob Builder",
                                email=f"{bob['username']}@example.com", admin=True,
                                actor=admin_actor(site))
    assert view == {"id": bob["id"], "username": bob["username"], "full_name": "Bob Builder",
                    "email": f"{bob['username']}@example.com",
                    "roles": ["finance", "sales_rep"], "manager": carol["username"],
                    "active": True, "admin": True, "version": 2}
    assert accounts.actor(bob["id"]).roles == {"finance", "sales_rep"}
    assert accounts.actor(bob["id"]).is_admin
    listed = {u["username"]: u for u in accounts.list_users()}
    assert listed[bob["username"]] == view
    assert [u["username"] for u in accounts.list_users()] == sorted(listed)
    changes = {e["field"]: e for e in site.runtime.service.history("user", bob["id"])
               if e["operation"] == "update"}
    assert changes["roles"]["actor_name"] == "admin" and changes["manager"]["new"] == carol["id"]
    # what is not given stays; None clears
    again = accounts.update_user(bob["id"], manager=None, full_name=None, roles=[],
                                 admin=False, actor=Actor.system())
    assert (again["manager"], again["full_name"], again["roles"], again["admin"]) == \
        (None, None, [], False)
    assert again["email"] == view["email"]


def test_an_unknown_role_is_refused_with_a_suggestion(site, person):
    accounts = site.runtime.accounts
    bob, _ = person("bob", roles=["sales_rep"])
    with pytest.raises(RecordInvalid) as refused:
        accounts.update_user(bob["username"], roles=["sales_rep", "financ"], active=False,
                             actor=Actor.system())
    assert refused.value.messages["roles"] == [
        "'financ' is not one of the options; did you mean 'finance'?"]
    assert accounts.user_view(bob["username"])["roles"] == ["sales_rep"]
    assert accounts.user_view(bob["username"])["active"] is True  # nothing written


def test_an_unknown_user_names_the_closest(site, person):
    accounts = site.runtime.accounts
    bob, _ = person("bob")
    with pytest.raises(RecordNotFound) as missing:
        accounts.update_user(bob["username"] + "x", active=False, actor=Actor.system())
    assert str(missing.value) == (f"no user '{bob['username']}x'; did you mean "
                                  f"'{bob['username']}'?")
    assert missing.value.to_dict()["error"] == "UnknownUser"


def test_managers_may_not_loop(site, person):
    accounts = site.runtime.accounts
    system = Actor.system()
    a, _ = person("a")
    b, _ = person("b")
    c, _ = person("c")
    accounts.update_user(a["username"], manager=b["username"], actor=system)
    accounts.update_user(b["username"], manager=c["id"], actor=system)  # an id works too
    with pytest.raises(RecordInvalid) as loop:
        accounts.update_user(c["username"], manager=a["username"], actor=system)
    names = [c["username"], a["username"], b["username"], c["username"]]
    assert loop.value.messages["manager"] == [
        "would make a loop of managers: " + " → ".join(names)]
    with pytest.raises(RecordInvalid) as own:
        accounts.update_user(a["username"], manager=a["username"], actor=system)
    assert own.value.messages["manager"] == ["a user cannot be their own manager"]
    with pytest.raises(RecordInvalid) as unknown:
        accounts.update_user(a["username"], manager=b["username"] + "x", actor=system)
    assert unknown.value.messages["manager"] == [
        f"no user '{b['username']}x'; did you mean '{b['username']}'?"]
    assert accounts.user_view(a["username"])["manager"] == b["username"]


def test_an_admin_cannot_lock_themselves_out(site):
    accounts = site.runtime.accounts
    me = admin_actor(site)
    for change, field in (({"active": False}, "active"), ({"admin": False}, "admin")):
        with pytest.raises(RecordInvalid) as refused:
            accounts.update_user("admin", actor=me, **change)
        assert field in refused.value.messages
    assert accounts.actor(site.admin_id).is_admin


def test_a_stale_version_is_a_conflict(site, person):
    accounts = site.runtime.accounts
    bob, _ = person("bob")
    accounts.update_user(bob["username"], full_name="First", actor=Actor.system())
    with pytest.raises(VersionConflict):
        accounts.update_user(bob["username"], full_name="Second", version=bob["version"],
                             actor=Actor.system())


def test_the_sign_in_generation_moves_with_what_changes_who_may_act(site, person):
    accounts, service = site.runtime.accounts, site.runtime.service
    bob, _ = person("bob")
    start = generation(site)
    service.update("user", bob["id"], {"full_name": "Any field"}, Actor.system())
    assert generation(site) == start + 1          # a write of the user table, any path
    service.update("user", bob["id"], {"full_name": "Any field"}, Actor.system())
    assert generation(site) == start + 1          # nothing changed: nothing written
    service.create("account", {"name": "Not a user"}, Actor.system())
    token = accounts.create_token(bob["id"])
    assert generation(site) == start + 1          # other objects, new tokens: no
    accounts.set_admin(bob["id"], True)
    assert generation(site) == start + 2
    accounts.set_password(bob["id"], "another-password-1")
    assert generation(site) == start + 3
    [row] = [t for t in accounts.list_tokens(bob["id"]) if t["name"] is None]
    assert accounts.revoke_token(row["id"])
    assert generation(site) == start + 4
    with pytest.raises(RecordInvalid):
        accounts.update_user(bob["id"], roles=["nope"], actor=Actor.system())
    assert generation(site) == start + 4          # a refused change raises nothing
    assert accounts.actor_for_token(token) is None


def test_another_process_sees_a_deactivation_on_its_next_request(site, person):
    """Two Runtimes on one database stand for two processes: what one changes, the other's
    token cache stops answering at its next current() (one statement per request)."""
    bob, token = person("bob", roles=["sales_rep"])
    here, there = Runtimes(site.db), Runtimes(site.db)
    accounts_here = here.current().accounts
    assert accounts_here.actor_for_token(token).username == bob["username"]
    there.current().accounts.update_user(bob["username"], active=False, actor=Actor.system())
    # the cache alone would still answer: the request's read of the generation is what stops it
    assert accounts_here.actor_for_token(token) is not None
    assert here.current().accounts is accounts_here
    assert accounts_here.actor_for_token(token) is None
    there.current().accounts.update_user(bob["username"], active=True,
                                         roles=["sales_manager"], actor=Actor.system())
    actor = here.current().accounts.actor_for_token(token)
    assert actor is not None and actor.roles == {"sales_manager"}   # reactivated, new roles
    [row] = there.current().accounts.list_tokens(bob["id"])
    there.current().accounts.revoke_token(row["id"])
    assert here.current().accounts.actor_for_token(token) is None
