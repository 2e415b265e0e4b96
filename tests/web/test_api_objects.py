"""The object types and their fields over the API."""

from __future__ import annotations

from api_helpers import problem


def test_objects_lists_every_object(site):
    response = site.user().get("/api/v1/objects")
    assert response.status_code == 200
    objects = {o["name"]: o for o in response.get_json()["objects"]}
    assert set(objects) == set(site.runtime.catalog.objects)
    assert objects["opportunity"] == {"name": "opportunity", "label": "Opportunity",
                                      "plural": "Opportunities", "title": "name",
                                      "description": None, "package": "crm"}
    assert objects["user"]["package"] == "system"


def test_an_object_describes_its_fields(site):
    body = site.user().get("/api/v1/objects/opportunity").get_json()
    fields = {f["name"]: f for f in body["fields"]}
    assert list(fields)[:3] == ["number", "name", "account"]  # display order
    assert fields["stage"]["options"][0] == "Prospecting"
    assert fields["stage"]["default"] == "Prospecting" and fields["stage"]["required"]
    assert fields["account"]["to"] == "account" and fields["account"]["on_delete"] == "restrict"
    assert fields["amount"]["value_type"] == "currency" and fields["amount"]["min"] == "0"
    assert fields["expected_revenue"]["read_only"] and not fields["expected_revenue"]["stored"]
    assert fields["expected_revenue"]["expression"] == "amount * probability / 100"
    assert fields["number"]["read_only"] and fields["number"]["format"] == "OPP-{YYYY}-{0000}"
    assert fields["approval_status"]["read_only"]
    assert fields["loss_reason"]["required_when"] == 'stage == "Closed Lost"'
    assert fields["owner"]["system"] and not fields["owner"]["read_only"]
    assert fields["id"]["read_only"] and fields["version"]["read_only"]
    assert {"name": "won_needs_close_date", "field": "close_date",
            "message": "A won opportunity needs a close date.",
            "when": 'stage == "Closed Won" and is_blank(close_date)'} in body["validations"]
    related = site.user().get("/api/v1/objects/account").get_json()["related"]
    assert {"object": "opportunity", "field": "account"} in related


def test_unknown_object_suggests(site):
    body = problem(site.user().get("/api/v1/objects/acount"), 404)
    assert body["detail"] == "unknown object 'acount'; did you mean 'account'?"
    problem(site.client().get("/api/v1/objects"), 401)
