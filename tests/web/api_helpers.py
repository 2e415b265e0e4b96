"""Helpers of the API tests (a unique module name: test folders are not packages)."""

from __future__ import annotations

import uuid

PROBLEM_JSON = "application/problem+json"


def tag() -> str:
    """A unique text, so tests sharing a module's database find their own records."""
    return "t" + uuid.uuid4().hex[:10]


def problem(response, status: int) -> dict:
    """Assert ``response`` is an RFC 9457 problem with ``status``; return its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM_JSON, response.mimetype
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


def create(client, object_name: str, data: dict) -> dict:
    response = client.post(f"/api/v1/{object_name}", json=data)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def account(client, name: str | None = None) -> dict:
    return create(client, "account", {"name": name or tag()})


def count(site, object_name: str, filter: str) -> int:
    """How many records match, read through the service (not the API under test)."""
    return site.runtime.service.query(object_name, filter=filter, count=True, limit=1).count
