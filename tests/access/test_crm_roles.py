"""The standard CRM's roles (issue 12, item 8) with its sample data loaded as scripts/run
loads it: each sample user sees what the README says, on SQLite and PostgreSQL; explain says
why, through the command line and the API alike."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pg_support import drop_schema, postgres_database, schema_url, unique_schema
from web_helpers import CRM, make_site

from metacrm.cli import main
from metacrm.runtime import AccessDenied, Actor, QueryInvalid, RecordNotFound, UnknownObject
from metacrm.runtime import load_data
from metacrm.store import Database

SYSTEM = Actor.system()
SAM_OWNS = {"Acme annual renewal", "Acme Robotics pilot", "Initech seat expansion",
            "Initech facilities add-on", "Umbrella lab software", "Stark loyalty platform"}
ON_SAMS_ACCOUNTS = {"Umbrella clinics rollout", "Stark stores POS integration"}
ABOVE_100K = {"Acme annual renewal", "Globex trading desk", "Umbrella clinics rollout",
              "Stark loyalty platform"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crm(request, tmp_path_factory):
    """The CRM, an app (admin; ann the rep), the sample data, ravi (read_only), sue (support);
    (site, CLI URL, Actors by username)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("crm-roles") / "crm.db"
        db, url, schema = Database.from_url(f"sqlite:///{path}"), f"sqlite:///{path}", None
    else:
        schema = unique_schema("crmr")
        db, url = postgres_database(schema), schema_url(schema)
    site = make_site(db)
    runtime = site.runtime
    admin = runtime.accounts.actor(site.admin_id)
    load_data(runtime.service, CRM, admin)                   # as scripts/run: --as admin
    runtime.accounts.create_user("ravi", roles=["read_only"])
    runtime.accounts.create_user("sue", roles=["support"])
    accounts = runtime.accounts
    actors = {name: accounts.actor(accounts.find_user(name)["id"])
              for name in ("sam", "mia", "fay", "finn", "ravi", "sue")}
    yield site, url, actors
    db.dispose()
    if schema:
        drop_schema(schema)


def names(site, actor, object_name="opportunity", **query) -> set[str]:
    title = site.runtime.catalog.object(object_name).title
    return {r[title] for r in site.runtime.service.query(object_name, actor, limit=100,
                                                          **query).records}


def test_who_sees_which_opportunities(crm):
    site, url, people = crm
    every = names(site, SYSTEM)
    assert len(every) == 12
    assert names(site, people["sam"]) == SAM_OWNS | ON_SAMS_ACCOUNTS
    assert names(site, people["mia"]) == every
    assert names(site, people["fay"]) == names(site, people["finn"]) == ABOVE_100K
    assert names(site, people["ravi"]) == every
    with pytest.raises(UnknownObject):
        site.runtime.service.query("opportunity", people["sue"])


def test_who_edits_what(crm):
    site, url, people = crm
    service = site.runtime.service

    def deal(name):
        return service.query("opportunity", filter=f'name == "{name}"').records[0]["id"]

    service.update("opportunity", deal("Acme Robotics pilot"), {"next_step": "Call"},
                   people["sam"])                                     # his own
    with pytest.raises(AccessDenied):                                 # Mia's, on his account
        service.update("opportunity", deal("Umbrella clinics rollout"), {"next_step": "x"},
                       people["sam"])
    with pytest.raises(RecordNotFound):                               # Mia's: not his to see
        service.update("opportunity", deal("Globex trading desk"), {"next_step": "x"},
                       people["sam"])
    service.update("opportunity", deal("Acme Robotics pilot"), {"next_step": "Demo"},
                   people["mia"])                                     # a rep's: below her
    with pytest.raises(AccessDenied):
        service.update("opportunity", deal("Globex trading desk"), {"next_step": "x"},
                       people["fay"])                                 # finance edits none


def test_the_rest_of_the_crm(crm):
    site, url, people = crm
    sam, mia, fay, ravi, sue = (people[n] for n in ("sam", "mia", "fay", "ravi", "sue"))
    assert len(names(site, sam, "account")) == 8 == len(names(site, fay, "account"))
    assert len(names(site, sam, "contact")) == 10
    assert names(site, sam, "task") == {"Send the final renewal quote", "Book the robotics demo",
                                        "Kick-off with Initech"}   # the won-deal workflow's
    assert "Kick-off with Initech" in names(site, mia, "task")   # owned by the deal's owner
    for object_name in ("contact", "task", "case"):
        with pytest.raises(UnknownObject):
            site.runtime.service.query(object_name, fay)
    case = site.runtime.service.create("case", {"subject": "Printer on fire"}, sue)
    assert names(site, sam, "case") == {"Printer on fire"}           # reps read cases
    assert case["status"] == "New"
    # read_only reads everything but the discount, which cannot even be filtered on
    [record] = site.runtime.service.query("opportunity", ravi, limit=1).records
    assert "discount" not in record and "amount" in record
    with pytest.raises(QueryInvalid):
        site.runtime.service.query("opportunity", ravi, filter="discount > 20")


def test_explain_on_the_crm(crm):
    site, url, people = crm
    [pos] = site.runtime.service.query(
        "opportunity", filter='name == "Stark stores POS integration"').records

    def run(*args):
        result = CliRunner().invoke(main, ["--database", url, "access", *args])
        assert result.exit_code == 0, result.output
        return result.output

    out = run("explain", "sam", "opportunity", pos["id"])
    assert out.splitlines()[0].endswith("(Stark stores POS integration): read yes, edit no, "
                                        "delete no")
    assert "  + read: sharing rule account_owner_sees_deals (account.owner == current_user()) " \
           "holds" in out
    answer = json.loads(run("explain", "fay", "opportunity", pos["id"], "--json"))
    assert not answer["read"]
    assert "read: sharing rule finance_big_deals (amount > 100000) does not hold" \
        in answer["not_because"]
    assert site.admin().get(f"/api/v1/opportunity/{pos['id']}/access?user=fay"
                            ).get_json() == answer
    assert "no access: case, contact, task" in run("check", "fay")
