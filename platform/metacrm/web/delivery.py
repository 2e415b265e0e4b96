"""The automation extension of the web app: a Celery app to publish outbox rows to, and the
plugin manager whose workflow engine publishes through it.

    plugins = delivery.init_app(app)       # app.extensions["metacrm_celery"], ["metacrm_publisher"]

Rows are handed to the broker right after each commit (Redis with REDIS_URL, else the embedded
broker file), from a background thread (``automation/publisher.py``). A broker that is down
delays delivery, never a write: beat's sweeper publishes what could not be.
"""

from __future__ import annotations

import pluggy
from flask import Flask

from ..automation import BackgroundPublisher, Settings, make_celery, plugin_manager


def init_app(app: Flask) -> pluggy.PluginManager:
    """Sets the Celery app and the publisher up on ``app``; returns the plugin manager."""
    overrides = {"database_url": app.config["DATABASE_URL"]}
    if app.config.get("REDIS_URL"):
        overrides["broker_url"] = app.config["REDIS_URL"]
    celery = make_celery(Settings.from_env(**overrides))
    app.extensions["metacrm_celery"] = celery
    publisher = BackgroundPublisher(celery.metacrm_publish)
    app.extensions["metacrm_publisher"] = publisher
    plugins, _engine = plugin_manager(publisher=publisher)
    return plugins
