"""meta.diff: what changed between two catalogs (pure: no database)."""

from __future__ import annotations

import textwrap

from metacrm.meta import load_files
from metacrm.meta.diff import ADDED, REMOVED, RENAMED, diff

DEAL = """
kind: object
name: deal
title: name
fields:
  name: {type: text}
  stage: {type: picklist, options: [Open, Won, Lost]}
  amount: {type: currency}
validations:
  - {name: positive, when: 'amount < 0', message: Must be positive.}
indexes:
  - [stage]
"""
VIEW = """
kind: list_view
name: open_deals
object: deal
columns: [name, stage]
filter: 'stage == "Open"'
"""
ROLE = "kind: role\nname: rep\n"


def catalog(deal=DEAL, version="1.0.0", **others):
    files = {"package.yaml": f"kind: package\nname: app\nversion: {version}\n",
             "objects/deal.yaml": textwrap.dedent(deal).lstrip()}
    defaults = {"views/open_deals.yaml": VIEW, "roles/rep.yaml": ROLE}
    for path, text in {**defaults, **others}.items():
        if text is not None:
            files[path] = textwrap.dedent(text).lstrip()
    return load_files({"app": files})


def lines(old, new):
    return [str(change) for change in diff(old, new).changes]


def test_same_catalog_no_changes():
    assert not diff(catalog(), catalog())
    assert diff(catalog(), catalog()).counts() == {"added": 0, "changed": 0, "renamed": 0,
                                                   "removed": 0}


def test_first_deploy_adds_everything():
    changes = diff(None, catalog())
    assert [c.action for c in changes.changes] == [ADDED] * len(changes.changes)
    assert "+ object deal (3 fields)" in lines(None, catalog())
    assert {p.name for p in changes.objects} == {"user", "deal"}


def test_field_changes_name_what_changed():
    new = catalog(DEAL.replace("options: [Open, Won, Lost]", "options: [Open, Won, Closed]")
                  .replace("amount: {type: currency}", "amount: {type: integer, required: true}")
                  .replace("name: {type: text}", "name: {type: text, max_length: 80, label: Title}"))
    assert lines(catalog(), new) == [
        "~ field deal.name: max_length: none -> 80; label: 'Name' -> 'Title'",
        "~ field deal.stage: options: -'Lost' +'Closed'",
        "~ field deal.amount: type: 'currency' -> 'integer'; required: false -> true",
    ]


def test_added_and_removed_fields_indexes_and_view_changes():
    new = catalog(DEAL.replace("  stage: {type: picklist, options: [Open, Won, Lost]}\n", "")
                  .replace("  name: {type: text}\n", "  amount2: {type: integer}\n  name: {type: text}\n")
                  .replace("[stage]", "[name]"),
                  **{"views/open_deals.yaml": VIEW.replace("columns: [name, stage]", "columns: [name]")
                     .replace('stage == "Open"', 'name == "x"')})
    assert lines(catalog(), new) == [
        "+ field deal.amount2 (integer)", "- field deal.stage", "+ index deal.name",
        "- index deal.stage",
        "~ list view open_deals: columns: -'stage'; filter: 'stage == \"Open\"' -> 'name == \"x\"'"]


def test_field_order_alone_is_a_change():
    swapped = DEAL.replace("  name: {type: text}\n  stage: {type: picklist, options: [Open, Won, Lost]}\n",
                           "  stage: {type: picklist, options: [Open, Won, Lost]}\n  name: {type: text}\n")
    assert lines(catalog(), catalog(swapped)) == [
        "~ object deal: field order: reordered"]


def test_renames_and_their_reverse():
    renamed = DEAL.replace("name: deal\n", "name: sale\nrenamed_from: deal\n").replace(
        "  amount: {type: currency}", "  total: {type: currency, renamed_from: amount}").replace(
        "amount < 0", "total < 0")
    new = catalog(renamed, **{"views/open_deals.yaml": VIEW.replace("object: deal", "object: sale")})
    changes = diff(catalog(), new)
    assert changes.object_renames == {"deal": "sale"}
    shown = [str(c) for c in changes.changes]
    assert shown[0].startswith("> object sale (renamed from deal): label: 'Deal' -> 'Sale'")
    assert "> field sale.total (renamed from amount): label: 'Amount' -> 'Total'" in shown
    pair = next(p for p in changes.objects if p.name == "sale")
    assert pair.renamed and pair.old.name == "deal"
    assert ("amount", "total") in {(f.old.name, f.new.name) for f in pair.fields if f.old and f.new}
    # going back (a rollback): the old catalog says where the names came from
    back = diff(new, catalog())
    assert back.object_renames == {"sale": "deal"}
    assert [c.action for c in back.changes if c.kind in ("object", "field")] == [RENAMED, RENAMED]


def test_a_renamed_from_naming_nothing_old_is_an_addition():
    new = catalog(DEAL.replace("  amount: {type: currency}",
                               "  amount: {type: currency}\n  fee: {type: currency, renamed_from: cost}"))
    assert lines(catalog(), new) == ["+ field deal.fee (currency)"]


def test_validations_indexes_and_other_documents():
    new = catalog(DEAL.replace("amount < 0", "amount <= 0").replace("  - [stage]\n", "  - {fields: [stage], unique: true}\n"),
                  version="1.1.0", **{"roles/rep.yaml": None, "roles/boss.yaml": "kind: role\nname: boss\n"})
    assert lines(catalog(), new) == [
        "~ field user.roles: options: -'rep' +'boss'",
        "~ validation deal.positive: when: 'amount < 0' -> 'amount <= 0'",
        "~ index deal.stage: unique: false -> true",
        "+ role boss", "- role rep",
        "~ package app: version: '1.0.0' -> '1.1.0'",
    ]


def test_same_meaning_written_differently_is_still_a_change():
    workflow = """
        kind: workflow
        name: w
        object: deal
        trigger: [create]
        actions:
          - type: set_fields
            values: {name: a, stage: Open}
    """
    old = catalog(**{"workflows/w.yaml": workflow})
    new = catalog(**{"workflows/w.yaml": workflow.replace("{name: a, stage: Open}",
                                                          "{stage: Open, name: a}")})
    assert old.content_hash != new.content_hash
    assert lines(old, new) == ["~ package app (documents written differently, same meaning)"]


def test_removed_object():
    other = "kind: object\nname: other\ntitle: name\nfields:\n  name: {type: text}\n"
    new = load_files({"app": {"package.yaml": "kind: package\nname: app\nversion: 1.0.0\n",
                              "objects/other.yaml": other}})
    shown = lines(catalog(), new)
    assert "+ object other (1 field)" in shown and "- object deal" in shown
    assert [c.action for c in diff(catalog(), new).changes if c.name == "deal"] == [REMOVED]
