"""Every risk a plan checks against live data, counted, refused, then allowed (both databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from deploy_helpers import catalog, columns, count, deploy, insert_rows, rows

from metacrm.store import deploy as deployment

FIELDS = {
    "name": "{type: text}",
    "notes": "{type: long_text}",
    "stage": "{type: picklist, options: [Open, Won, Lost]}",
    "tags": "{type: multi_picklist, options: [a, b, c]}",
    "code": "{type: text, max_length: 40}",
    "email": "{type: email}",
    "score": "{type: formula, returns: integer, expression: 'len(name)'}",
}


def deal(**changes):
    """The deal package with some fields changed (a value of None removes the field)."""
    fields = {**FIELDS, **changes}
    lines = [f"  {name}: {definition}" for name, definition in fields.items() if definition]
    return catalog({"deal": "kind: object\nname: deal\ntitle: name\nfields:\n" + "\n".join(lines)})


RECORDS = [
    {"id": "d1", "name": "One", "notes": "n", "stage": "Open", "tags": ["a"], "code": "12",
     "email": "a@example.com"},
    {"id": "d2", "name": "Two", "notes": None, "stage": "Lost", "tags": ["b", "c"], "code": "x7",
     "email": "A@example.com"},
    {"id": "d3", "name": None, "notes": "", "stage": "Lost", "tags": None, "code": "2024-01-31",
     "email": None},
    {"id": "d4", "name": "Four", "notes": "more", "stage": None, "tags": ["c"], "code": None,
     "email": "b@example.com"},
]


@pytest.fixture
def deployed(db):
    base = deal()
    deploy(db, base)
    insert_rows(db, base, "deal", RECORDS)
    return db, base


def only_risk(plan, kind):
    assert [r.kind for r in plan.risks] == [kind], plan.describe()
    return plan.risks[0]


def refused_then_allowed(db, new):
    with pytest.raises(deployment.DeployRefused) as refused:
        deployment.apply(db, new)
    assert refused.value.plan.risks
    return deployment.apply(db, new, allow_destructive=True)


def test_adding_an_optional_field_is_not_risky(deployed):
    db, base = deployed
    new = deal(extra="{type: integer}")
    plan = deployment.plan(db, new)
    assert not plan.risks
    assert [str(s) for s in plan.steps] == ["alter table deal: add column extra BIGINT"]
    deployment.apply(db, new)
    assert "extra" in columns(db, "deal")
    assert count(db, new, "deal") == 4


def test_made_required_while_blank(deployed):
    db, _ = deployed
    new = deal(name="{type: text, required: true}")
    risk = only_risk(deployment.plan(db, new), "required")
    assert (risk.object, risk.field, risk.count) == ("deal", "name", 1)
    assert risk.message == "field deal.name becomes required while 1 record has no value"
    refused_then_allowed(db, new)


def test_blank_text_counts_as_blank_for_required(deployed):
    db, _ = deployed
    risk = only_risk(deployment.plan(db, deal(notes="{type: long_text, required: true}")),
                     "required")
    assert risk.count == 2  # None and ''


def test_new_required_field_on_existing_records(deployed):
    db, _ = deployed
    new = deal(owner_name="{type: text, required: true, default: Someone}")
    risk = only_risk(deployment.plan(db, new), "required")
    assert risk.count == 4
    assert "a default fills new records only" in risk.message


def test_made_unique_while_values_repeat(deployed):
    db, base = deployed
    insert_rows(db, base, "deal", [{"id": "d5", "name": "One"}, {"id": "d6", "name": "One"},
                                   {"id": "d7", "name": "Four"}])
    new = deal(name="{type: text, unique: true}")
    risk = only_risk(deployment.plan(db, new), "unique")
    assert risk.count == 5
    assert "(2 values repeat); the database refuses its unique index" in risk.message
    with pytest.raises(deployment.DeployRefused):
        deployment.apply(db, new)
    # allowed, the database itself refuses the unique index: the deploy fails as a whole
    with pytest.raises(deployment.DeployFailed) as failed:
        deployment.apply(db, new, allow_destructive=True)
    assert "create unique index uq_deal_name" in failed.value.step
    assert deployment.plan(db, new).base.number == 1


def test_email_uniqueness_ignores_case(deployed):
    db, _ = deployed
    risk = only_risk(deployment.plan(db, deal(email="{type: email, unique: true}")), "unique")
    assert risk.count == 2 and "1 value repeat" in risk.message


def test_unique_index_over_repeating_values(deployed):
    db, base = deployed
    insert_rows(db, base, "deal", [{"id": "d5", "name": "Two", "stage": "Lost"}])
    new = catalog({"deal": "kind: object\nname: deal\ntitle: name\nfields:\n"
                   + "\n".join(f"  {k}: {v}" for k, v in FIELDS.items())
                   + "\nindexes:\n  - {fields: [name, stage], unique: true}\n"})
    risk = only_risk(deployment.plan(db, new), "unique")
    assert risk.count == 2 and risk.field is None
    # allowed, the database itself refuses the unique index: the deploy fails as a whole
    with pytest.raises(deployment.DeployFailed) as failed:
        deployment.apply(db, new, allow_destructive=True)
    assert "create unique index" in failed.value.step
    assert deployment.plan(db, new).base.number == 1


def test_type_change_with_values_that_do_not_convert(deployed):
    db, _ = deployed
    new = deal(code="{type: integer}")
    risk = only_risk(deployment.plan(db, new), "type")
    assert risk.count == 2  # 'x7' and '2024-01-31'
    assert "changes from text to integer: 2 values cannot be converted" in risk.message
    refused_then_allowed(db, new)
    assert rows(db, new, "deal", "code") == [("d1", 12), ("d2", None), ("d3", None), ("d4", None)]


def test_type_change_to_date(deployed):
    db, _ = deployed
    new = deal(code="{type: date}")
    assert only_risk(deployment.plan(db, new), "type").count == 2
    refused_then_allowed(db, new)
    assert rows(db, new, "deal", "code")[2] == ("d3", dt.date(2024, 1, 31))


def test_type_change_that_converts_everything_is_not_risky(deployed):
    db, _ = deployed
    new = deal(stage="{type: text}", code="{type: long_text}")
    plan = deployment.plan(db, new)
    assert not plan.risks, plan.describe()
    deployment.apply(db, new)
    assert [r[1] for r in rows(db, new, "deal", "stage")] == ["Open", "Lost", "Lost", None]
    assert [r[1] for r in rows(db, new, "deal", "code")] == ["12", "x7", "2024-01-31", None]


def test_text_shortened_below_stored_values(deployed):
    db, _ = deployed
    new = deal(code="{type: text, max_length: 2}")
    assert only_risk(deployment.plan(db, new), "type").count == 1  # '2024-01-31'
    refused_then_allowed(db, new)
    assert [r[1] for r in rows(db, new, "deal", "code")] == ["12", "x7", None, None]


def test_number_to_text_and_back(deployed):
    db, base = deployed
    step1 = deal(code="{type: decimal, scale: 2}")
    refused_then_allowed(db, step1)
    assert rows(db, step1, "deal", "code")[0] == ("d1", Decimal("12.00"))
    step2 = deal(code="{type: text}")
    assert not deployment.plan(db, step2).risks
    deployment.apply(db, step2)
    assert rows(db, step2, "deal", "code")[0] == ("d1", "12.00")


def test_picklist_option_removed_that_records_use(deployed):
    db, _ = deployed
    new = deal(stage="{type: picklist, options: [Open, Won]}")
    risk = only_risk(deployment.plan(db, new), "option_removed")
    assert risk.count == 2
    assert "loses option 'Lost', which 2 records use" in risk.message
    refused_then_allowed(db, new)
    assert rows(db, new, "deal", "stage")[1] == ("d2", "Lost")  # kept, as the plan said


def test_unused_option_removed_is_not_risky(deployed):
    db, _ = deployed
    assert not deployment.plan(db, deal(stage="{type: picklist, options: [Open, Lost]}")).risks


def test_multi_picklist_option_removed(deployed):
    db, _ = deployed
    new = deal(tags="{type: multi_picklist, options: [a, b]}")
    risk = only_risk(deployment.plan(db, new), "option_removed")
    assert risk.count == 2


def test_dropped_field_with_values(deployed):
    db, _ = deployed
    new = deal(notes=None)
    risk = only_risk(deployment.plan(db, new), "drop_field")
    assert risk.count == 2  # '' is blank
    assert "field deal.notes is removed: 2 non-blank values would be lost" == risk.message
    refused_then_allowed(db, new)
    assert "notes" not in columns(db, "deal")


def test_stored_field_becoming_a_formula_drops_its_column(deployed):
    db, _ = deployed
    new = deal(code="{type: formula, returns: text, expression: 'upper(name)'}")
    risk = only_risk(deployment.plan(db, new), "drop_field")
    assert risk.count == 3 and "becomes a formula field" in risk.message


def test_dropped_formula_field_is_not_risky(deployed):
    db, _ = deployed
    plan = deployment.plan(db, deal(score=None))
    assert not plan.risks and not plan.steps
    assert [str(c) for c in plan.changes.changes] == ["- field deal.score"]


def test_dropped_object_with_records(deployed):
    db, _ = deployed
    new = catalog({"other": "kind: object\nname: other\ntitle: name\nfields:\n  name: {type: text}"})
    risk = only_risk(deployment.plan(db, new), "drop_object")
    assert risk.count == 4
    assert risk.message == "object deal is removed: its table and 4 records are dropped"
    refused_then_allowed(db, new)
    assert "deal" not in __import__("deploy_helpers").tables(db)


def test_several_risks_are_all_listed(deployed):
    db, _ = deployed
    new = deal(notes=None, name="{type: text, required: true, unique: false}",
               stage="{type: picklist, options: [Open]}")
    plan = deployment.plan(db, new)
    assert sorted(r.kind for r in plan.risks) == ["drop_field", "option_removed", "required"]
    with pytest.raises(deployment.DeployRefused) as refused:
        deployment.apply(db, new)
    message = str(refused.value)
    assert all(r.message in message for r in plan.risks)
