"""The RecordService: the ONE way records are written (and the usual way they are read).

    service = Runtime(db, catalog, number=7, plugins=pm).service
    ann = Actor(user_id=user_id, username="ann")
    deal = service.create("opportunity", {"name": "Big deal", "account": acme_id}, ann)
    deal = service.update("opportunity", deal["id"], {"stage": "Proposal"}, ann,
                          version=deal["version"])            # VersionConflict if stale
    page = service.query("opportunity", ann, filter='stage == "Proposal"', sort="-amount")
    service.create_many("contact", rows, ann)                 # all or nothing, BulkInvalid
    service.delete("account", acme_id, ann)                   # on_delete of every lookup
    service.history("opportunity", deal["id"])

A service belongs to one :class:`~metacrm.runtime.Runtime` (one metadata version), which
owns what is compiled for it (write rules, query plans). Every write runs in one transaction;
pass ``tx=`` (from :meth:`transaction` or a hook's ``change.tx``) to make several writes one.
Reads run with the acting user's environment (what ``current_user()`` and ``today()`` mean),
passed to the compiled query at execution.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

from sqlalchemy import Connection

from ..formula import Environment
from ..store import DEFAULT_LIMIT, Page, QueryError, QueryPlan, decode_values, read_history
from .actor import Actor
from .errors import QueryInvalid, RecordNotFound
from .rules import ObjectRules
from .transaction import Transaction
from .writer import Writer

if TYPE_CHECKING:
    from .runtime import Runtime


class RecordService:
    def __init__(self, runtime: "Runtime"):
        self.runtime = runtime
        self.db = runtime.db
        self.catalog = runtime.catalog
        self.tables = runtime.tables
        self.metadata_version = runtime.number
        #: the clock and time zone (the acting user is set per call)
        self.env = runtime.env
        self.store = runtime.store
        self.rollups = runtime.rollups
        self.hooks = runtime.hooks

    # -- what is compiled once (owned by the runtime) ---------------------------------------------

    def rules(self, object_name: str) -> ObjectRules:
        return self.runtime.rules(object_name)

    def blank_record(self, object_name: str) -> dict:
        return self.runtime.blank_record(object_name)

    def plan(self, object_name: str, *, fields: Sequence[str] | None = None,
             filter: str | None = None, sort: str | Sequence[str] | None = None,
             actor: Actor | None = None) -> QueryPlan:
        """The compiled query; with ``actor``, of what they may see (records and fields)."""
        return self.runtime.plan(object_name, fields=fields, filter=filter, sort=sort,
                                 access=self.runtime.access(actor))

    def environment(self, actor: Actor | None) -> Environment:
        """What today(), now() and current_user() mean for ``actor`` (None: the system)."""
        user_id = actor.user_id if actor is not None else None
        return self.env if user_id == self.env.user_id else dataclasses.replace(
            self.env, user_id=user_id)

    # -- transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction for several writes: ``with service.transaction() as tx:`` then
        ``service.create(…, tx=tx)``. After-commit hooks run once it has committed."""
        with self.db.write() as conn:
            tx = Transaction(conn)
            yield tx
        self.hooks.after_commit(tx.after_commit)

    def _write(self, tx: Transaction | None, actor: Actor, work):
        if not isinstance(actor, Actor):
            raise TypeError(f"actor must be an Actor, not {type(actor).__name__}")
        env = self.environment(actor)
        if tx is None:
            with self.transaction() as tx:
                return work(Writer(self, tx, actor, env))
        if not isinstance(tx, Transaction):
            raise TypeError("tx must come from RecordService.transaction() or a hook's change.tx")
        return work(Writer(self, tx, actor, env))

    @contextlib.contextmanager
    def _reading(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.db.read() as conn:
                yield conn

    # -- writes ---------------------------------------------------------------------------------
    # ``trusted``: values a component sets on the actor's behalf (a workflow's create_record,
    # an approval's on_approve): checked like input, but they may fill read-only fields, as a
    # before-save hook may. ``source`` names that component for the hooks (``change.source``).

    def create(self, object_name: str, data: Mapping, actor: Actor, *,
               tx: Transaction | None = None, trusted: Mapping | None = None,
               source: str | None = None) -> dict:
        """Create one record; returns it as :meth:`get` would. Raises RecordInvalid."""
        def work(writer: Writer):
            record = writer.create_many(object_name, [data], single=True, trusted=trusted,
                                        source=source)[0]
            return self._read_back(writer, object_name, record["id"])
        return self._write(tx, actor, work)

    def create_many(self, object_name: str, rows: Sequence[Mapping], actor: Actor, *,
                    tx: Transaction | None = None) -> list[str]:
        """Create many records in one transaction, all or nothing; returns their ids in input
        order. Raises BulkInvalid (``by_index``: the errors of each invalid input)."""
        rows = list(rows)
        if not rows:
            return []
        return self._write(tx, actor, lambda writer: [
            record["id"] for record in writer.create_many(object_name, rows)])

    def update(self, object_name: str, record_id: str, data: Mapping, actor: Actor, *,
               version: int | None = None, tx: Transaction | None = None,
               trusted: Mapping | None = None, source: str | None = None) -> dict:
        """Change the fields in ``data`` (others keep their current value). With ``version``
        (or ``version`` in ``data``), fail with VersionConflict unless the record is still at
        that version. Returns the record as :meth:`get` would."""
        def work(writer: Writer):
            writer.update(object_name, record_id, data, version, trusted=trusted, source=source)
            return self._read_back(writer, object_name, record_id)
        return self._write(tx, actor, work)

    def delete(self, object_name: str, record_id: str, actor: Actor, *,
               version: int | None = None, tx: Transaction | None = None) -> None:
        """Delete a record: ``restrict`` lookups pointing at it refuse (RecordInvalid),
        ``set_null`` ones are emptied and ``cascade`` ones deleted, each through this service."""
        self._write(tx, actor, lambda writer: writer.delete(object_name, record_id, version))

    def _read_back(self, writer: Writer, object_name: str, record_id: str) -> dict:
        # the fields the actor may see (the record itself they may: the write checked it)
        access = writer.access
        plan = self.runtime.plan(object_name) if access is None else self.runtime.plan(
            object_name, fields=[f for f in self.catalog.object(object_name).fields
                                 if f not in access.hidden(object_name)])
        return plan.one(writer.conn, record_id, writer.env)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, object_name: str, record_id: str, actor: Actor | None = None, *,
            fields: Sequence[str] | None = None, conn: Connection | None = None) -> dict:
        """One record: stored and formula fields (or just ``fields``, which may be lookup
        paths such as ``account.name``). Raises RecordNotFound."""
        plan = self.plan(object_name, fields=fields, actor=actor)
        with self._reading(conn) as c:
            record = plan.one(c, record_id, self.environment(actor))
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
        plan = self.plan(object_name, fields=fields, filter=filter, sort=sort, actor=actor)
        try:
            with self._reading(conn) as c:
                return plan.page(c, self.environment(actor), limit=limit, cursor=cursor,
                                 count=count)
        except QueryError as err:
            raise QueryInvalid(object_name, err.errors) from None

    def history(self, object_name: str, record_id: str, actor: Actor | None = None, *,
                conn: Connection | None = None) -> list[dict]:
        """Every change of one record, oldest first: operation, field, old, new, version,
        actor_id, actor_name, at, metadata_version. Raises RecordNotFound when the record
        neither exists nor ever did — or, with ``actor``, when they may not see it (changes
        of fields they may not see are left out)."""
        rules = self.rules(object_name)
        access = self.runtime.access(actor)
        with self._reading(conn) as c:
            if access is not None and self.plan(object_name, fields=["id"], actor=actor).one(
                    c, record_id, self.environment(actor)) is None:
                raise RecordNotFound(object_name, record_id)
            entries = read_history(c, object_name, record_id)
            if not entries and self.store.fetch_one(c, object_name, record_id) is None:
                raise RecordNotFound(object_name, record_id)
        entries = decode_values(entries, rules.decoders)
        if access is None:
            return entries
        hidden = access.hidden(object_name)
        return [_without(entry, hidden) for entry in entries if entry.get("field") not in hidden]


def _without(entry: dict, hidden: frozenset[str]) -> dict:
    """A history entry without the values of hidden fields (a delete's snapshot)."""
    for key in ("old", "new"):
        if isinstance(entry.get(key), dict):
            entry = {**entry, key: {k: v for k, v in entry[key].items() if k not in hidden}}
    return entry
