"""Values as pages show them: Jinja filters used by templates/_display.html.

The field type says *which* display a value gets (``display_widget``: badge, currency, lookup…);
these filters only format numbers and dates the same way on every page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask, current_app

from .formstate import LOOKUP_TEXT, field_text


def number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{Decimal(str(value)):,}"
    return f"{value:,}"


def money(value) -> str:
    if value is None:
        return ""
    return f"{Decimal(value).quantize(Decimal('0.01')):,}"


def percent(value) -> str:
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def date(value) -> str:
    if value is None:
        return ""
    return value.strftime("%-d %b %Y") if isinstance(value, (dt.date, dt.datetime)) else str(value)


def datetime(value) -> str:
    if value is None:
        return ""
    return value.strftime("%-d %b %Y %H:%M") + " UTC" if isinstance(value, dt.datetime) \
        else str(value)


def init_app(app: Flask) -> None:
    for name, fn in (("number", number), ("money", money), ("percent", percent),
                     ("date", date), ("datetime", datetime)):
        app.jinja_env.filters["crm_" + name] = fn
    app.jinja_env.globals.update(show=show, widget=widget, field_text=field_text,
                                 lookup_text_suffix=LOOKUP_TEXT)


def _module(name: str):
    """A template's macros; kept per app while templates are not reloaded (production), since
    a list page calls a macro per cell."""
    env = current_app.jinja_env
    if env.auto_reload:
        return env.get_template(name).module
    kept = current_app.extensions.setdefault("metacrm_ui_macros", {})
    module = kept.get(name)
    if module is None:
        module = kept[name] = env.get_template(name).module
    return module


def show(field, value, rec=None):
    """A value as HTML, by the macro of templates/_display.html its field type names
    (``display_widget``); a display no macro knows is shown as text."""
    module = _module("_display.html")
    macro = getattr(module, field.display, None) or module.text
    return macro(field, value, rec or {})


def widget(field):
    """The macro of templates/_widgets.html that edits this field (its type's ``widget``)."""
    module = _module("_widgets.html")
    return getattr(module, field.widget.replace("-", "_"), None) or module.text
