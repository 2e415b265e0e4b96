"""Workflows on the write path: the RecordService's three hooks, implemented.

    before the save   conditions of the object's workflows (in order), set_fields of those
                      that hold (so the runtime checks what they set like input)
    after the save    create_record / update_record / plugin AFTER actions, in the transaction;
                      outbox rows for email, webhook and plugin OUTBOX actions; time-based
                      plans; one run-log row per workflow that ran
    after commit      the outbox rows are handed to the publisher (Celery); if that fails or
                      the process dies first, the sweeper publishes them later

A write an action makes runs the workflows of its own record too, up to ``max_depth``; a
workflow that comes back to a record it is already running on is a cycle, reported as an
error (the save is rolled back), never a loop.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Iterable, Mapping

import pluggy

from ..formula import EvalContext
from ..plugins import hookimpl
from ..runtime import Actor, Change, RecordInvalid, RecordService, Transaction
from ..store import outbox
from .actions import BUILTIN_ACTIONS, OUTBOX, ActionType, Run, action_types
from .compiled import CompiledWorkflow, WorkflowSet
from .errors import ActionSkipped, WorkflowCycle, WorkflowFailed

log = logging.getLogger(__name__)

NOTE = "metacrm.automation"
#: the outbox rows a change queued, for the publisher: [(id, kind)]
PUBLISH = "metacrm.automation.publish"
MAX_DEPTH = 8

Publisher = Callable[[list[tuple[str, str]]], None]


class Automation:
    """The workflow engine, as a pluggy plugin of the RecordService.

    ``plugins``: where action types (``register_actions``) and the approvals hook come from;
    ``publisher``: called after commit with the queued outbox rows (None: the sweeper alone
    delivers them)."""

    def __init__(self, plugins: pluggy.PluginManager | None = None, *,
                 publisher: Publisher | None = None, max_depth: int = MAX_DEPTH):
        self.plugins = plugins
        self.publisher = publisher
        self.max_depth = max_depth
        self._types: dict[str, ActionType] | None = None

    def action_types(self) -> dict[str, ActionType]:
        if self._types is None:
            self._types = action_types(self.plugins)
        return self._types

    def workflows(self, service: RecordService) -> WorkflowSet:
        """The workflows of the service's version, compiled once (kept by its runtime)."""
        return service.runtime.part("automation.workflows",
                                    lambda: WorkflowSet(service.catalog, self.action_types()))

    # -- the hooks ------------------------------------------------------------------------------

    @hookimpl
    def register_actions(self):
        return list(BUILTIN_ACTIONS)

    @hookimpl
    def record_before_save(self, change: Change) -> None:
        workflows = self.workflows(change.service)
        candidates = workflows.for_change(change.object, change.operation)
        scheduled = workflows.scheduled(change.object)
        if not candidates and not scheduled:
            return
        # only what conditions need is made for every write; a Run only for a workflow that
        # fires (most writes fire none: this loop is what every write pays)
        ctx = eval_context(change.service, change.tx, change.actor, change.prior,
                           change.operation, change.env)
        matched = []
        for compiled in candidates:
            try:
                holds = compiled.holds(change.record, ctx)
            except Exception as err:  # noqa: BLE001 - any evaluation error fails the save clearly
                raise WorkflowFailed(change.object, compiled.name, -1, "condition", str(err)) from err
            if not holds:
                continue
            run = self._run(change, compiled.name, ctx)
            matched.append((compiled, run))
            if not compiled.scheduled:
                for action in compiled.before:
                    self._do(run, compiled, action)
        change.notes[NOTE] = (matched, scheduled)

    @hookimpl
    def record_after_save(self, change: Change) -> None:
        note = change.notes.get(NOTE)
        if note is None:
            return
        matched, scheduled = note
        conn = change.connection
        now = change.service.env.now()
        rows, runs = [], []
        for compiled, run in matched:
            run.record, run.changed = change.record, change.changed
            if compiled.scheduled and change.operation != "delete":
                if self._plan(run, compiled, conn, now, rows):  # log what changed, not noise
                    runs.append(_run_row(run, time.perf_counter(), now))
                continue
            if compiled.scheduled:
                continue
            started = time.perf_counter()
            rows.extend(self.execute_after(run, compiled, now))
            runs.append(_run_row(run, started, now))
        held = {compiled.name for compiled, _ in matched}
        for compiled in scheduled:  # the condition no longer holds, or the record is gone
            if change.operation == "delete" or compiled.name not in held:
                outbox.cancel_plan(conn, _plan_key(compiled, change.record_id))
        outbox.enqueue(conn, rows)
        outbox.log_runs(conn, runs)
        due = [(row["id"], row["kind"]) for row in rows if row["due_at"] <= now]
        if due:
            change.notes[PUBLISH] = change.notes.get(PUBLISH, []) + due

    @hookimpl
    def record_after_commit(self, change: Change) -> None:
        queued = change.notes.get(PUBLISH)
        if queued and self.publisher is not None:
            try:
                self.publisher(queued)
            except Exception:  # noqa: BLE001 - the rows are committed; the sweeper sends them
                log.warning("could not publish %d outbox rows; the sweeper will", len(queued),
                            exc_info=True)

    # -- running actions ------------------------------------------------------------------------

    def execute_after(self, run: Run, compiled: CompiledWorkflow, now) -> list[dict]:
        """The AFTER and OUTBOX actions of a workflow that holds: returns the outbox rows."""
        rows = []
        chain = run.tx.chain
        link = (compiled.name, run.object, run.record["id"])
        if compiled.after and any(a.phase != OUTBOX for a in compiled.after):
            names = [f"{w}({o} {i})" for w, o, i in chain] + [f"{link[0]}({link[1]} {link[2]})"]
            if link in chain:
                raise WorkflowCycle(run.object, compiled.name, names, "cycle")
            if len(chain) >= self.max_depth:
                raise WorkflowCycle(run.object, compiled.name, names,
                                    f"workflows triggered each other more than {self.max_depth} deep")
        chain.append(link)
        try:
            for action in compiled.after:
                if action.phase == OUTBOX:
                    row = self._queue(run, compiled, action, now)
                    if row is not None:
                        rows.append(row)
                else:
                    self._do(run, compiled, action)
        finally:
            chain.pop()
        return rows

    def _do(self, run: Run, compiled: CompiledWorkflow, action) -> None:
        run.log.append({"type": action.kind.name, "outcome": "done"})
        try:
            action.kind.run(run, action.compiled)
        except WorkflowCycle:
            raise
        except Exception as err:  # noqa: BLE001 - named, and the whole save rolled back
            reason = err.args[0] if isinstance(err, RecordInvalid) else str(err) or repr(err)
            raise WorkflowFailed(run.object, compiled.name, action.index, action.kind.name,
                                 str(reason)) from err

    def _queue(self, run: Run, compiled: CompiledWorkflow, action, now) -> dict | None:
        try:
            payload = action.kind.prepare(run, action.compiled)
        except ActionSkipped as skipped:
            run.log.append({"type": action.kind.name, "outcome": "skipped",
                            "reason": str(skipped)})
            return None
        except Exception as err:  # noqa: BLE001
            raise WorkflowFailed(run.object, compiled.name, action.index, action.kind.name,
                                 str(err) or repr(err)) from err
        row = outbox.outbox_row(action.kind.name, payload, due_at=now, now=now,
                                workflow=compiled.name, object=run.object,
                                record_id=run.record["id"])
        run.log.append({"type": action.kind.name, "outcome": "queued", "outbox_id": row["id"]})
        return row

    def _plan(self, run: Run, compiled: CompiledWorkflow, conn, now, rows: list) -> bool:
        """Plan (or re-plan) a time-based workflow: one pending row per workflow and record.
        Returns whether the plan changed."""
        env = run.service.env
        due = compiled.due_at(run.record, env.timezone)
        key = _plan_key(compiled, run.record["id"])
        current = outbox.read_rows(conn, status=outbox.PENDING, object=run.object,
                                   record_id=run.record["id"])
        current = [r for r in current if r["plan"] == key]
        if due is not None and current and current[0]["due_at"] == due:
            return False
        cancelled = outbox.cancel_plan(conn, key)
        if due is None:
            run.log.append({"type": "schedule", "outcome": "cancelled (the field is blank)"})
            return bool(cancelled)
        rows.append(outbox.outbox_row("scheduled", {"workflow": compiled.name}, due_at=due,
                                      now=now, workflow=compiled.name, object=run.object,
                                      record_id=run.record["id"], plan=key))
        run.log.append({"type": "schedule", "outcome": "planned", "due": due,
                        "outbox_id": rows[-1]["id"]})
        return True

    def _run(self, change: Change, workflow: str | None, ctx: EvalContext | None = None) -> Run:
        return new_run(change.service, change.tx, change.actor, change.object,
                       change.operation, change.record, change.prior, change.changed,
                       workflow or "", self.plugins, env=change.env, ctx=ctx)


def eval_context(service: RecordService, tx: Transaction, actor: Actor, prior: Mapping | None,
                 trigger: str, env=None) -> EvalContext:
    """What a workflow's conditions and formulas are evaluated with for one write."""
    if env is None or env.user_id != actor.user_id:
        env = service.environment(actor)
    conn = tx.conn
    return EvalContext(lambda obj, rid: service.store.fetch_one(conn, obj, rid), prior,
                       trigger == "create", env)


def new_run(service: RecordService, tx: Transaction, actor: Actor, object_name: str,
            trigger: str, record: dict, prior: Mapping | None, changed: Iterable[str],
            workflow: str, plugins, env=None, ctx: EvalContext | None = None) -> Run:
    if ctx is None:
        ctx = eval_context(service, tx, actor, prior, trigger, env)
    return Run(service, tx, actor, object_name, trigger, record, prior, frozenset(changed),
               workflow, ctx, plugins)


def _plan_key(compiled: CompiledWorkflow, record_id: str) -> str:
    return f"{compiled.name}:{record_id}"


def _run_row(run: Run, started: float, now, error: str | None = None) -> dict:
    return {"workflow": run.workflow, "object": run.object, "record_id": run.record.get("id"),
            "trigger": run.trigger, "actions": run.log, "outcome": "failed" if error else "ok",
            "error": error, "started_at": now,
            "duration_ms": int((time.perf_counter() - started) * 1000)}


run_row = _run_row
