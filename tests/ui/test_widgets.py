"""Field types own their form widgets and displays: every built-in type names a macro that
exists, and its form methods read back what they write."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from metacrm.meta import BUILTIN_FIELD_TYPES
from metacrm.meta.fieldtypes import (BooleanType, CurrencyType, DatetimeType, DateType,
                                     IntegerType, MultiPicklistType, TextType, UrlType)
from metacrm.web.templating import PACKAGE_TEMPLATES as TEMPLATES


def macros(name: str) -> set[str]:
    return set(re.findall(r"{%-?\s*macro\s+(\w+)\(", (TEMPLATES / name).read_text()))


@pytest.mark.parametrize("cls", BUILTIN_FIELD_TYPES, ids=lambda c: c.name)
def test_every_builtin_widget_and_display_has_a_macro(cls):
    assert cls.widget.replace("-", "_") in macros("_widgets.html")
    display = cls.display_widget
    if isinstance(display, str):  # a class attribute (computed types decide per instance)
        assert display in macros("_display.html")


def test_form_attrs_follow_the_type():
    assert TextType(max_length=80).form_attrs() == {"maxlength": 80}
    money, _ = CurrencyType.from_definition({"type": "currency", "min": 0})
    assert money.form_attrs() == {"step": "0.01", "inputmode": "decimal", "min": "0"}
    three, _ = CurrencyType.from_definition({"type": "currency", "scale": 3})
    assert three.form_attrs()["step"] == "0.001"
    whole, _ = CurrencyType.from_definition({"type": "currency", "scale": 0})
    assert whole.form_attrs()["step"] == "1"
    assert IntegerType(min=1, max=9).form_attrs() == {"step": 1, "inputmode": "numeric",
                                                      "min": 1, "max": 9}
    day, _ = DateType.from_definition({"type": "date", "max": "2100-01-01"})
    assert day.form_attrs() == {"max": "2100-01-01"}


def test_from_form_and_to_form_read_back():
    boolean = BooleanType()
    assert boolean.coerce(boolean.from_form(["false", "true"])) is True   # checked
    assert boolean.coerce(boolean.from_form(["false"])) is False          # unchecked
    assert boolean.from_form([]) is None                                  # not on the form
    multi = MultiPicklistType(options=("A", "B", "C"))
    assert multi.coerce(multi.from_form(["", "A", "C"])) == ["A", "C"]
    assert multi.coerce(multi.from_form([""])) is None                    # none chosen
    assert multi.from_form([]) is None
    moment = DatetimeType()
    value = dt.datetime(2024, 5, 6, 7, 8, 9)
    assert moment.to_form(value) == "2024-05-06T07:08:09"
    assert moment.coerce(moment.from_form([moment.to_form(value)])) == value
    money, _ = CurrencyType.from_definition({"type": "currency"})
    assert money.coerce(money.to_form(Decimal("12.50"))) == Decimal("12.50")


def test_url_display_follows_its_setting():
    assert UrlType().display_widget == "url"
    assert UrlType(display="image").display_widget == "image"
