"""Roll-ups: count, sum, min, max, avg, with a filter, over formula fields, roll-ups of
roll-ups, a lookup moving between parents, and a roll-up over the object itself."""

from __future__ import annotations

from decimal import Decimal

import pytest


@pytest.fixture
def acme(service, ann):
    return service.create("company", {"name": "Acme"}, ann)


def deal(service, actor, company, amount=None, **values):
    return service.create("deal", {"title": "D", "company": company["id"], "amount": amount,
                                   **values}, actor)


def test_every_aggregate(service, ann, acme):
    deal(service, ann, acme, 10, quantity=2)
    deal(service, ann, acme, "20.50", quantity=1)
    deal(service, ann, acme, None, quantity=4)
    deal(service, ann, acme, 30, stage="Won", close_date="2024-01-01")
    company = service.get("company", acme["id"])
    assert company["deal_count"] == 4
    assert company["deal_total"] == Decimal("60.50")
    assert company["open_total"] == Decimal("30.50")    # filter: stage == "Open"
    assert company["won_count"] == 1
    assert company["min_amount"] == Decimal("10.00") and company["max_amount"] == Decimal("30.00")
    assert company["avg_amount"] == Decimal("20.166667")  # blanks are not averaged
    assert company["units"] == 8
    assert company["weighted_total"] == Decimal("70.50")   # sum of a formula field (2*10+20.5+30)


def test_a_change_of_a_summed_field_recomputes(service, ann, acme):
    d = deal(service, ann, acme, 10)
    service.update("deal", d["id"], {"amount": 25}, ann)
    assert service.get("company", acme["id"])["deal_total"] == 25
    service.update("deal", d["id"], {"stage": "Won", "close_date": "2024-01-01"}, ann)
    company = service.get("company", acme["id"])
    assert company["open_total"] == 0 and company["won_count"] == 1


def test_moving_a_child_updates_both_parents(service, ann, acme):
    other = service.create("company", {"name": "Other"}, ann)
    d = deal(service, ann, acme, 10)
    service.update("deal", d["id"], {"company": other["id"]}, ann)
    assert service.get("company", acme["id"])["deal_count"] == 0
    assert service.get("company", acme["id"])["deal_total"] == 0
    assert service.get("company", other["id"])["deal_total"] == 10


def test_rollup_of_a_rollup(service, ann, acme):
    d1, d2 = deal(service, ann, acme), deal(service, ann, acme)
    line = service.create("line", {"product": "x", "deal": d1["id"], "total": "7.25"}, ann)
    service.create("line", {"product": "y", "deal": d2["id"], "total": 3}, ann)
    assert service.get("deal", d1["id"])["line_total"] == Decimal("7.25")
    assert service.get("company", acme["id"])["line_total"] == Decimal("10.25")
    service.delete("line", line["id"], ann)
    assert service.get("company", acme["id"])["line_total"] == 3
    service.delete("deal", d2["id"], ann)  # cascades to its line
    assert service.get("company", acme["id"])["line_total"] == 0


def test_rollup_over_the_same_object(service, ann, acme):
    service.create("company", {"name": "A", "parent": acme["id"], "revenue": 100}, ann)
    b = service.create("company", {"name": "B", "parent": acme["id"], "revenue": 50}, ann)
    assert service.get("company", acme["id"])["child_revenue"] == 150
    service.update("company", b["id"], {"revenue": 70}, ann)
    assert service.get("company", acme["id"])["child_revenue"] == 170


def test_rollups_do_not_version_the_parent(service, ann, acme):
    deal(service, ann, acme, 10)
    parent = service.get("company", acme["id"])
    assert parent["version"] == 1
    # so a form open on the parent can still save
    service.update("company", acme["id"], {"rating": 3}, ann, version=1)


def test_bulk_children_recompute_once_and_exactly(service, ann, acme):
    other = service.create("company", {"name": "Other"}, ann)
    rows = [{"title": f"D{i}", "company": (acme if i % 3 else other)["id"], "amount": i}
            for i in range(60)]
    service.create_many("deal", rows, ann)
    assert service.get("company", acme["id"])["deal_total"] == sum(i for i in range(60) if i % 3)
    assert service.get("company", other["id"])["deal_count"] == 20
