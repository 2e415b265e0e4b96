"""Running a process's ``on_*`` actions (and a step's) with the workflow action machinery.

An approval event is not a save under way, so BEFORE actions (``set_fields``) are collected on
a copy of the record and written in one update through the RecordService — as values handed
to its before-save hook, so they may fill read-only fields like ``approval_status`` — with the
record's approval lock lifted for that write only. AFTER actions run in the transaction;
OUTBOX actions (email, webhooks) become outbox rows delivered after commit by the sweeper.
"""

from __future__ import annotations

import json
from typing import Sequence

from ...formula import same
from ...meta import Action, thaw
from ...runtime import Actor, RecordInvalid, RecordService, Transaction
from ...store import outbox
from ..actions import AS_SYSTEM, BEFORE, OUTBOX, ActionType, action_types
from ..engine import new_run
from ..errors import WorkflowCycle
from .errors import ApprovalError

#: ``change.source`` of the writes the approvals engine makes itself (the lock lets them by)
SOURCE = "approvals"


class ActionRunner:
    def __init__(self, plugins=None):
        self.plugins = plugins
        self._types: dict[str, ActionType] | None = None

    def types(self) -> dict[str, ActionType]:
        """The workflow action types (built-ins and plugins'), which approval events use too."""
        if self._types is None:
            self._types = action_types(self.plugins)
        return self._types

    def _compile(self, service: RecordService, object_name: str, key: tuple, action: Action):
        # compiled per version: a request's definition may be older than the catalog, so
        # actions are keyed by what they say, not by process
        cache = service.runtime.part("approvals.actions", dict)
        if key not in cache:
            kind = self.types().get(action.type)
            if kind is None:
                raise ApprovalError(f"action type '{action.type}' is not installed")
            cache[key] = (kind, kind.compile(action.params, service.catalog, object_name))
        return cache[key]

    def run(self, service: RecordService, tx: Transaction, actor: Actor, process: str,
            event: str, object_name: str, record_id: str, actions: Sequence[Action], now
            ) -> list[dict]:
        """Run ``actions`` of ``event`` (``on_approve``, ``manager.on_reject``…) on the record;
        returns what was done, for the request's log. Raises ApprovalError naming the action."""
        if not actions:
            return []
        conn = tx.conn
        record = service.store.fetch_one(conn, object_name, record_id)
        if record is None:
            raise ApprovalError(f"the {object_name} '{record_id}' no longer exists")
        label = f"approval {process}.{event}"
        run = new_run(service, tx, actor, object_name, "approval", dict(record), None, (),
                      label, self.plugins)
        done, rows = [], []
        for index, action in enumerate(actions):
            key = (process, event, index, json.dumps(
                {"type": action.type, **thaw(action.params)}, sort_keys=True, default=str))
            kind, compiled = self._compile(service, object_name, key, action)
            run.log.append({"type": kind.name, "outcome": "done"})
            try:
                if kind.phase == BEFORE:
                    before = dict(run.record)
                    kind.run(run, compiled)
                    values = {k: v for k, v in run.record.items() if not same(v, before.get(k))}
                    if values:
                        run.record = self._write(run, object_name, record_id, values)
                elif kind.phase == OUTBOX:
                    payload = kind.prepare(run, compiled)
                    rows.append(outbox.outbox_row(kind.name, payload, due_at=now, now=now,
                                                  workflow=label[:64], object=object_name,
                                                  record_id=record_id))
                    run.log[-1].update(outcome="queued", outbox_id=rows[-1]["id"])
                else:
                    kind.run(run, compiled)
            except (ApprovalError, WorkflowCycle):
                raise
            except Exception as err:  # noqa: BLE001 - named, and the decision rolled back
                reason = err.args[0] if isinstance(err, RecordInvalid) and err.args else err
                raise ApprovalError(f"approval process '{process}', {event} action {index + 1} "
                                    f"({kind.name}) failed: {reason}") from err
            done.append(run.log[-1])
        outbox.enqueue(conn, rows)
        return done

    def _write(self, run, object_name: str, record_id: str, values: dict) -> dict:
        run.log[-1]["access"] = AS_SYSTEM  # the approvals engine acts as the system
        run.service.update(object_name, record_id, {}, run.actor, tx=run.tx, trusted=values,
                           source=SOURCE)
        return dict(run.service.store.fetch_one(run.conn, object_name, record_id))
