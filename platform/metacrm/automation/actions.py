"""Workflow action types: what each does, and when (inside the save, after it, or through the
outbox). Built-ins and plugins register through the same ``register_actions`` hook.

    class ChatNotify(ActionType):
        name = "chat.notify"
        phase = OUTBOX                      # delivered by a worker, with retries
        def check(self, params): ...        # deploy time: [(key, message)]
        def prepare(self, run, params): ... # in the transaction: the JSON payload to deliver
        def deliver(self, payload, delivery): ...   # in the worker; raise to retry

A type of phase BEFORE changes ``run.record`` before it is checked and saved; AFTER runs
inside the transaction once the record is saved (``run.service`` with ``tx=run.tx``);
OUTBOX prepares a payload in the transaction and delivers it after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sqlalchemy import Connection

from ..formula import EvalContext, compile_python
from ..meta import Catalog
from ..runtime import Actor, RecordService, Transaction
from .delivery import post_webhook, send_email
from .errors import ActionFailed, ActionSkipped
from .render import RecordView, render_template, to_json

BEFORE, AFTER, OUTBOX = "before", "after", "outbox"


@dataclass
class Run:
    """One workflow run on one record: what its actions see and may use."""

    service: RecordService
    #: the transaction of the save (or of the worker's run): writes join it with ``tx=``
    tx: Transaction
    actor: Actor
    object: str
    #: create | update | delete | scheduled | periodic
    trigger: str
    #: the record's stored values (being saved in BEFORE; as saved afterwards)
    record: dict
    prior: Mapping | None
    changed: frozenset
    workflow: str
    ctx: EvalContext
    #: the plugin manager of the automation (for hooks such as submit_for_approval)
    plugins: Any = None
    #: what the run did, one entry per action, for the run log
    log: list = field(default_factory=list)

    @property
    def conn(self) -> Connection:
        return self.tx.conn

    @property
    def catalog(self) -> Catalog:
        return self.service.catalog

    def view(self) -> RecordView:
        """The saved record with its formula fields, and its related records on demand."""
        return RecordView(self.service, self.conn, self.object, self.record["id"], self.record)


class ActionType:
    name: str = ""
    phase: str = AFTER

    def check(self, params: Mapping) -> list[tuple[str | None, str]]:
        """Deploy-time problems of a plugin action's keys: (key or None, message)."""
        return []

    def compile(self, params: Mapping, catalog: Catalog, object_name: str) -> Any:
        """Once per catalog: whatever ``run``/``prepare`` need (compiled formulas)."""
        return params

    def run(self, run: Run, compiled: Any) -> None:
        raise NotImplementedError

    def prepare(self, run: Run, compiled: Any) -> dict:
        raise NotImplementedError

    def deliver(self, payload: dict, delivery) -> None:
        raise NotImplementedError


def compile_values(values: Mapping, catalog: Catalog, object_name: str
                   ) -> dict[str, Callable[[Run], Any]]:
    """``values`` of an action: ``=formula`` strings on the triggering record, else literals."""
    scope = catalog.scope(object_name)
    out = {}
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("="):
            fn = compile_python(value[1:], scope)
            out[key] = lambda run, fn=fn: fn(run.record, run.ctx)
        else:
            literal = list(value) if isinstance(value, tuple) else value
            out[key] = lambda run, literal=literal: literal
    return out


#: ``change.source`` of the records workflow actions write
SOURCE = "workflow"
#: what the run log says of a record a workflow or approval action writes: they act as the
#: system, so they may touch records the triggering user cannot see (docs/access.md)
AS_SYSTEM = "as the system: record access is not applied"


def write(run: Run, object_name: str, record_id: str | None, values: dict) -> dict:
    """Create or update a record through the RecordService with values a workflow sets: like
    ``set_fields`` they are trusted values (coerced and validated like input, but they may
    fill read-only fields such as ``last_won_on``, as the metadata contract says workflows
    may), set before the record's own workflows judge their conditions. Record access is not
    applied (the run log says so): a workflow acts as the system."""
    if run.log:
        run.log[-1]["access"] = AS_SYSTEM
    if record_id is None:
        return run.service.create(object_name, {}, run.actor, tx=run.tx, trusted=values,
                                  source=SOURCE)
    return run.service.update(object_name, record_id, {}, run.actor, tx=run.tx,
                              trusted=values, source=SOURCE)


def evaluate(values: Mapping[str, Callable[[Run], Any]], run: Run) -> dict:
    return {key: fn(run) for key, fn in values.items()}


class SetFields(ActionType):
    name = "set_fields"
    phase = BEFORE

    def compile(self, params, catalog, object_name):
        return compile_values(params["values"], catalog, object_name)

    def run(self, run, compiled):
        if run.trigger in ("scheduled", "periodic"):  # no save under way: make one
            write(run, run.object, run.record["id"], evaluate(compiled, run))
        elif run.trigger != "delete":
            # the runtime coerces and validates what is set here, like input
            run.record.update(evaluate(compiled, run))


class CreateRecord(ActionType):
    name = "create_record"

    def compile(self, params, catalog, object_name):
        return params["object"], compile_values(params["values"], catalog, object_name)

    def run(self, run, compiled):
        target, values = compiled
        created = write(run, target, None, evaluate(values, run))
        run.log[-1]["record"] = {"object": target, "id": created["id"]}


class UpdateRecord(ActionType):
    name = "update_record"

    def compile(self, params, catalog, object_name):
        path = params["record"].split(".")
        hops, current = [], object_name
        for name in path:  # the deploy checks made sure every step is a lookup
            target = catalog.object(current).fields[name].type.field_info(name).target
            hops.append((current, name, target))
            current = target
        return hops, compile_values(params["values"], catalog, object_name)

    def run(self, run, compiled):
        hops, values = compiled
        record_id: Any = run.record["id"]
        record: Mapping | None = run.record
        for source, name, target in hops:
            record_id = record.get(name) if record else None
            if record_id is None:
                run.log[-1]["outcome"] = "skipped"  # nothing to update: the lookup is blank
                return
            record = run.service.store.fetch_one(run.conn, target, record_id)
        write(run, hops[-1][2], record_id, evaluate(values, run))
        run.log[-1]["record"] = {"object": hops[-1][2], "id": record_id}


class SendEmail(ActionType):
    name = "send_email"
    phase = OUTBOX

    def compile(self, params, catalog, object_name):
        recipients = {}
        for key in ("to", "cc", "bcc"):
            items = params.get(key) or ()
            items = [items] if isinstance(items, str) else list(items)
            recipients[key] = [compile_values({"v": item}, catalog, object_name)["v"]
                               for item in items]
        return recipients, params["subject"], params.get("body") or ""

    def prepare(self, run, compiled):
        recipients, subject, body = compiled
        addresses = {key: [a for a in (fn(run) for fn in fns) if a]
                     for key, fns in recipients.items()}
        if not addresses["to"]:
            raise ActionSkipped("no recipient: 'to' is blank for this record")
        view = run.view()
        return {**addresses, "subject": render_template(subject, view).strip(),
                "body": render_template(body, view)}

    def deliver(self, payload, delivery):
        send_email(payload, delivery)


class Webhook(ActionType):
    name = "webhook"
    phase = OUTBOX

    def compile(self, params, catalog, object_name):
        url = compile_values({"url": params["url"]}, catalog, object_name)["url"]
        return url, params.get("method", "POST"), dict(params.get("headers") or {})

    def prepare(self, run, compiled):
        url, method, headers = compiled
        address = url(run)
        if not address:
            raise ActionSkipped("no url: the formula is blank for this record")
        prior = run.prior or {}
        body = {"event": run.trigger, "object": run.object, "id": run.record["id"],
                "workflow": run.workflow, "record": to_json(run.view().values()),
                "changed": sorted(run.changed),
                "prior": to_json({k: prior.get(k) for k in sorted(run.changed)} if run.prior
                                 else {})}
        return {"url": address, "method": method, "headers": headers, "body": body}

    def deliver(self, payload, delivery):
        post_webhook(payload, delivery)


class SubmitForApproval(ActionType):
    """Hands the record to the approvals engine through the ``submit_for_approval`` hook;
    without an implementation the run fails (and with it the save): a workflow that asks for
    an approval must never silently skip it."""

    name = "submit_for_approval"

    def run(self, run, compiled):
        pm = run.plugins
        handled = pm.hook.submit_for_approval(run=run, process=compiled["process"],
                                              workflow=run.workflow) if pm else None
        if not handled:
            raise ActionFailed(f"no approvals engine is installed to take approval process "
                               f"'{compiled['process']}' (the submit_for_approval hook)")


BUILTIN_ACTIONS = (SetFields(), CreateRecord(), UpdateRecord(), SendEmail(), Webhook(),
                   SubmitForApproval())


def action_types(pm=None) -> dict[str, ActionType]:
    """The built-in action types and those the plugins of ``pm`` register, by name."""
    types = {kind.name: kind for kind in BUILTIN_ACTIONS}
    if pm is not None:
        types.update({kind.name: kind for batch in pm.hook.register_actions()
                      for kind in batch or ()})
    return types

