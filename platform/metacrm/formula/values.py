"""Value helpers shared by the Python back-end and the function table: blanks, text, days."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal


def is_blank(value) -> bool:
    """Blank: null, empty text or an empty list."""
    return value is None or value == "" or value == []


def same(a, b) -> bool:
    """Equal for ``changed()``: two blanks are the same, whatever their form."""
    if is_blank(a) and is_blank(b):
        return True
    return a == b


def number(value):
    """Numbers as int or Decimal (a float that slipped in becomes its shortest Decimal)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def to_text(value) -> str:
    """The text form of a value, as ``text()`` and ``&`` give it (SQL gives the same)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):  # not strftime: %Y does not pad years before 1000
        return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
                f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def add_days(start, days):
    """A date or datetime ``days`` away; datetimes keep whole seconds (floor)."""
    if start is None or days is None:
        return None
    if isinstance(start, dt.datetime):
        moved = start + dt.timedelta(seconds=float(number(days) * 86400))
        return moved.replace(microsecond=0)
    return start + dt.timedelta(days=int(days))


def difference(end, start):
    """``end - start``: whole days between dates, fractional days between datetimes."""
    if end is None or start is None:
        return None
    if isinstance(end, dt.datetime):
        return Decimal(int((end - start).total_seconds())) / 86400
    return (end - start).days


def days_between(start, end):
    """Whole days from start to end, truncated toward zero."""
    if start is None or end is None:
        return None
    if isinstance(end, dt.datetime):
        seconds = int((end - start).total_seconds())
        whole = abs(seconds) // 86400
        return whole if seconds >= 0 else -whole
    return (end - start).days


def round_half_up(value, digits: int):
    """Round half away from zero, as SQL's round() does."""
    if value is None or isinstance(value, int):
        return value
    value = number(value)
    if value.as_tuple().exponent >= -digits:  # nothing to round (and quantize could overflow
        return value                          # the context's precision for big `digits`)
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def midnight(value):
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)
