"""Record access, table-driven per rule kind (owner, hierarchy, sharing, sharing rules,
view_all), object permissions and field access, on SQLite and PostgreSQL; and a property test:
the records the list query returns are exactly those the one-record check admits."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access_helpers import make_deals, people
from runtime_helpers import clean

from metacrm.formula import EvalContext
from metacrm.runtime import (AccessDenied, Actor, QueryInvalid, RecordNotFound, UnknownObject)
from metacrm.store import QueryPlan

SYSTEM = Actor.system()


@pytest.fixture
def world(service):
    """Two accounts, four deals (see the table of who sees what below)."""
    users = people(service)
    deals = make_deals(service, users)
    return users, deals


def names(service, actor, **query) -> list[str]:
    return sorted(r["name"] for r in service.query("deal", actor, limit=100, **query).records)


READS = {
    "rita": ["d1", "d2", "d4"],          # owner; jim is a junior (below rep); EMEA rule
    "ron": ["d1", "d2", "d4"],           # EMEA rule; hierarchy; owner
    "jim": ["d2"],                       # owner only (nothing below junior)
    "boss": ["d1", "d2", "d3", "d4"],    # owner; reps and juniors below (transitively)
    "fay": ["d2", "d4"],                 # the big_deals rule (amount > 100000)
    "al": ["d1", "d2", "d3", "d4"],      # view_all
}


@pytest.mark.parametrize("who", sorted(READS))
def test_who_reads_which_deals(world, service, who):
    users, _ = world
    assert names(service, users[who]) == READS[who]
    page = service.query("deal", users[who], count=True, limit=1)
    assert page.count == len(READS[who])                 # counts see what lists see
    assert names(service, SYSTEM) == ["d1", "d2", "d3", "d4"]


def test_get_of_a_record_one_may_not_see_is_not_found(world, service):
    users, deals = world
    assert service.get("deal", deals["d2"], users["fay"])["name"] == "d2"
    with pytest.raises(RecordNotFound):
        service.get("deal", deals["d1"], users["fay"])
    with pytest.raises(RecordNotFound):
        service.history("deal", deals["d1"], users["fay"])


def test_an_object_without_permission_does_not_exist(world, service):
    users, _ = world
    with pytest.raises(UnknownObject) as caught:
        service.query("deal", users["zoe"])
    assert caught.value.status == 404 and "did you mean" not in str(caught.value)
    with pytest.raises(UnknownObject):
        service.query("note", users["rita"])
    with pytest.raises(RecordNotFound):
        service.create("deal", {"name": "x"}, users["zoe"])
    # users' names are readable by every signed-in user, their roles are not
    [me] = service.query("user", users["zoe"], filter='username == "rita"').records
    assert set(me) == {"id", "username", "full_name", "active"}


def test_sharing_read_lets_everyone_who_may_read_see_every_account(world, service):
    users, _ = world
    assert len(service.query("account", users["fay"]).records) == 2


EDITS = [  # (who, deal, may edit)
    ("rita", "d1", True), ("rita", "d2", True), ("rita", "d4", True),
    ("ron", "d1", True),                   # the EMEA rule gives edit
    ("boss", "d3", True), ("boss", "d2", True),
    ("jim", "d2", True),
    ("fay", "d2", False),                  # reads big deals; may edit none
    ("al", "d1", False),                   # view_all reads, never edits
]


@pytest.mark.parametrize("who, deal, allowed", EDITS)
def test_who_may_change_which_deal(world, service, who, deal, allowed):
    users, deals = world
    if allowed:
        assert service.update("deal", deals[deal], {"amount": 77}, users[who])["amount"] == 77
    else:
        with pytest.raises(AccessDenied) as caught:
            service.update("deal", deals[deal], {"amount": 77}, users[who])
        assert caught.value.status == 403
        assert service.get("deal", deals[deal])["amount"] != 77


def test_no_edit_into_a_state_one_could_not_see(world, service):
    users, deals = world
    with pytest.raises(AccessDenied, match="no longer edit"):
        service.update("deal", deals["d1"], {"region": "APAC"}, users["ron"])  # leaves the rule
    assert service.get("deal", deals["d1"])["region"] == "EMEA"
    with pytest.raises(AccessDenied, match="no longer edit"):  # gives it away upwards
        service.create("deal", {"name": "up", "owner": users["boss"].user_id}, users["rita"])
    down = service.create("deal", {"name": "down", "owner": users["jim"].user_id}, users["rita"])
    assert down["owner"] == users["jim"].user_id                 # below her: she still edits it
    mine = service.update("deal", deals["d4"], {"region": "APAC"}, users["ron"])  # his own
    assert mine["region"] == "APAC"


def test_delete_needs_the_permission_and_the_record(world, service):
    users, deals = world
    with pytest.raises(AccessDenied):
        service.delete("deal", deals["d2"], users["jim"])        # juniors may not delete
    with pytest.raises(RecordNotFound):
        service.delete("deal", deals["d3"], users["rita"])       # she cannot see d3
    service.delete("deal", deals["d2"], users["rita"])
    assert names(service, SYSTEM) == ["d1", "d3", "d4"]


def test_field_access(world, service):
    users, deals = world
    rita = users["rita"]
    got = service.get("deal", deals["d1"], rita)
    assert "margin" not in got and "net" not in got              # none, and a formula on it
    assert got["discount"] == 5                                   # read
    for query in ({"filter": "margin > 100"}, {"sort": "-margin"}, {"fields": ["net"]},
                  {"filter": "net > 0"}):
        with pytest.raises(QueryInvalid, match="unknown field"):
            service.query("deal", rita, **query)
    with pytest.raises(AccessDenied) as caught:
        service.update("deal", deals["d1"], {"discount": 9}, rita)
    assert caught.value.messages == {"discount": ["you may not change this field"]}
    with pytest.raises(AccessDenied):
        service.create("deal", {"name": "m", "margin": 5}, rita)
    history = service.history("deal", deals["d1"], rita)
    assert history and all("margin" not in (h.get("new") or {}) for h in history)
    # the auditor sees margin but not discount
    assert "discount" not in service.get("deal", deals["d1"], users["al"])
    assert service.get("deal", deals["d1"], users["al"])["margin"] == 1000


def test_workflow_and_system_writes_are_not_limited(world, service):
    users, deals = world
    # a trusted write (what workflows and approval actions make) runs as the system
    service.update("deal", deals["d3"], {}, users["rita"], trusted={"amount": 1},
                   source="workflow")
    assert service.get("deal", deals["d3"])["amount"] == 1


# -- the list and the one-record check agree ------------------------------------------------

OWNERS = ["boss", "rita", "ron", "jim", "fay", "al", "zoe"]
deal_rows = st.lists(st.tuples(st.sampled_from(OWNERS), st.sampled_from([None, 5, 150_000]),
                               st.sampled_from([None, "EMEA", "APAC"]), st.booleans()),
                     min_size=1, max_size=8)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=deal_rows, who=st.sampled_from(["boss", "rita", "ron", "jim", "fay", "al"]))
def test_the_list_query_and_the_one_record_check_agree(service, rows, who):
    clean(service.db, service.tables["deal"].metadata)
    users = people(service)
    emea = service.create("account", {"name": "E", "region": "EMEA"}, SYSTEM)["id"]
    created = service.create_many("deal", [
        {"name": f"r{i}", "owner": users[owner].user_id, "amount": amount, "region": region,
         "account": emea if in_emea else None}
        for i, (owner, amount, region, in_emea) in enumerate(rows)], SYSTEM)
    actor = users[who]
    access = service.runtime.access(actor)
    env = service.environment(actor)
    with service.db.read() as conn:
        stored = {i: service.store.fetch_one(conn, "deal", i) for i in created}
        resolve = lambda obj, rid: service.store.fetch_one(conn, obj, rid)  # noqa: E731
        for action in ("read", "edit"):
            plan = QueryPlan(service.catalog, service.tables, service.db.dialect, "deal",
                             fields=["id"], access=access.predicate("deal", action))
            listed = {r["id"] for r in plan.page(conn, env, limit=100).records}
            admitted = {i for i, record in stored.items() if access.admits(
                "deal", action, record, EvalContext(resolve, None, False, env))}
            assert listed == admitted, action
    assert {r["id"] for r in service.query("deal", actor, fields=["id"], limit=100).records} \
        <= set(created)
