"""What a deploy plan says about access, from the two catalogs alone (pure: no database).

    access_notes(deployed, candidate)
    # ['no role declares permissions: every signed-in user may do everything']
    # ['access is enforced from now on: 3 roles declare permissions']

The store's plan adds these lines to its notes (how many users lose access to how many records
needs the data, and is counted there).
"""

from __future__ import annotations

from .catalog import Catalog

__all__ = ["access_notes", "OPEN_NOTE"]

OPEN_NOTE = "no role declares permissions: every signed-in user may do everything"


def access_notes(old: Catalog | None, new: Catalog) -> list[str]:
    """One line when ``new`` is open (no role declares ``permissions``); one line when access
    starts being enforced (``old`` was open, or there was none, and ``new`` is not); else none."""
    if new.access_open:
        return [OPEN_NOTE]
    if old is None or old.access_open:
        count = sum(role.permissions is not None for role in new.roles.values())
        return [f"access is enforced from now on: {count} role{'s' * (count != 1)} "
                f"declare{'s' * (count == 1)} permissions"]
    return []
