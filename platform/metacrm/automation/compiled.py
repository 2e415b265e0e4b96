"""A catalog's workflows, compiled once: conditions, action values, the order they run in.

Workflows of an object run by (``order``, ``name``): a lower order first, then by name; a
later workflow's condition sees what an earlier one's ``set_fields`` set.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from croniter import croniter

from ..formula import compile_condition
from ..meta import Catalog, Workflow
from .actions import AFTER, BEFORE, OUTBOX, ActionType

TRIGGERS = ("create", "update", "delete")
_INTERVAL = re.compile(r"^([1-9][0-9]*)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class AutomationError(Exception):
    """The automation cannot run this catalog (e.g. an action type no plugin provides)."""


@dataclass(frozen=True)
class CompiledAction:
    index: int
    kind: ActionType
    compiled: Any

    @property
    def phase(self) -> str:
        return self.kind.phase


@dataclass(frozen=True)
class CompiledWorkflow:
    workflow: Workflow
    condition: Callable | None
    before: tuple[CompiledAction, ...]
    #: AFTER and OUTBOX actions, in the order written
    after: tuple[CompiledAction, ...]

    @property
    def name(self) -> str:
        return self.workflow.name

    @property
    def scheduled(self) -> bool:
        return self.workflow.schedule is not None

    def holds(self, record: Mapping, ctx) -> bool:
        return self.condition is None or self.condition(record, ctx)

    def due_at(self, record: Mapping, timezone: dt.tzinfo) -> dt.datetime | None:
        """When a time-based workflow's actions are due (naive UTC), or None (field blank).
        A date means midnight of that day in the organisation's time zone."""
        schedule = self.workflow.schedule
        value = record.get(schedule.field)
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time(0), tzinfo=timezone)
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value + dt.timedelta(days=schedule.offset_days, hours=schedule.offset_hours)


class WorkflowSet:
    """Every workflow of a catalog, compiled, looked up by object and trigger."""

    def __init__(self, catalog: Catalog, types: Mapping[str, ActionType]):
        self._by_trigger: dict[tuple[str, str], tuple[CompiledWorkflow, ...]] = {}
        self._scheduled: dict[str, tuple[CompiledWorkflow, ...]] = {}
        self.periodic: tuple[CompiledWorkflow, ...] = ()
        self.by_name: dict[str, CompiledWorkflow] = {}
        periodic = []
        for workflow in sorted(catalog.workflows.values(), key=lambda w: (w.order, w.name)):
            compiled = _compile(catalog, workflow, types)
            self.by_name[workflow.name] = compiled
            if "periodic" in workflow.trigger:
                periodic.append(compiled)
                continue
            for trigger in workflow.trigger:
                key = (workflow.object, trigger)
                self._by_trigger[key] = self._by_trigger.get(key, ()) + (compiled,)
            if compiled.scheduled:
                self._scheduled[workflow.object] = self._scheduled.get(workflow.object, ()) + (
                    compiled,)
        self.periodic = tuple(periodic)

    def for_change(self, object_name: str, trigger: str) -> tuple[CompiledWorkflow, ...]:
        return self._by_trigger.get((object_name, trigger), ())

    def scheduled(self, object_name: str) -> tuple[CompiledWorkflow, ...]:
        return self._scheduled.get(object_name, ())


def _compile(catalog: Catalog, workflow: Workflow, types: Mapping[str, ActionType]
             ) -> CompiledWorkflow:
    scope = catalog.scope(workflow.object)
    periodic = "periodic" in workflow.trigger
    # a periodic workflow's condition is its SQL filter (see periodic.py); no Python needed
    condition = compile_condition(workflow.when, scope) if workflow.when and not periodic else None
    before, after = [], []
    for index, action in enumerate(workflow.actions):
        kind = types.get(action.type)
        if kind is None:
            raise AutomationError(f"workflow '{workflow.name}': action {index + 1} has type "
                                  f"'{action.type}', which no installed plugin provides")
        item = CompiledAction(index, kind, kind.compile(action.params, catalog, workflow.object))
        (before if kind.phase == BEFORE else after).append(item)
        assert kind.phase in (BEFORE, AFTER, OUTBOX), kind
    return CompiledWorkflow(workflow, condition, tuple(before), tuple(after))


def interval_seconds(every: str) -> int | None:
    """``30m`` -> 1800; None for a cron expression."""
    match = _INTERVAL.match(every.strip())
    return int(match.group(1)) * _UNITS[match.group(2)] if match else None


def period_start(every: str, now: dt.datetime) -> dt.datetime:
    """The start of the period ``now`` falls in (naive UTC): intervals count from the epoch,
    cron expressions name their last firing time at or before ``now``."""
    seconds = interval_seconds(every)
    if seconds is not None:
        epoch = int(now.replace(tzinfo=dt.timezone.utc).timestamp())
        return dt.datetime.fromtimestamp(epoch - epoch % seconds, dt.timezone.utc).replace(
            tzinfo=None)
    return croniter(every, now + dt.timedelta(seconds=1)).get_prev(dt.datetime)
