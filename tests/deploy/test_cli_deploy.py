"""metacrm init, deploy, versions, rollback and export through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from deploy_helpers import files, write_package

from metacrm.cli import main

DEAL = """
kind: object
name: deal
title: name
fields:
  name: {type: text}   # a comment that export keeps
  notes: {type: long_text}
"""


@pytest.fixture
def cli(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"

    def run(*args):
        return CliRunner().invoke(main, ["--database", url, *map(str, args)])
    return run


@pytest.fixture
def package(tmp_path):
    def make(body=DEAL, version="1.0.0", name="app"):
        return write_package(tmp_path / f"v{version}", name, files({"deal": body},
                                                                   version=version, name=name))
    return make


def test_init_is_idempotent(cli):
    first, second = cli("init"), cli("init")
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert first.output.startswith("initialised: sqlite:///")
    assert second.output.startswith("already initialised:")
    assert "nothing deployed yet" in second.output


def test_deploy_dry_run_then_deploy_then_no_changes(cli, package):
    folder = package()
    dry = cli("deploy", folder, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "over an empty database" in dry.output and "+ object deal (2 fields)" in dry.output
    assert "create table deal" in dry.output and "dry run: nothing changed" in dry.output
    assert cli("versions").output.strip() == "nothing deployed yet"
    done = cli("deploy", folder, "--deployed-by", "ann", "--note", "first")
    assert done.exit_code == 0, done.output
    assert done.output.rstrip().endswith("deployed: version 1 is in force")
    again = cli("deploy", folder)
    assert again.exit_code == 0 and again.output.rstrip().endswith("no changes")
    listed = cli("versions")
    assert listed.exit_code == 0
    assert listed.output.splitlines()[1].split()[:4] == ["*", "1", "app", "1.0.0"]
    assert "ann" in listed.output and "first" in listed.output


def test_invalid_package_prints_errors_like_validate(cli, package):
    folder = package(DEAL.replace("long_text", "long_txt"))
    result = cli("deploy", folder)
    validate = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1 and validate.exit_code == 1
    error = "objects/deal.yaml:6: fields.notes.type: unknown field type 'long_txt'; " \
            "did you mean 'long_text'?"
    assert error in result.output and error in validate.output
    assert "nothing deployed" in result.output
    as_json = cli("deploy", folder, "--json")
    assert as_json.exit_code == 1
    payload = json.loads(as_json.stdout)
    assert payload["ok"] is False and payload["errors"] == [error]


def test_risky_deploy_is_refused_with_exit_3_unless_allowed(cli, package, tmp_path):
    from sqlalchemy import create_engine, text
    assert cli("deploy", package()).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path}/cli.db")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO deal (id, name, notes, version) VALUES ('d1', 'x', 'y', 1)"))
    engine.dispose()
    smaller = package(DEAL.replace("  notes: {type: long_text}\n", ""), version="1.1.0")
    dry = cli("deploy", smaller, "--dry-run")
    assert dry.exit_code == 3 and "would be refused" in dry.output
    refused = cli("deploy", smaller)
    assert refused.exit_code == 3
    assert "field deal.notes is removed: 1 non-blank value would be lost" in refused.output
    assert "--allow-destructive" in refused.output
    as_json = cli("deploy", smaller, "--json")
    assert as_json.exit_code == 3
    payload = json.loads(as_json.stdout)
    assert payload["refused"] is True and payload["plan"]["risks"][0]["count"] == 1
    allowed = cli("deploy", smaller, "--allow-destructive")
    assert allowed.exit_code == 0 and "version 2 is in force" in allowed.output


def test_deploy_json_is_machine_readable(cli, package):
    result = cli("deploy", package(), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["ok"] and payload["applied"] and payload["version"] == 1
    assert payload["base"] is None and payload["counts"]["added"] >= 2
    assert {"kind": "object", "action": "added", "name": "deal", "note": "2 fields"} \
        in payload["changes"]
    assert any(step["description"].startswith("create table deal") for step in payload["steps"])
    again = json.loads(cli("deploy", package(), "--json").output)
    assert again["empty"] is True and again["applied"] is False and again["version"] is None


def test_versions_json(cli, package):
    cli("deploy", package())
    listed = json.loads(cli("versions", "--json").output)
    assert [v["number"] for v in listed] == [1] and listed[0]["package"] == "app"


def test_export_writes_a_package_that_deploys_back_empty(cli, package, tmp_path):
    cli("deploy", package())
    out = tmp_path / "out"
    result = cli("export", out)
    assert result.exit_code == 0, result.output
    assert "exported version 1 (app 1.0.0)" in result.output
    assert "# a comment that export keeps" in (out / "app" / "objects" / "deal.yaml").read_text()
    assert CliRunner().invoke(main, ["validate", str(out / "app")]).exit_code == 0
    assert cli("deploy", out / "app").output.rstrip().endswith("no changes")
    twice = cli("export", out)
    assert twice.exit_code == 1 and "is not empty" in twice.output
    assert cli("export", out, "--force").exit_code == 0
    assert cli("export", tmp_path / "first", "--version", 1).exit_code == 0
    unknown = cli("export", tmp_path / "fifth", "--version", 5)
    assert unknown.exit_code == 1 and "no version 5" in unknown.output


def test_export_with_nothing_deployed(cli, tmp_path):
    result = cli("export", tmp_path / "out")
    assert result.exit_code == 1 and "nothing is deployed" in result.output


def test_rollback(cli, package):
    cli("deploy", package())
    cli("deploy", package(DEAL + "  size: {type: integer}\n", version="1.1.0"))
    dry = cli("rollback", 1, "--dry-run")
    assert dry.exit_code == 0 and "- field deal.size" in dry.output
    result = cli("rollback", 1)
    assert result.exit_code == 0, result.output
    assert "version 3 is in force" in result.output
    assert "rollback to version 1" in cli("versions").output
    missing = cli("rollback", 99)
    assert missing.exit_code == 1 and "no version 99 (versions are 1 to 3)" in missing.output


def test_an_unreachable_database_is_a_message_not_a_traceback(package):
    result = CliRunner().invoke(main, ["--database", "postgresql://nobody@127.0.0.1:1/none",
                                       "deploy", str(package())])
    assert result.exit_code == 1
    assert result.output.startswith("database error:") and "Traceback" not in result.output
