"""The plugin manager: built-ins and installed plugins, registered through the same hooks.

    pm = make_plugin_manager()
    classes = [cls for batch in pm.hook.register_field_types() for cls in batch]

Tests and tools that want only the built-ins pass ``load_entry_points=False``.
"""

from __future__ import annotations

import importlib

import pluggy

from . import hookspecs
from .hookspecs import PROJECT_NAME, hookimpl

__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "action_types", "hookimpl",
           "make_plugin_manager"]

#: modules of metacrm itself that implement hooks; registered before any installed plugin
DEFAULT_PLUGINS = ("metacrm.meta.fieldtypes", "metacrm.automation.plugin",
                   "metacrm.automation.approvals.plugin")

#: the setuptools entry point group installed plugins declare themselves under
ENTRY_POINT_GROUP = PROJECT_NAME


def make_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with metacrm's hookspecs, its built-ins and (optionally) installed plugins."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        # imported here, not at the top: the built-ins import hookspecs, and this package must
        # stay importable from any layer without dragging the model in
        pm.register(importlib.import_module(module_name), name=module_name)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm


def action_types(pm: pluggy.PluginManager | None = None) -> dict:
    """Workflow action types that plugins register (``register_actions``), by name. Without
    ``pm``: the built-ins and installed plugins, collected once."""
    if pm is None:
        global _INSTALLED_ACTIONS
        if _INSTALLED_ACTIONS is None:
            _INSTALLED_ACTIONS = action_types(make_plugin_manager())
        return _INSTALLED_ACTIONS
    return {kind.name: kind for batch in pm.hook.register_actions() for kind in batch or ()}


_INSTALLED_ACTIONS: dict | None = None
