"""Turning input (JSON, form fields, CSV cells) into Python values, and checking value shapes.

The field types in :mod:`metacrm.meta.fieldtypes` use these; they are plain functions so each
conversion is written once. Every failure is a :class:`FieldValueError` whose text can be shown
to the person who typed the value.

The regular expressions are deliberately simple and linear (no nested repetition), so a
hostile input cannot make them backtrack for long; lengths are checked before they run.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from metacrm.formula import to_utc_seconds


class FieldValueError(ValueError):
    """A value a field cannot take. ``str(error)`` is a message for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "off", "0"})


def is_blank(value: Any) -> bool:
    """Blank input: None, an empty string, or an empty list (an explicit blank stays blank)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, (list, tuple)) and len(value) == 0


def describe(value: Any) -> str:
    """How a value is named in a message: short, and its kind when it is not text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return repr(shown)
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value) if isinstance(value, (int, float, Decimal)) else type(value).__name__


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        raise FieldValueError(f"expected text, got {describe(value)}")
    return str(value)


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise FieldValueError(f"expected a whole number, got {describe(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        number = to_decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text)
        number = to_decimal(value, expected="a whole number")
    else:
        raise FieldValueError(f"expected a whole number, got {describe(value)}")
    if number != number.to_integral_value():
        raise FieldValueError(f"expected a whole number, got {describe(value)}")
    return int(number)


def to_decimal(value: Any, expected: str = "a number") -> Decimal:
    if isinstance(value, bool):
        raise FieldValueError(f"expected {expected}, got {describe(value)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)  # the shortest text that gives back the float: 0.1, not 0.1000000000000000055
    elif isinstance(value, Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise FieldValueError(f"expected {expected}, got {describe(value)}")
    text = value.strip()
    if len(text) > 100:
        raise FieldValueError(f"expected {expected}, got {describe(value)}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FieldValueError(f"expected {expected}, got {describe(value)}") from None
    # no field holds 1e999999999, and arithmetic on it overflows the decimal context
    if not number.is_finite() or abs(number.adjusted()) > 100:
        raise FieldValueError(f"expected {expected}, got {describe(value)}")
    return number


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise FieldValueError(f"expected true or false, got {describe(value)}")


def to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise FieldValueError(f"expected a date without a time, got {value.isoformat()}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value.strip()) <= 40:
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FieldValueError(f"expected a date (YYYY-MM-DD), got {describe(value)}")


def to_datetime(value: Any) -> dt.datetime:
    """A naive UTC datetime at whole seconds: the one form datetimes take everywhere (the
    formula language and the store use it too). A naive input is taken to be UTC already."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and len(value.strip()) <= 60:
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise FieldValueError(
                f"expected a date and time (YYYY-MM-DDTHH:MM:SS), got {describe(value)}"
            ) from None
    else:
        raise FieldValueError(f"expected a date and time, got {describe(value)}")
    return to_utc_seconds(moment)


def to_text_list(value: Any) -> list[str]:
    """A list of texts, from a list or from ``a;b;c`` (the spreadsheet convention); no duplicates."""
    if isinstance(value, str):
        items = [part.strip() for part in value.split(";")]
    elif isinstance(value, (list, tuple)):
        items = [to_text(item).strip() for item in value]
    else:
        raise FieldValueError(f"expected a list of texts, got {describe(value)}")
    return list(dict.fromkeys(item for item in items if item))


def decimal_text(number: Decimal) -> str:
    """A decimal as plain digits (never ``1E+2``), keeping its places: ``1200.50``."""
    return format(number, "f")


def digits_of(number: Decimal) -> tuple[int, int]:
    """(digits before the point, digits after it) of a decimal, trailing zeros ignored."""
    sign, digits, exponent = number.normalize().as_tuple()
    assert isinstance(exponent, int)
    after = max(0, -exponent)
    before = max(0, len(digits) + exponent)
    return before, after


_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"\+?[0-9 ().\-/]+(?: ?(?:x|ext\.?) ?[0-9]{1,6})?", re.IGNORECASE)
# the host cannot contain what may follow it, so a failing match backtracks in linear time
_URL = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)
MAX_URL_LENGTH = 8192


def check_email(value: str) -> None:
    local, at, domain = value.rpartition("@")
    if (not at or not local or len(value) > 254 or "@" in local or any(c.isspace() for c in local)
            or not _EMAIL_DOMAIN.fullmatch(domain)):
        raise FieldValueError(f"{describe(value)} is not a valid email address")


def check_phone(value: str) -> None:
    digits = sum(c.isdigit() for c in value)
    if len(value) > 60 or not _PHONE.fullmatch(value) or not 3 <= digits <= 20:
        raise FieldValueError(f"{describe(value)} is not a valid phone number")


def check_url(value: str) -> None:
    if len(value) > MAX_URL_LENGTH or not _URL.fullmatch(value):
        raise FieldValueError(f"{describe(value)} is not a valid web address (http:// or https://)")
