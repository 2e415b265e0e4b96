"""docs/ui.md names every page and helper URL of the end-user pages it describes (approval
pages, another part of the product, are documented with approvals)."""

from __future__ import annotations

from pathlib import Path

from metacrm.web import create_app

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "ui.md").read_text()
#: the modules of metacrm.web.ui that docs/ui.md describes
PAGES = {"metacrm.web.ui", "metacrm.web.ui.lists", "metacrm.web.ui.records", "metacrm.web.ui.forms",
         "metacrm.web.ui.board", "metacrm.web.ui.search", "metacrm.web.ui.profile"}
NAMES = {"<object_name>": "<object>", "<record_id>": "<id>", "<field_name>": "<picklist>"}


def test_every_ui_url_is_documented(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "docs",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/docs.db"})
    missing, checked = [], 0
    for rule in app.url_map.iter_rules():
        if app.view_functions[rule.endpoint].__module__ not in PAGES:
            continue
        checked += 1
        shown = rule.rule
        for name, doc in NAMES.items():
            shown = shown.replace(name, doc)
        if f"`{shown}" not in DOCS and f"`POST {shown}" not in DOCS:
            missing.append(shown)
    assert checked >= 12, "the pages' routes were not found"
    assert not missing, f"not in docs/ui.md: {missing}"
