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


def make_deals(service, users: dict[str, Actor]) -> dict[str, str]:
    """Two accounts and four deals, by name -> id: d1 rita's (50,000, EMEA on an EMEA account),
    d2 jim's (200,000, APAC), d3 boss's (10,000, EMEA on the APAC account), d4 ron's (150,000,
    EMEA on the EMEA account); each with discount 5 and margin 1000."""
    system = Actor.system()
    emea = service.create("account", {"name": "Emea Co", "region": "EMEA"}, system)["id"]
    apac = service.create("account", {"name": "Apac Co", "region": "APAC"}, system)["id"]
    deals = {}
    for name, owner, amount, region, account in (
            ("d1", "rita", 50_000, "EMEA", emea), ("d2", "jim", 200_000, "APAC", apac),
            ("d3", "boss", 10_000, "EMEA", apac), ("d4", "ron", 150_000, "EMEA", emea)):
        deals[name] = service.create("deal", {
            "name": name, "owner": users[owner].user_id, "amount": amount, "region": region,
            "account": account, "discount": 5, "margin": 1000}, system)["id"]
    return deals
