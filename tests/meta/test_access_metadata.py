"""Access metadata (METADATA.md, "Roles and access"): roles' permissions, objects' sharing,
sharing rules — loaded into the model, checked with file, line, path and a suggestion,
diffed for the deploy plan."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from meta_helpers import FIXTURES

from metacrm.meta import (ACTIONS, FIELD_ACCESS, SHARING, ObjectPermission, SharingRule,
                          load_package)

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
