"""Records over HTTP: one set of routes for every object of the deployed Catalog.

    GET    /api/v1/<object>                 list: filter, sort, fields, limit, cursor, count
    POST   /api/v1/<object>                 create one (201 + Location), or an array of up to
                                            1,000 in one transaction (all or nothing)
    GET    /api/v1/<object>/<id>            one record (ETag: its version)
    PATCH  /api/v1/<object>/<id>            change fields (If-Match: the version it is based on)
    DELETE /api/v1/<object>/<id>            delete (If-Match as for PATCH)
    GET    /api/v1/<object>/<id>/history    every change, oldest first

Nothing here knows an object: the name is looked up in the Catalog in force per request, so
an object deployed a second ago works at once. Every read and write goes through the
RecordService with the request's Actor, which decides what they may see and do (an object or
record they may not read is a 404, a write they may not make a 403 ``access-denied``); its
errors become problems (``problems.py``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, request, url_for
from sqlalchemy.exc import DataError

from ...meta import USER_OBJECT
from ...runtime import (RECORD, Actor, BulkInvalid, FieldError, QueryInvalid,
                        RecordInvalid)
from ..auth import api_actor
from .io import (MAX_BATCH, etag, get_args, if_match_version, json_body, json_object,
                 json_response, list_args)
from .problems import ApiProblem
from .current import api_runtime


def _writer(object_name: str) -> Actor:
    """The actor of a write. ``user`` records are written by admins only: a user who could
    write them could rename themselves or take someone else's username or email."""
    actor = api_actor()
    if object_name == USER_OBJECT and not actor.is_admin:
        raise ApiProblem(403, "only admins may create, change or delete users",
                         slug="forbidden")
    return actor


def list_records(object_name: str):
    actor = api_actor()
    args = list_args()
    try:
        page = api_runtime().service.query(
            object_name, actor, filter=args.get("filter"), sort=args.get("sort"),
            fields=args.get("fields"), limit=args["limit"], cursor=args.get("cursor"),
            count=args["count"])
    except (DataError, OverflowError) as error:
        # a literal of the filter the database cannot hold (a 25-digit integer): the query's
        # fault, and a read, so nothing to undo
        raise QueryInvalid(object_name, {"filter": [
            f"a value is out of range for the database: {_first_line(error)}"]}) from None
    body = {"records": page.records, "next_cursor": page.next_cursor}
    if args["count"]:
        body["count"] = page.count
    headers = {}
    if page.next_cursor:
        query = {**request.args.to_dict(), "cursor": page.next_cursor}
        headers["Link"] = f'<{request.base_url}?{urlencode(query)}>; rel="next"'
    return json_response(body, headers=headers)


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def create_records(object_name: str):
    actor = _writer(object_name)
    data = json_body()
    service = api_runtime().service
    if isinstance(data, dict):
        record = service.create(object_name, data, actor)
        location = url_for("api.record", object_name=object_name, record_id=record["id"])
        return json_response(record, 201, headers={"Location": location, "ETag": etag(record)})
    if not isinstance(data, list):
        raise ApiProblem(400, "the body must be a JSON object (one record) or an array of "
                         "objects (a batch)", slug="malformed-json")
    if not data:
        raise ApiProblem(400, "an empty batch: send at least one record", slug="empty-batch")
    if len(data) > MAX_BATCH:
        raise ApiProblem(413, f"a batch holds at most {MAX_BATCH} records, not {len(data)}",
                         slug="batch-too-large")
    not_objects = {i: (FieldError(RECORD, "must be a JSON object of field values"),)
                   for i, row in enumerate(data) if not isinstance(row, dict)}
    if not_objects:
        raise BulkInvalid(object_name, not_objects)
    service.rules(object_name)  # an unknown object is a 404, not a batch of 422s
    ids = service.create_many(object_name, data, actor)
    return json_response({"ids": ids}, 201)


def get_record(object_name: str, record_id: str):
    actor = api_actor()
    record = api_runtime().service.get(object_name, record_id, actor,
                                       fields=get_args().get("fields"))
    headers = {"ETag": etag(record)} if "version" in record else {}
    return json_response(record, headers=headers)


def update_record(object_name: str, record_id: str):
    actor = _writer(object_name)
    version = if_match_version()
    data = json_object()
    record = api_runtime().service.update(object_name, record_id, data, actor, version=version)
    return json_response(record, headers={"ETag": etag(record)})


def delete_record(object_name: str, record_id: str):
    actor = _writer(object_name)
    version = if_match_version()
    try:
        api_runtime().service.delete(object_name, record_id, actor, version=version)
    except RecordInvalid as refused:
        if all(e.code == "restricted" for e in refused.errors):
            # other records still refer to it: a conflict with the data, not bad input
            raise ApiProblem(409, str(refused), slug="delete-restricted",
                             errors=refused.messages) from None
        raise
    return Response(status=204, headers={"Cache-Control": "no-store"})


def record_history(object_name: str, record_id: str):
    actor = api_actor()
    return json_response({"history": api_runtime().service.history(object_name, record_id,
                                                                   actor)})


def init_blueprint(blueprint: Blueprint) -> None:
    route = blueprint.add_url_rule
    route("/v1/<object_name>", "records", list_records, methods=["GET"])
    route("/v1/<object_name>", "create", create_records, methods=["POST"])
    route("/v1/<object_name>/<record_id>", "record", get_record, methods=["GET"])
    route("/v1/<object_name>/<record_id>", "update", update_record, methods=["PATCH"])
    route("/v1/<object_name>/<record_id>", "delete", delete_record, methods=["DELETE"])
    route("/v1/<object_name>/<record_id>/history", "history", record_history, methods=["GET"])
