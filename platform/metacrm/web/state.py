"""What the web app keeps between requests: the database, the version in force, and what is
compiled from it (the RecordService, accounts, OpenAPI…), built once per deployed version.

    state = app.extensions["metacrm"]          # a WebState
    runtime = state.runtime()                  # per request: one max(number) read
    runtime.service.create("account", {...}, actor)
    spec = runtime.derived("openapi", lambda: build_spec(runtime))   # cached per version
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import pluggy
from flask import g, has_request_context

from ..meta import Catalog
from ..runtime import RecordService
from ..runtime.accounts import Accounts
from ..store import CatalogRegistry, Database, build_tables


@dataclass
class Runtime:
    """Everything compiled from one deployed version; shared by the requests that use it."""

    number: int
    catalog: Catalog
    service: RecordService
    accounts: Accounts
    _derived: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def derived(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()``'s result, computed once for this version (the OpenAPI document, form
        specs…): a request never compiles metadata again."""
        try:
            return self._derived[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._derived:
                self._derived[key] = build()
            return self._derived[key]


class WebState:
    """The app extension ``app.extensions["metacrm"]``."""

    #: how many versions' runtimes a process keeps (a rollback to a recent one is instant)
    KEEP = 4

    def __init__(self, db: Database, plugins: pluggy.PluginManager):
        self.db = db
        self.plugins = plugins
        self.registry = CatalogRegistry(db)
        self._runtimes: dict[int, Runtime] = {}
        self._lock = threading.Lock()

    def runtime(self) -> Runtime | None:
        """The runtime of the version in force (None when nothing is deployed). A deploy in
        another process is picked up by the next request: no restart. Within a request the
        answer is remembered, so the request works on one version from start to finish and
        reads the version number once."""
        if not has_request_context():
            return self._runtime()
        if "metacrm_runtime" not in g:
            g.metacrm_runtime = self._runtime()
        return g.metacrm_runtime

    def _runtime(self) -> Runtime | None:
        deployed = self.registry.current()
        if deployed is None:
            return None
        known = self._runtimes.get(deployed.number)
        if known is not None:
            return known
        with self._lock:
            if deployed.number not in self._runtimes:
                catalog = deployed.catalog
                service = RecordService(self.db, catalog, build_tables(catalog),
                                        metadata_version=deployed.number, plugins=self.plugins)
                self._runtimes[deployed.number] = Runtime(deployed.number, catalog, service,
                                                          Accounts(service))
                for old in sorted(self._runtimes)[:-self.KEEP]:
                    del self._runtimes[old]
            return self._runtimes[deployed.number]
