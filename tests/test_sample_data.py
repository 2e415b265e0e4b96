"""The standard CRM's sample data, loaded as scripts/run loads it (deploy, admin, data load
--as admin), exercises the package: a team, won-deal workflows, and two opportunities the
discount workflow submits for approval, which the team then decides (SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pg_support import create_schema, drop_schema, schema_url, unique_schema

from metacrm.automation.approvals import ENGINE, inbox, requests_for_record
from metacrm.cli import main
from metacrm.automation import plugin_manager
from metacrm.runtime import Runtimes
from metacrm.store import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/sample.db"
        return
    schema = unique_schema("sample")
    create_schema(schema)
    yield schema_url(schema)
    drop_schema(schema)


def _run(url, *args):
    result = CliRunner().invoke(main, ["--database", url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_sample_data_runs_the_discount_approval(url):
    _run(url, "deploy", "metadata/crm")
    _run(url, "user", "create", "admin", "--admin", "--password", "admin-password",
         "--email", "admin@example.com")
    loaded = _run(url, "data", "load", "metadata/crm", "--as", "admin")
    assert "loaded 4 user records" in loaded and "loaded 12 opportunity records" in loaded
    again = _run(url, "data", "load", "metadata/crm", "--as", "admin")
    assert "loaded" not in again                                 # nothing twice

    db = Database.from_url(url)
    try:
        runtime = Runtimes(db, plugins=plugin_manager()[0]).current()
        service, accounts = runtime.service, runtime.accounts
        team = {name: accounts.actor(accounts.find_user(name)["id"])
                for name in ("mia", "sam", "fay", "finn")}
        assert team["sam"] is not None and "sales_manager" in team["mia"].roles

        pending = service.query("opportunity", filter='approval_status == "Pending"',
                                fields=["name", "discount"], sort="discount").records
        assert [p["name"] for p in pending] == ["Umbrella lab software", "Stark loyalty platform"]
        assert len(inbox(service, team["mia"])) == 2
        assert inbox(service, team["fay"]) == []                  # finance comes second

        stark = pending[1]
        [request] = requests_for_record(service, "opportunity", stark["id"])
        ENGINE.decide(service, team["mia"], request["id"], "approve", comment="fine by me")
        assert service.get("opportunity", stark["id"])["approval_status"] == "Pending"
        for name in ("fay", "finn"):                              # a quorum of 2
            [waiting] = inbox(service, team[name])
            ENGINE.decide(service, team[name], waiting["request_id"], "approve")
        assert service.get("opportunity", stark["id"])["approval_status"] == "Approved"

        # the won opportunity's workflow made its follow-up task and stamped the account
        won = service.query("opportunity", filter='stage == "Closed Won"',
                            fields=["account.last_won_on"]).records
        assert won and all(w["account.last_won_on"] is not None for w in won)
        tasks = service.query("task", filter='left(subject, 8) == "Kick-off"').records
        assert len(tasks) == len(won)
    finally:
        db.dispose()
