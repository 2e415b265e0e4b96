"""What goes in and out of the API: JSON bodies, query parameters (webargs), JSON values.

    data = json_body()                       # 415 not JSON, 400 malformed, 413 too large
    args = list_args()                       # filter, sort, fields, limit, cursor, count
    return json_response(record, 201, headers={"Location": …})

Values are written by ``values.api_value``. Numbers in a body are read as exact decimals,
never through a binary float.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Mapping

from flask import Response, request
from marshmallow import RAISE, Schema, validate
from marshmallow import fields as ma
from webargs.flaskparser import FlaskParser

from ...store import DEFAULT_LIMIT, MAX_LIMIT
from .problems import ApiProblem
from .values import api_value

#: the most records one POST may create
MAX_BATCH = 1000


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None
                  ) -> Response:
    response = Response(json.dumps(api_value(data), ensure_ascii=False), status=status,
                        mimetype="application/json")
    response.headers.update(headers or {})
    # records are personal data and change under any cache: never store them
    response.headers["Cache-Control"] = "no-store"
    return response


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_body() -> Any:
    """The request's JSON body: 415 when it is not JSON, 400 when it does not parse, 413 when
    it is larger than the API's limit."""
    if not request.mimetype or not request.is_json:
        raise ApiProblem(415, "send the body as JSON (Content-Type: application/json)"
                         + (f", not {request.mimetype}" if request.mimetype else ""),
                         slug="not-json")
    raw = request.get_data(cache=True)  # 413 (RequestEntityTooLarge) past the limit
    try:
        data = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ApiProblem(400, "the body is not UTF-8 text", slug="malformed-json") from None
    except json.JSONDecodeError as error:
        raise ApiProblem(400, f"the body is not valid JSON: {error.msg} at line {error.lineno} "
                         f"column {error.colno}", slug="malformed-json") from None
    except (ValueError, RecursionError) as error:
        raise ApiProblem(400, f"the body is not valid JSON: {error}", slug="malformed-json") \
            from None
    _check_values(data)
    return data


#: PostgreSQL cannot store U+0000 in text (SQLite truncates at it): refused before it gets far
NUL_MESSAGE = "text may not contain the NUL character (\\u0000)"


#: numbers in a body are exact decimals; past this exponent none fits a field, and turning
#: one into an integer (1e999999999) would take the process hostage
MAX_EXPONENT = 100


def _check_values(data: Any) -> None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ApiProblem(400, NUL_MESSAGE, slug="nul-character")
        elif isinstance(item, Decimal):
            if abs(item.adjusted()) > MAX_EXPONENT:
                raise ApiProblem(400, f"the number {item} is out of range", slug="malformed-json")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def refuse_nul_in_url() -> None:
    """The path and query parameters (record ids, filters) must not hold NUL either."""
    if "\x00" in request.path or any("\x00" in k or "\x00" in v
                                      for k, v in request.args.items(multi=True)):
        raise ApiProblem(400, NUL_MESSAGE, slug="nul-character")


def json_object() -> dict:
    data = json_body()
    if not isinstance(data, dict):
        raise ApiProblem(400, f"the body must be a JSON object of field values, not "
                         f"{_json_kind(data)}", slug="malformed-json")
    return data


def _json_kind(data: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(data), "a number")


# -- query parameters ---------------------------------------------------------------------------


class _Parser(FlaskParser):
    """webargs, with its errors as 400 problems (a query parameter is not a record)."""

    DEFAULT_VALIDATION_STATUS = 400

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages.get("query", error.messages) \
            if isinstance(error.messages, dict) else {"query": error.messages}
        raise ApiProblem(400, "bad query parameters: " + "; ".join(
            f"{name}: {' '.join(map(str, m if isinstance(m, list) else [m]))}"
            for name, m in messages.items()), slug="query-invalid", errors=messages)


parser = _Parser()


class _FieldList(ma.String):
    """``name,account.name`` -> ["name", "account.name"]."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return [part.strip() for part in text.split(",") if part.strip()] or None


class ListArgs(Schema):
    """The query parameters of a list (they also describe it in the OpenAPI document)."""

    filter = ma.String(metadata={"description": "A condition in the formula language, "
                                     "e.g. `stage == \"Proposal\" and amount > 1000`."})
    sort = ma.String(metadata={"description": "Comma-separated fields (stored, formula or "
                                   "lookup paths), `-` for descending: `-amount,name`."})
    fields = _FieldList(metadata={"description": "Comma-separated fields to return (lookup "
                                  "paths allowed: `account.name`); `id` always comes back."})
    limit = ma.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": f"Records per page (1 to {MAX_LIMIT})."})
    cursor = ma.String(metadata={"description": "The `next_cursor` of the previous page."})
    count = ma.Boolean(load_default=False,
                           metadata={"description": "Also count every matching record."})


class GetArgs(Schema):
    fields = _FieldList(metadata={"description": "Comma-separated fields to return."})


def list_args() -> dict:
    # an unknown parameter is an error: a typo (`filtr=`) must not list every record
    return parser.parse(ListArgs(), request, location="query", unknown=RAISE)


def get_args() -> dict:
    return parser.parse(GetArgs(), request, location="query", unknown=RAISE)


def if_match_version() -> int | None:
    """The record version an ``If-Match`` header asks for (None without one, or ``*``);
    a header that names no version of ours can never match: 412."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tags = [tag.strip() for tag in header.split(",")]
    for tag in tags:
        if tag.startswith('"') and tag.endswith('"') and tag[1:-1].isdigit():
            return int(tag[1:-1])
    raise ApiProblem(412, f"If-Match {header!r} names no version of this record (send the "
                     "ETag of a GET, e.g. \"3\")", slug="precondition-failed")


def etag(record: Mapping) -> str:
    return f'"{record["version"]}"'
