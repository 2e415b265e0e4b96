"""The access tests' package and people (imported by conftest and the tests)."""

from __future__ import annotations

import textwrap

from metacrm.runtime import Actor

FILES = {
    "package.yaml": "kind: package\nname: sales\nversion: 1.0.0\n",
    "objects/account.yaml": """
        kind: object
        name: account
        title: name
        sharing: read
        fields:
          name: {type: text, required: true}
          region: {type: picklist, options: [EMEA, APAC]}
    """,
    "objects/deal.yaml": """
        kind: object
        name: deal
        title: name
        sharing: private
        fields:
          name: {type: text, required: true}
          amount: {type: currency}
          discount: {type: percent}
          margin: {type: currency}
          net: {type: formula, returns: currency, expression: 'amount - margin'}
          region: {type: picklist, options: [EMEA, APAC]}
          account: {type: lookup, to: account}
    """,
    "objects/note.yaml": """
        kind: object
        name: note
        title: body
        fields:
          body: {type: text}
    """,
    "roles/manager.yaml": """
        kind: role
        name: manager
        permissions:
          account: [read, create, edit]
          deal: [read, create, edit, delete]
    """,
    "roles/rep.yaml": """
        kind: role
        name: rep
        reports_to: manager
        permissions:
          account: [read, create, edit]
          deal:
            allow: [read, create, edit, delete]
            fields: {discount: read, margin: none}
    """,
    "roles/junior.yaml": """
        kind: role
        name: junior
        reports_to: rep
        permissions:
          deal: [read, create, edit]
    """,
    "roles/finance.yaml": """
        kind: role
        name: finance
        permissions:
          deal: [read]
          account: [read]
    """,
    "roles/auditor.yaml": """
        kind: role
        name: auditor
        permissions:
          deal: {allow: [view_all], fields: {discount: none}}
    """,
    "sharing/big_deals.yaml": """
        kind: sharing_rule
        name: big_deals
        object: deal
        when: 'amount > 100000'
        roles: [finance]
        access: read
    """,
    "sharing/emea_team.yaml": """
        kind: sharing_rule
        name: emea_team
        object: deal
        when: 'region == "EMEA" and account.region == "EMEA"'
        roles: [rep]
        access: edit
    """,
}


def package_files(files: dict | None = None) -> dict:
    return {"sales": {name: textwrap.dedent(body).lstrip()
                      for name, body in (files or FILES).items()}}


def people(service) -> dict[str, Actor]:
    """boss (manager) ← rita, ron (rep) ← jim (junior); fay (finance); al (auditor); zoe (no role)."""
    accounts = service.runtime.accounts
    made = {}
    for name, roles in (("boss", ["manager"]), ("rita", ["rep"]), ("ron", ["rep"]),
                        ("jim", ["junior"]), ("fay", ["finance"]), ("al", ["auditor"]),
                        ("zoe", [])):
        user = accounts.create_user(name, roles=roles)
        made[name] = Actor(user["id"], name, roles=frozenset(roles))
    return made
