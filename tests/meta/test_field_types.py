"""Every field type: its keys, coercion of input, validation, storage and formula type."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import types as sa

from metacrm.formula.sqltypes import DateTimeSeconds
from metacrm.formula.types import FType
from metacrm.meta import BUILTIN_FIELD_TYPES, FieldTypeRegistry, FieldValueError, default_field_types
from metacrm.meta.fieldtypes import FieldType

REGISTRY = default_field_types()


def make(type_name: str, **params) -> FieldType:
    built, problems = REGISTRY[type_name].from_definition({"type": type_name, **params})
    assert built is not None, problems
    return built


def rejects(field_type: FieldType, value, message_part: str = "") -> None:
    with pytest.raises(FieldValueError) as caught:
        field_type.validate(field_type.coerce(value))
    assert message_part in str(caught.value)


def test_all_eighteen_types_are_registered():
    assert REGISTRY.names() == (
        "text", "long_text", "email", "phone", "url", "integer", "decimal", "currency", "percent",
        "boolean", "date", "datetime", "picklist", "multi_picklist", "lookup", "formula", "rollup",
        "auto_number")


MINIMAL = {
    "picklist": {"options": ["A", "B"]}, "multi_picklist": {"options": ["A", "B"]},
    "lookup": {"to": "account"}, "formula": {"returns": "currency", "expression": "1"},
    "rollup": {"from": "line.deal", "aggregate": "count"},
}
EXPECTED = {  # widget, formula type, stored, column type
    "text": ("text", FType.TEXT, True, sa.String), "long_text": ("textarea", FType.TEXT, True, sa.Text),
    "email": ("email", FType.TEXT, True, sa.String), "phone": ("tel", FType.TEXT, True, sa.String),
    "url": ("url", FType.TEXT, True, sa.String), "integer": ("number", FType.INTEGER, True, sa.BigInteger),
    "decimal": ("number", FType.DECIMAL, True, sa.Numeric),
    "currency": ("number", FType.CURRENCY, True, sa.Numeric),
    "percent": ("number", FType.PERCENT, True, sa.Numeric),
    "boolean": ("checkbox", FType.BOOLEAN, True, sa.Boolean), "date": ("date", FType.DATE, True, sa.Date),
    "datetime": ("datetime-local", FType.DATETIME, True, DateTimeSeconds),
    "picklist": ("select", FType.TEXT, True, sa.String),
    "multi_picklist": ("multiselect", FType.TEXT_LIST, True, sa.JSON),
    "lookup": ("lookup", FType.REFERENCE, True, sa.String),
    "formula": ("readonly", FType.CURRENCY, False, type(None)),
    "rollup": ("readonly", FType.INTEGER, True, sa.BigInteger),
    "auto_number": ("readonly", FType.TEXT, True, sa.String),
}


@pytest.mark.parametrize("type_name", sorted(EXPECTED))
def test_widget_formula_type_storage(type_name):
    field_type = make(type_name, **MINIMAL.get(type_name, {}))
    widget, ftype, stored, column = EXPECTED[type_name]
    assert field_type.widget == widget
    assert field_type.ftype is ftype
    assert field_type.stored is stored
    assert isinstance(field_type.column_type(), column)
    assert field_type.field_info("x").type is ftype


def test_column_details():
    assert make("currency").column_type().precision == 18 and make("currency").column_type().scale == 2
    assert make("decimal").column_type().scale == 6
    assert make("percent", precision=5, scale=1).column_type().precision == 5
    assert make("text").column_type().length == 255
    assert make("text", max_length=40).column_type().length == 40
    # datetimes are stored as the formula SQL back-end compiles them: naive UTC, whole seconds
    assert isinstance(make("datetime").column_type(), DateTimeSeconds)
    assert isinstance(make("multi_picklist", options=["A"]).column_type(), sa.JSON)
    assert isinstance(make("long_text", max_length=10).column_type(), sa.String)


def test_field_info_extras():
    assert make("picklist", options=["A", "B"]).field_info("s").options == ("A", "B")
    assert make("lookup", to="account").field_info("a").target == "account"
    assert make("formula", returns="text", expression="name").field_info("f").formula == "name"


# -- text ------------------------------------------------------------------------------------


def test_text():
    text = make("text", max_length=5)
    assert text.coerce("abc") == "abc"
    assert text.coerce("") is None and text.coerce(None) is None and text.coerce("   ") is None
    assert text.coerce(12) == "12"
    rejects(text, "abcdef", "at most 5 characters")
    with pytest.raises(FieldValueError, match="expected text"):
        text.coerce(["a"])
    with pytest.raises(FieldValueError, match="expected text"):
        text.coerce(True)
    rejects(make("text"), "x" * 256, "at most 255")
    make("long_text").validate("x" * 100_000)


@pytest.mark.parametrize("value", ["ann@example.com", "a.b+c@sub.example.co.uk", " ann@example.com "])
def test_email_accepts(value):
    email = make("email")
    email.validate(email.coerce(value))
    assert email.coerce(value) == value.strip()


@pytest.mark.parametrize("value", ["ann", "ann@", "@example.com", "ann@example", "a nn@example.com",
                                   "ann@exa mple.com", "ann@@example.com"])
def test_email_rejects(value):
    rejects(make("email"), value, "not a valid email address")


@pytest.mark.parametrize("value", ["+44 20 7946 0958", "(555) 123-4567", "555.123.4567 x 12", "112"])
def test_phone_accepts(value):
    make("phone").validate(value)


@pytest.mark.parametrize("value", ["12", "call me", "+44 (0) abc", "1" * 25])
def test_phone_rejects(value):
    rejects(make("phone"), value, "not a valid phone number")


def test_url():
    url = make("url", display="image")
    assert url.display == "image"
    url.validate("https://example.com/logo.png?x=1")
    url.validate("HTTP://EXAMPLE.COM")
    for bad in ("example.com", "ftp://example.com", "https://", "https:// x.com", "javascript:alert(1)"):
        rejects(url, bad, "not a valid web address")


@pytest.mark.parametrize("type_name, value", [
    ("email", "a" * 50_000 + "@"), ("email", "a@" + "a." * 20_000 + " "), ("phone", "1" * 50_000 + "a"),
    ("phone", "+" + "1 " * 30_000), ("url", "http://" + "a" * 5_000 + " "), ("url", "http://" + "a/" * 3_000 + " "),
])
def test_shape_checks_stay_fast_on_hostile_input(type_name, value):
    field_type = make(type_name, max_length=1_000_000)
    start = time.perf_counter()
    with pytest.raises(FieldValueError):
        field_type.validate(value)
    assert time.perf_counter() - start < 0.5


# -- numbers ---------------------------------------------------------------------------------


def test_integer():
    integer = make("integer", min=0, max=10)
    assert integer.coerce("7") == 7 and integer.coerce(" +7 ") == 7 and integer.coerce(7.0) == 7
    assert integer.coerce("8.0") == 8 and integer.coerce(Decimal("9")) == 9 and integer.coerce("") is None
    for bad in ("7.5", "seven", True, 7.5, [1], "nan"):
        with pytest.raises(FieldValueError, match="whole number"):
            integer.coerce(bad)
    rejects(integer, 11, "at most 10")
    rejects(integer, -1, "at least 0")
    rejects(make("integer"), 2**63, "at most")
    make("integer").validate(-(2**63))


def test_decimal_currency_percent():
    currency = make("currency", min=0)
    assert currency.coerce("1200.50") == Decimal("1200.50")
    assert currency.coerce(0.1) == Decimal("0.1")
    assert currency.coerce(5) == Decimal(5)
    currency.validate(Decimal("1.500"))  # trailing zeros are not digits
    rejects(currency, "1.555", "at most 2 digits after")
    rejects(currency, "-1", "at least 0")
    rejects(currency, "1" * 17, "at most 16 digits before")
    for bad in ("NaN", "Infinity", "1,5", "abc", True, {"a": 1}):
        with pytest.raises(FieldValueError):
            currency.coerce(bad)
    percent = make("percent", max=100)
    assert percent.coerce("12.5%") == Decimal("12.5")
    rejects(percent, "100.01", "at most 100")
    assert make("decimal").scale == 6 and make("decimal").precision == 18
    make("decimal").validate(Decimal("0.123456"))
    rejects(make("decimal"), "0.1234567", "at most 6 digits after")
    assert currency.to_text(Decimal("1E+2")) == "100"


# -- booleans, dates --------------------------------------------------------------------------


def test_boolean():
    boolean = make("boolean")
    for text in ("true", "Yes", "on", "1", "T", "y"):
        assert boolean.coerce(text) is True
    for text in ("false", "No", "off", "0", "F", "n"):
        assert boolean.coerce(text) is False
    assert boolean.coerce(1) is True and boolean.coerce(False) is False and boolean.coerce("") is None
    for bad in ("maybe", 2, [True]):
        with pytest.raises(FieldValueError, match="true or false"):
            boolean.coerce(bad)


def test_date():
    date = make("date", min="2020-01-01", max="2030-12-31")
    assert date.min == dt.date(2020, 1, 1)
    assert date.coerce("2024-02-29") == dt.date(2024, 2, 29)
    assert date.coerce(dt.date(2024, 1, 1)) == dt.date(2024, 1, 1)
    for bad in ("2023-02-29", "01/02/2024", "tomorrow", dt.datetime(2024, 1, 1, 12), 20240101):
        with pytest.raises(FieldValueError):
            date.coerce(bad)
    rejects(date, "2019-12-31", "at least 2020-01-01")
    rejects(date, "2031-01-01", "at most 2030-12-31")


def test_datetime_is_naive_utc_at_whole_seconds():
    moment = make("datetime")
    assert moment.coerce("2024-03-01T10:00:00") == dt.datetime(2024, 3, 1, 10)
    assert moment.coerce("2024-03-01T10:00:00Z") == dt.datetime(2024, 3, 1, 10)
    assert moment.coerce("2024-03-01T12:00:00+02:00") == dt.datetime(2024, 3, 1, 10)
    assert moment.coerce("2024-03-01T10:00:00.999") == dt.datetime(2024, 3, 1, 10)
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert moment.coerce(dt.datetime(2024, 3, 1, 12, tzinfo=plus_two)) == dt.datetime(2024, 3, 1, 10)
    assert moment.coerce("2024-03-01T10:00:00Z").tzinfo is None
    assert moment.coerce(dt.date(2024, 3, 1)) == dt.datetime(2024, 3, 1)
    with pytest.raises(FieldValueError, match="date and time"):
        moment.coerce("soon")


# -- choices, references ----------------------------------------------------------------------


def test_picklist():
    stage = make("picklist", options=["Open", "Closed Won"])
    assert stage.coerce(" closed won ") == "Closed Won"  # case-insensitive to the option
    stage.validate("Open")
    rejects(stage, "Clsoed Won", "'Clsoed Won' is not one of the options; did you mean 'Closed Won'?")
    rejects(stage, "Pending", "is not one of the options")


def test_multi_picklist():
    tags = make("multi_picklist", options=["Red", "Green", "Blue"])
    assert tags.coerce("red; Blue;red") == ["Red", "Blue"]
    assert tags.coerce(["Green", "Green"]) == ["Green"]
    assert tags.coerce([]) is None and tags.coerce(" ; ") is None
    assert tags.to_text(["Red", "Blue"]) == "Red;Blue"
    rejects(tags, ["Red", "Purple"], "'Purple' is not one of the options")
    with pytest.raises(FieldValueError):
        tags.coerce(3)


def test_lookup():
    account = make("lookup", to="account")
    assert account.on_delete == "set_null"
    assert make("lookup", to="account", required=True).on_delete == "restrict"
    assert account.coerce(" 01HXYZ ") == "01HXYZ" and account.coerce(42) == "42"
    rejects(account, "x" * 65, "not a record id")


# -- computed ---------------------------------------------------------------------------------


def test_formula_values_take_the_returns_type():
    total = make("formula", returns="currency", expression="amount * 2")
    assert total.accepts_input is False and total.column_type() is None
    assert total.coerce("12.50") == Decimal("12.50")
    assert make("formula", returns="boolean", expression="true").coerce("yes") is True


def test_rollup():
    count = make("rollup", **{"from": "opportunity.account", "aggregate": "count"})
    assert (count.child_object, count.child_lookup) == ("opportunity", "account")
    assert count.coerce("3") == 3 and count.accepts_input is False
    total = make("rollup", **{"from": "line.deal", "aggregate": "sum", "field": "amount"})
    assert total.ftype is FType.DECIMAL and isinstance(total.column_type(), sa.Numeric)


def test_auto_number():
    number = make("auto_number", format="CASE-{YYYY}-{00000}")
    assert number.render(42, dt.date(2024, 3, 7)) == "CASE-2024-00042"
    assert make("auto_number", format="{MM}/{DD}-{0}").render(123456, dt.date(2024, 3, 7)) == "03/07-123456"
    assert make("auto_number").render(5, dt.date(2024, 1, 1)) == "5"
    assert number.accepts_input is False


@pytest.mark.parametrize("type_name, params, message", [
    ("text", {"max_length": 0}, "max_length must be a whole number from 1"),
    ("text", {"options": ["a"]}, "'options' does not apply to a text field"),
    ("currency", {"precision": 40}, "precision must be a whole number from 1 to 38"),
    ("currency", {"precision": 4, "scale": 5}, "scale 5 is larger than precision 4"),
    ("integer", {"min": "ten"}, "min: expected a whole number"),
    ("date", {"min": "2024-02-01", "max": "2024-01-01"}, "max is smaller than min"),
    ("picklist", {}, "missing required key 'options'"),
    ("picklist", {"options": []}, "options must be a non-empty list"),
    ("picklist", {"options": ["a", "a"]}, "lists 'a' twice"),
    ("multi_picklist", {"options": ["a;b"]}, "may not contain ';'"),
    ("lookup", {"to": "x", "on_delete": "nullify"}, "unknown on_delete 'nullify'"),
    ("lookup", {"to": "x", "required": True, "on_delete": "set_null"}, "a required lookup cannot be emptied"),
    ("formula", {"returns": "money", "expression": "1"}, "returns must be one of"),
    ("formula", {"returns": "text", "expression": " "}, "expression must be a non-empty text"),
    ("formula", {"returns": "text", "expression": "1", "required": True}, "'required' does not apply"),
    ("rollup", {"from": "a.b", "aggregate": "sum"}, "a sum roll-up needs 'field'"),
    ("rollup", {"from": "a.b", "aggregate": "median", "field": "x"}, "aggregate must be one of"),
    ("rollup", {"from": "ab", "aggregate": "count"}, "from must be child_object.lookup_field"),
    ("auto_number", {"format": "X-{YYYY}"}, "exactly one counter"),
    ("auto_number", {"format": "X-{0}-{00}"}, "exactly one counter"),
    ("boolean", {"unique": True}, "a boolean field cannot be unique"),
    ("url", {"display": "video"}, "unknown display 'video'"),
])
def test_definition_problems(type_name, params, message):
    _, problems = REGISTRY[type_name].from_definition({"type": type_name, **params})
    assert any(message in problem.message for problem in problems), problems


def test_keys_per_type():
    assert REGISTRY["text"].keys() == ("max_length",)
    assert REGISTRY["url"].keys() == ("max_length", "display")
    assert REGISTRY["currency"].keys() == ("precision", "scale", "min", "max")
    assert REGISTRY["rollup"].keys() == ("from", "aggregate", "field", "filter")
    assert REGISTRY["lookup"].keys() == ("to", "on_delete")
    assert REGISTRY["boolean"].keys() == ()


def test_field_types_are_immutable():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        make("text").max_length = 3  # type: ignore[misc]


def test_registry_rules():
    with pytest.raises(ValueError, match="two field types are called 'text'"):
        class OtherText(REGISTRY["text"]):
            pass
        FieldTypeRegistry([REGISTRY["text"], OtherText])
    with pytest.raises(TypeError):
        FieldTypeRegistry([str])
    assert "text" in REGISTRY and "curency" not in REGISTRY and REGISTRY.get("nope") is None
    assert set(BUILTIN_FIELD_TYPES) == set(REGISTRY)


# -- properties: round trips and no crashes ---------------------------------------------------

OPTIONS = ["Open", "In Progress", "Closed Won", "Ünïcode"]
safe_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300).filter(
    lambda s: s.strip() != "")


def decimals(places: int, digits: int = 18):
    bound = Decimal(10) ** (digits - places) - Decimal(1).scaleb(-places)
    return st.decimals(min_value=-bound, max_value=bound, places=places, allow_nan=False,
                       allow_infinity=False)


ROUND_TRIPS = [
    ("text", {}, safe_text.map(lambda s: s[:255])),
    ("long_text", {}, safe_text),
    ("email", {}, st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)),
    ("phone", {}, st.from_regex(r"\+?[0-9]{3,12}( [0-9]{2,4}){0,2}", fullmatch=True)),
    ("url", {}, st.from_regex(r"https://[a-z]{1,12}\.[a-z]{2,4}(/[a-z0-9]{1,8}){0,3}", fullmatch=True)),
    ("integer", {}, st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    ("decimal", {}, decimals(6)),
    ("currency", {}, decimals(2)),
    ("percent", {"precision": 5}, decimals(2, 5)),
    ("boolean", {}, st.booleans()),
    ("date", {}, st.dates()),
    ("datetime", {}, st.datetimes().map(lambda moment: moment.replace(microsecond=0))),
    ("picklist", {"options": OPTIONS}, st.sampled_from(OPTIONS)),
    ("multi_picklist", {"options": OPTIONS}, st.lists(st.sampled_from(OPTIONS), min_size=1, unique=True)),
    ("lookup", {"to": "account"}, st.text("abcdefXYZ0123456789-_", min_size=1, max_size=64)),
    ("formula", {"returns": "date", "expression": "today()"}, st.dates()),
    ("rollup", {"from": "a.b", "aggregate": "count"}, st.integers(0, 2**40)),
    ("auto_number", {"format": "N-{0000}"}, st.integers(0, 10**6).map(lambda n: f"N-{n:04}")),
]


@pytest.mark.parametrize("type_name, params, values", ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS])
def test_round_trip_through_text(type_name, params, values):
    field_type = make(type_name, **params)

    @settings(max_examples=60, deadline=None)
    @given(values)
    def round_trip(value):
        field_type.validate(value)                      # a generated value is valid …
        again = field_type.coerce(field_type.to_text(value))
        assert again == value                           # … and survives text (CSV, forms)
        assert type(again) is type(value)
        field_type.validate(again)

    round_trip()


@pytest.mark.parametrize("type_name", sorted(EXPECTED))
def test_any_input_gives_a_value_or_a_field_value_error(type_name):
    field_type = make(type_name, **MINIMAL.get(type_name, {}))
    anything = st.one_of(st.text(max_size=80), st.integers(), st.floats(), st.booleans(), st.none(),
                         st.decimals(), st.lists(st.text(max_size=5), max_size=3), st.dates())

    @settings(max_examples=80, deadline=None)
    @given(anything)
    def never_crashes(value):
        try:
            field_type.validate(field_type.coerce(value))
        except FieldValueError as error:
            assert str(error)

    never_crashes()
