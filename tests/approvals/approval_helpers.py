"""Helpers of the approval tests: an inline package with one process per mode and approver
source, its users, and a clock the tests move by hand."""

from __future__ import annotations

from automation_helpers import Clock  # noqa: F401 - the automation tests' hand-moved clock

from metacrm.runtime import Actor

OBJECTS = {
    "objects/deal.yaml": """
kind: object
name: deal
title: name
fields:
  name: {type: text, required: true}
  amount: {type: currency}
  discount: {type: percent, default: 0}
  approval_status:
    type: picklist
    options: [Draft, Pending, Approved, Rejected]
    default: Draft
    read_only: true
  next_step: {type: text}
  reviewer: {type: lookup, to: user, on_delete: set_null}
  steps_done: {type: integer, default: 0, read_only: true}
""",
    "objects/note.yaml": """
kind: object
name: note
title: subject
fields:
  subject: {type: text, required: true}
  deal: {type: lookup, to: deal, on_delete: cascade}
""",
}

ROLES = {f"roles/{name}.yaml": f"kind: role\nname: {name}\n" for name in
         ("sales_rep", "sales_manager", "finance", "director")}

STATUS = """
on_submit:  [{type: set_fields, values: {approval_status: Pending}}]
on_approve: [{type: set_fields, values: {approval_status: Approved}}]
on_reject:  [{type: set_fields, values: {approval_status: Rejected}}]
on_recall:  [{type: set_fields, values: {approval_status: Draft}}]
"""

PROCESSES = {
    # first: one decision decides; the entry criteria; a lock with an editable field
    "manager": """
kind: approval_process
name: manager
label: Manager approval
object: deal
when: 'discount > 20'
lock: true
editable_while_locked: [next_step]
reject_requires_comment: true
steps:
  - name: manager
    approvers: {role: sales_manager}
    mode: first
""" + STATUS,
    "unanimous": """
kind: approval_process
name: unanimous
object: deal
lock: false
notify_approvers: true
steps:
  - name: board
    approvers: {users: [mia, dan, fin]}
    mode: all
""" + STATUS,
    "quorum": """
kind: approval_process
name: quorum
object: deal
lock: false
steps:
  - name: finance
    approvers: {role: finance}
    mode: quorum
    quorum: 2
""" + STATUS,
    # skipped steps, a lookup field, the manager chain; per-step actions
    "chain": """
kind: approval_process
name: chain
object: deal
lock: false
steps:
  - name: big
    when: 'amount > 100000'
    approvers: {field: reviewer}
  - name: owner_manager
    approvers: {field: owner.manager}
    on_approve: [{type: set_fields, values: {steps_done: '=steps_done + 1'}}]
  - name: up_to_director
    approvers: {manager_chain: director}
    mode: all
    on_approve: [{type: set_fields, values: {steps_done: '=steps_done + 1'}}]
    on_reject: [{type: create_record, object: note, values: {subject: Chain rejected, deal: '=id'}}]
""" + STATUS,
    "escalating": """
kind: approval_process
name: escalating
object: deal
lock: false
steps:
  - name: slow
    approvers: {user: fin}
    escalate_after_hours: 24
    escalate_to: {user: dora}
""",
    "restricted": """
kind: approval_process
name: restricted
object: deal
lock: false
submitters: [owner, {role: sales_manager}]
steps:
  - name: one
    approvers: {user: dan}
""",
    # every step may be skipped: then the request is approved at submit
    "conditional": """
kind: approval_process
name: conditional
object: deal
lock: false
steps:
  - name: huge
    when: 'amount > 1000000'
    approvers: {user: dan}
""" + STATUS,
    "self_ok": """
kind: approval_process
name: self_ok
object: deal
lock: false
allow_self_approval: true
steps:
  - name: one
    approvers: {role: sales_manager}
on_approve:
  - {type: send_email, to: '=owner.email', subject: 'Approved: {{ record.name }}'}
""",
}

WORKFLOWS = {
    # submits through the workflow action
    "workflows/auto.yaml": """
kind: workflow
name: auto
object: deal
trigger: [create, update]
when: 'changed(discount) and discount > 50'
actions:
  - {type: submit_for_approval, process: manager}
""",
    # a workflow that writes a locked field of the deal when a note says so
    "workflows/bump.yaml": """
kind: workflow
name: bump
object: note
trigger: [create]
when: 'subject == "bump"'
actions:
  - {type: update_record, record: deal, values: {amount: '=100'}}
""",
}


def package_files(processes: dict[str, str] | None = None) -> dict:
    files = {"package.yaml": "kind: package\nname: appr\nversion: 1.0.0\n", **OBJECTS, **ROLES,
             **WORKFLOWS}
    for name, text in (PROCESSES if processes is None else processes).items():
        files[f"approvals/{name}.yaml"] = text
    return {"appr": files}


#: (username, roles, manager) in creation order (managers first)
USERS = [
    ("dan", ["director"], None),
    ("mia", ["sales_manager"], "dan"),
    ("max", ["sales_manager"], "dan"),
    ("ann", ["sales_rep"], "mia"),
    ("fin", ["finance"], None),
    ("fay", ["finance"], None),
    ("fox", ["finance"], None),
    ("dora", [], None),
    ("zed", [], None),
]


def make_users(service) -> dict[str, Actor]:
    ids, actors = {}, {}
    for username, roles, manager in USERS:
        user = service.create("user", {"username": username, "roles": roles,
                                       "email": f"{username}@example.com",
                                       "manager": ids.get(manager)}, Actor.system())
        ids[username] = user["id"]
        actors[username] = Actor.for_user(user)
    return actors


__all__ = ["Clock", "OBJECTS", "PROCESSES", "ROLES", "USERS", "WORKFLOWS", "make_users",
           "package_files"]
