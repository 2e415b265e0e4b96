"""A deploy plans once: ``apply(db, plan)`` applies the plan it is given, after checking under
the deploy lock that the version it was made against is still in force (DeployConflict
otherwise, nothing changed); ``metacrm deploy`` and ``rollback`` load, diff and count once,
and exit 3 on a conflict. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from deploy_helpers import (
    catalog, columns, counting_planning, deploy, files, insert_rows, rows, tables, write_package,
)
from pg_support import drop_schema, postgres_database, schema_url, unique_schema

from metacrm.cli import main
from metacrm.store import Database, versions
from metacrm.store import deploy as deployment

DEAL = """
kind: object
name: deal
title: name
fields:
  name: {type: text}
  notes: {type: long_text}
  score: {type: integer}
"""
#: counted: notes removed (1 value), score required (1 blank), name unique (no duplicates),
#: a required field added (2 records)
RISKY = """
kind: object
name: deal
title: name
fields:
  name: {type: text, unique: true}
  score: {type: integer, required: true}
  region: {type: text, required: true}
"""


def v1():
    return catalog({"deal": DEAL})


def risky():
    return catalog({"deal": RISKY}, version="2.0.0")


def other():
    """Another version 2: a field added."""
    return catalog({"deal": DEAL + "  size: {type: integer}\n"}, version="1.1.0")


def _stored(db: Database) -> list[int]:
    with db.read() as conn:
        return [v.number for v in versions.list_versions(conn)]


def _state(db: Database):
    return tables(db), columns(db, "deal"), _stored(db)


@pytest.fixture
def deployed(db):
    deploy(db, v1())
    insert_rows(db, v1(), "deal", [{"id": "d1", "name": "A", "notes": "keep", "score": None},
                                   {"id": "d2", "name": "B", "notes": None, "score": 3}])
    return db


# -- the store -----------------------------------------------------------------------------


def test_a_plan_is_applied_as_made_not_made_again(deployed):
    db = deployed
    plan = deployment.plan(db, risky())
    assert sorted(risk.kind for risk in plan.risks) == ["drop_field", "required", "required"]
    with counting_planning() as calls:
        applied = deployment.apply(db, plan, allow_destructive=True)
    assert applied.plan is plan and applied.version.number == 2
    assert calls["diff"] == calls["find_risks"] == calls["count_queries"] == 0
    assert calls["stored_loads"] == 0  # the version check reads a number and a hash
    assert "notes" not in columns(db, "deal") and "region" in columns(db, "deal")


def test_a_catalog_is_planned_once_inside_the_transaction(deployed):
    db = deployed
    with counting_planning() as planning_alone:
        deployment.plan(db, risky())
    with counting_planning() as calls:
        deployment.apply(db, risky(), allow_destructive=True)
    assert calls["diff"] == calls["find_risks"] == calls["stored_loads"] == 1
    assert calls["count_queries"] == planning_alone["count_queries"] > 0


def test_a_stale_plan_is_a_conflict_and_nothing_changes(deployed):
    db = deployed
    plan = deployment.plan(db, risky())  # against version 1
    deploy(db, other())  # version 2
    before = _state(db)
    with pytest.raises(deployment.DeployConflict) as raised:
        deployment.apply(db, plan, allow_destructive=True)
    assert str(raised.value) == ("version 2 was deployed since this plan was made against "
                                 "version 1: plan again")
    assert (raised.value.base, raised.value.current) == (1, 2)
    assert _state(db) == before and _stored(db) == [1, 2]
    assert rows(db, v1(), "deal", "notes") == [("d1", "keep"), ("d2", None)]
    # planned again, it goes through
    assert deployment.apply(db, deployment.plan(db, risky()),
                            allow_destructive=True).version.number == 3


def test_a_plan_over_an_empty_database_conflicts_once_something_is_deployed(db):
    plan = deployment.plan(db, risky())
    assert plan.base is None
    deploy(db, v1())
    with pytest.raises(deployment.DeployConflict,
                       match="^version 1 was deployed since this plan was made against an "
                             "empty database: plan again$"):
        deployment.apply(db, plan)
    assert _stored(db) == [1] and "region" not in columns(db, "deal")


def test_an_empty_plan_conflicts_too(deployed):
    """'no changes' was true of version 1, not of the version in force now."""
    db = deployed
    plan = deployment.plan(db, v1())
    assert plan.empty
    deploy(db, other())
    with pytest.raises(deployment.DeployConflict, match="version 2 was deployed"):
        deployment.apply(db, plan)


def test_a_plan_made_on_another_database_is_refused(deployed, tmp_path):
    """Same number, other content: the version in force is not the plan's base."""
    elsewhere = Database.from_url(f"sqlite:///{tmp_path}/elsewhere.db")
    try:
        deploy(elsewhere, other())
        plan = deployment.plan(elsewhere, risky())
        with pytest.raises(deployment.DeployConflict, match="another database"):
            deployment.apply(deployed, plan, allow_destructive=True)
        assert _stored(deployed) == [1]
    finally:
        elsewhere.dispose()


def test_risks_are_the_planned_ones(deployed):
    """Records written between plan and apply are not counted again (docs/operations.md):
    the plan had no risk, so it is not refused."""
    db = deployed
    required_name = catalog({"deal": DEAL.replace("name: {type: text}",
                                                  "name: {type: text, required: true}")},
                            version="1.0.1")
    plan = deployment.plan(db, required_name)
    assert not plan.risks
    insert_rows(db, v1(), "deal", [{"id": "d3", "name": None}])
    assert deployment.apply(db, plan).version.number == 2


# -- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def cli_url(request, tmp_path):
    """A database URL for the CLI: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/cli.db"
        return
    schema = unique_schema("deploy_cli")
    postgres_database(schema).dispose()  # (creates the schema; skips without a server)
    yield schema_url(schema)
    drop_schema(schema)


def _cli(url, *args):
    return CliRunner().invoke(main, ["--database", url, *map(str, args)])


def _package(tmp_path, body: str, version: str):
    return write_package(tmp_path / f"v{version}", "app", files({"deal": body}, version=version))


def _with_rows(url):
    db = Database.from_url(url)
    insert_rows(db, v1(), "deal", [{"id": "d1", "name": "A", "notes": "keep"},
                                   {"id": "d2", "name": "B", "notes": None}])
    return db


@pytest.mark.parametrize("cli_url", ["sqlite", "postgresql"], indirect=True)
def test_metacrm_deploy_loads_diffs_and_counts_once(cli_url, tmp_path):
    assert _cli(cli_url, "deploy", _package(tmp_path, DEAL, "1.0.0")).exit_code == 0
    _with_rows(cli_url).dispose()
    changed = _package(tmp_path, RISKY, "2.0.0")
    with counting_planning() as dry:
        result = _cli(cli_url, "deploy", changed, "--dry-run")
    assert result.exit_code == 3, result.output  # risky: it would be refused
    with counting_planning() as calls:
        result = _cli(cli_url, "deploy", changed, "--allow-destructive")
    assert result.exit_code == 0, result.output
    assert "version 2 is in force" in result.output
    assert calls["load_package"] == calls["diff"] == calls["find_risks"] == 1
    assert calls["stored_loads"] == 1  # the version in force, read once to plan against
    assert calls["count_queries"] == dry["count_queries"] > 0


@pytest.mark.parametrize("cli_url", ["sqlite", "postgresql"], indirect=True)
def test_metacrm_rollback_plans_once(cli_url, tmp_path):
    _cli(cli_url, "deploy", _package(tmp_path, DEAL, "1.0.0"))
    _with_rows(cli_url).dispose()
    _cli(cli_url, "deploy", _package(tmp_path, RISKY, "2.0.0"), "--allow-destructive")
    with counting_planning() as calls:
        result = _cli(cli_url, "rollback", 1, "--allow-destructive")
    assert result.exit_code == 0, result.output
    assert calls["diff"] == calls["find_risks"] == 1
    assert calls["stored_loads"] == 2  # version 1 (its files) and the version in force


def _deploying_in_between(monkeypatch):
    """Each plan ``metacrm`` makes is followed (before its apply) by another deploy: 1.1.0,
    or 1.0.0 again when 1.1.0 is in force."""
    real = deployment.plan

    def plan_then_race(db, new):
        made = real(db, new)
        with db.read() as conn:
            in_force = versions.current(conn).content_hash
        deployment.apply(db, v1() if in_force == other().content_hash else other())
        return made

    monkeypatch.setattr(deployment, "plan", plan_then_race)


@pytest.mark.parametrize("cli_url", ["sqlite", "postgresql"], indirect=True)
def test_metacrm_deploy_exits_3_on_a_conflict(cli_url, tmp_path, monkeypatch):
    assert _cli(cli_url, "deploy", _package(tmp_path, DEAL, "1.0.0")).exit_code == 0
    _deploying_in_between(monkeypatch)
    changed = _package(tmp_path, RISKY, "2.0.0")
    result = _cli(cli_url, "deploy", changed, "--allow-destructive")
    assert result.exit_code == 3
    assert ("version 2 was deployed since this plan was made against version 1: plan again"
            in result.output)
    as_json = _cli(cli_url, "deploy", changed, "--allow-destructive", "--json")
    assert as_json.exit_code == 3
    payload = json.loads(as_json.stdout)
    assert payload == {"ok": False, "error": payload["error"], "conflict": True, "base": 2,
                       "current_version": 3}
    monkeypatch.undo()
    listed = json.loads(_cli(cli_url, "versions", "--json").output)
    assert [v["package_version"] for v in listed] == ["1.0.0", "1.1.0", "1.0.0"]
    db = Database.from_url(cli_url)
    try:
        assert "region" not in columns(db, "deal")
    finally:
        db.dispose()


@pytest.mark.parametrize("cli_url", ["sqlite"], indirect=True)
def test_metacrm_rollback_exits_3_on_a_conflict(cli_url, tmp_path, monkeypatch):
    _cli(cli_url, "deploy", _package(tmp_path, DEAL, "1.0.0"))
    _cli(cli_url, "deploy", _package(tmp_path, RISKY, "2.0.0"), "--allow-destructive")
    _deploying_in_between(monkeypatch)
    result = _cli(cli_url, "rollback", 1)
    assert result.exit_code == 3 and "plan again" in result.output
