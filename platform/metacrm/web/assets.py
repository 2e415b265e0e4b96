"""Browser assets from the npm registry, served from ``node_modules`` (never committed).

``/static/vendor/<package>/<path>`` serves only the files of the packages listed here, so
nothing else in node_modules is reachable. ``scripts/run`` and ``scripts/test`` install them
(``npm ci``); the ``ASSETS_DIR`` setting (``METACRM_ASSETS_DIR``) says where they are. When
a package is missing there, the app warns once at start and its URLs answer a 404 that says
so. Our own small files are package data under ``/static/<path>`` (``web/static``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

#: npm package -> the folder inside it that is served
VENDOR = {
    "bootstrap": "dist",
    "bootstrap-icons": "font",
    "htmx.org": "dist",
    "sortablejs": "",
    "chart.js": "dist",
    "swagger-ui-dist": "",
}

blueprint = Blueprint("assets", __name__, static_folder="static", static_url_path="/static")


def missing(assets_dir: str | Path) -> list[str]:
    """The packages of VENDOR that are not installed in ``assets_dir``."""
    return [package for package, inner in VENDOR.items()
            if not (Path(assets_dir) / package / inner).is_dir()]


def _help(assets_dir, packages) -> str:
    return (f"npm {packages} missing from {assets_dir}: run 'npm ci' beside metacrm's "
            "package.json (it fills the node_modules folder there), and set METACRM_ASSETS_DIR "
            "(the ASSETS_DIR setting) to that folder")


@blueprint.record_once
def _warn_when_missing(state) -> None:
    assets_dir = state.app.config["ASSETS_DIR"]
    if absent := missing(assets_dir):
        state.app.logger.warning("%s", _help(assets_dir, f"packages {', '.join(absent)} are"))


@blueprint.route("/static/vendor/<package>/<path:path>")
def vendor(package: str, path: str):
    if package not in VENDOR:
        abort(404)
    assets_dir = current_app.config["ASSETS_DIR"]
    folder = Path(assets_dir) / package / VENDOR[package]
    if not folder.is_dir():
        abort(404, _help(assets_dir, f"package {package} is"))
    return send_from_directory(folder, path, max_age=86400)
