"""What ``today()``, ``now()`` and ``current_user()`` mean for one evaluation or query.

Passed explicitly (never a global), so tests control the clock and each request its user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable
from zoneinfo import ZoneInfo

from .sqltypes import to_utc_seconds


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Environment:
    #: the current instant (aware, or naive UTC); a test passes a fixed or stepping clock
    clock: Callable[[], dt.datetime] = _utcnow
    #: the organisation's time zone, used by today()
    timezone: dt.tzinfo = dt.timezone.utc
    #: the acting user's id, for current_user()
    user_id: str | None = None

    @classmethod
    def for_zone(cls, name: str, **kw) -> "Environment":
        return cls(timezone=ZoneInfo(name), **kw)

    def now(self) -> dt.datetime:
        """Naive UTC at whole seconds, as datetimes are stored."""
        return to_utc_seconds(self.clock())

    def today(self) -> dt.date:
        instant = self.clock()
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.timezone.utc)
        return instant.astimezone(self.timezone).date()


DEFAULT_ENVIRONMENT = Environment()
