"""Where the app finds what it serves: npm packages from ASSETS_DIR (a missing one is a warning
at start and a 404 that says what to do, never a 500), templates from the package with an
optional override folder (TEMPLATES_DIR)."""

from __future__ import annotations

import logging

import pytest

from metacrm.plugins import make_plugin_manager
from metacrm.web import create_app
from metacrm.web.settings import ROOT, settings


def app_with(tmp_path, **config):
    return create_app({"TESTING": True, "SECRET_KEY": "tests",
                       "DATABASE_URL": f"sqlite:///{tmp_path}/assets.db", **config},
                      plugins=make_plugin_manager())


def test_a_missing_npm_package_is_a_warning_and_a_404_that_says_what_to_do(tmp_path, caplog):
    empty = tmp_path / "node_modules"
    with caplog.at_level(logging.WARNING):
        app = app_with(tmp_path, ASSETS_DIR=str(empty))
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert str(empty) in warning and "METACRM_ASSETS_DIR" in warning and "bootstrap" in warning
    response = app.test_client().get("/static/vendor/bootstrap/css/bootstrap.min.css")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "METACRM_ASSETS_DIR" in body and "npm ci" in body and str(empty) in body
    assert app.test_client().get("/static/vendor/left-pad/index.js").status_code == 404


def test_installed_npm_packages_are_served_without_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        app = app_with(tmp_path, ASSETS_DIR=str(ROOT / "node_modules"))
    assert not [r for r in caplog.records if "METACRM_ASSETS_DIR" in r.getMessage()]
    client = app.test_client()
    assert client.get("/static/vendor/htmx.org/htmx.min.js").status_code == 200
    assert client.get("/static/vendor/htmx.org/no-such-file.js").status_code == 404


def test_assets_dir_defaults_to_the_working_directory_else_the_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("METACRM_ASSETS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    url = {"DATABASE_URL": "sqlite://", "SECRET_KEY": "tests"}
    assert settings(url)["ASSETS_DIR"] == str(ROOT / "node_modules")  # tests run from a checkout
    (tmp_path / "node_modules").mkdir()
    assert settings(url)["ASSETS_DIR"] == str(tmp_path / "node_modules")
    monkeypatch.setenv("METACRM_ASSETS_DIR", "/srv/assets")
    assert settings(url)["ASSETS_DIR"] == "/srv/assets"


def test_templates_come_from_the_package_and_an_override_folder_must_exist(tmp_path):
    assert app_with(tmp_path).test_client().get("/login").status_code == 200
    with pytest.raises(ValueError, match="METACRM_TEMPLATES_DIR"):
        app_with(tmp_path, TEMPLATES_DIR=str(tmp_path / "missing"))
