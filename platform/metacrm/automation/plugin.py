"""The built-in registration of automation (``metacrm.plugins.DEFAULT_PLUGINS``): the action
types metacrm ships, and the workflow engine on the record hooks.

The engine registered here publishes nothing after commit (a plain RecordService has no
Celery app): the sweeper delivers its outbox rows. A process with a broker registers its own
engine instead, with a publisher: :func:`metacrm.automation.plugin_manager`.
"""

from __future__ import annotations

from ..plugins import hookimpl
from .actions import BUILTIN_ACTIONS
from .engine import Automation

_ENGINE = Automation()


@hookimpl
def register_actions():
    return list(BUILTIN_ACTIONS)


@hookimpl
def record_before_save(change):
    _ENGINE.record_before_save(change)


@hookimpl
def record_after_save(change):
    _ENGINE.record_after_save(change)


@hookimpl
def record_after_commit(change):
    _ENGINE.record_after_commit(change)
