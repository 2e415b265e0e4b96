"""The DDL a deploy runs: in place where the database can, copied where SQLite cannot."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from deploy_helpers import catalog, columns, deploy, insert_rows, rows, tables

from metacrm.store import build_tables
from metacrm.store import deploy as deployment

ACCOUNT = """
kind: object
name: account
title: name
fields:
  name: {type: text}
"""
CONTACT = """
kind: object
name: contact
title: name
fields:
  name: {type: text}
"""


def test_adding_fields_is_in_place(db):
    deploy(db, catalog({"account": ACCOUNT}))
    plan = deployment.plan(db, catalog({"account": ACCOUNT + "  size: {type: integer}\n"
                                                   "  site: {type: url}\n"}))
    assert [str(s) for s in plan.steps] == [
        "alter table account: add column size BIGINT; add column site VARCHAR(2048)"]
    assert not any(step.rewrites for step in plan.steps)


def test_objects_that_look_each_other_up(db):
    """PostgreSQL needs one of the two foreign keys added after both tables exist."""
    account = ACCOUNT + "  main_contact: {type: lookup, to: contact}\n"
    contact = CONTACT + "  account: {type: lookup, to: account, on_delete: cascade}\n"
    both = catalog({"account": account, "contact": contact})
    deploy(db, both)
    insert_rows(db, both, "account", [{"id": "a1", "name": "A"}])
    insert_rows(db, both, "contact", [{"id": "c1", "name": "C", "account": "a1"}])
    with pytest.raises(IntegrityError):
        insert_rows(db, both, "account", [{"id": "a2", "main_contact": "nobody"}])
    other = catalog({"other": "kind: object\nname: other\ntitle: name\nfields:\n  name: {type: text}\n"})
    deploy(db, other, allow_destructive=True)  # both dropped together
    assert not {"account", "contact"} & tables(db)


def test_a_new_lookup_on_an_existing_table_is_enforced(db):
    first = catalog({"account": ACCOUNT, "contact": CONTACT})
    deploy(db, first)
    insert_rows(db, first, "account", [{"id": "a1", "name": "A"}])
    insert_rows(db, first, "contact", [{"id": "c1", "name": "C"}])
    second = catalog({"account": ACCOUNT, "contact": CONTACT
                      + "  account: {type: lookup, to: account, on_delete: cascade}\n"})
    plan = deployment.plan(db, second)
    assert not plan.risks
    deploy(db, second)
    table = build_tables(second)["contact"]
    with pytest.raises(IntegrityError):
        with db.write() as conn:
            conn.execute(insert(table).values(id="c2", version=1, account="nobody"))
    with db.write() as conn:
        conn.execute(table.update().values(account="a1"))
        conn.execute(delete(build_tables(second)["account"]))
    assert rows(db, second, "contact") == []  # cascaded


def test_changing_on_delete(db):
    first = catalog({"account": ACCOUNT, "contact": CONTACT
                     + "  account: {type: lookup, to: account, on_delete: cascade}\n"})
    deploy(db, first)
    insert_rows(db, first, "account", [{"id": "a1", "name": "A"}])
    insert_rows(db, first, "contact", [{"id": "c1", "name": "C", "account": "a1"}])
    second = catalog({"account": ACCOUNT, "contact": CONTACT
                      + "  account: {type: lookup, to: account, on_delete: restrict}\n"})
    plan = deployment.plan(db, second)
    assert not plan.risks and "~ field contact.account: on_delete: 'cascade' -> 'restrict'" in [
        str(c) for c in plan.changes.changes]
    deploy(db, second)
    assert rows(db, second, "contact", "account") == [("c1", "a1")]
    with pytest.raises(IntegrityError):
        with db.write() as conn:
            conn.execute(delete(build_tables(second)["account"]))


def test_metadata_only_changes_need_no_ddl(db):
    deploy(db, catalog({"account": ACCOUNT}))
    new = catalog({"account": ACCOUNT.replace("{type: text}", "{type: text, label: Title, help: The name}")},
                  others={"views/all.yaml": "kind: list_view\nname: all\nobject: account\ncolumns: [name]\n"})
    plan = deployment.plan(db, new)
    assert plan.steps == () and not plan.empty
    assert "DDL:\n  none (metadata only)" in plan.describe()
    assert deploy(db, new).version.number == 2
    assert columns(db, "account")[:2] == ["name", "id"]
