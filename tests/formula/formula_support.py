"""Shared test data for the formula tests: a few objects over a DictScope, and records.

Imported by the test modules (``from formula_support import ...``); not a conftest, so it adds
no fixtures to other test files.

The objects mirror the CRM's: ``opportunity`` looks up ``account`` and ``user``, ``account``
looks up its ``parent`` account and its ``owner``, and ``user`` its ``manager``. A few formula
fields reference other formula fields and go through lookups.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from metacrm.formula import DictScope, FieldInfo, FType

STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost")


def _fields(*infos: FieldInfo) -> dict[str, FieldInfo]:
    return {info.name: info for info in infos}


def F(name, type_, **kw) -> FieldInfo:  # noqa: N802 - reads like a declaration
    return FieldInfo(name, type_, **kw)


OBJECTS: dict[str, dict[str, FieldInfo]] = {
    "user": _fields(
        F("id", FType.TEXT),
        F("username", FType.TEXT),
        F("full_name", FType.TEXT),
        F("email", FType.TEXT),
        F("active", FType.BOOLEAN),
        F("manager", FType.REFERENCE, target="user"),
        F("roles", FType.TEXT_LIST),
        F("created_at", FType.DATETIME),
    ),
    "account": _fields(
        F("id", FType.TEXT),
        F("name", FType.TEXT),
        F("industry", FType.TEXT, options=("Energy", "Retail", "Software")),
        F("annual_revenue", FType.CURRENCY),
        F("employees", FType.INTEGER),
        F("founded", FType.DATE),
        F("parent", FType.REFERENCE, target="account"),
        F("owner", FType.REFERENCE, target="user"),
        F("display_name", FType.TEXT,
          formula='upper(name) & " (" & coalesce(industry, "n/a") & ")"'),
    ),
    "opportunity": _fields(
        F("id", FType.TEXT),
        F("name", FType.TEXT),
        F("amount", FType.CURRENCY),
        F("probability", FType.PERCENT),
        F("discount", FType.DECIMAL),
        F("quantity", FType.INTEGER),
        F("stage", FType.TEXT, options=STAGES),
        F("close_date", FType.DATE),
        F("created_at", FType.DATETIME),
        F("next_call", FType.DATETIME),
        F("account", FType.REFERENCE, target="account"),
        F("owner", FType.REFERENCE, target="user"),
        F("is_private", FType.BOOLEAN),
        F("tags", FType.TEXT_LIST, options=("VIP", "Renewal", "Partner")),
        F("loss_reason", FType.TEXT),
        F("description", FType.TEXT),
        # formula fields: one plain, one on top of it, one through a lookup, one boolean,
        # and one reading a formula field of the related account
        F("expected_revenue", FType.CURRENCY, formula="amount * probability / 100"),
        F("revenue_label", FType.TEXT, formula='name & ": " & text(expected_revenue)'),
        F("account_industry", FType.TEXT, formula="account.industry"),
        F("is_big", FType.BOOLEAN, formula="amount > 100000"),
        F("account_label", FType.TEXT, formula="account.display_name"),
    ),
}


def scope(object_name: str = "opportunity", objects=None) -> DictScope:
    return DictScope(OBJECTS if objects is None else objects, object_name)


# -- a small data set, used by the evaluation and the SQL tests --------------------------------

USERS = [
    {"id": "u1", "username": "boss", "full_name": "Bea Boss", "email": "bea@example.com",
     "active": True, "manager": None, "roles": ["sales_director"],
     "created_at": dt.datetime(2020, 1, 1, 8, 0, 0)},
    {"id": "u2", "username": "sam", "full_name": "Sam Seller", "email": "sam@example.com",
     "active": True, "manager": "u1", "roles": ["sales_rep"],
     "created_at": dt.datetime(2021, 6, 1, 8, 0, 0)},
    {"id": "u3", "username": "ghost", "full_name": None, "email": None,
     "active": False, "manager": None, "roles": None, "created_at": None},
]

ACCOUNTS = [
    {"id": "a1", "name": "Acme", "industry": "Energy", "annual_revenue": Decimal("5000000.00"),
     "employees": 120, "founded": dt.date(1999, 12, 31), "parent": None, "owner": "u2"},
    {"id": "a2", "name": "Acme Retail", "industry": None, "annual_revenue": None,
     "employees": None, "founded": None, "parent": "a1", "owner": "u3"},
]

OPPORTUNITIES = [
    # a complete record
    {"id": "o1", "name": "Big deal", "amount": Decimal("250000.00"),
     "probability": Decimal("20.00"), "discount": Decimal("2.5"), "quantity": 3,
     "stage": "Negotiation", "close_date": dt.date(2024, 3, 15),
     "created_at": dt.datetime(2024, 1, 10, 9, 30, 0),
     "next_call": dt.datetime(2024, 3, 15, 18, 0, 0),
     "account": "a1", "owner": "u2", "is_private": False, "tags": ["VIP", "Renewal"],
     "loss_reason": None, "description": "Straße & Ünïcode"},
    # a small won deal on a child account whose owner has no manager
    {"id": "o2", "name": "Small deal", "amount": Decimal("1000.50"),
     "probability": Decimal("100.00"), "discount": None, "quantity": 0,
     "stage": "Closed Won", "close_date": dt.date(2024, 2, 29),
     "created_at": dt.datetime(2024, 2, 1, 23, 59, 59), "next_call": None,
     "account": "a2", "owner": "u3", "is_private": True, "tags": ["Partner"],
     "loss_reason": None, "description": ""},
    # nearly everything blank
    {"id": "o3", "name": "Blank", "amount": None, "probability": None, "discount": None,
     "quantity": None, "stage": None, "close_date": None, "created_at": None,
     "next_call": None, "account": None, "owner": None, "is_private": None, "tags": None,
     "loss_reason": None, "description": None},
    # lost, negative amount, empty multi-picklist
    {"id": "o4", "name": "Lost deal", "amount": Decimal("-75.25"),
     "probability": Decimal("0.00"), "discount": Decimal("-1.5"), "quantity": -7,
     "stage": "Closed Lost", "close_date": dt.date(2023, 12, 31),
     "created_at": dt.datetime(2023, 6, 30, 12, 0, 0),
     "next_call": dt.datetime(2023, 12, 31, 0, 0, 0),
     "account": "a1", "owner": "u1", "is_private": False, "tags": [],
     "loss_reason": "Price", "description": "lower CASE"},
]

DATA = {"user": USERS, "account": ACCOUNTS, "opportunity": OPPORTUNITIES}
BY_ID = {name: {row["id"]: row for row in rows} for name, rows in DATA.items()}


def resolve(object_name: str, record_id):
    """EvalContext.resolve over DATA."""
    return BY_ID[object_name].get(record_id)


#: the clock of the tests: 2024-03-01 22:30:15.5 UTC (already 2024-03-02 in Auckland,
#: still 2024-03-01 in Los Angeles)
NOW = dt.datetime(2024, 3, 1, 22, 30, 15, 500000, tzinfo=dt.timezone.utc)
