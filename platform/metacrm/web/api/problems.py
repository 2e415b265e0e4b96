"""Errors of the API as RFC 9457 problem details (``application/problem+json``).

    raise ApiProblem(400, "a batch needs at least one record", slug="empty-batch")

Every error an API view raises ends here: HTTP errors (werkzeug's, Flask-Limiter's 429, the
401 of ``api_actor``), the RecordService's errors (``to_dict()`` and ``status``), deploy
errors. The handlers are the API blueprint's only: the pages keep their own error pages.

A problem has ``type``, ``title``, ``status``, ``detail``; ``errors`` (field -> messages) for
invalid records and queries, ``errors`` per input position for a bulk create, and the extra
members of the error (``object``, ``current_version`` …).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, json, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from ...runtime import BulkInvalid, RecordError, VersionConflict
from .values import api_value

PROBLEM_JSON = "application/problem+json"
#: the ``type`` of metacrm's own problems: this prefix, then a slug (``record-invalid``)
TYPE_PREFIX = "urn:metacrm:problem:"

log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """A problem raised by an API view (the handler turns it into the response)."""

    def __init__(self, status: int, detail: str, *, slug: str | None = None,
                 title: str | None = None, headers: dict | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title
        self.headers = headers or {}
        self.extra = extra


def problem(status: int, detail: str | None = None, *, slug: str | None = None,
            title: str | None = None, headers: dict | None = None, **extra: Any) -> Response:
    body = {"type": TYPE_PREFIX + slug if slug else "about:blank",
            "title": title or HTTP_STATUS_CODES.get(status, "Error"),
            "status": status, "detail": detail or HTTP_STATUS_CODES.get(status, "")}
    body.update(api_value({k: v for k, v in extra.items() if v is not None}))
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def _slug(name: str) -> str:
    """``RecordInvalid`` -> ``record-invalid``."""
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def record_problem(error: RecordError) -> Response:
    data = error.to_dict()
    name = data.pop("error")
    detail = data.pop("message")
    status = error.status
    if isinstance(error, VersionConflict) and request.headers.get("If-Match"):
        # the If-Match precondition failed (the version check ran on the locked row)
        status, name = 412, "PreconditionFailed"
    if isinstance(error, VersionConflict):
        data["updated_at"] = error.updated_at  # RFC 3339, as every datetime of the API
    if isinstance(error, BulkInvalid):
        data["errors"] = {str(i): m for i, m in error.messages_by_index.items()}
    return problem(status, detail, slug=_slug(name), **data)


def _http_problem(error: HTTPException) -> Response:
    headers = {}
    if error.code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="metacrm"'
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    retry = getattr(error, "retry_after", None)
    if retry:
        headers["Retry-After"] = str(retry)
    if error.code == 500:  # never show an internal error's details
        return problem(500, "an unexpected error; it has been logged", headers=headers)
    description = error.description or ""
    if error.code == 404 and description.startswith("The requested URL was not found"):
        description = f"no API endpoint at {request.path}"
    return problem(error.code or 500, description, headers=headers)


def _internal(error: InternalServerError) -> Response:
    log.error("API error on %s %s", request.method, request.path,
              exc_info=error.original_exception or error)
    return problem(500, "an unexpected error; it has been logged")


def init_blueprint(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(ApiProblem, lambda e: problem(
        e.status, e.detail, slug=e.slug, title=e.title, headers=e.headers, **e.extra))
    blueprint.register_error_handler(RecordError, record_problem)
    blueprint.register_error_handler(InternalServerError, _internal)
    blueprint.register_error_handler(HTTPException, _http_problem)

