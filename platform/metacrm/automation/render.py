"""What email templates and webhook bodies see of a record: ``{{ record.name }}``,
``{{ record.account.name }}`` (lookups followed on demand), formula fields included.

Templates run in Jinja2's sandbox: no attribute of Python internals, no imports, no file
access; a template that fails to render fails its action (and the save) with the reason.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any, Mapping

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .errors import ActionFailed

# a blank field renders as nothing, not "None"; a misspelt name is an error, not silence
_JINJA = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined,
                              finalize=lambda value: "" if value is None else value)


@functools.lru_cache(maxsize=512)
def _template(source: str):
    return _JINJA.from_string(source)


def render_template(source: str, record: "RecordView") -> str:
    try:
        return _template(source).render(record=record)
    except TemplateError as err:
        raise ActionFailed(f"the template {source[:60]!r} cannot be rendered: {err}") from None


class RecordView:
    """A record for templates: its fields as attributes; a lookup is the related record."""

    def __init__(self, service, conn, object_name: str, record_id: str,
                 stored: Mapping | None = None):
        self._service, self._conn, self._object, self._id = service, conn, object_name, record_id
        self._stored = stored
        self._values: dict | None = None

    def values(self) -> dict:
        if self._values is None:
            self._values = dict(self._service.get(self._object, self._id, conn=self._conn))
        return self._values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        fields = self._service.catalog.object(self._object).fields
        if name not in fields:
            raise KeyError(name)
        value = self.values().get(name)
        target = fields[name].type.field_info(name).target
        if target is not None and value is not None:
            return RecordView(self._service, self._conn, target, value)
        return value

    def __str__(self) -> str:
        title = self._service.catalog.object(self._object).title
        return str(self.values().get(title) or self._id)


def to_json(values: Mapping) -> dict:
    return {key: _plain(value) for key, value in values.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
