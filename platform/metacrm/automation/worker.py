"""What a Celery worker does, as plain functions of an explicit context (testable without
Celery): deliver a row, run a time-based workflow that is due, run periodic workflows, sweep.

    worker = Worker(Settings.from_env())
    worker.deliver(row_id)        # an email/webhook/plugin row, or a due time-based run
    worker.sweep()                # periodic workflows, then the rows that are due: [(id, kind)]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from typing import Callable, Sequence

import pluggy
from sqlalchemy.exc import IntegrityError

from ..formula import Environment
from ..plugins import ENTRY_POINT_GROUP, make_plugin_manager
from ..runtime import Actor, RecordService, Runtimes
from ..store import Database, outbox
from .approvals.plugin import PLUGIN_NAME as APPROVALS, ApprovalsPlugin
from .compiled import CompiledWorkflow, period_start
from .delivery import Settings, deliver_row, deliver_rows
from .engine import Automation, Publisher, new_run, run_row

log = logging.getLogger(__name__)
PERIODIC_PAGE = 200


#: the name the workflow engine is registered under
ENGINE_NAME = "metacrm.automation"


def plugin_manager(publisher: Publisher | None = None, *, load_entry_points: bool = True,
                   max_depth: int | None = None) -> tuple[pluggy.PluginManager, Automation]:
    """The plugin manager of a process that writes records: metacrm's field types, the
    workflow engine (handing outbox rows to ``publisher`` after each commit; None: beat's
    sweeper delivers them), the approvals engine and (optionally) installed plugins. A
    composition root (``create_app``, the CLI, the worker) builds one and passes it down."""
    pm = make_plugin_manager(load_entry_points=False)
    engine = Automation(pm, publisher=publisher,
                        **({"max_depth": max_depth} if max_depth is not None else {}))
    pm.register(engine, name=ENGINE_NAME)
    pm.register(ApprovalsPlugin(pm), name=APPROVALS)
    if load_entry_points:  # after the built-ins, as make_plugin_manager orders them
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm, engine


class Worker:
    def __init__(self, settings: Settings, db: Database | None = None, *,
                 publisher: Publisher | None = None, load_entry_points: bool = True):
        self.settings = settings
        self.db = db or Database.from_url(settings.database_url)
        self.plugins, self.engine = plugin_manager(publisher, load_entry_points=load_entry_points)
        self.runtimes = Runtimes(self.db, plugins=self.plugins,
                                 env=Environment(clock=self.settings.clock))

    def service(self) -> RecordService | None:
        """The RecordService of the version in force (None when nothing is deployed)."""
        runtime = self.runtimes.current()
        return runtime.service if runtime is not None else None

    def publish(self, rows) -> None:
        if rows and self.engine.publisher is not None:
            self.engine.publisher(rows)

    # -- one row ----------------------------------------------------------------------------------

    def deliver(self, key: str) -> str:
        with self.db.read() as conn:
            found = outbox.read_rows(conn, key=key, limit=1)
        if not found:
            return "missing"
        if found[0]["kind"] == "scheduled":
            return self.run_scheduled(key)
        return deliver_row(self.db, self.settings, key, self.engine.action_types())

    def deliver_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Deliver many rows at once (fewer transactions per row than ``deliver``); rows it
        could not take in the batch (time-based runs, rows held by another worker) go one by
        one through ``deliver``. Returns each key's status."""
        statuses = deliver_rows(self.db, self.settings, keys, self.engine.action_types())
        for key in keys:
            if key not in statuses:
                statuses[key] = self.deliver(key)
        return statuses

    def run_scheduled(self, key: str) -> str:
        """A time-based workflow whose moment came: check it still applies, run its actions in
        one transaction with the claim, so they happen once."""
        service = self.service()
        if service is None:
            return "skipped"
        now = self.settings.clock()
        started, queued = time.perf_counter(), []
        lease = dt.timedelta(seconds=self.settings.lease_seconds)
        try:
            with service.transaction() as tx:
                conn = tx.conn
                row = outbox.claim(conn, key, now, lease)
                if row is None:
                    return "skipped"
                compiled = self.engine.workflows(service).by_name.get(row["workflow"])
                record = service.store.fetch_one(conn, row["object"], row["record_id"])
                why = _no_longer(compiled, record, row, service)
                if why:
                    outbox.close(conn, row, now, outbox.CANCELLED, why)
                    return outbox.CANCELLED
                run = new_run(service, tx, Actor.system(), row["object"], "scheduled", record,
                              None, (), compiled.name, self.plugins)
                # a condition may hold no longer without any save (it reads today(), or a
                # related record changed): judged again at the moment it is due
                if not compiled.holds(record, run.ctx):
                    outbox.close(conn, row, now, outbox.CANCELLED,
                                 "the workflow's condition no longer holds")
                    return outbox.CANCELLED
                for action in compiled.before:
                    self.engine._do(run, compiled, action)
                rows = self.engine.execute_after(run, compiled, now)
                outbox.enqueue(conn, rows)
                outbox.log_runs(conn, [run_row(run, started, now)])
                outbox.close(conn, row, now, outbox.DELIVERED, None, _ms(started))
                queued = [(r["id"], r["kind"]) for r in rows]
        except Exception as err:  # noqa: BLE001 - recorded, retried, dead after max_attempts
            self._failed_run(key, err, started, now)
            return "failed"
        self.publish(queued)
        return outbox.DELIVERED

    def _failed_run(self, key: str, err: Exception, started: float, now: dt.datetime) -> None:
        with self.db.write() as conn:
            row = outbox.claim(conn, key, now, dt.timedelta(seconds=self.settings.lease_seconds))
            if row is None:
                return
            outbox.log_runs(conn, [{"workflow": row["workflow"], "object": row["object"],
                                    "record_id": row["record_id"], "trigger": "scheduled",
                                    "actions": [], "outcome": "failed", "error": str(err),
                                    "started_at": now, "duration_ms": _ms(started)}])
            retry_at = None if row["attempts"] >= self.settings.max_attempts else (
                now + self.settings.backoff(row["attempts"]))
            outbox.fail(conn, row, now, f"{type(err).__name__}: {err}", _ms(started),
                        retry_at=retry_at)

    # -- beat -------------------------------------------------------------------------------------

    def sweep(self) -> list[tuple[str, str]]:
        """Run the periodic workflows that are due, then list the outbox rows to (re)publish:
        rows due and not delivered, whose publish was lost or whose worker died."""
        self.run_periodic()
        queued = []
        service = self.service()
        if service is not None:  # plugins' due work, e.g. approval escalations
            for rows in self.plugins.hook.automation_sweep(service=service,
                                                           now=self.settings.clock()):
                queued.extend(rows or ())
        grace = dt.timedelta(seconds=self.settings.sweep_grace_seconds)
        with self.db.read() as conn:
            due = outbox.due(conn, self.settings.clock(), grace=grace)
        return queued + [row for row in due if row not in queued]

    def run_periodic(self) -> int:
        """Each periodic workflow once per period, on every record its filter matches.
        The period is claimed with a row of its own, so two beats never run it twice."""
        service = self.service()
        if service is None:
            return 0
        done = 0
        now = self.settings.clock()
        for compiled in self.engine.workflows(service).periodic:
            slot = period_start(compiled.workflow.every, now)
            key = hashlib.sha1(f"periodic:{compiled.name}:{slot.isoformat()}".encode()).hexdigest()
            claim = outbox.outbox_row("periodic", {"workflow": compiled.name, "period": slot},
                                      due_at=slot, now=now, workflow=compiled.name,
                                      object=compiled.workflow.object, key=key)
            claim["status"] = outbox.SENDING
            try:
                with self.db.write() as conn:
                    outbox.enqueue(conn, [claim])
            except IntegrityError:
                continue  # this period already ran (or runs elsewhere)
            done += self._each_match(service, compiled, now)
            with self.db.write() as conn:
                outbox.close(conn, {**claim, "attempts": 1}, now, outbox.DELIVERED, None)
        return done

    def _each_match(self, service: RecordService, compiled: CompiledWorkflow, now) -> int:
        count, cursor = 0, None
        while True:
            page = service.query(compiled.workflow.object, filter=compiled.workflow.when,
                                 fields=["id"], limit=PERIODIC_PAGE, cursor=cursor)
            for found in page.records:
                count += self._one_periodic(service, compiled, found["id"], now)
            cursor = page.next_cursor
            if not cursor:
                return count

    def _one_periodic(self, service, compiled, record_id, now) -> int:
        started, queued = time.perf_counter(), []
        try:
            with service.transaction() as tx:
                conn = tx.conn
                record = service.store.fetch_one(conn, compiled.workflow.object, record_id)
                if record is None:
                    return 0
                run = new_run(service, tx, Actor.system(), compiled.workflow.object,
                              "periodic", record, None, (), compiled.name, self.plugins)
                for action in compiled.before:
                    self.engine._do(run, compiled, action)
                rows = self.engine.execute_after(run, compiled, now)
                outbox.enqueue(conn, rows)
                outbox.log_runs(conn, [run_row(run, started, now)])
                queued = [(r["id"], r["kind"]) for r in rows]
        except Exception as err:  # noqa: BLE001 - one record's failure does not stop the rest
            with self.db.write() as conn:
                outbox.log_runs(conn, [{"workflow": compiled.name, "object": compiled.workflow.object,
                                        "record_id": record_id, "trigger": "periodic",
                                        "actions": [], "outcome": "failed", "error": str(err),
                                        "started_at": now, "duration_ms": _ms(started)}])
            return 0
        self.publish(queued)
        return 1


def _no_longer(compiled: CompiledWorkflow | None, record, row, service) -> str | None:
    """Why a due time-based row should not run, or None."""
    if compiled is None or not compiled.scheduled:
        return f"workflow '{row['workflow']}' is no longer time-based in the deployed version"
    if record is None:
        return "the record no longer exists"
    if compiled.due_at(record, service.env.timezone) != row["due_at"]:
        return "the record's date changed (a newer plan replaces this one)"
    return None


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


Clock = Callable[[], dt.datetime]
