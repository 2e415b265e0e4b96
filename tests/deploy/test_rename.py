"""renamed_from renames tables and columns with their data (and a rollback renames back)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from deploy_helpers import catalog, columns, deploy, indexes, insert_rows, rows, tables

from metacrm.store import build_tables
from metacrm.store import deploy as deployment

ACCOUNT = """
kind: object
name: account
title: name
fields:
  name: {type: text}
  industry: {type: picklist, options: [Tech, Retail]}
"""
CONTACT = """
kind: object
name: contact
title: name
fields:
  name: {type: text}
  phone: {type: text}
  email: {type: email, unique: true}
  account: {type: lookup, to: account, on_delete: cascade}
  amount_text: {type: text}
indexes:
  - [phone]
"""


def v1():
    return catalog({"account": ACCOUNT, "contact": CONTACT})


@pytest.fixture
def deployed(db):
    base = v1()
    deploy(db, base)
    insert_rows(db, base, "account", [{"id": "a1", "name": "Acme", "industry": "Tech"}])
    insert_rows(db, base, "contact", [
        {"id": "c1", "name": "Ann", "phone": "123", "email": "ann@x.org", "account": "a1",
         "amount_text": "10"},
        {"id": "c2", "name": "Bob", "phone": "456", "email": "bob@x.org", "account": "a1",
         "amount_text": "lots"}])
    return db, base


def test_field_rename_keeps_values_and_indexes(deployed):
    db, _ = deployed
    new = catalog({"account": ACCOUNT, "contact": CONTACT.replace(
        "  phone: {type: text}", "  mobile: {type: text, renamed_from: phone}").replace(
        "[phone]", "[mobile]")})
    plan = deployment.plan(db, new)
    assert "> field contact.mobile (renamed from phone): label: 'Phone' -> 'Mobile'" in [
        str(c) for c in plan.changes.changes]
    assert not plan.risks
    assert any("rename column phone to mobile" in str(step) for step in plan.steps)
    deployment.apply(db, new)
    assert rows(db, new, "contact", "mobile") == [("c1", "123"), ("c2", "456")]
    assert "phone" not in columns(db, "contact")
    assert "ix_contact_mobile" in indexes(db, "contact")
    assert "ix_contact_phone" not in indexes(db, "contact")


def test_rollback_of_a_rename_renames_back(deployed):
    db, base = deployed
    new = catalog({"account": ACCOUNT, "contact": CONTACT.replace(
        "  phone: {type: text}", "  mobile: {type: text, renamed_from: phone}").replace(
        "[phone]", "[mobile]")})
    deployment.apply(db, new)
    back = deployment.rollback(db, 1)
    assert back.version.number == 3 and back.version.content_hash == base.content_hash
    assert "> field contact.phone (renamed from mobile): label: 'Mobile' -> 'Phone'" \
        in back.version.changes
    assert rows(db, base, "contact", "phone") == [("c1", "123"), ("c2", "456")]


def test_unique_field_renamed_keeps_its_unique_index(deployed):
    db, _ = deployed
    new = catalog({"account": ACCOUNT, "contact": CONTACT.replace(
        "  email: {type: email, unique: true}",
        "  mail: {type: email, unique: true, renamed_from: email}")})
    deployment.apply(db, new)
    assert "uq_contact_mail" in indexes(db, "contact")
    assert "uq_contact_email" not in indexes(db, "contact")
    table = build_tables(new)["contact"]
    with pytest.raises(IntegrityError):
        with db.write() as conn:
            conn.execute(insert(table).values(id="c3", version=1, mail="ANN@x.org"))


def test_object_rename_keeps_records_and_lookups(deployed):
    db, _ = deployed
    client = ACCOUNT.replace("name: account\n", "name: client\nrenamed_from: account\n")
    new = catalog({"client": client, "contact": CONTACT.replace("to: account", "to: client")})
    plan = deployment.plan(db, new)
    changes = [str(c) for c in plan.changes.changes]
    assert changes[0].startswith("> object client (renamed from account): label: 'Account' -> ")
    assert "~ field contact.account: to: 'account' -> 'client'" in changes
    assert not plan.risks, plan.describe()
    assert "rename table account to client" in [str(s) for s in plan.steps]
    assert not any("contact" in str(s) and "column" in str(s) for s in plan.steps), plan.describe()
    deployment.apply(db, new)
    assert "account" not in tables(db) and "client" in tables(db)
    assert rows(db, new, "client", "name") == [("a1", "Acme")]
    assert rows(db, new, "contact", "account") == [("c1", "a1"), ("c2", "a1")]
    contact = build_tables(new)["contact"]
    with pytest.raises(IntegrityError):  # the foreign key follows the renamed table
        with db.write() as conn:
            conn.execute(insert(contact).values(id="c9", version=1, account="nobody"))
    with db.write() as conn:  # and so does ON DELETE CASCADE
        conn.execute(delete(build_tables(new)["client"]))
    assert rows(db, new, "contact") == []


def test_object_rename_rolled_back(deployed):
    db, base = deployed
    client = ACCOUNT.replace("name: account\n", "name: client\nrenamed_from: account\n")
    deployment.apply(db, catalog({"client": client,
                                  "contact": CONTACT.replace("to: account", "to: client")}))
    deployment.rollback(db, 1)
    assert "account" in tables(db) and "client" not in tables(db)
    assert rows(db, base, "account", "name") == [("a1", "Acme")]


def test_rename_and_type_change_together(deployed):
    db, _ = deployed
    new = catalog({"account": ACCOUNT, "contact": CONTACT.replace(
        "  amount_text: {type: text}", "  amount: {type: integer, renamed_from: amount_text}")})
    plan = deployment.plan(db, new)
    [risk] = plan.risks
    assert risk.kind == "type" and risk.count == 1 and risk.field == "amount"
    deployment.apply(db, new, allow_destructive=True)
    assert rows(db, new, "contact", "amount") == [("c1", 10), ("c2", None)]
    assert "amount_text" not in columns(db, "contact")


def test_lookup_retargeted_counts_values_without_a_record(deployed):
    db, _ = deployed
    other = "kind: object\nname: region\ntitle: name\nfields:\n  name: {type: text}\n"
    new = catalog({"account": ACCOUNT, "region": other,
                   "contact": CONTACT.replace("to: account, on_delete: cascade", "to: region")})
    [risk] = deployment.plan(db, new).risks
    assert (risk.kind, risk.count) == ("type", 2)
    assert "now looks up region instead of account" in risk.message
    deployment.apply(db, new, allow_destructive=True)
    assert rows(db, new, "contact", "account") == [("c1", None), ("c2", None)]


def test_renamed_lookup_keeps_its_foreign_key(deployed):
    db, _ = deployed
    new = catalog({"account": ACCOUNT, "contact": CONTACT.replace(
        "  account: {type: lookup, to: account, on_delete: cascade}",
        "  company: {type: lookup, to: account, on_delete: cascade, renamed_from: account}")})
    deployment.apply(db, new)
    assert rows(db, new, "contact", "company") == [("c1", "a1"), ("c2", "a1")]
    contact = build_tables(new)["contact"]
    with pytest.raises(IntegrityError):
        with db.write() as conn:
            conn.execute(insert(contact).values(id="c9", version=1, company="nobody"))
    with db.write() as conn:
        conn.execute(delete(build_tables(new)["account"]))
    assert rows(db, new, "contact") == []
