"""What the web app keeps between requests: the database and the runtimes of the versions in
force (``metacrm.runtime.Runtimes``), read once per request.

    state = app.extensions["metacrm"]          # a WebState
    runtime = state.runtime()                  # per request: one max(number) read
    runtime.service.create("account", {...}, actor)
    access = runtime.access(actor)             # what they may see (None: everything)
    spec = runtime.part(keyed("api.openapi", access),                # per version and roles
                        lambda: build_spec(runtime, access))
"""

from __future__ import annotations

import pluggy
from flask import Flask, g, has_request_context

from ..runtime import Runtime, Runtimes
from ..store import Database


class WebState:
    """The app extension ``app.extensions["metacrm"]``."""

    def __init__(self, db: Database, plugins: pluggy.PluginManager):
        self.db = db
        self.plugins = plugins
        self.runtimes = Runtimes(db, plugins=plugins)

    def runtime(self) -> Runtime | None:
        """The runtime of the version in force (None when nothing is deployed). A deploy in
        another process is picked up by the next request: no restart. Within a request the
        answer is remembered, so the request works on one version from start to finish and
        reads the version number once."""
        if not has_request_context():
            return self.runtimes.current()
        if "metacrm_runtime" not in g:
            g.metacrm_runtime = self.runtimes.current()
        return g.metacrm_runtime


def init_app(app: Flask, db: Database, plugins: pluggy.PluginManager) -> WebState:
    state = app.extensions["metacrm"] = WebState(db, plugins)
    return state
