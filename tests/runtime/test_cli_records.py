"""``metacrm record …`` through CliRunner: JSON out; a failure exits 1 with the errors as JSON
on stderr. The deployed version is stubbed (the deploy half is tested on its own), except in
the last test, which deploys for real."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData

from runtime_helpers import CRM, RECORDS

from metacrm.cli import main
from metacrm.cli import records as record_commands
from metacrm.meta import load_package
from metacrm.runtime import Runtime
from metacrm.store import Database, build_tables, init_database


@pytest.fixture(scope="module")
def catalog():
    return load_package(RECORDS)


@pytest.fixture
def url(tmp_path, catalog, monkeypatch):
    url = f"sqlite:///{tmp_path}/cli.db"
    db = Database.from_url(url)
    metadata = MetaData()
    build_tables(catalog, metadata)
    init_database(db)
    with db.write() as conn:
        metadata.create_all(conn)
    db.dispose()

    class Deployed:  # the version in force, without deploying it
        def __init__(self, db, plugins=None):
            self.db, self.plugins = db, plugins

        def current(self):
            return Runtime(self.db, catalog, number=7, plugins=self.plugins)

    monkeypatch.setattr(record_commands, "Runtimes", Deployed)
    return url


def cli(url, *args, input=None):
    result = CliRunner().invoke(main, ["--database", url, "record", *args], input=input)
    out = json.loads(result.stdout) if result.stdout.strip() else None
    err = json.loads(result.stderr) if result.stderr.strip().startswith("{") else result.stderr
    return result.exit_code, out, err


def test_create_get_update_history_delete(url):
    code, company, _ = cli(url, "create", "company", "--json", '{"name": "Acme", "revenue": "12.5"}')
    assert code == 0 and company["name"] == "Acme" and company["revenue"] == "12.50"
    assert company["label"] == "Acme (Bronze)" and company["version"] == 1
    code, got, _ = cli(url, "get", "company", company["id"], "--fields", "name,label")
    assert got == {"id": company["id"], "name": "Acme", "label": "Acme (Bronze)"}
    code, updated, _ = cli(url, "update", "company", company["id"], "--json", '{"rating": 9}',
                           "--version", "1")
    assert code == 0 and updated["rating"] == 9 and updated["version"] == 2
    code, history, _ = cli(url, "history", "company", company["id"])
    assert [(h["operation"], h["field"], h["new"]) for h in history] == [
        ("create", None, None), ("update", "rating", 9)]
    assert history[1]["actor_name"] == "system" and history[1]["metadata_version"] == 7
    code, out, _ = cli(url, "delete", "company", company["id"], "--version", "2")
    assert code == 0 and out == {"deleted": company["id"]}
    code, _, err = cli(url, "get", "company", company["id"])
    assert code == 1 and err["error"] == "RecordNotFound"


def test_invalid_input_exits_1_with_field_errors(url):
    code, out, err = cli(url, "create", "company", "--json", '{"name": "", "rating": "lots"}')
    assert code == 1 and out is None
    assert err["error"] == "RecordInvalid"
    assert err["errors"] == {"name": ["is required"],
                             "rating": ["expected a whole number, got 'lots'"]}


def test_version_conflict(url):
    _, company, _ = cli(url, "create", "company", "--json", '{"name": "A"}')
    cli(url, "update", "company", company["id"], "--json", '{"rating": 1}')
    code, _, err = cli(url, "update", "company", company["id"], "--json", '{"rating": 2}',
                       "--version", "1")
    assert code == 1 and err["error"] == "VersionConflict" and err["current_version"] == 2


def test_bulk_create_from_an_array_and_stdin(url, tmp_path):
    code, out, _ = cli(url, "create", "company", "--json", "-",
                       input=json.dumps([{"name": f"C{i}"} for i in range(3)]))
    assert code == 0 and len(out["ids"]) == 3
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"name": "D"}, {"name": "C1"}]))
    code, _, err = cli(url, "create", "company", "--json", f"@{path}")
    assert code == 1 and err["error"] == "BulkInvalid"
    assert err["errors"] == {"1": {"name": ["'C1' is already used by another company"]}}


def test_list_filter_sort_limit_cursor_count(url):
    cli(url, "create", "company", "--json", "-",
        input=json.dumps([{"name": f"C{i}", "rating": i % 4} for i in range(7)]))
    args = ["list", "company", "--filter", "rating > 0", "--sort", "-rating,name",
            "--fields", "name,rating", "--limit", "3"]
    code, page, _ = cli(url, *args, "--count")
    assert code == 0 and page["count"] == 5
    assert [r["name"] for r in page["records"]] == ["C3", "C2", "C6"]
    code, rest, _ = cli(url, *args, "--cursor", page["next_cursor"])
    assert [r["name"] for r in rest["records"]] == ["C1", "C5"] and rest["next_cursor"] is None
    assert "count" not in rest


def test_query_errors(url):
    code, _, err = cli(url, "list", "company", "--filter", "ratng > 1")
    assert code == 1 and err["error"] == "QueryInvalid" and "did you mean 'rating'" in err["errors"]["filter"][0]


def test_usage_errors_exit_2(url):
    assert cli(url, "create", "company", "--json", "{not json")[0] == 2
    assert cli(url, "create", "company")[0] == 2
    code, _, err = cli(url, "get", "compny", "x")
    assert code == 1 and "did you mean 'company'" in err["message"]


def test_nothing_deployed(tmp_path):
    code, _, err = cli(f"sqlite:///{tmp_path}/empty.db", "list", "company")
    assert code == 1 and err["error"] == "NothingDeployed"


def test_after_a_real_deploy(tmp_path):
    url = f"sqlite:///{tmp_path}/real.db"
    deployed = CliRunner().invoke(main, ["--database", url, "deploy", str(CRM)])
    assert deployed.exit_code == 0, deployed.output[-300:]
    code, account, err = cli(url, "create", "account", "--json", '{"name": "Acme"}')
    assert code == 0, err
    code, deal, _ = cli(url, "create", "opportunity", "--json",
                        json.dumps({"name": "Deal", "account": account["id"], "amount": 10}))
    assert code == 0 and deal["number"].startswith("OPP-") and deal["expected_revenue"] == "1"
    code, page, _ = cli(url, "list", "account", "--fields", "name,open_pipeline")
    assert page["records"][0]["open_pipeline"] == "10.00"
