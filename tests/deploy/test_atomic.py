"""A deploy is one transaction: a failure anywhere leaves the old version fully in force."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import delete, text

from deploy_helpers import catalog, columns, count, deploy, indexes, insert_rows, rows, tables

from metacrm.store import build_tables, versions
from metacrm.store import deploy as deployment

ACCOUNT = """
kind: object
name: account
title: name
fields:
  name: {type: text}
  legacy: {type: text}
"""
CONTACT = """
kind: object
name: contact
title: name
fields:
  name: {type: text}
  account: {type: lookup, to: account, on_delete: cascade}
"""
PROJECT = """
kind: object
name: project
title: name
fields:
  name: {type: text}
  account: {type: lookup, to: account}
indexes:
  - [name]
"""


def v1():
    return catalog({"account": ACCOUNT, "contact": CONTACT})


def v2():
    """Every kind of step: a table created, a column dropped (a rebuild on SQLite), a column
    added, an index created."""
    account = ACCOUNT.replace("  legacy: {type: text}\n", "  website: {type: url}\n")
    return catalog({"account": account, "contact": CONTACT, "project": PROJECT}, version="2.0.0")


@pytest.fixture
def deployed(db):
    base = v1()
    deploy(db, base)
    insert_rows(db, base, "account", [{"id": "a1", "name": "Acme", "legacy": "old"},
                                      {"id": "a2", "name": "Beta", "legacy": None}])
    insert_rows(db, base, "contact", [{"id": "c1", "name": "Ann", "account": "a1"},
                                      {"id": "c2", "name": "Bob", "account": "a2"}])
    return db, base


def snapshot(db, base):
    """Everything a half-applied deploy could have changed."""
    return {
        "tables": tables(db),
        "account": (columns(db, "account"), indexes(db, "account"),
                    rows(db, base, "account", "name", "legacy")),
        "contact": (columns(db, "contact"), rows(db, base, "contact", "name", "account")),
        "version": deployment.plan(db, base).base.number,
    }


@pytest.mark.parametrize("fail_at", [1, 2, 3, -1])
def test_a_step_failing_half_way_changes_nothing(deployed, monkeypatch, fail_at):
    db, base = deployed
    new = v2()
    plan = deployment.plan(db, new)
    assert len(plan.steps) >= 4, plan.describe()
    before = snapshot(db, base)
    fail_index = fail_at if fail_at >= 0 else len(plan.steps) - 1
    calls = []
    real = deployment._run_step

    def explode(context):
        raise RuntimeError("injected failure")

    def failing(context, step):
        calls.append(step.description)
        if len(calls) - 1 == fail_index:  # this step fails as a database error would
            step = dataclasses.replace(step, run=explode)
        real(context, step)

    monkeypatch.setattr(deployment, "_run_step", failing)
    with pytest.raises(deployment.DeployFailed) as failed:
        deployment.apply(db, new, allow_destructive=True)
    assert "injected failure" in str(failed.value)
    assert "the deployed version is still in force" in str(failed.value)
    assert len(calls) == fail_index + 1
    assert snapshot(db, base) == before
    monkeypatch.setattr(deployment, "_run_step", real)
    deployment.apply(db, new, allow_destructive=True)  # and it still goes through afterwards
    assert "project" in tables(db)


def test_a_failure_storing_the_version_undoes_the_ddl(deployed, monkeypatch):
    db, base = deployed
    before = snapshot(db, base)

    def broken_save(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(versions, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk full"):
        deployment.apply(db, v2(), allow_destructive=True)
    assert snapshot(db, base) == before


def test_the_database_refusing_a_step_changes_nothing(deployed):
    """A real failure, not an injected one: a unique index over repeated values."""
    db, base = deployed
    insert_rows(db, base, "account", [{"id": "a3", "name": "Acme"}])
    before = snapshot(db, base)
    new = catalog({"account": ACCOUNT.replace("  name: {type: text}", "  name: {type: text, unique: true}")
                   .replace("  legacy: {type: text}\n", "  size: {type: integer}\n"),
                   "contact": CONTACT, "project": PROJECT})
    with pytest.raises(deployment.DeployFailed, match="uq_account_name"):
        deployment.apply(db, new, allow_destructive=True)
    assert snapshot(db, base) == before


def test_rebuilding_a_parent_table_does_not_cascade_to_children(deployed):
    """SQLite copies the account table to drop a column; its children must survive."""
    db, base = deployed
    deployment.apply(db, v2(), allow_destructive=True)
    assert count(db, v2(), "contact") == 2
    with db.write() as conn:  # foreign keys are enforced again afterwards
        conn.execute(delete(build_tables(v2())["account"]).where(text("id = 'a1'")))
    assert rows(db, v2(), "contact", "account") == [("c2", "a2")]


def test_foreign_keys_are_on_again_after_a_deploy(sqlite_db):
    deploy(sqlite_db, v1())
    deploy(sqlite_db, v2(), allow_destructive=True)
    for _ in range(3):  # whichever pooled connection comes back
        with sqlite_db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_plan_made_before_another_deploy_is_refused(deployed):
    db, _ = deployed
    plan = deployment.plan(db, v2())
    deployment.apply(db, catalog({"account": ACCOUNT, "contact": CONTACT}, version="1.0.1"))
    with pytest.raises(deployment.DeployConflict, match="^version 2 was deployed since this "
                       "plan was made against version 1: plan again$"):
        deployment.apply(db, plan, allow_destructive=True)


def test_a_fresh_database_is_initialised_by_the_first_deploy(db):
    assert deployment.plan(db, v1()).base is None
    result = deploy(db, v1())
    assert result.version.number == 1
    assert {"meta_versions", "account", "contact", "user"} <= tables(db)


def test_deploying_the_same_catalog_again_stores_nothing(deployed):
    db, base = deployed
    result = deployment.apply(db, base)
    assert result.version is None and result.plan.empty
    with db.read() as conn:
        assert [v.number for v in versions.list_versions(conn)] == [1]


def test_a_broken_reference_left_by_a_deploy_fails_it_on_sqlite(sqlite_db, monkeypatch):
    """Foreign keys are off while SQLite deploys: the check before COMMIT catches what they
    would have."""
    deploy(sqlite_db, v1())
    real = deployment._run_step

    done = []

    def sneaky(context, step):
        real(context, step)
        if not done:  # once, as if a step had left a reference to nothing
            done.append(step)
            context.conn.exec_driver_sql(
                "INSERT INTO contact (id, name, account, version) VALUES ('c9', 'X', 'nobody', 1)")

    monkeypatch.setattr(deployment, "_run_step", sneaky)
    with pytest.raises(deployment.DeployFailed, match="broken references: contact row"):
        deployment.apply(sqlite_db, v2(), allow_destructive=True)
    assert "project" not in tables(sqlite_db)
    assert rows(sqlite_db, v1(), "contact", "name") == []


def test_postgres_deploy_gives_up_on_a_table_in_use(postgres_db, monkeypatch):
    """(SQLite has one writer at a time: a deploy there waits for its turn.)"""
    db = postgres_db
    deploy(db, v1())
    monkeypatch.setattr(deployment, "TABLE_LOCK_TIMEOUT", "200ms")
    with db.read() as reader:  # a long transaction reading accounts
        reader.execute(text("SELECT count(*) FROM account")).scalar()
        with pytest.raises(deployment.DeployFailed, match="lock timeout"):
            deployment.apply(db, v2(), allow_destructive=True)
    assert deployment.apply(db, v2(), allow_destructive=True).version.number == 2
