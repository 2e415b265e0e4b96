"""Browser assets from the npm registry, served from ``node_modules`` (never committed).

``/static/vendor/<package>/<path>`` serves only the files of the packages listed here, so
nothing else in node_modules is reachable. ``scripts/run`` and ``scripts/test`` install them
(``npm ci``). Our own small files are under ``/static/<path>`` (``web/static``).
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


@blueprint.route("/static/vendor/<package>/<path:path>")
def vendor(package: str, path: str):
    if package not in VENDOR:
        abort(404)
    folder = Path(current_app.config["ASSETS_DIR"]) / package / VENDOR[package]
    response = send_from_directory(folder, path, max_age=86400)
    return response
