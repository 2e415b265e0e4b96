"""Property tests of the step rules: random approve/reject sequences decide exactly when the
mode says, never change their mind, and (through the engine) never advance a request twice."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metacrm.automation.approvals import ENGINE, AlreadyDecided, outcome, request_detail

decisions = st.lists(st.sampled_from(["approved", "rejected"]), min_size=1, max_size=8)


def expected(mode: str, quorum: int, approvers: int, done: list[str]) -> str | None:
    """The rules as the docs state them, counted afresh."""
    yes, no = done.count("approved"), done.count("rejected")
    if mode == "first":
        return done[0] if done else None
    if mode == "all":
        return "rejected" if no else ("approved" if yes == approvers else None)
    if yes >= quorum:
        return "approved"
    return "rejected" if no > approvers - quorum else None


@given(st.sampled_from(["first", "all", "quorum"]), st.integers(1, 8), st.data())
def test_outcome_follows_the_rules_and_never_changes_its_mind(mode, approvers, data):
    quorum = data.draw(st.integers(1, approvers))
    sequence = data.draw(st.lists(st.sampled_from(["approved", "rejected"]), min_size=0,
                                  max_size=approvers))
    decided_at = None
    for count in range(len(sequence) + 1):
        done = sequence[:count]
        got = outcome(mode, quorum, done + [None] * (approvers - count))
        if decided_at is None:
            assert got == expected(mode, quorum, approvers, done)
            if got is not None:
                decided_at, verdict = count, got
        elif mode != "first":  # later decisions cannot undo a decided all/quorum step (the
            assert got == verdict  # engine takes none anyway once a step is decided)


@given(st.integers(1, 8), st.data())
def test_quorum_is_decided_exactly_when_n_is_reached_or_out_of_reach(approvers, data):
    quorum = data.draw(st.integers(1, approvers))
    yes = data.draw(st.integers(0, approvers))
    no = data.draw(st.integers(0, approvers - yes))
    got = outcome("quorum", quorum, ["approved"] * yes + ["rejected"] * no
                  + [None] * (approvers - yes - no))
    reachable = yes + (approvers - yes - no) >= quorum
    assert got == ("approved" if yes >= quorum else None if reachable else "rejected")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(st.tuples(st.sampled_from(["fin", "fay", "fox"]),
                                   st.sampled_from(["approve", "reject"])), min_size=1, max_size=6))
def test_engine_decides_once_whatever_the_sequence(service, users, sequence):
    d = service.create("deal", {"name": "Prop", "amount": 1000}, users["ann"])
    request = ENGINE.submit(service, users["ann"], "deal", d["id"], "quorum")
    done: dict[str, str] = {}
    for who, decision in sequence:
        model = expected("quorum", 2, 3, list(done.values()))
        try:
            result = ENGINE.decide(service, users[who], request["id"], decision)
        except AlreadyDecided:
            assert model is not None or who in done
            continue
        assert model is None and who not in done
        done[who] = "approved" if decision == "approve" else "rejected"
        assert result["status"] == (expected("quorum", 2, 3, list(done.values())) or "pending")
    changes = [h["new"] for h in service.history("deal", d["id"]) if h["field"] == "approval_status"]
    final = request_detail(service, request["id"])["status"]
    assert changes == ["Pending"] + ({"approved": ["Approved"], "rejected": ["Rejected"]}
                                     .get(final, []))
