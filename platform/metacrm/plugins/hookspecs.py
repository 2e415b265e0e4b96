"""THE list of metacrm's extension points.

Built-in behaviour registers through these same hooks (see ``metacrm.plugins.DEFAULT_PLUGINS``),
so a plugin can do anything the core does. A plugin is a module or object with functions
marked ``@hookimpl``, found through the setuptools entry point group ``metacrm``::

    # pyproject.toml of a plugin
    [project.entry-points.metacrm]
    my_field_types = "my_plugin.fieldtypes"

    # my_plugin/fieldtypes.py
    from metacrm.plugins.hookspecs import hookimpl

    @hookimpl
    def register_field_types():
        return [ColorType]
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "metacrm"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_field_types():
    """Return a list of field type classes (subclasses of ``metacrm.meta.fieldtypes.FieldType``)."""


# -- the RecordService (metacrm.runtime): every create, update and delete ---------------------
# Each receives one ``change`` (metacrm.runtime.Change): object, operation ("create", "update"
# or "delete"), record, prior, changed, actor, service, tx (its transaction; ``connection``
# for reads), metadata_version, env (clock, time zone, acting user), source, notes.


@hookspec
def record_before_save(change):
    """Adjust ``change.record`` before it is checked and saved, inside the write's transaction."""


@hookspec
def record_after_save(change):
    """React to a saved change inside its transaction; raising rolls the whole write back."""


@hookspec
def record_after_commit(change):
    """React to a change after its transaction committed (errors are logged, never raised)."""


# -- automation (metacrm.automation): workflow actions -------------------------------------------


@hookspec
def register_actions():
    """Return a list of workflow action types (see ``metacrm.automation.actions.ActionType``)."""


@hookspec(firstresult=True)
def submit_for_approval(run, process, workflow):
    """Submit workflow ``run``'s record to approval ``process``; return True when handled."""


@hookspec
def automation_sweep(service, now):
    """Work due on beat's sweep (approval escalations); return outbox rows [(id, kind)] queued."""
