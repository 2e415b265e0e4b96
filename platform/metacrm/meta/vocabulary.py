"""What a package may use beyond the core: field types and plugin action types.

    vocabulary = Vocabulary.from_plugins(pm)     # the composition root's plugin manager
    catalog = load_package("metadata/crm", vocabulary)
    Vocabulary.builtin()                         # metacrm's own field types, no plugin actions

The loader is handed one explicitly (it never builds a plugin manager of its own), so a
catalog rebuilt from the database knows exactly the plugins of the process that rebuilds it.
Built-in workflow actions are checked by the metadata layer itself; a plugin's action type
(a dotted name) is checked by its own ``check(params)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Mapping, Protocol

from .fieldtypes import BUILTIN_FIELD_TYPES, FieldTypeRegistry

__all__ = ["ActionChecker", "Vocabulary"]


class ActionChecker(Protocol):
    """The deploy-time part of a workflow action type (``metacrm.automation.ActionType``)."""

    name: str

    def check(self, params: Mapping) -> list[tuple[str | None, str]]:
        """Problems of an action's keys: (key or None, message)."""


@dataclass(frozen=True)
class Vocabulary:
    field_types: FieldTypeRegistry
    #: action types plugins register, by name (built-ins included when the plugin manager
    #: has the automation registered; the loader asks only for names it does not know)
    actions: Mapping[str, ActionChecker] = field(default_factory=dict)

    @classmethod
    def from_plugins(cls, pm) -> "Vocabulary":
        """Field types (``register_field_types``) and action types (``register_actions``)."""
        actions = {kind.name: kind for batch in pm.hook.register_actions() for kind in batch or ()}
        return cls(FieldTypeRegistry.from_plugin_manager(pm), actions)

    @classmethod
    def builtin(cls) -> "Vocabulary":
        return _builtin()


@functools.lru_cache(maxsize=1)
def _builtin() -> Vocabulary:
    # immutable and the same for every caller: made once
    return Vocabulary(FieldTypeRegistry(BUILTIN_FIELD_TYPES))
