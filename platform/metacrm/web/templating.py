"""Where the pages' Jinja2 templates come from: a project's override folder first, then the
templates shipped inside the package (``metacrm/web/templates``).

    templating.init_app(app)      # create_app does this; TEMPLATES_DIR names the override folder

An override folder (the ``TEMPLATES_DIR`` setting, ``METACRM_TEMPLATES_DIR``; none by default)
holds only the files it changes. A file there named like a shipped one replaces it, and a
per-object file (``record-opportunity.html``) is tried before the generic one (see
``ui/common.page``). The shipped templates stay reachable as ``default:<name>``, so an override
can extend the one it replaces and fill blocks::

    {# <TEMPLATES_DIR>/record.html #}
    {% extends "default:record.html" %}
    {% block record_actions_extra %}<a href="…">Quote</a>{% endblock %}
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

#: the templates shipped with the package
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: ``default:record.html`` names the shipped ``record.html``, whatever overrides it
DEFAULT_PREFIX = "default"


def loader(override_dir: str | Path | None = None) -> BaseLoader:
    """The override folder (when given), then the shipped templates, then ``default:…``."""
    shipped = FileSystemLoader(PACKAGE_TEMPLATES)
    overrides = [FileSystemLoader(override_dir)] if override_dir else []
    return ChoiceLoader([*overrides, shipped,
                         PrefixLoader({DEFAULT_PREFIX: shipped}, delimiter=":")])


def init_app(app: Flask) -> None:
    """Make the app's templates come from ``loader(app.config["TEMPLATES_DIR"])``."""
    override_dir = app.config.get("TEMPLATES_DIR")
    if override_dir and not Path(override_dir).is_dir():
        raise ValueError(f"TEMPLATES_DIR (METACRM_TEMPLATES_DIR) is not a folder: {override_dir}")
    app.jinja_loader = loader(override_dir)
