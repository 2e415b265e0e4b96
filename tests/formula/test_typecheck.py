"""The type rules of the expression language, and the errors (with columns) the checker gives."""

from __future__ import annotations

import pytest

from metacrm.formula import FType, FormulaError, Usage, check, check_tree
from metacrm.formula import nodes as n
from metacrm.formula.types import assignable

from formula_support import OBJECTS, scope

T = FType


def type_of(source: str, usage: Usage = Usage.WRITE, on: str = "opportunity") -> FType:
    return check(source, scope(on), usage)


def type_error(source: str, usage: Usage = Usage.WRITE, on: str = "opportunity", **kw):
    with pytest.raises(FormulaError) as info:
        check(source, scope(on), usage, **kw)
    return info.value


def assert_error(source, column, message, **kw):
    error = type_error(source, **kw)
    assert (error.column, error.message) == (column, message)
    assert error.source == source
    return error


# -- arithmetic -------------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    # integers widen to the other operand; currency is contagious
    ("quantity + quantity", T.INTEGER),
    ("quantity * 2", T.INTEGER),
    ("quantity - 1", T.INTEGER),
    ("amount + 1", T.CURRENCY),
    ("amount + quantity", T.CURRENCY),
    ("amount + 1.5", T.CURRENCY),
    ("amount + discount", T.CURRENCY),
    ("amount * probability", T.CURRENCY),
    ("amount - amount", T.CURRENCY),
    ("probability + discount", T.DECIMAL),
    ("probability * probability", T.PERCENT),
    ("probability + 1", T.PERCENT),
    ("discount + quantity", T.DECIMAL),
    ("1 + 2.5", T.DECIMAL),
    # division: currency divided by a non-currency stays currency, everything else is decimal
    ("amount * probability / 100", T.CURRENCY),
    ("amount / quantity", T.CURRENCY),
    ("amount / probability", T.CURRENCY),
    ("amount / amount", T.DECIMAL),
    ("quantity / amount", T.DECIMAL),
    ("quantity / quantity", T.DECIMAL),
    ("7 / 2", T.DECIMAL),
    ("probability / 2", T.DECIMAL),
    ("discount / 2", T.DECIMAL),
    # null takes the other operand's type
    ("null + 1", T.INTEGER),
    ("1 + null", T.INTEGER),
    ("null * amount", T.CURRENCY),
    ("null / 2", T.DECIMAL),
    ("amount / null", T.DECIMAL),  # null plays the other operand: currency / currency
    ("null + null", T.NULL),
    ("-amount", T.CURRENCY),
    ("-probability", T.PERCENT),
    ("-quantity", T.INTEGER),
    ("-null", T.NULL),
    ("-(1.5)", T.DECIMAL),
])
def test_arithmetic_types(source, expected):
    assert type_of(source) is expected


@pytest.mark.parametrize("source, expected", [
    ("close_date + 1", T.DATE),
    ("close_date - 1", T.DATE),
    ("1 + close_date", T.DATE),
    ("close_date + quantity", T.DATE),
    ("close_date + null", T.DATE),
    ("null + close_date", T.DATE),
    ("close_date - null", T.DATE),
    ("today() + 3", T.DATE),
    ("created_at + 1", T.DATETIME),
    ("created_at + 1.5", T.DATETIME),
    ("created_at - 0.25", T.DATETIME),
    ("created_at + amount", T.DATETIME),
    ("2.5 + created_at", T.DATETIME),
    ("now() - 1", T.DATETIME),
    # date minus date: whole days; anything with a datetime: fractional days
    ("close_date - close_date", T.INTEGER),
    ("today() - close_date", T.INTEGER),
    ("created_at - created_at", T.DECIMAL),
    ("created_at - close_date", T.DECIMAL),
    ("close_date - created_at", T.DECIMAL),
    ("now() - today()", T.DECIMAL),
])
def test_date_arithmetic_types(source, expected):
    assert type_of(source) is expected


@pytest.mark.parametrize("source, column, message", [
    ("close_date + 1.5", 12, "a date plus a number needs a whole number of days, not a number"),
    ("close_date - 0.5", 12, "a date minus a number needs a whole number of days, not a number"),
    ("close_date + discount", 12,
     "a date plus a number needs a whole number of days, not a number"),
    ("close_date + amount", 12,
     "a date plus a number needs a whole number of days, not a currency amount"),
    ("close_date - probability", 12,
     "a date minus a number needs a whole number of days, not a percentage"),
    ("1.5 + close_date", 5, "a date plus a number needs a whole number of days, not a number"),
    ("1 - close_date", 3, "cannot subtract a whole number and a date"),
    ("close_date + close_date", 12, "cannot add a date and a date"),
    ("created_at + created_at", 12, "cannot add a date and time and a date and time"),
    ("close_date * 2", 12, "cannot multiply a date and a whole number"),
    ("close_date / 2", 12, "cannot divide a date and a whole number"),
    ("name + 1", 6, "'+' adds numbers; join texts with '&'"),
    ("1 + name", 3, "'+' adds numbers; join texts with '&'"),
    ("name + name", 6, "'+' adds numbers; join texts with '&'"),
    ("name - 1", 6, "cannot subtract text and a whole number"),
    ("name * 2", 6, "cannot multiply text and a whole number"),
    ("2 / name", 3, "cannot divide a whole number and text"),
    ("is_private + 1", 12, "cannot add true or false and a whole number"),
    ("tags + 1", 6, "cannot add a list of values and a whole number"),
    ("account * 2", 9, "cannot multiply a record id and a whole number"),
    ("null * name", 6, "cannot multiply null and text"),
    ("-name", 1, "'-' needs a number, not text"),
    ("  -close_date", 3, "'-' needs a number, not a date"),
    ("-is_private", 1, "'-' needs a number, not true or false"),
])
def test_arithmetic_errors(source, column, message):
    assert_error(source, column, message)


def test_date_meeting_datetime_is_widened_to_midnight():
    tree = check_tree("close_date - created_at", scope())
    assert isinstance(tree.left, n.ToDatetime) and tree.left.type is T.DATETIME
    assert tree.left.operand.type is T.DATE
    assert isinstance(tree.right, n.FieldRef)
    same = check_tree("close_date - close_date", scope())
    assert not isinstance(same.left, n.ToDatetime)


# -- text ---------------------------------------------------------------------------------------

def test_concatenation_takes_any_single_value():
    assert type_of('"a" & 1 & 2.5 & true & close_date & created_at & null & account & amount') \
        is T.TEXT


@pytest.mark.parametrize("source, column, message", [
    ("name & tags", 8, "'&' joins single values, not a list of values"),
    ("name & [1]", 8, "'&' joins single values, not a list"),
])
def test_concatenation_errors(source, column, message):
    assert_error(source, column, message)


# -- comparisons --------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "amount > 1", "amount >= quantity", "probability < discount", "quantity == 2.5",
    'name > "a"', 'name <= "b"', "name == account", 'account == "x"',
    "account == current_user()", "owner == account.owner", "close_date < created_at",
    "close_date == today()", "created_at >= now()", "is_private == true", "is_private != false",
    "is_big == is_private", "amount == null", "null == null", "tags == null", "tags != null",
])
def test_comparisons_are_boolean(source):
    assert type_of(source) is T.BOOLEAN


@pytest.mark.parametrize("source, column, message", [
    ("name == 1", 6, "cannot compare text with a whole number"),
    ('amount == "1"', 8, "cannot compare a currency amount with text"),
    ("close_date == 1", 12, "cannot compare a date with a whole number"),
    ('close_date > "2024-01-01"', 12, "cannot compare a date with text"),
    ("is_private == 1", 12, "cannot compare true or false with a whole number"),
    ('tags == "VIP"', 6, "cannot compare a list of values with text"),
    ("tags == tags", 6, "cannot compare a list of values with a list of values"),
    ("[1] == [1]", 5, "cannot compare a list with a list"),
    ("is_private < true", 12, "'<' does not order true and false; use '==' or '!='"),
    ("is_private >= false", 12, "'>=' does not order true and false; use '==' or '!='"),
    ("amount < null", 8,
     "'<' with null is never true; test blanks with is_blank(x) or x == null"),
    ("null >= amount", 6,
     "'>=' with null is never true; test blanks with is_blank(x) or x == null"),
])
def test_comparison_errors(source, column, message):
    assert_error(source, column, message)


@pytest.mark.parametrize("source, negated, operand", [
    ("amount == null", False, "amount"),
    ("null == amount", False, "amount"),
    ("amount != null", True, "amount"),
    ("null != stage", True, "stage"),
    ("tags == null", False, "tags"),
])
def test_equals_null_becomes_is_blank(source, negated, operand):
    tree = check_tree(source, scope())
    if negated:
        assert isinstance(tree, n.Not) and tree.type is T.BOOLEAN
        tree = tree.operand
    assert isinstance(tree, n.Call) and tree.name == "is_blank" and tree.type is T.BOOLEAN
    assert tree.args[0].path == (operand,)


def test_null_equals_null_is_is_blank_of_null():
    tree = check_tree("null == null", scope())
    assert tree.name == "is_blank" and tree.args[0].type is T.NULL


# -- picklists ----------------------------------------------------------------------------------

@pytest.mark.parametrize("source, column, message", [
    ('stage == "Clsoed Won"', 10,
     "'Clsoed Won' is not an option of 'stage'; did you mean 'Closed Won'?"),
    ('"Clsoed Won" == stage', 1,
     "'Clsoed Won' is not an option of 'stage'; did you mean 'Closed Won'?"),
    ('stage != "closed won"', 10,
     "'closed won' is not an option of 'stage'; did you mean 'Closed Won'?"),
    ('stage == "Nothing like it"', 10, "'Nothing like it' is not an option of 'stage'"),
    ('stage in ["Closed Won", "Closed Lots"]', 25,
     "'Closed Lots' is not an option of 'stage'; did you mean 'Closed Lost'?"),
    ('stage not in ["Prospect"]', 15,
     "'Prospect' is not an option of 'stage'; did you mean 'Prospecting'?"),
    ('account.industry == "Enrgy"', 21,
     "'Enrgy' is not an option of 'industry'; did you mean 'Energy'?"),
    ('"VIPs" in tags', 1, "'VIPs' is not an option of 'tags'; did you mean 'VIP'?"),
    ('"Gold" not in tags', 1, "'Gold' is not an option of 'tags'"),
])
def test_picklist_options_are_checked(source, column, message):
    assert_error(source, column, message)


@pytest.mark.parametrize("source", [
    'stage == "Closed Won"', 'stage in ["Prospecting", "Proposal"]', 'stage != "Closed Lost"',
    'account.industry == "Energy"', '"VIP" in tags', '"Partner" not in tags',
    'stage == name',  # not a literal: not checked
    'account_industry == "Whatever"',  # a formula field has no options
    'stage == null',
])
def test_picklist_values_that_pass(source):
    assert type_of(source) is T.BOOLEAN


# -- in -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "amount in [1, 2.5]", "quantity in [1, null]", 'name in ["a", account]', "name in []",
    "is_private in [true, null]", "close_date in [today(), now()]", "created_at in [today()]",
    '"VIP" in tags', "name in tags", "account in tags", "null in tags", "null in [1]",
    '"x" not in prior(tags)', "stage in [stage, loss_reason]",
])
def test_in_is_boolean(source):
    assert type_of(source) is T.BOOLEAN


@pytest.mark.parametrize("source, column, message", [
    ("5 in tags", 1, "'tags' holds texts; cannot look for a whole number in it"),
    ("close_date not in tags", 1, "'tags' holds texts; cannot look for a date in it"),
    ("5 in prior(tags)", 1, "the list holds texts; cannot look for a whole number in it"),
    ("tags in tags", 1, "the left side of 'in' must be a single value, not a list of values"),
    ('tags in ["a"]', 1, "the left side of 'in' must be a single value, not a list of values"),
    ("[1] in [[1]]", 9, "a list cannot contain a list"),
    ("name in [tags]", 10, "a list cannot contain a list"),
    ('amount in [1, "a"]', 15, "cannot compare a currency amount with text"),
    ("is_private in [1]", 16, "cannot compare true or false with a whole number"),
    ("amount in amount", 11, "the right side of 'in' must be a list like [\"a\", \"b\"] or a "
                             "multi-picklist field, not a currency amount"),
    ('"a" in name', 8, "the right side of 'in' must be a list like [\"a\", \"b\"] or a "
                       "multi-picklist field, not text"),
])
def test_in_errors(source, column, message):
    assert_error(source, column, message)


def test_in_widens_a_date_meeting_datetimes():
    tree = check_tree("close_date in [now(), today()]", scope())
    assert isinstance(tree.left, n.ToDatetime)
    assert isinstance(tree.right.items[0], n.Call)
    assert isinstance(tree.right.items[1], n.ToDatetime)
    other = check_tree("created_at in [today()]", scope())
    assert isinstance(other.right.items[0], n.ToDatetime)
    plain = check_tree("close_date in [today()]", scope())
    assert not isinstance(plain.left, n.ToDatetime)


# -- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected, on", [
    ("account", T.REFERENCE, "opportunity"),
    ("account.name", T.TEXT, "opportunity"),
    ("account.owner.manager.email", T.TEXT, "opportunity"),
    ("account.parent.parent.employees", T.INTEGER, "opportunity"),
    ("owner.roles", T.TEXT_LIST, "opportunity"),
    ("expected_revenue", T.CURRENCY, "opportunity"),
    ("revenue_label", T.TEXT, "opportunity"),
    ("account.display_name", T.TEXT, "opportunity"),
    ("manager.manager.active", T.BOOLEAN, "user"),
])
def test_field_types(source, expected, on):
    assert type_of(source, on=on) is expected


@pytest.mark.parametrize("source, column, message", [
    ("amout", 1, "unknown field 'amout'; did you mean 'amount'?"),
    ("Amount", 1, "unknown field 'Amount'; did you mean 'amount'?"),
    ("zzz", 1, "unknown field 'zzz'"),
    ("1 + amout", 5, "unknown field 'amout'; did you mean 'amount'?"),
    ("account.nmae", 9, "unknown field 'nmae' on 'account'; did you mean 'name'?"),
    ("account.owner.emial", 15, "unknown field 'emial' on 'user'; did you mean 'email'?"),
    ("account . owner . emial", 19, "unknown field 'emial' on 'user'; did you mean 'email'?"),
    ("acount.name", 1, "unknown field 'acount'; did you mean 'account'?"),
    ("amount.value", 8, "'amount' is not a lookup, so '.value' cannot follow it"),
    ("account.name.first", 14, "'name' is not a lookup, so '.first' cannot follow it"),
    ("is_private and\n  account.nmae == 'y'", 11,
     "unknown field 'nmae' on 'account'; did you mean 'name'?"),
    ("or", 1, "unexpected 'or': a keyword cannot be used as a name"),
    ("is_private and or", 16, "unexpected 'or': a keyword cannot be used as a name"),
    ("name in in", 9, "unexpected 'in': a keyword cannot be used as a name"),
])
def test_unknown_fields(source, column, message):
    assert_error(source, column, message)


def test_errors_on_a_later_line_carry_their_line():
    error = type_error("is_private and\n  account.nmae == 'y'")
    assert (error.line, error.column) == (2, 11)
    assert str(error).startswith("line 2, column 11: unknown field 'nmae'")


# -- functions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("is_blank(amount)", T.BOOLEAN), ("is_blank(tags)", T.BOOLEAN), ("is_blank(null)", T.BOOLEAN),
    ("coalesce(amount, quantity, 0)", T.CURRENCY), ("coalesce(name, account)", T.TEXT),
    ("coalesce(close_date, created_at)", T.DATETIME), ("coalesce(null)", T.NULL),
    ("coalesce(null, 2)", T.INTEGER),
    ("IF(true, 1, 2)", T.INTEGER), ("if(null, 1, 2)", T.INTEGER), ("if(true, 1, 2.5)", T.DECIMAL),
    ("if(true, amount, 2)", T.CURRENCY), ("if(true, close_date, created_at)", T.DATETIME),
    ("if(true, null, null)", T.NULL), ("if(is_private, null, name)", T.TEXT),
    ("today()", T.DATE), ("now()", T.DATETIME),
    ("days_between(close_date, today())", T.INTEGER),
    ("days_between(created_at, close_date)", T.INTEGER),
    ("days_between(null, null)", T.INTEGER),
    ("add_days(close_date, 1)", T.DATE), ("add_days(created_at, 1.5)", T.DATETIME),
    ("add_days(null, 1)", T.DATE), ("add_days(close_date, null)", T.DATE),
    ("year(close_date)", T.INTEGER), ("month(created_at)", T.INTEGER), ("day(null)", T.INTEGER),
    ("lower(name)", T.TEXT), ("upper(account)", T.TEXT), ("lower(null)", T.TEXT),
    ("len(name)", T.INTEGER), ("len(null)", T.INTEGER),
    ('contains(name, "a")', T.BOOLEAN), ("starts_with(name, account)", T.BOOLEAN),
    ('find("a", name)', T.INTEGER),
    ("left(name, 2)", T.TEXT), ("right(name, quantity)", T.TEXT), ("left(null, null)", T.TEXT),
    ("text(amount)", T.TEXT), ("text(close_date)", T.TEXT), ("text(null)", T.TEXT),
    ("text(is_private)", T.TEXT),
    ("round(amount, 2)", T.CURRENCY), ("round(quantity)", T.INTEGER),
    ("round(probability)", T.PERCENT), ("round(1.5)", T.DECIMAL),
    ("abs(probability)", T.PERCENT), ("abs(-1)", T.INTEGER),
    ("min(1, 2.5)", T.DECIMAL), ("min(amount, 0)", T.CURRENCY), ('min(name, "a")', T.TEXT),
    ("max(close_date, created_at)", T.DATETIME), ("max(close_date, null)", T.DATE),
    ("max(1, 2, 3, 4, 5)", T.INTEGER),
    ("current_user()", T.REFERENCE),
    ("changed(stage)", T.BOOLEAN), ("changed(account.name)", T.BOOLEAN),
    ("prior(amount)", T.CURRENCY), ("prior(tags)", T.TEXT_LIST), ("is_new()", T.BOOLEAN),
])
def test_function_types(source, expected):
    assert type_of(source) is expected


@pytest.mark.parametrize("source, column, message", [
    ("lenght(name)", 1, "unknown function 'lenght'; did you mean 'len'?"),
    ("is_blnak(name)", 1, "unknown function 'is_blnak'; did you mean 'is_blank'?"),
    ("foo(1)", 1, "unknown function 'foo'"),
    ("1 + sqrt(4)", 5, "unknown function 'sqrt'"),
    # arity
    ("len()", 1, "len() takes 1 argument, not 0"),
    ("len(name, name)", 1, "len() takes 1 argument, not 2"),
    ("if(true, 1)", 1, "if() takes 3 arguments, not 2"),
    ("coalesce()", 1, "coalesce() takes 1 or more arguments, not 0"),
    ("min(1)", 1, "min() takes 2 or more arguments, not 1"),
    ("  today(1)", 3, "today() takes no arguments, not 1"),
    ("round(amount, 1, 2)", 1, "round() takes 1 to 2 arguments, not 3"),
    ("is_new(1)", 1, "is_new() takes no arguments, not 1"),
    ("days_between(close_date)", 1, "days_between() takes 2 arguments, not 1"),
    # argument types
    ("round(amount, quantity)", 15, "round()'s digits must be a whole number like 0 or 2"),
    ("round(amount, -1)", 15, "round()'s digits must be a whole number like 0 or 2"),
    ("round(amount, 1.5)", 15, "round()'s digits must be a whole number like 0 or 2"),
    ("round(name)", 7, "round() needs a number, not text"),
    ("abs(name)", 5, "abs() needs a number, not text"),
    ("abs(close_date)", 5, "abs() needs a number, not a date"),
    ("if(amount, 1, 2)", 4, "if() needs a condition first, not a currency amount"),
    ('if(true, 1, "a")', 13, "if() mixes a whole number and text"),
    ("if(true, tags, tags)", 10, "if() takes single values, not a list of values"),
    ("coalesce(name, 1)", 16, "coalesce() mixes text and a whole number"),
    ("coalesce(tags)", 10, "coalesce() takes single values, not a list of values"),
    ("coalesce(is_private, 1)", 22, "coalesce() mixes true or false and a whole number"),
    ("min(true, false)", 1, "min() compares numbers, dates or texts, not true/false"),
    ('min(1, "a")', 8, "min() mixes a whole number and text"),
    ("max(close_date, 1)", 17, "max() mixes a date and a whole number"),
    ("year(name)", 6, "year() needs a date, not text"),
    ("month(amount)", 7, "month() needs a date, not a currency amount"),
    ("days_between(name, close_date)", 14, "days_between() needs dates, not text"),
    ("days_between(close_date, 1)", 26, "days_between() needs dates, not a whole number"),
    ("add_days(close_date, 1.5)", 22, "a date moves by whole days, not a number"),
    ("add_days(name, 1)", 10, "add_days() needs a date, not text"),
    ("add_days(close_date, name)", 22, "add_days() needs a number of days, not text"),
    ("lower(amount)", 7, "lower() needs text, not a currency amount"),
    ("len(tags)", 5, "len() needs text, not a list of values"),
    ("contains(name, 1)", 16, "contains() needs text, not a whole number"),
    ("starts_with(close_date, 'x')", 13, "starts_with() needs text, not a date"),
    ("find(1, name)", 6, "find() needs text, not a whole number"),
    ("left(name, 2.0)", 12, "left() needs a whole number of characters, not a number"),
    ("right(amount, 1)", 7, "right() needs text, not a currency amount"),
    ("text(tags)", 6, "text() takes a single value, not a list of values"),
    ("text([1])", 6, "text() takes a single value, not a list"),
    ("is_blank([1])", 10, "is_blank() takes a value or a field, not a list"),
    ("changed(1)", 9, "changed() takes a field, like changed(stage)"),
    ("prior(1 + 1)", 9, "prior() takes a field, like prior(stage)"),
    ("changed(lower(name))", 9, "changed() takes a field, like changed(stage)"),
])
def test_function_errors(source, column, message):
    assert_error(source, column, message)


# -- conditions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["not is_private", "not null", "is_big and not is_private",
                                    "is_private or null", "not (amount > 1)"])
def test_logic_is_boolean(source):
    assert type_of(source) is T.BOOLEAN


@pytest.mark.parametrize("source, column, message", [
    ("not amount", 5, "'not' needs true or false, not a currency amount"),
    ("amount and true", 1, "'and' needs true or false, not a currency amount"),
    ("true or name", 9, "'or' needs true or false, not text"),
    ("is_private and tags", 16, "'and' needs true or false, not a list of values"),
])
def test_logic_errors(source, column, message):
    assert_error(source, column, message)


# -- where an expression runs -------------------------------------------------------------------

@pytest.mark.parametrize("source, column, name", [
    ("changed(stage)", 1, "changed"),
    ("prior(amount) > 1", 1, "prior"),
    ("is_new()", 1, "is_new"),
    ("if(IS_NEW(), 1, 2)", 4, "is_new"),
    ("is_private and changed(stage)", 16, "changed"),
])
def test_write_only_functions_are_refused_in_queries(source, column, name):
    error = type_error(source, usage=Usage.QUERY)
    assert error.column == column
    assert error.message == (f"{name}() needs the record being written, and this expression "
                             "also runs in queries where there is none")
    check(source, scope(), Usage.WRITE)  # fine where a record is being written


def test_write_is_the_default_usage():
    assert check("is_new()", scope()) is T.BOOLEAN


def test_a_formula_field_is_checked_where_it_is_used_not_inside():
    # the checker trusts formula fields (meta checks them on their own); it uses their type
    objects = {"thing": {"bad": OBJECTS["opportunity"]["amount"].__class__(
        "bad", T.INTEGER, formula="changed(x)")}}
    assert check("bad + 1", scope("thing", objects), Usage.QUERY) is T.INTEGER


# -- expect= ------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, expect", [
    ("amount > 1", T.BOOLEAN), ("null", T.BOOLEAN), ("null", T.DATE), ("1", T.CURRENCY),
    ("amount", T.INTEGER), ("quantity", T.PERCENT), ("account", T.TEXT), ("name", T.REFERENCE),
    ("close_date", T.DATETIME), ("today() + 3", T.DATE), ('"Open"', T.TEXT),
    ("is_private", T.BOOLEAN),
])
def test_expect_accepts(source, expect):
    check(source, scope(), expect=expect)


@pytest.mark.parametrize("source, expect, message", [
    ("amount", T.TEXT, "the expression gives a currency amount, but text is needed here"),
    ("name", T.BOOLEAN, "the expression gives text, but true or false is needed here"),
    ("  name", T.BOOLEAN, "the expression gives text, but true or false is needed here"),
    ("created_at", T.DATE, "the expression gives a date and time, but a date is needed here"),
    ("[1]", T.BOOLEAN, "the expression gives a list, but true or false is needed here"),
    ("tags", T.TEXT, "the expression gives a list of values, but text is needed here"),
    ("1", T.BOOLEAN, "the expression gives a whole number, but true or false is needed here"),
    ("is_private", T.INTEGER, "the expression gives true or false, but a whole number is "
                              "needed here"),
])
def test_expect_refuses(source, expect, message):
    error = type_error(source, expect=expect)
    assert (error.column, error.message) == (1, message)


def test_assignable():
    assert assignable(T.NULL, T.DATE)
    assert assignable(T.INTEGER, T.CURRENCY) and assignable(T.CURRENCY, T.INTEGER)
    assert assignable(T.REFERENCE, T.TEXT) and assignable(T.TEXT, T.REFERENCE)
    assert assignable(T.DATE, T.DATETIME) and not assignable(T.DATETIME, T.DATE)
    assert not assignable(T.TEXT, T.INTEGER)
    assert not assignable(T.BOOLEAN, T.TEXT)


# -- the typed tree -----------------------------------------------------------------------------

def test_every_node_of_a_checked_tree_is_typed():
    tree = check_tree('if(amount > 1 and "VIP" in tags, text(close_date - created_at), '
                      'account.name & lower(-quantity & ""))', scope())
    assert all(node.type is not None for node in tree.walk())


def test_check_accepts_a_parsed_tree():
    from metacrm.formula import parse
    assert check(parse("amount * 2"), scope()) is T.CURRENCY
    with pytest.raises(FormulaError) as info:
        check(parse("amout"), scope())
    assert info.value.column == 1
