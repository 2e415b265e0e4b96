"""Everything compiled from one metadata version, in one object.

    runtime = Runtime(db, catalog, number=7, plugins=pm)
    runtime.service.create("account", {"name": "Acme"}, actor)     # the RecordService
    runtime.rules("account")                     # write rules (defaults, checks), compiled once
    runtime.plan("account", filter="…", sort="-amount")             # query plans, LRU-bounded
    spec = runtime.part("api.openapi", lambda: build_spec(runtime)) # other layers' compiled parts

A Runtime is built once per deployed version (``Runtimes`` keeps the recent ones) and shared
by every thread; what depends on who asks is compiled once per set of roles (``access()``,
plans with an ``access``, parts keyed by ``access.key``). Parts that higher layers compile — the
automation's workflow set, approval conditions, the OpenAPI document, form specs — are kept in
``part()`` under a key of their own, so they live and die with the version like the rest.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Sequence

import pluggy

from ..formula import Environment
from ..meta import Catalog, UnknownName, suggest
from ..store import Database, QueryError, QueryPlan, RecordStore, RollupIndex, build_tables
from .access import Access, VisibleScope, access_for
from .accounts import Accounts
from .actor import Actor
from .errors import QueryInvalid, UnknownObject
from .hooks import Hooks, plugin_manager
from .rules import ObjectRules
from .service import RecordService

__all__ = ["Runtime", "PLAN_CACHE_SIZE"]

#: query plans kept per runtime (each a compiled query shape)
PLAN_CACHE_SIZE = 256


class Runtime:
    def __init__(self, db: Database, catalog: Catalog, *, number: int | None = None,
                 plugins: pluggy.PluginManager | None = None, env: Environment | None = None):
        self.db = db
        self.catalog = catalog
        #: the metadata version (None: a catalog that was never deployed, e.g. in tests)
        self.number = number
        #: the process's plugin manager (from its composition root)
        self.plugins = plugin_manager(plugins)
        #: the clock and the organisation's time zone (the acting user is given per call)
        self.env = env or Environment()
        self.tables = build_tables(catalog)
        self.store = RecordStore(self.tables, db.dialect)
        self.rollups = RollupIndex(catalog, self.tables, db.dialect, self.env)
        self.hooks = Hooks(self.plugins)
        self._rules: dict[str, ObjectRules] = {}
        self._blank: dict[str, dict] = {}
        self._plans: OrderedDict[tuple, QueryPlan] = OrderedDict()
        self._parts: dict[str, Any] = {}
        self._access: dict[tuple, Access | None] = {}
        self._lock = threading.RLock()
        self.service = RecordService(self)
        #: users, passwords and tokens (on this version's ``user`` object)
        self.accounts = Accounts(self.service)

    def __repr__(self) -> str:
        return f"<Runtime version {self.number} of package {self.catalog.package.name}>"

    # -- compiled on first use, kept for the version's life ------------------------------------

    def rules(self, object_name: str) -> ObjectRules:
        """The write rules of an object (UnknownObject, with a suggestion, if there is none)."""
        rules = self._rules.get(object_name)
        if rules is None:
            try:
                built = ObjectRules(self.catalog, object_name)
            except UnknownName as err:
                raise UnknownObject(str(err)) from None
            with self._lock:
                rules = self._rules.setdefault(object_name, built)
        return rules

    def blank_record(self, object_name: str) -> dict:
        """Every stored field blank, roll-ups at their no-children value: a new record's start."""
        blank = self._blank.get(object_name)
        if blank is None:
            blank = dict.fromkeys(self.rules(object_name).stored)
            blank.update(self.rollups.initial_values(object_name))
            self._blank[object_name] = blank
        return blank

    def access(self, actor: Actor | None) -> Access | None:
        """What ``actor`` may do in this version (None: everything — admins, the system, an
        open package); compiled once per set of roles."""
        if actor is None or actor.is_admin or self.catalog.access_open:
            return None
        key = tuple(sorted(actor.roles))
        found = self._access.get(key, False)
        if found is False:
            with self._lock:
                found = self._access.setdefault(key, access_for(self.catalog, actor))
        return found

    def readable(self, object_name: str, access: Access | None) -> None:
        """UnknownObject unless the object exists for this user (404, suggestions only among
        the objects they may read)."""
        if access is None:
            self.rules(object_name)
        elif object_name not in self.catalog.objects or not access.may(object_name, "read"):
            hint = suggest(object_name, access.readable())
            raise UnknownObject(f"unknown object '{object_name}'"
                                + (f"; did you mean '{hint}'?" if hint else ""))

    def plan(self, object_name: str, *, fields: Sequence[str] | None = None,
             filter: str | None = None, sort: str | Sequence[str] | None = None,
             access: Access | None = None) -> QueryPlan:
        """The compiled query for this shape (least recently used plans are dropped); with
        ``access``, only what that user may see: their records, their fields."""
        key = (object_name, tuple(fields) if fields else None, filter,
               sort if isinstance(sort, str) or sort is None else tuple(sort),
               access.key if access is not None else None)
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
        self.readable(object_name, access)  # an unknown object fails here, with a suggestion
        restricted = {} if access is None else {
            "visible": VisibleScope(self.catalog.scope(object_name), access),
            "access": access.predicate(object_name, "read")}
        try:
            plan = QueryPlan(self.catalog, self.tables, self.db.dialect, object_name,
                             fields=fields, filter=filter, sort=sort, **restricted)
        except QueryError as err:
            raise QueryInvalid(object_name, err.errors) from None
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > PLAN_CACHE_SIZE:
                self._plans.popitem(last=False)
        return plan

    def part(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()``'s result, computed once for this version: what a higher layer compiles
        from the catalog (keys are namespaced by their layer: ``automation.workflows``,
        ``api.openapi``, ``ui.specs``…)."""
        try:
            return self._parts[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._parts:
                self._parts[key] = build()
            return self._parts[key]
