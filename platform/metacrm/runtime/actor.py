"""Who is acting: passed explicitly to every RecordService call, never read from a global.

    Actor(user_id=user["id"], username=user["username"], roles=frozenset(user["roles"] or ()))
    Actor.system()          # metacrm itself: the command line, imports, scheduled work
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Actor:
    #: the id of the acting ``user`` record; None for the system actor
    user_id: str | None
    username: str
    is_admin: bool = False
    roles: frozenset[str] = frozenset()

    @classmethod
    def system(cls) -> "Actor":
        """metacrm itself. It owns nothing: records it creates get no default owner."""
        return cls(user_id=None, username="system", is_admin=True)

    @classmethod
    def for_user(cls, user: Mapping, *, is_admin: bool = False) -> "Actor":
        """The actor for a ``user`` record (a dict as the RecordService returns it)."""
        return cls(user_id=user["id"], username=user["username"], is_admin=is_admin,
                   roles=frozenset(user.get("roles") or ()))

    @property
    def is_system(self) -> bool:
        return self.user_id is None
