"""Record errors: one structured error per failed call; nothing was written.

    try:
        service.create("opportunity", data, actor)
    except RecordInvalid as invalid:
        invalid.messages        # {"amount": ["must be at least 0"], "_record": ["…"]}

Field errors carry a ``code`` (``invalid``, ``required``, ``read_only``, ``unique``, ``lookup``,
``rule``, ``unknown``, ``restricted``) so an API can map them without parsing messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

#: the key of messages about the record as a whole (validation rules without a field, deletes
#: refused because other records refer to this one)
RECORD = "_record"


@dataclass(frozen=True)
class FieldError:
    """One message about one field (``field`` is RECORD for the record as a whole)."""

    field: str
    message: str
    code: str = "invalid"


@dataclass(frozen=True)
class ReadOnlyField(FieldError):
    """Input that changes a field which cannot be changed (read_only, read_only_when, computed,
    system): an error, never silently dropped."""

    code: str = "read_only"


class RecordError(Exception):
    """The base of every error the RecordService raises on purpose."""

    status = 400

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "message": str(self)}


class RecordInvalid(RecordError):
    """The input breaks one or more rules; ``errors`` lists them all."""

    status = 422

    def __init__(self, object_name: str, errors: Iterable[FieldError]):
        self.object_name = object_name
        self.errors = tuple(errors)
        super().__init__(self._summary())

    @property
    def messages(self) -> dict[str, list[str]]:
        """Messages per field (RECORD for the record as a whole)."""
        out: dict[str, list[str]] = {}
        for error in self.errors:
            out.setdefault(error.field, []).append(error.message)
        return out

    def _summary(self) -> str:
        parts = [f"{e.field}: {e.message}" if e.field != RECORD else e.message
                 for e in self.errors]
        return f"invalid {self.object_name}: " + "; ".join(parts)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "object": self.object_name, "errors": self.messages}


class BulkInvalid(RecordInvalid):
    """Some records of a bulk create are invalid; none was written. ``by_index`` maps the
    position of each invalid input to its errors."""

    def __init__(self, object_name: str, by_index: dict[int, tuple[FieldError, ...]]):
        self.by_index = dict(sorted(by_index.items()))
        super().__init__(object_name, [e for errors in self.by_index.values() for e in errors])

    @property
    def messages_by_index(self) -> dict[int, dict[str, list[str]]]:
        out: dict[int, dict[str, list[str]]] = {}
        for index, errors in self.by_index.items():
            for error in errors:
                out.setdefault(index, {}).setdefault(error.field, []).append(error.message)
        return out

    def _summary(self) -> str:
        count = len(self.by_index)
        first = next(iter(self.by_index), None)
        shown = "" if first is None else f"; #{first}: " + "; ".join(
            f"{e.field}: {e.message}" for e in self.by_index[first])
        return f"{count} invalid {self.object_name} record{'s' * (count != 1)}, none written{shown}"

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "message": str(self), "object": self.object_name,
                "errors": {str(i): messages for i, messages in self.messages_by_index.items()}}


class RecordNotFound(RecordError):
    status = 404

    def __init__(self, object_name: str, record_id: str):
        self.object_name = object_name
        self.record_id = record_id
        super().__init__(f"no {object_name} record with id '{record_id}'")


class VersionConflict(RecordError):
    """The change was based on an older version of the record; nothing was written."""

    status = 409

    def __init__(self, object_name: str, record_id: str, expected: int, current: int,
                 updated_by: str | None, updated_at: dt.datetime | None):
        self.object_name = object_name
        self.record_id = record_id
        self.expected = expected
        self.current = current
        self.updated_by = updated_by
        self.updated_at = updated_at
        who = f" by {updated_by}" if updated_by else ""
        when = f" at {updated_at:%Y-%m-%d %H:%M:%S} UTC" if updated_at else ""
        super().__init__(f"{object_name} '{record_id}' is at version {current}, not {expected}: "
                         f"it was changed{who}{when}; reload it and try again")

    def to_dict(self) -> dict:
        return {**super().to_dict(), "expected_version": self.expected,
                "current_version": self.current, "updated_by": self.updated_by,
                "updated_at": self.updated_at.isoformat(sep=" ") if self.updated_at else None}


class QueryInvalid(RecordError):
    """A query that cannot run (bad filter, sort, fields, cursor or limit)."""

    def __init__(self, object_name: str, errors: dict[str, list[str]]):
        self.object_name = object_name
        self.errors = errors
        super().__init__("; ".join(f"{part}: {m}" for part, ms in errors.items() for m in ms))

    @property
    def messages(self) -> dict[str, list[str]]:
        return self.errors

    def to_dict(self) -> dict:
        return {**super().to_dict(), "object": self.object_name, "errors": self.errors}


class UnknownObject(RecordError):
    """No object type of that name in the deployed metadata."""

    status = 404

    def __init__(self, message: str):
        super().__init__(message)


class AccessDenied(RecordInvalid):
    """The actor may not do this: the object's permission, a field they may only read, or a
    record outside what they may edit. Nothing was written."""

    status = 403
