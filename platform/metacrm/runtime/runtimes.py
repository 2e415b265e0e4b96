"""The one bounded place a process keeps compiled metadata versions.

    runtimes = Runtimes(db, plugins=pm, vocabulary=Vocabulary.from_plugins(pm))
    runtime = runtimes.current()          # per request: one read (the newest version number
                                          # and the sign-in generation); None if nothing
    runtime.number, runtime.catalog, runtime.service

A deploy from any process is noticed by the next ``current()`` (the newest version number is
the one in force) and its Runtime built once, here, for every thread. The ``keep`` most
recently used versions stay built (``KEEP`` by default), so requests that began on the
previous version finish on it and a rollback to a recent version is instant; a version whose
files are the same as a kept one's (a rollback stores a new number) reuses its Catalog.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import pluggy
from sqlalchemy import Connection

from ..formula import Environment
from ..meta import Catalog, Vocabulary
from ..store import Database, versions
from .runtime import Runtime

__all__ = ["Runtimes", "KEEP"]

#: versions kept built per process. A Runtime with every object's write rules, a query plan
#: each and the OpenAPI document built holds about 1.5 MB on the standard CRM and 27 MB on the
#: 50 objects × 40 fields bench package (tracemalloc; docs/architecture.md)
KEEP = 4


class Runtimes:
    def __init__(self, db: Database, *, plugins: pluggy.PluginManager | None = None,
                 vocabulary: Vocabulary | None = None, env: Environment | None = None,
                 keep: int = KEEP):
        self.db = db
        self.plugins = plugins
        self.vocabulary = vocabulary if vocabulary is not None else (
            Vocabulary.from_plugins(plugins) if plugins is not None else Vocabulary.builtin())
        self.env = env
        self.keep = keep
        self._built: OrderedDict[int, Runtime] = OrderedDict()
        self._newest: Runtime | None = None
        self._lock = threading.Lock()
        self._initialised = False

    def current(self, conn: Connection | None = None) -> Runtime | None:
        """The runtime of the version in force (None when nothing is deployed); ``conn`` reads
        the version number inside the caller's transaction instead of a connection of its own."""
        if conn is None:
            with self.db.read() as conn:
                return self.current(conn)
        number, signin = self._latest(conn)
        if number is None:
            return None
        newest = self._newest
        runtime = newest if newest is not None and newest.number == number else \
            self._get(conn, number, newest=True)
        # the same statement read the sign-in generation: the runtime's token cache drops
        # what a deactivation, a role change or a revocation elsewhere has made stale
        runtime.accounts.observe(signin)
        return runtime

    def get(self, number: int, conn: Connection | None = None) -> Runtime:
        """The runtime of version ``number`` (UnknownVersion if there is none)."""
        if conn is None:
            with self.db.read() as conn:
                return self.get(number, conn)
        return self._get(conn, number, newest=False)

    def adopt(self, number: int, catalog: Catalog) -> Runtime:
        """Keep a runtime for version ``number`` built from ``catalog``, which this process
        has just deployed: the next request finds it built (the catalog is not loaded again
        from the stored files)."""
        with self._lock:
            runtime = self._built.get(number)
            if runtime is None:
                runtime = Runtime(self.db, catalog, number=number, plugins=self.plugins,
                                  env=self.env)
                self._built[number] = runtime
                self._trim()
            return runtime

    def _trim(self) -> None:
        while len(self._built) > self.keep:
            self._built.popitem(last=False)

    def _get(self, conn: Connection, number: int, newest: bool) -> Runtime:
        with self._lock:
            runtime = self._built.get(number)
            if runtime is None:
                runtime = self._build(conn, number)
                self._built[number] = runtime
            self._built.move_to_end(number)
            self._trim()
            if newest:
                self._newest = runtime
            return runtime

    def _build(self, conn: Connection, number: int) -> Runtime:
        stored = versions.load(conn, number, self.vocabulary)
        same = next((r.catalog for r in self._built.values()
                     if r.catalog.content_hash == stored.content_hash), None)
        catalog = same if same is not None else stored.catalog  # StoredVersionInvalid if broken
        return Runtime(self.db, catalog, number=number, plugins=self.plugins, env=self.env)

    def _latest(self, conn: Connection) -> tuple[int | None, int]:
        """The newest version number and the sign-in generation (one statement)."""
        if not self._initialised:
            # the versions table never goes away once made: ask only until it exists
            if not versions.is_initialised(conn):
                return None, 0
            self._initialised = True
        return versions.newest(conn)
