"""The RecordService: the ONE way records are written (and the usual way they are read).

    service = RecordService(db, catalog, build_tables(catalog), metadata_version=7,
                            plugins=make_plugin_manager())
    ann = Actor(user_id=user_id, username="ann")
    deal = service.create("opportunity", {"name": "Big deal", "account": acme_id}, ann)
    deal = service.update("opportunity", deal["id"], {"stage": "Proposal"}, ann,
                          version=deal["version"])            # VersionConflict if stale
    page = service.query("opportunity", ann, filter='stage == "Proposal"', sort="-amount")
    service.create_many("contact", rows, ann)                 # all or nothing, BulkInvalid
    service.delete("account", acme_id, ann)                   # on_delete of every lookup
    service.history("opportunity", deal["id"])

Make one service per catalog version and keep it: everything derived from the catalog (write
rules, compiled expressions, statements, query plans) is compiled on first use and cached in
it. Every write runs in one transaction; pass ``conn=`` (from :meth:`transaction` or a hook's
``change.connection``) to make several writes one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import weakref
from collections import OrderedDict
from typing import Iterator, Mapping, Sequence

import pluggy
from sqlalchemy import Connection, Table

from ..formula import Environment
from ..meta import Catalog, UnknownName
from ..store import Database
from ..store.history import decode_values, read_history
from ..store.query import DEFAULT_LIMIT, Page, QueryError, QueryPlan, using_environment
from ..store.records import RecordStore
from ..store.rollups import RollupIndex
from .actor import Actor
from .errors import QueryInvalid, RecordNotFound, UnknownObject
from .hooks import Hooks, plugin_manager
from .rules import ObjectRules
from .writer import Writer

#: where a transaction of ours keeps its after-commit list (on the connection, so nested
#: writes that are handed the connection find it)
_PENDING = "metacrm.runtime.after_commit"
#: query plans kept per service (each a compiled query shape)
PLAN_CACHE_SIZE = 256


#: write rules depend on the catalog alone: shared by every service of one catalog, so even a
#: service built per request (don't) compiles nothing the first one compiled
_RULES: "weakref.WeakKeyDictionary[Catalog, dict[str, ObjectRules]]" = weakref.WeakKeyDictionary()
_RULES_LOCK = threading.Lock()


def _shared_rules(catalog: Catalog, object_name: str) -> ObjectRules:
    with _RULES_LOCK:
        by_object = _RULES.setdefault(catalog, {})
        rules = by_object.get(object_name)
    if rules is None:
        try:
            rules = ObjectRules(catalog, object_name)
        except UnknownName as err:
            raise UnknownObject(str(err)) from None
        with _RULES_LOCK:
            rules = by_object.setdefault(object_name, rules)
    return rules


class RecordService:
    def __init__(self, db: Database, catalog: Catalog, tables: Mapping[str, Table], *,
                 metadata_version: int | None = None, env: Environment | None = None,
                 plugins: pluggy.PluginManager | None = None):
        self.db = db
        self.catalog = catalog
        self.tables = tables
        self.metadata_version = metadata_version
        #: the clock and time zone (the acting user is set per call)
        self.env = env or Environment()
        self.store = RecordStore(tables, db.dialect)
        self.rollups = RollupIndex(catalog, tables, db.dialect, self.env)
        self.hooks = Hooks(plugin_manager(plugins))
        self._rules: dict[str, ObjectRules] = {}
        self._blank: dict[str, dict] = {}
        self._plans: OrderedDict[tuple, QueryPlan] = OrderedDict()
        self._plans_lock = threading.Lock()

    # -- what is compiled once ------------------------------------------------------------------

    def rules(self, object_name: str) -> ObjectRules:
        rules = self._rules.get(object_name)
        if rules is None:
            rules = self._rules[object_name] = _shared_rules(self.catalog, object_name)
        return rules

    def blank_record(self, object_name: str) -> dict:
        """Every stored field blank, roll-ups at their no-children value: a new record's start."""
        blank = self._blank.get(object_name)
        if blank is None:
            blank = dict.fromkeys(self.rules(object_name).stored)
            blank.update(self.rollups.initial_values(object_name))
            self._blank[object_name] = blank
        return blank

    def plan(self, object_name: str, *, fields: Sequence[str] | None = None,
             filter: str | None = None, sort: str | Sequence[str] | None = None) -> QueryPlan:
        """The compiled query for this shape (cached; least recently used plans are dropped)."""
        key = (object_name, tuple(fields) if fields else None, filter,
               sort if isinstance(sort, str) or sort is None else tuple(sort))
        with self._plans_lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
        self.rules(object_name)  # an unknown object fails here, with a suggestion
        try:
            plan = QueryPlan(self.catalog, self.tables, self.db.dialect, object_name,
                             fields=fields, filter=filter, sort=sort)
        except QueryError as err:
            raise QueryInvalid(object_name, err.errors) from None
        with self._plans_lock:
            self._plans[key] = plan
            while len(self._plans) > PLAN_CACHE_SIZE:
                self._plans.popitem(last=False)
        return plan

    # -- transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction for several writes: ``with service.transaction() as conn:`` then
        ``service.create(…, conn=conn)``. After-commit hooks run once it has committed."""
        pending: list = []
        with self.db.write() as conn:
            conn.info[_PENDING] = pending
            try:
                yield conn
            finally:
                conn.info.pop(_PENDING, None)
        self.hooks.after_commit(pending)

    def _write(self, conn: Connection | None, actor: Actor, work):
        if not isinstance(actor, Actor):
            raise TypeError(f"actor must be an Actor, not {type(actor).__name__}")
        env = self._env(actor)
        if conn is None:
            with self.transaction() as conn:
                return work(Writer(self, conn, actor, env, conn.info[_PENDING]))
        pending = conn.info.get(_PENDING)
        if pending is None:
            raise ValueError("conn must come from RecordService.transaction() or a hook's "
                             "change.connection")
        return work(Writer(self, conn, actor, env, pending))

    @contextlib.contextmanager
    def _reading(self, conn: Connection | None, actor: Actor | None) -> Iterator[Connection]:
        with using_environment(self._env(actor or Actor.system())):
            if conn is not None:
                yield conn
            else:
                with self.db.read() as conn:
                    yield conn

    def _env(self, actor: Actor) -> Environment:
        return dataclasses.replace(self.env, user_id=actor.user_id)

    # -- writes ---------------------------------------------------------------------------------

    def create(self, object_name: str, data: Mapping, actor: Actor, *,
               conn: Connection | None = None) -> dict:
        """Create one record; returns it as :meth:`get` would. Raises RecordInvalid."""
        def work(writer: Writer):
            record = writer.create_many(object_name, [data], single=True)[0]
            return self._read_back(writer, object_name, record["id"])
        return self._write(conn, actor, work)

    def create_many(self, object_name: str, rows: Sequence[Mapping], actor: Actor, *,
                    conn: Connection | None = None) -> list[str]:
        """Create many records in one transaction, all or nothing; returns their ids in input
        order. Raises BulkInvalid (``by_index``: the errors of each invalid input)."""
        rows = list(rows)
        if not rows:
            return []
        return self._write(conn, actor, lambda writer: [
            record["id"] for record in writer.create_many(object_name, rows)])

    def update(self, object_name: str, record_id: str, data: Mapping, actor: Actor, *,
               version: int | None = None, conn: Connection | None = None) -> dict:
        """Change the fields in ``data`` (others keep their current value). With ``version``
        (or ``version`` in ``data``), fail with VersionConflict unless the record is still at
        that version. Returns the record as :meth:`get` would."""
        def work(writer: Writer):
            writer.update(object_name, record_id, data, version)
            return self._read_back(writer, object_name, record_id)
        return self._write(conn, actor, work)

    def delete(self, object_name: str, record_id: str, actor: Actor, *,
               version: int | None = None, conn: Connection | None = None) -> None:
        """Delete a record: ``restrict`` lookups pointing at it refuse (RecordInvalid),
        ``set_null`` ones are emptied and ``cascade`` ones deleted, each through this service."""
        self._write(conn, actor, lambda writer: writer.delete(object_name, record_id, version))

    def _read_back(self, writer: Writer, object_name: str, record_id: str) -> dict:
        with using_environment(writer.env):
            return self.plan(object_name).one(writer.conn, record_id)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, object_name: str, record_id: str, actor: Actor | None = None, *,
            fields: Sequence[str] | None = None, conn: Connection | None = None) -> dict:
        """One record: stored and formula fields (or just ``fields``, which may be lookup
        paths such as ``account.name``). Raises RecordNotFound."""
        plan = self.plan(object_name, fields=fields)
        with self._reading(conn, actor) as c:
            record = plan.one(c, record_id)
        if record is None:
            raise RecordNotFound(object_name, record_id)
        return record

    def query(self, object_name: str, actor: Actor | None = None, *, filter: str | None = None,
              sort: str | Sequence[str] | None = None, fields: Sequence[str] | None = None,
              limit: int = DEFAULT_LIMIT, cursor: str | None = None, count: bool = False,
              conn: Connection | None = None) -> Page:
        """A page of records matching ``filter`` (an expression), in ``sort`` order (fields,
        ``-`` for descending; id always ends it). Pass ``page.next_cursor`` back as ``cursor``
        for the next page; ``count=True`` adds the number of matches. Raises QueryInvalid."""
        plan = self.plan(object_name, fields=fields, filter=filter, sort=sort)
        try:
            with self._reading(conn, actor) as c:
                return plan.page(c, limit=limit, cursor=cursor, count=count)
        except QueryError as err:
            raise QueryInvalid(object_name, err.errors) from None

    def history(self, object_name: str, record_id: str, *,
                conn: Connection | None = None) -> list[dict]:
        """Every change of one record, oldest first: operation, field, old, new, version,
        actor_id, actor_name, at, metadata_version. Raises RecordNotFound when the record
        neither exists nor ever did."""
        rules = self.rules(object_name)
        with self._reading(conn, None) as c:
            entries = read_history(c, object_name, record_id)
            if not entries and self.store.fetch_one(c, object_name, record_id) is None:
                raise RecordNotFound(object_name, record_id)
        return decode_values(entries, rules.decoders)
