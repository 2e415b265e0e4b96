"""The hook points of the write path: what a plugin (workflows, approvals, audit) receives.

    class Stamp:
        @hookimpl
        def record_before_save(self, change):
            if change.object == "task" and change.operation == "create":
                change.record["priority"] = "High"

    pm = make_plugin_manager(); pm.register(Stamp())
    service = Runtime(db, catalog, plugins=pm).service

``record_before_save`` may change ``change.record`` (values are coerced and checked like input,
except that read-only fields may be set); ``record_after_save`` runs inside the transaction
and may write more records through ``change.service`` with ``tx=change.tx``;
``record_after_commit`` runs once the outermost transaction has committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import pluggy
from sqlalchemy import Connection

from ..plugins import hookspecs

from .actor import Actor

if TYPE_CHECKING:
    from ..formula import Environment
    from .service import RecordService
    from .transaction import Transaction

log = logging.getLogger(__name__)


@dataclass
class Change:
    """One record being created, updated or deleted."""

    object: str
    #: create | update | delete
    operation: str
    #: the values being saved (stored fields); for a delete, the values being deleted
    record: dict
    #: the values before the change (None on create)
    prior: Mapping[str, Any] | None
    actor: Actor
    service: "RecordService"
    #: the write's transaction (join it with ``tx=``); None after commit
    tx: "Transaction | None"
    metadata_version: int | None = None
    #: the fields whose value changed (known after the save)
    changed: frozenset[str] = field(default_factory=frozenset)
    #: what a plugin's hooks pass each other about this change (keyed by plugin), e.g. the
    #: workflows that matched before the save, the outbox rows to publish after commit
    notes: dict = field(default_factory=dict)
    #: what today(), now() and current_user() mean for this write (the service's clock and
    #: time zone, the actor's id): conditions a plugin evaluates should use it
    env: "Environment | None" = None
    #: what made this write on the actor's behalf with trusted values (``"workflow"``,
    #: ``"approvals"``…; None for input): see RecordService.create's ``trusted``
    source: str | None = None

    @property
    def record_id(self) -> str:
        return self.record["id"]

    @property
    def connection(self) -> Connection | None:
        """The write's connection, for reads in its transaction (None after commit)."""
        return self.tx.conn if self.tx is not None else None


def plugin_manager(pm: pluggy.PluginManager | None) -> pluggy.PluginManager:
    """The given manager, or a bare one that knows metacrm's hooks and has no plugins."""
    if pm is None:
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
    return pm


class Hooks:
    """Calls the record hooks; skips the call (and building the Change) when nothing listens,
    which keeps bulk writes fast."""

    def __init__(self, pm: pluggy.PluginManager):
        self._hook = pm.hook

    def listening(self, name: str) -> bool:
        caller = getattr(self._hook, name, None)
        return caller is not None and bool(caller.get_hookimpls())

    def before_save(self, change: Change) -> None:
        self._hook.record_before_save(change=change)

    def after_save(self, change: Change) -> None:
        self._hook.record_after_save(change=change)

    def after_commit(self, changes: list[Change]) -> None:
        for change in changes:
            change.tx = None
            try:
                self._hook.record_after_commit(change=change)
            except Exception:  # noqa: BLE001 - the data is committed; a failing listener
                # must not turn a successful write into an error for the caller
                log.exception("record_after_commit failed for %s %s %s",
                              change.operation, change.object, change.record_id)
