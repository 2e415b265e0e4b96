"""The approvals API over the standard CRM's big_discount process, on SQLite and PostgreSQL:
submit, lock, decide through both steps, recall, reassign, delegations, the inbox, and the
errors as problems (403 not an approver, 409 already decided, 422 comment required)."""

from __future__ import annotations

PROBLEM = "application/problem+json"


def submit(crm, opp, username="ann"):
    return crm.api(username).post(f"/api/v1/opportunity/{opp['id']}/approvals",
                                  json={"process": "big_discount"})


def act(crm, username, request_id, action, **body):
    return crm.api(username).post(f"/api/v1/approvals/{request_id}/{action}", json=body)


def test_the_whole_big_discount_process(crm):
    opp = crm.opportunity(discount="10")
    # discount 10: the entry criteria fail
    refused = submit(crm, opp)
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert "entry criteria" in refused.json["detail"]
    # raising the discount submits it through the discount_approval workflow
    raised = crm.api("ann").patch(f"/api/v1/opportunity/{opp['id']}", json={"discount": "45"})
    assert raised.status_code == 200 and raised.json["approval_status"] == "Pending"
    [request] = crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}/approvals").json["requests"]
    rid = request["id"]
    assert request["status"] == "pending" and request["steps"][0]["name"] == "manager"
    # a second submit is a conflict
    again = submit(crm, opp)
    assert again.status_code == 409 and again.json["request_id"] == rid

    # locked, except next_step
    locked = crm.api("ann").patch(f"/api/v1/opportunity/{opp['id']}", json={"amount": "1"})
    assert locked.status_code == 422
    assert rid in locked.json["errors"]["amount"][0]
    assert crm.api("ann").patch(f"/api/v1/opportunity/{opp['id']}",
                                json={"next_step": "Wait"}).status_code == 200

    # not an approver, a comment required, then the manager approves
    assert act(crm, "bob", rid, "approve").status_code == 403
    needs = act(crm, "mia", rid, "reject")
    assert needs.status_code == 422 and "comment is required" in needs.json["detail"]
    inbox = crm.api("mia").get("/api/v1/approvals/inbox").json["items"]
    assert [i["request_id"] for i in inbox] == [rid] and inbox[0]["title"] == "Big deal"
    moved = act(crm, "mia", rid, "approve", comment="ok from sales")
    assert moved.status_code == 200
    assert [s["status"] for s in moved.json["steps"]] == ["approved", "pending"]
    assert crm.api("mia").get("/api/v1/approvals/inbox").json["items"] == []
    # finance: a quorum of 2
    assert act(crm, "fin", rid, "approve").json["status"] == "pending"
    assert act(crm, "fin", rid, "approve").status_code == 409
    done = act(crm, "fay", rid, "approve", comment="fine")
    assert done.json["status"] == "approved"
    assert act(crm, "fox", rid, "approve").status_code == 409
    record = crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}").json
    assert record["approval_status"] == "Approved"
    history = crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}/approvals").json
    finance = history["requests"][0]["steps"][1]
    decided = {a["username"]: (a["decision"], a["comment"]) for a in finance["approvers"]}
    assert decided == {"fin": ("approved", None), "fay": ("approved", "fine"), "fox": (None, None)}
    assert all(a["decided_at"].endswith("Z") for a in finance["approvers"] if a["decision"])


def test_small_discount_skips_finance(crm):
    opp = crm.opportunity(discount="25")
    [request] = crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}/approvals").json["requests"]
    done = act(crm, "mia", request["id"], "approve")
    assert done.json["status"] == "approved"
    assert [(s["name"], s["status"]) for s in done.json["steps"]] == [
        ("manager", "approved"), ("finance", "skipped")]


def test_reject_recall_and_reassign(crm):
    opp = crm.opportunity(discount="30")
    rid = crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}/approvals").json["requests"][0]["id"]
    assert act(crm, "bob", rid, "recall").status_code == 403
    recalled = act(crm, "ann", rid, "recall", comment="oops")
    assert recalled.json["status"] == "recalled"
    assert crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}").json["approval_status"] == "Draft"
    assert act(crm, "mia", rid, "approve").status_code == 409

    made = submit(crm, opp)
    assert made.status_code == 201 and made.headers["Location"].endswith(made.json["id"])
    rid = made.json["id"]
    assert act(crm, "ann", rid, "reassign", **{"from": "mia", "to": "bob"}).status_code == 403
    moved = act(crm, "root", rid, "reassign", **{"from": "mia", "to": "bob"})
    assert moved.status_code == 200
    rejected = act(crm, "bob", rid, "reject", comment="too generous")
    assert rejected.json["status"] == "rejected"
    assert crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}").json["approval_status"] == \
        "Rejected"


def test_bad_requests_are_problems(crm):
    opp = crm.opportunity()
    client = crm.api("ann")
    url = f"/api/v1/opportunity/{opp['id']}/approvals"
    unknown = client.post(url, json={"process": "big_discunt"})
    assert unknown.status_code == 422 and "did you mean 'big_discount'" in unknown.json["detail"]
    assert client.post(url, json={"process": "big_discount", "x": 1}).status_code == 400
    assert client.post(url, json={}).status_code == 422
    assert client.post(url, data="process", content_type="text/plain").status_code == 415
    assert client.post("/api/v1/opportunity/nope/approvals",
                       json={"process": "big_discount"}).status_code == 404
    assert client.get("/api/v1/opportunity/nope/approvals").status_code == 404
    missing = client.post("/api/v1/approvals/nope/approve", json={})
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    assert client.get("/api/v1/approvals/nope").status_code == 404
    assert crm.app.test_client().get("/api/v1/approvals/inbox").status_code == 401
    assert client.post("/api/v1/approvals/x/approve", json={"comment": 3}).status_code == 422


def test_delegations_api(crm):
    client = crm.api("mia")
    bad = client.post("/api/v1/approvals/delegations",
                      json={"delegate": "bob", "starts_on": "2099-01-02", "ends_on": "2099-01-01"})
    assert bad.status_code == 422
    made = client.post("/api/v1/approvals/delegations",
                       json={"delegate": "bob", "starts_on": "2000-01-01", "ends_on": "2999-01-01"})
    assert made.status_code == 201 and made.json["delegate"] == "bob"
    listed = crm.api("bob").get("/api/v1/approvals/delegations").json["delegations"]
    assert [d["id"] for d in listed] == [made.json["id"]]
    opp = crm.opportunity(discount="30")
    rid = crm.api("ann").get(f"/api/v1/opportunity/{opp['id']}/approvals").json["requests"][0]["id"]
    [item] = [i for i in crm.api("bob").get("/api/v1/approvals/inbox").json["items"]
              if i["request_id"] == rid]
    assert item["on_behalf_of"] == "mia"
    done = act(crm, "bob", rid, "approve", on_behalf_of="mia")
    mia = next(a for a in done.json["steps"][0]["approvers"] if a["username"] == "mia")
    assert mia["shown"] == "bob for mia"
    assert crm.api("ann").delete(f"/api/v1/approvals/delegations/{made.json['id']}").status_code == 403
    assert client.delete(f"/api/v1/approvals/delegations/{made.json['id']}").status_code == 204


def test_openapi_lists_the_approval_paths(crm):
    paths = crm.api("ann").get("/api/openapi.json").json["paths"]
    for path in ("/api/v1/approvals/inbox", "/api/v1/approvals/{request_id}/approve",
                 "/api/v1/{object}/{id}/approvals", "/api/v1/approvals/delegations"):
        assert path in paths
