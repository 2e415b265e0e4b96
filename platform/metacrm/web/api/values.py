"""Values as the API's JSON: the CLI's (``metacrm record``) — decimals as text (exact), dates
``YYYY-MM-DD``, lists, lookups as ids — except datetimes, which are RFC 3339 in UTC
(``2026-03-01T09:30:00Z``), the ``date-time`` format of JSON Schema and OpenAPI."""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from ...store import to_json_value


def api_value(value: Any) -> Any:
    """A value as the API's JSON."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value.year >= 1000 else value.isoformat()
    if isinstance(value, Mapping):
        return {key: api_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [api_value(item) for item in value]
    return to_json_value(value)
