"""The standard CRM package loads, and has what a CRM user expects."""

from __future__ import annotations

import shutil
import time
from decimal import Decimal

from meta_helpers import CRM, load_errors

from metacrm.formula import Usage, check
from metacrm.formula.types import FType
from metacrm.meta import load_package


def test_loads_quickly():
    start = time.perf_counter()
    catalog = load_package(CRM)
    elapsed = time.perf_counter() - start
    assert catalog.package.name == "crm" and catalog.package.version == "1.0.0"
    assert elapsed < 3, f"loading metadata/crm took {elapsed:.2f}s"


def test_objects(crm):
    assert list(crm.objects) == ["user", "account", "case", "contact", "opportunity", "task"]
    opportunity = crm.object("opportunity")
    assert opportunity.title == "name" and opportunity.plural == "Opportunities"
    fields = opportunity.fields
    assert fields["account"].type.to == "account" and fields["account"].type.on_delete == "restrict"
    assert fields["stage"].default == "Prospecting" and fields["probability"].default == Decimal(10)
    assert fields["expected_revenue"].ftype is FType.CURRENCY and not fields["expected_revenue"].stored
    assert fields["number"].type.render(7, __import__("datetime").date(2024, 1, 2)) == "OPP-2024-0007"
    assert fields["loss_reason"].required_when == 'stage == "Closed Lost"'
    assert fields["loss_reason"].visible_when == 'stage == "Closed Lost"'
    assert [rule.name for rule in opportunity.validations] == ["won_needs_close_date", "discount_needs_amount"]
    assert opportunity.indexes[0].fields == ("stage", "close_date") and opportunity.indexes[1].unique
    account = crm.object("account").fields
    assert account["open_pipeline"].ftype is FType.CURRENCY       # bound from opportunity.amount
    assert account["open_pipeline"].type.column_type().scale == 2
    assert account["opportunity_count"].ftype is FType.INTEGER
    task = crm.object("task").fields
    assert task["due_date"].default_formula == "today() + 3"
    assert task["assigned_to"].type.to == "user"


def test_system_fields_and_user(crm):
    for obj in crm.objects.values():
        assert list(obj.fields)[-7:] == ["id", "created_at", "updated_at", "created_by", "updated_by",
                                         "owner", "version"]
    user = crm.object("user")
    assert list(user.fields)[:6] == ["username", "full_name", "email", "active", "manager", "roles"]
    assert user.fields["manager"].type.to == "user"
    assert user.fields["roles"].ftype is FType.TEXT_LIST
    assert user.fields["roles"].type.options == (
        "finance", "read_only", "sales_manager", "sales_rep", "support")
    assert crm.fields("account")["owner"].editable and not crm.fields("account")["created_at"].editable


def test_layouts_views_automation_roles(crm):
    for name in ("account", "contact", "opportunity", "task"):
        assert crm.layouts_for(name) and crm.views_for(name), name
    assert crm.default_layout("opportunity").name == "opportunity_default"
    assert crm.default_layout("contact").name == "contact_default"   # the only one
    assert crm.default_layout("user") is None
    layout = crm.default_layout("opportunity")
    assert [tab.label for tab in layout.tabs] == ["Details", "Approval"]
    assert layout.sections[1].visible_when == 'stage == "Closed Lost"'
    assert crm.default_layout("contact").sections[0].rows[0] == ("first_name", "email")
    view = crm.list_views["open_pipeline"]
    assert [str(key) for key in view.sort] == ["-amount", "name"]
    assert [w.name for w in crm.workflows_for("opportunity")] == [
        "close_date_reminder", "won_followup", "discount_approval"]
    assert crm.workflows["close_date_reminder"].schedule.offset_days == -7
    process = crm.approvals_for("opportunity")[0]
    assert process.name == "big_discount" and process.lock and process.editable_while_locked == ("next_step",)
    assert [(s.name, s.approvers.kind, s.approvers.role, s.mode, s.quorum) for s in process.steps] == [
        ("manager", "role", "sales_manager", "first", None), ("finance", "role", "finance", "quorum", 2)]
    assert process.steps[1].when == "discount > 40"
    assert set(crm.roles) == {"sales_rep", "sales_manager", "finance", "support", "read_only"}
    assert crm.roles["sales_rep"].reports_to == "sales_manager"


def test_scope_feeds_the_formula_checker(crm):
    scope = crm.scope("opportunity")
    assert check("amount * probability / 100", scope, usage=Usage.QUERY) is FType.CURRENCY
    assert check('account.owner.manager.email & "!"', scope) is FType.TEXT
    assert scope.field("stage").options[0] == "Prospecting"
    assert scope.field("owner").target == "user" and scope.field("owner").type is FType.REFERENCE
    assert scope.field("expected_revenue").formula == "amount * probability / 100"
    assert scope.field("nope") is None
    assert "created_at" in scope.field_names()
    assert scope.scope_for("account").object_name == "account"


def test_a_changed_copy_gets_a_new_hash(tmp_path, crm):
    copy = tmp_path / "crm"
    shutil.copytree(CRM, copy)
    assert load_package(copy).content_hash == crm.content_hash
    path = copy / "objects" / "account.yaml"
    path.write_text(path.read_text().replace("max_length: 120", "max_length: 100"))
    assert load_package(copy).content_hash != crm.content_hash


def test_breaking_the_crm_reports_precisely(tmp_path):
    copy = tmp_path / "crm"
    shutil.copytree(CRM, copy)
    path = copy / "objects" / "opportunity.yaml"
    text = path.read_text().replace("expression: 'amount * probability / 100'",
                                    "expression: 'amout * probability / 100'")
    path.write_text(text)
    line = text.splitlines().index("    expression: 'amout * probability / 100'") + 1
    assert load_errors(copy) == [
        f"objects/opportunity.yaml:{line}: fields.expected_revenue.expression: column 1: unknown "
        "field 'amout'; did you mean 'amount'?"]
