"""The approval keys this implementation adds, checked when a package loads: every error
names its file, line and path (and the closest valid name)."""

from __future__ import annotations

import pytest
from approval_helpers import PROCESSES, package_files

from metacrm.meta import PackageInvalid, load_files


def errors(name: str, old: str, new: str) -> list[str]:
    assert old in PROCESSES[name]
    processes = dict(PROCESSES, **{name: PROCESSES[name].replace(old, new)})
    with pytest.raises(PackageInvalid) as raised:
        load_files(package_files(processes))
    return [str(e) for e in raised.value.errors]


RESTRICTED = "submitters: [owner, {role: sales_manager}]"


@pytest.mark.parametrize("bad, message", [
    ("submitters: anyone", "submitters: expected a list, got 'anyone'"),
    ("submitters: [everyone]", "submitters[0]: unknown value 'everyone' (expected anyone, owner)"),
    ("submitters: [{group: x}]", "submitters[0].group: unknown key 'group'"),
    ("submitters: [{role: sales_rep, user: ann}]",
     "submitters[0]: a submitter mapping takes one key: role or user"),
    ("submitters: [{role: sales_mgr}]",
     "submitters[0].role: unknown role 'sales_mgr'; did you mean 'sales_manager'?"),
])
def test_submitters(bad, message):
    assert errors("restricted", RESTRICTED, bad) == [f"approvals/restricted.yaml:6: {message}"]


def test_manager_chain_role_escalate_to_and_step_actions():
    assert errors("chain", "{manager_chain: director}", "{manager_chain: directr}") == [
        "approvals/chain.yaml:14: steps[2].approvers.manager_chain: unknown role 'directr'; "
        "did you mean 'director'?"]
    assert errors("escalating", "    escalate_after_hours: 24\n", "") == [
        "approvals/escalating.yaml:9: steps[0].escalate_to: escalate_to needs "
        "escalate_after_hours (when to escalate)"]
    assert errors("escalating", "escalate_to: {user: dora}", "escalate_to: {field: owner.nope}")[0] \
        == "approvals/escalating.yaml:10: steps[0].escalate_to.field: unknown field 'nope' on 'user'"
    found = errors("chain", "values: {steps_done: '=steps_done + 1'}}]\n    on_reject",
                   "values: {steps_dne: 1}}]\n    on_reject")
    assert len(found) == 1 and "steps[2].on_approve[0].values.steps_dne" in found[0]
    assert "did you mean 'steps_done'" in found[0]


def test_allow_self_approval_must_be_a_boolean():
    assert errors("self_ok", "allow_self_approval: true", "allow_self_approval: sometimes") == [
        "approvals/self_ok.yaml:6: allow_self_approval: expected true or false, got 'sometimes'"]
