"""Packages that require others, extensions, and data files."""

from __future__ import annotations

from meta_helpers import FIXTURES, load_errors, write_package

from metacrm.formula.types import FType
from metacrm.meta import load_package


def test_required_packages_join_the_catalog():
    catalog = load_package(FIXTURES / "base_extra")
    assert [p.name for p in catalog.packages] == ["base", "base_extra"]
    assert catalog.package.name == "base_extra"
    assert set(catalog.objects) == {"user", "account", "contact", "project"}
    assert catalog.object("contact").package == "base" and catalog.object("project").package == "base_extra"
    assert catalog.roles["rep"].reports_to == "manager"     # a role of the required package
    assert {(d.package, d.file) for d in catalog.documents} >= {
        ("base", "objects/account.yaml"), ("base_extra", "extensions/account_tiers.yaml")}


def test_extensions_add_fields_validations_and_indexes():
    catalog = load_package(FIXTURES / "base_extra")
    account = catalog.object("account")
    assert list(account.fields)[:4] == ["name", "industry", "tier", "tier_label"]
    assert account.fields["tier"].package == "base_extra" and account.fields["name"].package == "base"
    assert account.fields["tier"].default == "Silver"
    assert account.package == "base"
    assert [rule.name for rule in account.validations] == ["gold_needs_industry"]
    assert account.indexes[0].fields == ("tier",)
    assert catalog.extensions["account_tiers"].object == "account"
    assert "employee_number" in catalog.fields("user")
    assert catalog.scope("project").field("lead_number").formula == "lead.employee_number"
    assert [(o, f.name) for o, f in catalog.lookups_to("account")] == [("contact", "account"),
                                                                       ("project", "account")]
    assert catalog.scope("account").field("tier_label").type is FType.TEXT


def test_extension_mistakes():
    assert load_errors(FIXTURES / "bad_extension") == [
        "data/acount.csv: no object 'acount' for this data file (files are named after objects); "
        "did you mean 'account'?",
        "data/contact.csv:1: column 2: unknown field 'acount' on 'contact'; did you mean 'account'?",
        "extensions/broken.yaml:3: object: extension of unknown object 'acount'; did you mean 'account'?",
        "extensions/clash.yaml:5: fields.industry: field 'industry' already exists on 'account'",
        "extensions/on_user.yaml:5: fields.email: field 'email' already exists on 'user'",
        "extensions/own.yaml:3: object: object 'gadget' belongs to this package: add the fields to "
        "objects/gadget.yaml",
    ]


def test_missing_required_package():
    assert load_errors(FIXTURES / "needs_missing") == [
        "package.yaml:4: requires[1]: required package 'nowhere' not found (looked for "
        "../nowhere/package.yaml)"]


def test_errors_in_a_required_package_name_its_folder(tmp_path):
    write_package(tmp_path, "core", {"roles/a.yaml": "kind: role\nname: a\nreports_to: zz\n"})
    write_package(tmp_path, "addon", {}, requires=["core"])
    assert load_errors(tmp_path / "addon") == ["../core/roles/a.yaml:3: reports_to: unknown role 'zz'"]


def test_require_cycles_and_undeclared_requirements(tmp_path):
    write_package(tmp_path, "one", {}, requires=["two"])
    write_package(tmp_path, "two", {}, requires=["one"])
    assert load_errors(tmp_path / "one") == [
        "../two/package.yaml:4: requires[0]: packages require each other: one -> two -> one"]
    write_package(tmp_path, "lib", {"objects/thing.yaml": """
        kind: object
        name: thing
        title: name
        fields: {name: {type: text}}
        """})
    write_package(tmp_path, "middle", {}, requires=["lib"])
    write_package(tmp_path, "top", {"extensions/x.yaml": """
        kind: extension
        name: x
        object: thing
        fields: {extra: {type: text}}
        """}, requires=["middle"])
    catalog = load_package(tmp_path / "top")        # requires reach through packages
    assert "extra" in catalog.fields("thing")
    assert [p.name for p in catalog.packages] == ["lib", "middle", "top"]


def test_data_file_headers():
    catalog = load_package(FIXTURES / "base")
    assert catalog.package.name == "base"
