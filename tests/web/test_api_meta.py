"""Metadata over HTTP: the deployed package, plan and apply (admins only); an object deployed
through the API is served at once, without a restart."""

from __future__ import annotations

from api_helpers import create, problem, tag
from web_helpers import CRM

INVOICE = """kind: object
name: invoice
label: Invoice
title: reference
fields:
  reference: {type: text, required: true}
  total:     {type: currency}
  note:      {type: text}
"""


def _files(site) -> dict:
    return site.admin().get("/api/v1/meta/packages/current").get_json()["files"]


def _with(files: dict, path: str, document) -> dict:
    return {**files, "crm": {**files["crm"], path: document}}


def _version(site) -> int:
    return site.runtime.number


def test_only_admins(site):
    ann = site.user()
    before = _version(site)
    problem(ann.get("/api/v1/meta/packages/current"), 403)
    files = _files(site)
    problem(ann.post("/api/v1/meta/plan", json={"files": files}), 403)
    problem(ann.post("/api/v1/meta/apply", json={"files": _with(files, "objects/invoice.yaml",
                                                                INVOICE)}), 403)
    assert _version(site) == before
    problem(site.client().get("/api/v1/meta/packages/current"), 401)


def test_current_package_is_the_deployed_files(site):
    body = site.admin().get("/api/v1/meta/packages/current").get_json()
    assert body["number"] == _version(site)
    assert body["package"] == "crm"
    on_disk = (CRM / "objects" / "opportunity.yaml").read_text()
    assert body["files"]["crm"]["objects/opportunity.yaml"] == on_disk
    kinds = {(d["kind"], d["name"]) for d in body["documents"]}
    assert ("object", "opportunity") in kinds
    opportunity = next(d for d in body["documents"] if d["name"] == "opportunity")
    assert opportunity["data"]["fields"]["stage"]["default"] == "Prospecting"


def test_plan_of_the_deployed_files_is_empty(site):
    report = site.admin().post("/api/v1/meta/plan", json={"files": _files(site)}).get_json()
    assert report["empty"] is True and report["ok"] is True
    assert report["dry_run"] is True and report["applied"] is False
    assert report["base"] == _version(site)


def test_invalid_metadata_is_422_with_the_loaders_errors(site):
    broken = INVOICE.replace("type: currency", "type: curency")
    body = problem(site.admin().post("/api/v1/meta/plan", json={
        "files": _with(_files(site), "objects/invoice.yaml", broken)}), 422)
    assert body["type"] == "urn:metacrm:problem:metadata-invalid"
    assert body["errors"] == {"objects/invoice.yaml:7: fields.total.type":
                              ["unknown field type 'curency'; did you mean 'currency'?"]}
    assert body["metadata_errors"][0]["line"] == 7
    problem(site.admin().post("/api/v1/meta/plan", json={"files": "crm"}), 422)
    problem(site.admin().post("/api/v1/meta/plan", json={"files": _files(site),
                                                         "allow_destructive": "yes"}), 422)
    problem(site.admin().post("/api/v1/meta/plan", data="{", content_type="application/json"),
            400)


def test_deploy_an_object_and_use_it_at_once(site):
    admin = site.admin()
    before = _version(site)
    files = _with(_files(site), "objects/invoice.yaml", INVOICE)
    plan = admin.post("/api/v1/meta/plan", json={"files": files}).get_json()
    assert plan["ok"] and not plan["empty"] and plan["version"] is None
    assert any(c["kind"] == "object" and c["action"] == "added" and c["name"] == "invoice"
               for c in plan["changes"])
    assert _version(site) == before  # planning changes nothing

    applied = admin.post("/api/v1/meta/apply", json={"files": files, "note": "invoices",
                                                      "base": plan["base"]})
    assert applied.status_code == 200, applied.get_data(as_text=True)
    report = applied.get_json()
    assert report["applied"] is True and report["version"] == before + 1
    assert report["changes"] == plan["changes"]

    # the same app, no restart: the object, its description and its OpenAPI paths
    invoice = create(site.admin(), "invoice", {"reference": "INV-1", "total": "99.9"})
    assert invoice["total"] == "99.90"
    fields = admin.get("/api/v1/objects/invoice").get_json()["fields"]
    assert [f["name"] for f in fields][:3] == ["reference", "total", "note"]
    spec = admin.get("/api/openapi.json").get_json()
    assert "/api/v1/invoice" in spec["paths"]
    assert spec["components"]["schemas"]["InvoiceCreate"]["required"] == ["reference"]

    again = admin.post("/api/v1/meta/apply", json={"files": files}).get_json()
    assert again["applied"] is False and again["empty"] is True


def test_a_risky_apply_is_refused_with_the_plan(site):
    admin = site.admin()
    files = _with(_files(site), "objects/invoice.yaml", INVOICE)
    admin.post("/api/v1/meta/apply", json={"files": files})
    create(site.admin(), "invoice", {"reference": tag(), "note": "keep me"})
    before = _version(site)
    without_note = _with(files, "objects/invoice.yaml",
                         INVOICE.replace("  note:      {type: text}\n", ""))

    body = problem(admin.post("/api/v1/meta/apply", json={"files": without_note}), 409)
    assert body["type"] == "urn:metacrm:problem:deploy-refused" and body["refused"] is True
    assert [r["kind"] for r in body["plan"]["risks"]] == ["drop_field"]
    assert _version(site) == before
    assert "note" in site.runtime.catalog.objects["invoice"].fields

    plan = admin.post("/api/v1/meta/plan", json={"files": without_note}).get_json()
    assert plan["ok"] is False and plan["refused"] is True

    stale = admin.post("/api/v1/meta/apply", json={"files": without_note, "base": before - 1,
                                                   "allow_destructive": True})
    assert problem(stale, 409)["type"] == "urn:metacrm:problem:deploy-conflict"
    assert _version(site) == before

    done = admin.post("/api/v1/meta/apply", json={"files": without_note,
                                                  "allow_destructive": True}).get_json()
    assert done["applied"] is True and done["version"] == before + 1
    assert "note" not in site.runtime.catalog.objects["invoice"].fields


def test_documents_may_be_json_objects(site):
    admin = site.admin()
    document = {"kind": "object", "name": "receipt", "label": "Receipt", "title": "code",
                "fields": {"code": {"type": "text", "required": True}}}
    files = _with(_files(site), "objects/receipt.yaml", document)
    plan = admin.post("/api/v1/meta/plan", json={"files": files}).get_json()
    assert any(c["name"] == "receipt" for c in plan["changes"])


PARCEL = """kind: object
name: parcel
label: Parcel
title: code
fields:
  code:   {type: text}
  weight: {type: integer}
  note:   {type: text}
"""


def test_apply_plans_once(site):
    """One diff and one round of risk counts per apply (the plan is applied, not made again)."""
    from deploy_helpers import counting_planning

    admin = site.admin()
    files = _with(_files(site), "objects/parcel.yaml", PARCEL)
    assert admin.post("/api/v1/meta/apply", json={"files": files}).status_code == 200
    create(site.admin(), "parcel", {"code": tag(), "note": "keep me"})
    riskier = _with(files, "objects/parcel.yaml", PARCEL.replace("  note:   {type: text}\n", "")
                    .replace("{type: integer}", "{type: integer, required: true}"))
    with counting_planning() as planned:
        plan = admin.post("/api/v1/meta/plan", json={"files": riskier}).get_json()
    assert sorted(r["kind"] for r in plan["risks"]) == ["drop_field", "required"]
    with counting_planning() as calls:
        applied = admin.post("/api/v1/meta/apply", json={"files": riskier, "base": plan["base"],
                                                          "allow_destructive": True})
    assert applied.status_code == 200, applied.get_data(as_text=True)
    assert applied.get_json()["risks"] == plan["risks"]
    assert calls["diff"] == calls["find_risks"] == 1
    assert calls["count_queries"] == planned["count_queries"] > 0


def test_a_deploy_in_between_plan_and_apply_is_a_409_conflict(site, monkeypatch):
    from metacrm.meta import load_files
    from metacrm.store import deploy as deployment, versions

    admin = site.admin()
    files = _files(site)
    crate = _with(files, "objects/crate.yaml", PARCEL.replace("parcel", "crate")
                  .replace("Parcel", "Crate"))
    with_box = _with(files, "objects/box.yaml", PARCEL.replace("parcel", "box")
                     .replace("Parcel", "Box"))
    before = _version(site)
    real = deployment.plan

    def plan_then_race(db, catalog):
        made = real(db, catalog)
        deployment.apply(db, load_files(with_box, "crm"), deployed_by="someone else")
        return made

    monkeypatch.setattr(deployment, "plan", plan_then_race)
    body = problem(admin.post("/api/v1/meta/apply", json={"files": crate}), 409)
    monkeypatch.undo()
    assert body["type"] == "urn:metacrm:problem:deploy-conflict"
    assert body["detail"] == (f"version {before + 1} was deployed since this plan was made "
                              f"against version {before}: plan again")
    assert (body["base"], body["current_version"]) == (before, before + 1)
    with site.db.read() as conn:
        assert versions.latest_number(conn) == before + 1  # the other deploy only
    assert "crate" not in site.runtime.catalog.objects
    assert "box" in site.runtime.catalog.objects
    # a stale base is the same conflict; a base that is no number is a 422
    stale = problem(admin.post("/api/v1/meta/apply", json={"files": crate, "base": before}), 409)
    assert stale["type"] == "urn:metacrm:problem:deploy-conflict"
    assert (stale["base"], stale["current_version"]) == (before, before + 1)
    assert "crate" not in site.runtime.catalog.objects
    problem(admin.post("/api/v1/meta/apply", json={"files": crate, "base": str(before + 1)}),
            422)
