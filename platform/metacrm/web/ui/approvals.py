"""Approval pages: the inbox of what waits for the signed-in user (approve or reject in place),
and the record page's approval panel and buttons (submit, recall, decide).

    GET  /inbox                                   the inbox
    POST /approvals/<request_id>/decide           decision=approve|reject, comment, on_behalf_of
    POST /approvals/<request_id>/recall           the submitter takes it back
    POST /app/<object>/<id>/approvals             process=NAME submits the record

Record pages get ``crm_approvals(object, id)`` (a context function) for the blocks the record
template leaves for approvals. Errors are flashed as sentences and nothing changes; an htmx
request from the inbox gets its row back, with the outcome or the error in it.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import login_required

from ...automation.approvals import ENGINE, inbox, requests_for_record
from ...runtime import RecordError
from ..auth import current_actor
from .common import actor, blueprint, get_record, is_htmx, object_type, page, runtime

DECISION_WORDS = {"approve": "approved", "reject": "rejected"}


def record_approvals(object_name: str, record_id: str) -> dict:
    """What the record page shows: the requests (newest first), the processes the record may
    be submitted to, and which pending parts the signed-in user decides or may recall."""
    rt, who = runtime(), current_actor()
    requests = list(reversed(requests_for_record(rt.service, object_name, record_id)))
    pending = {r["process"] for r in requests if r["status"] == "pending"}
    mine = {}
    if who is not None:
        for item in inbox(rt.service, who):
            if item["object"] == object_name and item["record_id"] == record_id:
                mine.setdefault(item["request_id"], []).append(item)
    return {"requests": requests, "mine": mine,
            "processes": [p for p in rt.catalog.approvals_for(object_name)
                          if p.name not in pending],
            "recallable": {r["id"] for r in requests if r["status"] == "pending" and who
                           and (r["submitted_by"] == who.user_id or who.is_admin)}}


@blueprint.app_context_processor
def _approvals_context():
    return {"crm_approvals": record_approvals}


@blueprint.route("/inbox")
@login_required
def approvals_inbox():
    rt, who = runtime(), actor()
    return page("inbox", None, items=inbox(rt.service, who))


@blueprint.route("/approvals/<request_id>/decide", methods=["POST"])
@login_required
def approval_decide(request_id):
    rt, who = runtime(), actor()
    decision = request.form.get("decision", "")
    behalf = request.form.get("on_behalf_of") or None
    error = outcome = None
    try:
        done = ENGINE.decide(rt.service, who, request_id, decision,
                             request.form.get("comment"), on_behalf_of=behalf)
        outcome = f"You {DECISION_WORDS.get(decision, decision)} it" + (
            f" for {behalf}" if behalf else "") + (
            "." if done["status"] == "pending" else f"; the request is now {done['status']}.")
    except RecordError as err:
        error = _sentence(err)
    if is_htmx():  # the row again: the outcome, or the form with the error (htmx swaps 200s)
        waiting = {(i["request_id"], i["on_behalf_of"]): i for i in inbox(rt.service, who)}
        item = waiting.get((request_id, behalf)) or {"request_id": request_id,
                                                      "on_behalf_of": behalf}
        return page("_approval_row", None, item=item, outcome=outcome, error=error,
                    comment=request.form.get("comment", ""))
    flash(error or outcome, "danger" if error else "success")
    return redirect(_back(), 303)


@blueprint.route("/approvals/<request_id>/recall", methods=["POST"])
@login_required
def approval_recall(request_id):
    rt, who = runtime(), actor()
    try:
        ENGINE.recall(rt.service, who, request_id, request.form.get("comment"))
        flash("The approval request was recalled.", "success")
    except RecordError as err:
        flash(_sentence(err), "danger")
    return redirect(_back(), 303)


@blueprint.route("/app/<object_name>/<record_id>/approvals", methods=["POST"])
@login_required
def approval_submit(object_name, record_id):
    rt, who = runtime(), actor()
    object_type(rt, object_name, rt.access(who))
    get_record(rt, object_name, record_id, who, fields=["id"])  # 404 as for the record page
    name = request.form.get("process", "")
    try:
        made = ENGINE.submit(rt.service, who, object_name, record_id, name)
        label = made["definition"].get("label") or name
        flash(f"Submitted for approval ({label}).", "success")
    except RecordError as err:
        flash(_sentence(err), "danger")
    return redirect(url_for("ui.record", object_name=object_name, record_id=record_id), 303)


def _back() -> str:
    """Where a form came from (a path on this site), else the inbox."""
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("ui.approvals_inbox")


def _sentence(err: RecordError) -> str:
    text = str(err)
    text = text[0].upper() + text[1:] if text else "That did not work."
    return text if text.endswith(".") else text + "."
