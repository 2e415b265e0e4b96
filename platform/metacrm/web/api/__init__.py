"""The REST API under /api/v1 and its OpenAPI document (being built: see the REST API issue)."""

from __future__ import annotations

from flask import Blueprint, Flask

from ..auth import csrf

blueprint = Blueprint("api", __name__, url_prefix="/api")


def init_app(app: Flask) -> None:
    # token requests carry no CSRF token; sessions are checked in api_actor() instead
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
