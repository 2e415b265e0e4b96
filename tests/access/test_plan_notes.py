"""Back-compatible access in deploy plans (issue 12, item 7): an open package says so in one
line; a change that narrows access says how many users lose read access to how many records
(counted with the old and the new predicate, only where they differ), on SQLite and
PostgreSQL. The store's read rule is the runtime's predicate (the two are kept equal here)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import event

from access_helpers import FILES, package_files, people
from pg_support import drop_schema, postgres_database, unique_schema
from web_helpers import CRM

from metacrm.meta import load_files, load_package
from metacrm.runtime import Actor, Runtime
from metacrm.store import Database
from metacrm.store import deploy as deployment

SYSTEM = Actor.system()


def _role_sets(catalog):
    names = sorted(catalog.roles) + ["nobody"]
    for size in range(0, 3):
        yield from (frozenset(c) for c in itertools.combinations(names, size))


@pytest.mark.parametrize("package", ["access", "crm"])
def test_the_plans_read_rule_is_the_runtimes_predicate(package):
    catalog = load_files(package_files()) if package == "access" else load_package(CRM)
    runtime = Runtime(Database.from_url("sqlite://"), catalog)
    for roles in _role_sets(catalog):
        access = runtime.access(Actor("u1", "u", roles=roles))
        for name in catalog.objects:
            rule = deployment._read_rule(catalog, roles, name)
            if not access.may(name, "read"):
                assert rule == deployment._NOTHING, (roles, name)
            else:
                assert rule == access.predicate(name, "read"), (roles, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path}/plan.db")
        yield db
        db.dispose()
        return
    schema = unique_schema("pln")
    db = postgres_database(schema)
    yield db
    db.dispose()
    drop_schema(schema)


def with_files(**changes) -> dict:
    files = dict(FILES)
    for name, body in changes.items():
        path = name.replace("__", "/") + ".yaml"
        if body is None:
            files.pop(path)
        else:
            files[path] = body
    return load_files(package_files(files))


OPEN_DEAL = FILES["objects/deal.yaml"].replace("sharing: private", "sharing: read")


def world(db, catalog):
    """Deploy ``catalog``; the access tests' people and four deals, one per owner:
    rita (rep) 50,000 EMEA, jim (junior) 200,000 APAC, boss 10,000 EMEA, ron (rep) 150,000."""
    applied = deployment.apply(db, catalog)
    service = Runtime(db, catalog, number=applied.version.number).service
    users = people(service)
    emea = service.create("account", {"name": "E", "region": "EMEA"}, SYSTEM)["id"]
    for name, owner, amount, region in (("d1", "rita", 50_000, "EMEA"),
                                        ("d2", "jim", 200_000, "APAC"),
                                        ("d3", "boss", 10_000, "EMEA"),
                                        ("d4", "ron", 150_000, "EMEA")):
        service.create("deal", {"name": name, "owner": users[owner].user_id, "amount": amount,
                                "region": region, "account": emea}, SYSTEM)
    service.runtime.accounts.create_user("root", admin=True)   # admins lose nothing
    return users


def test_making_an_object_private_counts_who_loses_which_records(db):
    """deal goes from read (everyone who may read deals reads them all) to private: rita and
    ron (reps) keep their own, jim's (below) and the EMEA rule's (d1, d3, d4); jim keeps his
    own and loses 3; fay (finance) keeps the big deals (d2, d4) and loses 2; al (view_all)
    and boss (d3 own, everything below) keep all; zoe (no role) never read deals."""
    world(db, with_files(objects__deal=OPEN_DEAL))
    plan = deployment.plan(db, with_files())
    assert plan.notes == (
        "access narrows: 2 of 7 users lose read access to records they could read before, "
        "5 in all, counted per user (deal: jim 3, fay 2)",)
    assert "  * access narrows: 2 of 7 users" in plan.describe()
    assert plan.to_json()["notes"] == list(plan.notes)


def test_counts_run_only_for_objects_whose_rules_change(db):
    world(db, with_files(objects__deal=OPEN_DEAL))
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        deployment.plan(db, with_files())
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    counts = [s for s in statements if "count(" in s.lower() and "from deal" in s.lower()]
    others = [s for s in statements if "count(" in s.lower() and (
        "from account" in s.lower() or "from note" in s.lower())]
    # one COUNT per user whose rule on deal changes (rita, ron, jim, fay, boss: it names
    # current_user()); none for al (view_all: unchanged), none on account or note
    assert len(counts) == 5 and not others


def test_removing_a_permission_counts_every_record_once_per_role(db):
    """finance loses deal: its records are counted once (no current_user() in COUNT(*))."""
    world(db, with_files())
    finance = FILES["roles/finance.yaml"].replace("deal: [read]\n", "")
    plan = deployment.plan(db, with_files(roles__finance=finance))
    assert plan.notes == ("access narrows: 1 of 7 users lose read access to records they could "
                          "read before, 2 in all, counted per user (deal: fay 2)",)


def test_widening_access_says_nothing(db):
    world(db, with_files())
    assert deployment.plan(db, with_files(objects__deal=OPEN_DEAL)).notes == ()


def test_too_many_counts_are_made_per_role_and_said(db, monkeypatch):
    world(db, with_files(objects__deal=OPEN_DEAL))
    monkeypatch.setattr(deployment, "ACCESS_COUNT_BUDGET", 2)
    [note] = deployment.plan(db, with_files()).notes
    assert "counted for one user of each set of roles and given to all of them" in note
    assert "more than 2 counts" in note


def test_a_rule_on_a_field_the_deploy_adds_is_not_counted(db):
    world(db, with_files(objects__deal=OPEN_DEAL))
    deal = FILES["objects/deal.yaml"].replace(
        "          account: {type: lookup, to: account}\n",
        "          account: {type: lookup, to: account}\n          shared: {type: boolean}\n")
    rule = ("kind: sharing_rule\nname: shared\nobject: deal\nwhen: 'shared'\n"
            "roles: [rep]\n")
    plan = deployment.plan(db, with_files(objects__deal=deal, sharing__shared=rule))
    assert "access changes on deal: not counted (the new rules read fields this deploy adds)" \
        in plan.notes
    # the roles whose rule reads only stored fields are still counted
    assert any(note.startswith("access narrows:") and "jim 3" in note for note in plan.notes)


def test_open_and_enforced_from_now_on(db):
    open_files = {name: body.split("        permissions:")[0] if name.startswith("roles/")
                  else body for name, body in FILES.items() if not name.startswith("sharing/")}
    open_catalog = load_files(package_files(open_files))
    assert deployment.plan(db, open_catalog).notes == (
        "no role declares permissions: every signed-in user may do everything",)
    world(db, open_catalog)
    # going from open to enforced: every non-admin loses what their roles do not give
    notes = deployment.plan(db, with_files()).notes
    assert notes[0] == "access is enforced from now on: 5 roles declare permissions"
    assert notes[1].startswith("access narrows: ")


def test_a_change_that_leaves_access_alone_reads_no_users(db):
    world(db, with_files())
    note = FILES["objects/note.yaml"].rstrip() + "\n          extra: {type: text}\n"
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        plan = deployment.plan(db, with_files(objects__note=note))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert not plan.empty and plan.notes == ()
    assert not [s for s in statements if "meta_credential" in s or "count(" in s.lower()]
