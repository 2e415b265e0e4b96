"""Approvals over HTTP (``docs/approvals.md``): submit, decide, recall, reassign, the inbox,
delegations. Errors are problems like the rest of the API: 403 not an approver (or not the
submitter), 404 no such request, 409 already decided or already pending, 422 a comment
required, the entry criteria not met, no approver. A record the user may not read is a 404 here
as everywhere; a request is shown to whoever may read its record, its submitter, its approvers
and their delegates (an approver sees the request, not the record).

    GET    /api/v1/<object>/<id>/approvals           the record's requests, steps, decisions
    POST   /api/v1/<object>/<id>/approvals           {"process": NAME} submits (201)
    GET    /api/v1/approvals/inbox                   what waits for the signed-in user
    GET    /api/v1/approvals/<request_id>            one request
    POST   /api/v1/approvals/<request_id>/approve    {"comment"?, "on_behalf_of"?}
    POST   /api/v1/approvals/<request_id>/reject     {"comment"?, "on_behalf_of"?}
    POST   /api/v1/approvals/<request_id>/recall     {"comment"?}: the submitter or an admin
    POST   /api/v1/approvals/<request_id>/reassign   {"from": USERNAME, "to": USERNAME}: admins
    GET    /api/v1/approvals/delegations             given by or to the user (admins: all)
    POST   /api/v1/approvals/delegations             {"delegate", "starts_on", "ends_on", "user"?}
    DELETE /api/v1/approvals/delegations/<id>
"""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from ...automation.approvals import (ENGINE, RequestNotFound, add_delegation, inbox,
                                     list_delegations, remove_delegation, request_detail,
                                     requests_for_record)
from ...runtime import Actor, RecordError, RecordService
from ..auth import api_actor
from .components import RESPONSES as _RESPONSES
from .current import api_runtime
from .io import json_body, json_response
from .problems import ApiProblem


def _body(allowed: dict[str, bool]) -> dict:
    """The JSON object body; ``allowed``: key -> required. Unknown keys are refused."""
    data = json_body() if request.get_data(cache=True) else {}
    if not isinstance(data, dict):
        raise ApiProblem(400, "the body must be a JSON object", slug="malformed-json")
    unknown = sorted(set(data) - set(allowed))
    missing = sorted(k for k, required in allowed.items() if required and not data.get(k))
    errors = {k: ["unknown key"] for k in unknown} | {k: ["is required"] for k in missing}
    for key, value in data.items():
        if key in allowed and value is not None and not isinstance(value, str):
            errors.setdefault(key, []).append("must be text")
    if errors:
        raise ApiProblem(400 if unknown else 422, "; ".join(
            f"{k}: {', '.join(v)}" for k, v in errors.items()), slug="invalid-body",
            errors=errors)
    return data


def record_requests(object_name: str, record_id: str):
    actor = api_actor()
    service = api_runtime().service
    # 404 for a missing record, or one the user may not read
    service.get(object_name, record_id, actor, fields=["id"])
    return json_response({"requests": requests_for_record(service, object_name, record_id)})


def submit(object_name: str, record_id: str):
    actor = api_actor()
    service = api_runtime().service
    service.get(object_name, record_id, actor, fields=["id"])  # as for the record: 404
    data = _body({"process": True})
    made = ENGINE.submit(service, actor, object_name, record_id, data["process"])
    detail = request_detail(service, made["id"])
    return json_response(detail, 201, headers={
        "Location": url_for("api.approval_request", request_id=made["id"])})


def get_request(request_id: str):
    actor = api_actor()
    service = api_runtime().service
    detail = request_detail(service, request_id)
    if not may_see_request(service, actor, detail):
        raise RequestNotFound(f"there is no approval request '{request_id}'",
                              request_id=request_id)
    return json_response(detail)


def may_see_request(service: RecordService, actor: Actor, detail: dict) -> bool:
    """Whoever may read the record, the submitter, an approver of any step, and whoever
    decides for one today (a delegate: the request is in their inbox)."""
    if service.runtime.access(actor) is None or detail.get("submitted_by") == actor.user_id:
        return True
    if any(approver.get("user_id") == actor.user_id
           for step in detail.get("steps", ()) for approver in step.get("approvers", ())):
        return True
    try:
        service.get(detail["object"], detail["record_id"], actor, fields=["id"])
        return True
    except RecordError:  # not found, or an object they may not read
        pass
    return any(item["request_id"] == detail["id"] for item in inbox(service, actor))


def _decide(request_id: str, decision: str):
    actor = api_actor()
    data = _body({"comment": False, "on_behalf_of": False})
    service = api_runtime().service
    ENGINE.decide(service, actor, request_id, decision, data.get("comment"),
                  on_behalf_of=data.get("on_behalf_of"))
    return json_response(request_detail(service, request_id))


def approve(request_id: str):
    return _decide(request_id, "approve")


def reject(request_id: str):
    return _decide(request_id, "reject")


def recall(request_id: str):
    actor = api_actor()
    data = _body({"comment": False})
    service = api_runtime().service
    ENGINE.recall(service, actor, request_id, data.get("comment"))
    return json_response(request_detail(service, request_id))


def reassign(request_id: str):
    actor = api_actor()
    data = _body({"from": True, "to": True})
    service = api_runtime().service
    ENGINE.reassign(service, actor, request_id, data["from"], data["to"])
    return json_response(request_detail(service, request_id))


def get_inbox():
    actor = api_actor()
    return json_response({"items": inbox(api_runtime().service, actor)})


def get_delegations():
    actor = api_actor()
    return json_response({"delegations": list_delegations(api_runtime().service, actor)})


def create_delegation():
    actor = api_actor()
    data = _body({"delegate": True, "starts_on": True, "ends_on": True, "user": False})
    made = add_delegation(api_runtime().service, actor, delegate=data["delegate"],
                          starts_on=data["starts_on"], ends_on=data["ends_on"],
                          user=data.get("user"))
    return json_response(made, 201)


def delete_delegation(delegation_id: str):
    actor = api_actor()
    remove_delegation(api_runtime().service, actor, delegation_id)
    return Response(status=204, headers={"Cache-Control": "no-store"})


def init_blueprint(blueprint: Blueprint) -> None:
    route = blueprint.add_url_rule
    route("/v1/approvals/inbox", "approval_inbox", get_inbox, methods=["GET"])
    route("/v1/approvals/delegations", "delegations", get_delegations, methods=["GET"])
    route("/v1/approvals/delegations", "create_delegation", create_delegation, methods=["POST"])
    route("/v1/approvals/delegations/<delegation_id>", "delete_delegation", delete_delegation,
          methods=["DELETE"])
    route("/v1/approvals/<request_id>", "approval_request", get_request, methods=["GET"])
    for name, view in (("approve", approve), ("reject", reject), ("recall", recall),
                       ("reassign", reassign)):
        route(f"/v1/approvals/<request_id>/{name}", f"approval_{name}", view, methods=["POST"])
    route("/v1/<object_name>/<record_id>/approvals", "record_approvals", record_requests,
          methods=["GET"])
    route("/v1/<object_name>/<record_id>/approvals", "submit_approval", submit, methods=["POST"])


def openapi_paths(spec) -> None:
    """The approval paths of the OpenAPI document (schemas kept loose: the shapes are those
    of ``docs/approvals.md``)."""
    def errors(*codes):
        return {**{str(c): {"$ref": f"#/components/responses/{_RESPONSES[c]}"} for c in codes},
                "default": {"$ref": "#/components/responses/Problem"}}

    def body(properties: dict, required=()):
        return {"required": bool(required), "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": list(required),
            "properties": {k: {"type": "string", "description": v} for k, v in properties.items()}}}}}

    ok = {"200": {"description": "The request, its steps and every decision",
                  "content": {"application/json": {"schema": {"type": "object"}}}}}
    rid = [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    tag = ["Approvals"]
    spec.path(path="/api/v1/{object}/{id}/approvals", operations={
        "get": {"tags": tag, "operationId": "record_approvals",
                "summary": "A record's approval requests",
                "parameters": [{"name": n, "in": "path", "required": True,
                                "schema": {"type": "string"}} for n in ("object", "id")],
                "responses": {**ok, **errors(401, 404)}},
        "post": {"tags": tag, "operationId": "submit_for_approval",
                 "summary": "Submit the record to an approval process",
                 "parameters": [{"name": n, "in": "path", "required": True,
                                 "schema": {"type": "string"}} for n in ("object", "id")],
                 "requestBody": body({"process": "the approval process"}, ["process"]),
                 "responses": {"201": ok["200"], **errors(400, 401, 403, 404, 409, 422)}}})
    spec.path(path="/api/v1/approvals/inbox", operations={"get": {
        "tags": tag, "operationId": "approval_inbox",
        "summary": "What waits for the signed-in user (their own and delegated parts)",
        "responses": {**ok, **errors(401)}}})
    spec.path(path="/api/v1/approvals/{request_id}", operations={"get": {
        "tags": tag, "operationId": "approval_request", "summary": "One approval request",
        "parameters": rid, "responses": {**ok, **errors(401, 404)}}})
    for name, summary, fields, required in (
            ("approve", "Approve (for yourself, or on behalf of who delegated to you)",
             {"comment": "", "on_behalf_of": "a username"}, ()),
            ("reject", "Reject (a comment may be required)",
             {"comment": "", "on_behalf_of": "a username"}, ()),
            ("recall", "Recall (the submitter or an admin)", {"comment": ""}, ()),
            ("reassign", "Reassign an undecided approver (admins)",
             {"from": "a username", "to": "a username"}, ("from", "to"))):
        spec.path(path=f"/api/v1/approvals/{{request_id}}/{name}", operations={"post": {
            "tags": tag, "operationId": f"approval_{name}", "summary": summary,
            "parameters": rid, "requestBody": body(fields, required),
            "responses": {**ok, **errors(400, 401, 403, 404, 409, 422)}}})
    spec.path(path="/api/v1/approvals/delegations", operations={
        "get": {"tags": tag, "operationId": "list_delegations",
                "summary": "Delegations given by or to you (admins: all)",
                "responses": {**ok, **errors(401)}},
        "post": {"tags": tag, "operationId": "create_delegation",
                 "summary": "Let a delegate decide for a user from starts_on to ends_on",
                 "requestBody": body({"delegate": "a username", "starts_on": "YYYY-MM-DD",
                                      "ends_on": "YYYY-MM-DD",
                                      "user": "who delegates (admins; default: you)"},
                                     ("delegate", "starts_on", "ends_on")),
                 "responses": {"201": ok["200"], **errors(400, 401, 403, 422)}}})
    spec.path(path="/api/v1/approvals/delegations/{delegation_id}", operations={"delete": {
        "tags": tag, "operationId": "delete_delegation", "summary": "Remove a delegation",
        "parameters": [{"name": "delegation_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"204": {"description": "Removed"}, **errors(401, 403, 404)}}})
