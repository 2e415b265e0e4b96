"""Access metadata (METADATA.md, "Roles and access"): roles' permissions, objects' sharing,
sharing rules — loaded into the model, checked with file, line, path and a suggestion,
diffed for the deploy plan."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from types import MappingProxyType

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from ruamel.yaml import YAML

from meta_helpers import FIXTURES, load_errors, write_package

from metacrm.meta import (ACTIONS, FIELD_ACCESS, SHARING, ObjectPermission, SharingRule,
                          access_notes, diff_catalogs, load_files, load_package)
from metacrm.meta.schemacheck import SCHEMA_DIR

ACCESS = FIXTURES / "access"


@pytest.fixture(scope="module")
def catalog():
    return load_package(ACCESS)


def test_the_metadata_md_example_loads_into_the_model(catalog):
    rep = catalog.roles["sales_rep"]
    assert rep.reports_to == "sales_manager"
    assert list(rep.permissions) == ["account", "opportunity", "case"]
    assert rep.permissions["account"] == ObjectPermission(
        "account", frozenset({"read", "create", "edit"}), MappingProxyType({}))
    opportunity = rep.permissions["opportunity"]
    assert opportunity.allow == {"read", "create", "edit", "delete"}
    assert dict(opportunity.fields) == {"discount": "read", "margin": "none"}
    assert isinstance(opportunity.fields, MappingProxyType)
    assert opportunity.may("delete") and not opportunity.may("view_all")
    assert opportunity.field_access("margin") == "none"
    assert opportunity.field_access("amount") == "edit"
    assert rep.permissions["case"].allow == frozenset(ACTIONS)
    assert catalog.objects["opportunity"].sharing == "private"
    assert catalog.objects["account"].sharing == "read"
    assert catalog.objects["case"].sharing == "edit"
    assert catalog.objects["user"].sharing == "edit"
    assert catalog.sharing_rules["account_owner_sees_deals"] == SharingRule(
        name="account_owner_sees_deals", object="opportunity",
        when="account.owner == current_user()", roles=("sales_rep",), access="edit",
        package="access")
    big = catalog.sharing_rules["big_deals"]
    assert (big.roles, big.access, big.label) == (None, "read", "Big deals")
    assert list(catalog.sharing_rules) == ["account_owner_sees_deals", "big_deals"]
    assert catalog.sharing_rules_for("opportunity") == (
        catalog.sharing_rules["account_owner_sees_deals"], big)
    assert catalog.sharing_rules_for("account") == ()


def test_the_vocabularies():
    assert ACTIONS == ("read", "create", "edit", "delete", "view_all", "modify_all")
    assert FIELD_ACCESS == ("edit", "read", "none")
    assert SHARING == ("private", "read", "edit")


def test_declared_empty_permissions_grant_nothing_and_close_the_package(catalog):
    assert catalog.roles["auditor"].permissions == {}
    assert catalog.access_open is False


def test_a_package_without_permissions_is_open():
    catalog = load_package(FIXTURES / "base")
    assert all(role.permissions is None for role in catalog.roles.values())
    assert catalog.access_open is True
    assert catalog.sharing_rules == {}


# -- errors: file:line: path: message; did you mean … -------------------------------------

OBJECTS = {
    "objects/deal.yaml": """
        kind: object
        name: deal
        title: name
        fields:
          name: {type: text}
          amount: {type: currency}
          account: {type: lookup, to: account}
        """,
    "objects/account.yaml": """
        kind: object
        name: account
        title: name
        fields:
          name: {type: text}
        """,
}


def errors_of(tmp_path, files):
    return load_errors(write_package(tmp_path, "p", {**OBJECTS, **files}))


def test_permissions_name_objects_fields_actions_and_access_values(tmp_path):
    assert errors_of(tmp_path, {"roles/rep.yaml": """
        kind: role
        name: rep
        permissions:
          dael: [read]
          deal:
            allow: [read, craete]
            fields: {amout: read, name: none, amount: hidden}
          account: everything
          contact: all
        """}) == [
        "roles/rep.yaml:4: permissions.dael: unknown object 'dael'; did you mean 'deal'?",
        "roles/rep.yaml:6: permissions.deal.allow[1]: unknown value 'craete' (expected read, "
        "create, edit, delete, view_all, modify_all); did you mean 'create'?",
        "roles/rep.yaml:7: permissions.deal.fields.amount: unknown value 'hidden' (expected "
        "edit, read, none)",
        "roles/rep.yaml:7: permissions.deal.fields.amout: unknown field 'amout' on 'deal'; "
        "did you mean 'amount'?",
        "roles/rep.yaml:8: permissions.account: unknown value 'everything' (expected all)",
        "roles/rep.yaml:9: permissions.contact: unknown object 'contact'",
    ]


def test_the_shape_of_an_object_permission(tmp_path):
    assert errors_of(tmp_path, {"roles/rep.yaml": """
        kind: role
        name: rep
        permissions:
          deal: {fields: {name: read}}
          account: {allow: all, feilds: {}}
        """}) == [
        "roles/rep.yaml:4: permissions.deal.allow: missing required key 'allow'",
        "roles/rep.yaml:5: permissions.account.feilds: unknown key 'feilds'; did you mean 'fields'?",
    ]
    assert errors_of(tmp_path, {"roles/rep.yaml": """
        kind: role
        name: rep
        permissions:
          deal: [read, read]
          account: 3
        """}) == [
        "roles/rep.yaml:4: permissions.deal: lists 'read' twice",
        "roles/rep.yaml:5: permissions.account: expected text or a list or a mapping of keys, got 3",
    ]


def test_id_cannot_be_hidden_but_the_title_can(tmp_path):
    assert errors_of(tmp_path, {"roles/rep.yaml": """
        kind: role
        name: rep
        permissions:
          deal:
            allow: all
            fields: {name: none, owner: read, created_at: none, id: none}
        """}) == [
        "roles/rep.yaml:6: permissions.deal.fields.id: 'id' cannot be none: a record needs its "
        "id (hide other fields instead)",
    ]


def test_the_user_object_may_be_named_but_only_admins_write_it(tmp_path):
    assert errors_of(tmp_path, {"roles/rep.yaml": """
        kind: role
        name: rep
        permissions:
          user:
            allow: [read, view_all, edit]
            fields: {username: none, full_name: read, email: none, manager: none, active: none}
        """}) == [
        "roles/rep.yaml:5: permissions.user.allow[2]: 'edit' on user: only admins write users "
        "(a role may grant read and view_all)",
        "roles/rep.yaml:6: permissions.user.fields.active: user.active cannot be none: every "
        "signed-in user may read users' username, full_name and active (lookups show them)",
        "roles/rep.yaml:6: permissions.user.fields.username: user.username cannot be none: every "
        "signed-in user may read users' username, full_name and active (lookups show them)",
    ]
    assert errors_of(tmp_path, {"roles/rep.yaml": """
        kind: role
        name: rep
        permissions: {user: [read, create, modify_all], deal: all}
        """}) == [
        "roles/rep.yaml:3: permissions.user[1]: 'create' on user: only admins write users "
        "(a role may grant read and view_all)",
        "roles/rep.yaml:3: permissions.user[2]: 'modify_all' on user: only admins write users "
        "(a role may grant read and view_all)",
    ]
    catalog = load_package(write_package(tmp_path, "q", {**OBJECTS, "roles/rep.yaml": """
        kind: role
        name: rep
        permissions:
          user: all
          deal: {allow: [read], fields: {owner: read}}
        """}))
    assert catalog.roles["rep"].permissions["user"].allow == frozenset(ACTIONS)


def test_sharing_rules_name_an_object_and_roles(tmp_path):
    assert errors_of(tmp_path, {
        "roles/rep.yaml": "kind: role\nname: rep\npermissions: {deal: all}\n",
        "sharing/a.yaml": """
            kind: sharing_rule
            name: a
            object: dael
            when: 'amount > 1'
            roles: [rpe, rep]
            access: write
            """,
        "sharing/b.yaml": """
            kind: sharing_rule
            name: b
            object: deal
            lable: B
            """,
    }) == [
        "sharing/a.yaml:3: object: unknown object 'dael'; did you mean 'deal'?",
        "sharing/a.yaml:5: roles[0]: unknown role 'rpe'; did you mean 'rep'?",
        "sharing/a.yaml:6: access: unknown value 'write' (expected read, edit)",
        "sharing/b.yaml:1: when: missing required key 'when'",
        "sharing/b.yaml:4: lable: unknown key 'lable'; did you mean 'label'?",
    ]


@pytest.mark.parametrize("when, message", [
    ("amout > 1", "column 1: unknown field 'amout'; did you mean 'amount'?"),
    ("amount", "column 1: must be a condition (true or false), but it gives currency"),
    ("changed(amount)", "column 1: changed() needs the record being written, and this "
                        "expression also runs in queries where there is none"),
    ("account.owner == current_user() and prior(amount) > 3",
     "column 37: prior() needs the record being written, and this expression also runs in "
     "queries where there is none"),
])
def test_a_sharing_rules_when_is_a_query_condition(tmp_path, when, message):
    assert errors_of(tmp_path, {"sharing/s.yaml": f"""
        kind: sharing_rule
        name: s
        object: deal
        when: '{when}'
        """}) == [f"sharing/s.yaml:4: when: {message}"]


def test_current_user_and_lookups_are_allowed_in_when(tmp_path):
    catalog = load_package(write_package(tmp_path, "p", {**OBJECTS, "sharing/s.yaml": """
        kind: sharing_rule
        name: s
        object: deal
        when: 'account.owner == current_user() or (amount > 100000 and owner.active)'
        """}))
    assert catalog.sharing_rules["s"].roles is None
    assert catalog.access_open  # a sharing rule alone does not close the package


def test_an_objects_sharing_is_one_of_three(tmp_path):
    assert errors_of(tmp_path, {"objects/x.yaml": """
        kind: object
        name: x
        title: n
        sharing: privat
        fields: {n: {type: text}}
        """}) == [
        "objects/x.yaml:4: sharing: unknown value 'privat' (expected private, read, edit); "
        "did you mean 'private'?"]


def test_a_sharing_rule_document_belongs_in_sharing(tmp_path):
    assert errors_of(tmp_path, {"roles/s.yaml": """
        kind: sharing_rule
        name: s
        object: deal
        when: 'true'
        """}) == ["roles/s.yaml:1: kind: a sharing_rule document belongs in sharing/"]


def test_access_of_a_required_packages_objects(tmp_path):
    write_package(tmp_path, "base", OBJECTS)
    catalog = load_package(write_package(tmp_path, "extra", {"roles/rep.yaml": """
        kind: role
        name: rep
        permissions: {deal: [read], account: all}
        """, "sharing/s.yaml": """
        kind: sharing_rule
        name: s
        object: deal
        when: 'amount > 0'
        roles: [rep]
        """}, requires=["base"]))
    assert catalog.sharing_rules["s"].package == "extra"
    assert not catalog.access_open


# -- the deploy plan -----------------------------------------------------------------------


def changed_copy(tmp_path, edits: dict):
    """The access fixture copied, with files edited ((old, new) or a list of them), replaced
    (a text) or removed (None)."""
    folder = tmp_path / "access"
    shutil.copytree(ACCESS, folder)
    for relative, edit in edits.items():
        path = folder / relative
        if edit is None:
            path.unlink()
        elif isinstance(edit, (tuple, list)):
            text = path.read_text()
            for old, new in [edit] if isinstance(edit, tuple) else edit:
                assert old in text
                text = text.replace(old, new)
            path.write_text(text)
        else:
            path.write_text(textwrap.dedent(edit).lstrip())
    return load_package(folder)


def test_the_diff_lists_permissions_sharing_and_sharing_rules(catalog, tmp_path):
    new = changed_copy(tmp_path, {
        "roles/sales_rep.yaml": [("margin: none", "margin: read")],
        "objects/opportunity.yaml": ("sharing: private", "sharing: read"),
        "sharing/big_deals.yaml": ("100000'", "50000'\nroles: [sales_manager]"),
        "sharing/account_owner_sees_deals.yaml": None,
        "sharing/new.yaml": "kind: sharing_rule\nname: new\nobject: case\nwhen: 'true'\n",
        "roles/auditor.yaml": "kind: role\nname: auditor\n",
    })
    assert [str(change) for change in diff_catalogs(catalog, new).changes] == [
        "~ object opportunity: sharing: 'private' -> 'read'",
        "~ role auditor: description: 'Declared, but no access to anything.' -> none; "
        "permissions: '0 objects' -> 'not declared'",
        "~ role sales_rep: permissions.opportunity.fields.margin: 'none' -> 'read'",
        "~ sharing rule big_deals: when: 'amount > 100000' -> 'amount > 50000'; roles: "
        "'everyone who may read' -> 'sales_manager'",
        "+ sharing rule new",
        "- sharing rule account_owner_sees_deals",
    ]


def test_the_diff_of_a_roles_actions(catalog, tmp_path):
    new = changed_copy(tmp_path, {"roles/sales_rep.yaml": [
        ("account:     [read, create, edit]", "account:     [read, create, edit, delete]"),
        ("case: all", "case: [read]\n  user: []"),
    ]})
    changes = diff_catalogs(catalog, new).changes
    assert [str(change) for change in changes] == [
        "~ role sales_rep: permissions.account: +'delete'; permissions.case: -'create' -'edit' "
        "-'delete' -'view_all' -'modify_all'; permissions.user: 'not named' -> 'nothing'"]
    assert changes[0].to_json()["differences"][0] == {
        "key": "permissions.account", "old": ["read", "create", "edit"],
        "new": ["read", "create", "edit", "delete"]}


def test_actions_bring_what_they_need(tmp_path):
    catalog = load_package(write_package(tmp_path, "p", {**OBJECTS, "roles/r.yaml": """
        kind: role
        name: r
        permissions: {deal: [delete], account: [modify_all]}
        """}))
    permissions = catalog.roles["r"].permissions
    assert permissions["deal"].allow == {"read", "edit", "delete"}
    assert permissions["account"].allow == {"read", "edit", "delete", "view_all", "modify_all"}


def test_access_notes(catalog):
    open_catalog = load_package(FIXTURES / "base")
    assert access_notes(catalog, open_catalog) == [
        "no role declares permissions: every signed-in user may do everything"]
    assert access_notes(None, open_catalog) == access_notes(open_catalog, open_catalog)
    assert access_notes(open_catalog, catalog) == [
        "access is enforced from now on: 3 roles declare permissions"]
    assert access_notes(None, catalog) == access_notes(open_catalog, catalog)
    assert access_notes(catalog, catalog) == []


# -- schemas, editors, export --------------------------------------------------------------


def test_fixture_files_name_their_schema_for_editors():
    files = sorted(ACCESS.rglob("*.yaml"))
    assert len(files) == 9
    for path in files:
        text = path.read_text()
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", text.splitlines()[0])
        assert match, path
        schema = (path.parent / match.group(1)).resolve()
        kind = re.search(r"^kind: (\w+)$", text, re.MULTILINE).group(1)
        assert schema == SCHEMA_DIR / f"{kind}.schema.json"
        data = YAML(typ="safe").load(text)
        assert list(Draft202012Validator(json.loads(schema.read_text()), registry=REGISTRY)
                    .iter_errors(data)) == [], path


REGISTRY = Registry().with_resources(
    (path.name, Resource.from_contents(json.loads(path.read_text()),
                                       default_specification=DRAFT202012))
    for path in SCHEMA_DIR.glob("*.json"))


@pytest.mark.parametrize("kind, data", [
    ("role", {"permissions": {"deal": "some"}}),
    ("role", {"permissions": {"deal": ["read", "write"]}}),
    ("role", {"permissions": {"deal": {"allow": "all", "fields": {"x": "hidden"}}}}),
    ("role", {"permissions": {"deal": {"fields": {}}}}),
    ("role", {"permissions": {"Deal": "all"}}),
    ("role", {"permissions": None}),
    ("object", {"title": "n", "fields": {"n": {"type": "text"}}, "sharing": "public"}),
    ("sharing_rule", {"object": "deal", "when": "true", "access": "none"}),
    ("sharing_rule", {"object": "deal", "when": ""}),
    ("sharing_rule", {"object": "deal", "when": "true", "roles": []}),
    ("sharing_rule", {"object": "deal"}),
])
def test_the_schemas_reject_bad_values(kind, data):
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    validator = Draft202012Validator(schema, registry=REGISTRY)
    assert not validator.is_valid({"kind": kind, "name": "x", **data})
    assert validator.is_valid({"kind": kind, "name": "x", **{
        "role": {"permissions": {"deal": "all", "account": [], "case": {"allow": ["read"]}}},
        "object": {"title": "n", "fields": {"n": {"type": "text"}}, "sharing": "private"},
        "sharing_rule": {"object": "deal", "when": "true", "roles": ["r"], "access": "edit"},
    }[kind]})


def test_the_export_round_trips_the_sharing_folder(tmp_path):
    from metacrm.packages import export_package
    from metacrm.store import Database, versions
    from metacrm.store import deploy as deployment

    catalog = load_package(ACCESS)
    files = versions.files_of(catalog)
    assert "sharing/big_deals.yaml" in files["access"]
    assert load_files(files, "access").content_hash == catalog.content_hash
    db = Database.from_url(f"sqlite:///{tmp_path}/access.db")
    try:
        deployment.apply(db, catalog)
        with db.read() as conn:
            version = versions.current(conn)
        root = export_package(version, tmp_path / "out")
        assert (root / "sharing" / "account_owner_sees_deals.yaml").read_bytes() == (
            ACCESS / "sharing" / "account_owner_sees_deals.yaml").read_bytes()
        again = load_package(root)
        assert again.content_hash == catalog.content_hash
        assert not diff_catalogs(catalog, again)
        assert deployment.plan(db, again).empty
    finally:
        db.dispose()
