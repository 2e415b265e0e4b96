"""The application factory.

    from metacrm.web import create_app
    app = create_app({"DATABASE_URL": "sqlite:///instance/metacrm.db"})
    app.run()                     # or: metacrm serve / metacrm serve --workers 4 (gunicorn)

``config`` overrides the environment (see ``metacrm.web.settings``). The app holds no
metadata of its own: every request reads which version is in force (one integer) and uses
what was compiled for it, so a deploy from anywhere shows up without a restart.
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask
from flask_limiter import Limiter

from ..store import Database
from . import api, assets, auth, delivery, state, templating, ui
from .ui import profile
from .settings import settings


def create_app(config: Mapping[str, Any] | None = None, *, db: Database | None = None,
               plugins=None) -> Flask:
    """A metacrm web app. ``db`` and ``plugins`` may be given (tests share a Database and a
    plugin manager with the code around them); by default both are made from the settings.

    This is the web process's composition root: it builds the one plugin manager (with the
    workflow engine publishing to Celery, ``web/delivery.py``) and hands it to the runtimes
    (``web/state.py``); each part of the app is an extension with its own ``init_app``."""
    options = settings(config)
    app = Flask("metacrm", template_folder=None, static_folder=None)  # see templating.py
    app.config.update(options)
    app.config.setdefault("RATELIMIT_STORAGE_URI", options.get("REDIS_URL") or "memory://")
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False

    database = db or Database.from_url(options["DATABASE_URL"])
    if plugins is None:
        plugins = delivery.init_app(app)
    state.init_app(app, database, plugins)

    limiter = Limiter(auth.rate_limit_key, app=app, default_limits=[options["RATELIMIT_DEFAULT"]])
    app.extensions["metacrm_limiter"] = limiter
    auth.init_app(app)
    app.register_blueprint(assets.blueprint)
    templating.init_app(app)
    limiter.exempt(assets.blueprint)
    # sign-in attempts get a tighter limit of their own (guessing passwords)
    app.view_functions["auth.login"] = limiter.limit(
        options["RATELIMIT_LOGIN"], methods=["POST"])(app.view_functions["auth.login"])
    api.init_app(app)
    ui.init_app(app)
    profile.init_app(app)
    return app
