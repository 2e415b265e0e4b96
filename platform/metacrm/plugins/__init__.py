"""The plugin manager: built-ins and installed plugins, registered through the same hooks.

    pm = make_plugin_manager()                       # field types, installed plugins
    vocabulary = Vocabulary.from_plugins(pm)         # what the loader may use

A process builds ONE plugin manager, in its composition root (``create_app``, the CLI, the
worker), and passes it down. This one knows metacrm's field types and the installed plugins;
:func:`metacrm.automation.plugin_manager` adds the workflow and approval engines to it (a
process that writes records uses that). Tests and tools that want only the built-ins pass
``load_entry_points=False``.
"""

from __future__ import annotations

import importlib

import pluggy

from . import hookspecs
from .hookspecs import PROJECT_NAME, hookimpl

__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "hookimpl", "make_plugin_manager"]

#: modules of metacrm itself that implement hooks; registered before any installed plugin
DEFAULT_PLUGINS = ("metacrm.meta.fieldtypes",)

#: the setuptools entry point group installed plugins declare themselves under
ENTRY_POINT_GROUP = PROJECT_NAME


def make_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with metacrm's hookspecs, its field types and (optionally) installed
    plugins."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        # by name: metacrm.meta imports hookspecs from this package, so importing meta at the
        # top would make the two import each other
        pm.register(importlib.import_module(module_name), name=module_name)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm
