"""Delegations: B decides for A during a date range (inclusive), recorded as "B for A"."""

from __future__ import annotations

import datetime as dt

import pytest

from metacrm.automation.approvals import (ENGINE, ApprovalError, NotAllowed, RequestNotFound,
                                          add_delegation, inbox, list_delegations,
                                          remove_delegation, request_detail)

TODAY = dt.date(2024, 5, 1)  # the clock's day


def submit(service, users, process="unanimous"):
    d = service.create("deal", {"name": "Deal", "amount": 1000, "discount": 30}, users["ann"])
    return ENGINE.submit(service, users["ann"], "deal", d["id"], process)


def test_a_delegate_decides_for_the_approver_inside_the_window(service, users, clock):
    add_delegation(service, users["dan"], delegate="zed", starts_on=TODAY,
                   ends_on=TODAY + dt.timedelta(days=2))
    request = submit(service, users)
    [item] = [i for i in inbox(service, users["zed"]) if i["request_id"] == request["id"]]
    assert item["on_behalf_of"] == "dan"
    ENGINE.decide(service, users["zed"], request["id"], "approve", "for dan")
    dan = next(a for a in request_detail(service, request["id"])["steps"][0]["approvers"]
               if a["username"] == "dan")
    assert (dan["decision"], dan["decided_by_name"], dan["shown"]) == (
        "approved", "zed", "zed for dan")
    # dan's part is done: neither dan nor zed can decide it again
    assert inbox(service, users["zed"]) == []
    with pytest.raises(Exception, match="already decided"):
        ENGINE.decide(service, users["dan"], request["id"], "approve")


@pytest.mark.parametrize("days", [-1, 3])
def test_outside_the_window_the_delegate_cannot(service, users, clock, days):
    add_delegation(service, users["dan"], delegate="zed", starts_on=TODAY,
                   ends_on=TODAY + dt.timedelta(days=2))
    request = submit(service, users)
    clock.advance(days=days)
    assert inbox(service, users["zed"]) == []
    with pytest.raises(NotAllowed):
        ENGINE.decide(service, users["zed"], request["id"], "approve")


def test_the_last_day_is_inside(service, users, clock):
    add_delegation(service, users["dan"], delegate="zed", starts_on=TODAY, ends_on=TODAY)
    request = submit(service, users)
    clock.advance(hours=11, minutes=59)  # 23:59 the same day
    ENGINE.decide(service, users["zed"], request["id"], "approve")


def test_on_behalf_of_picks_whose_part(service, users):
    for giver in ("dan", "fin"):
        add_delegation(service, users[giver], delegate="zed", starts_on=TODAY, ends_on=TODAY)
    request = submit(service, users)
    assert {i["on_behalf_of"] for i in inbox(service, users["zed"])} == {"dan", "fin"}
    ENGINE.decide(service, users["zed"], request["id"], "approve", on_behalf_of="fin")
    fin = next(a for a in request_detail(service, request["id"])["steps"][0]["approvers"]
               if a["username"] == "fin")
    assert fin["decided_by_name"] == "zed"
    with pytest.raises(NotAllowed, match="not an approver for mia"):
        ENGINE.decide(service, users["zed"], request["id"], "approve", on_behalf_of="mia")


def test_the_submitter_cannot_approve_as_a_delegate(service, users):
    add_delegation(service, users["dan"], delegate="ann", starts_on=TODAY, ends_on=TODAY)
    request = submit(service, users)
    with pytest.raises(NotAllowed, match="self-approval"):
        ENGINE.decide(service, users["ann"], request["id"], "approve")


def test_managing_delegations_and_their_errors(service, users, root):
    with pytest.raises(ApprovalError, match="before starts_on"):
        add_delegation(service, users["dan"], delegate="zed", starts_on="2024-05-03",
                       ends_on="2024-05-01")
    with pytest.raises(ApprovalError, match="must be a date"):
        add_delegation(service, users["dan"], delegate="zed", starts_on="soon", ends_on=TODAY)
    with pytest.raises(ApprovalError, match="themselves"):
        add_delegation(service, users["dan"], delegate="dan", starts_on=TODAY, ends_on=TODAY)
    with pytest.raises(ApprovalError, match="no user 'nobody'"):
        add_delegation(service, users["dan"], delegate="nobody", starts_on=TODAY, ends_on=TODAY)
    with pytest.raises(NotAllowed, match="only admins"):
        add_delegation(service, users["zed"], user="dan", delegate="zed", starts_on=TODAY,
                       ends_on=TODAY)
    made = add_delegation(service, root, user="dan", delegate="zed", starts_on="2024-05-01",
                          ends_on="2024-05-09")
    assert (made["user"], made["delegate"], made["ends_on"]) == ("dan", "zed", dt.date(2024, 5, 9))
    assert [d["id"] for d in list_delegations(service, users["zed"])] == [made["id"]]
    assert list_delegations(service, users["fin"]) == []
    with pytest.raises(NotAllowed):
        remove_delegation(service, users["fin"], made["id"])
    remove_delegation(service, users["dan"], made["id"])
    with pytest.raises(RequestNotFound):
        remove_delegation(service, users["dan"], made["id"])
