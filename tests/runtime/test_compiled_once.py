"""Everything derived from the catalog is compiled once per service, never per request: after
a first write, update, delete and query of each kind, more of them type-check nothing."""

from __future__ import annotations

import pytest

from metacrm.formula import typecheck


@pytest.fixture
def checks(monkeypatch):
    """How many expressions the type checker has checked so far."""
    calls = []
    original = typecheck.Checker.__init__

    def counting(self, *args, **kwargs):
        calls.append(args)
        original(self, *args, **kwargs)
    monkeypatch.setattr(typecheck.Checker, "__init__", counting)
    return calls


def work(service, actor, i):
    company = service.create("company", {"name": f"C{i}", "revenue": 10}, actor)
    deal = service.create("deal", {"title": "D", "company": company["id"], "amount": i}, actor)
    service.update("deal", deal["id"], {"amount": i + 1, "stage": "Lost", "loss_reason": "x"},
                   actor, version=1)
    service.create_many("line", [{"product": "p", "deal": deal["id"], "total": 1}] * 3, actor)
    service.query("deal", actor, filter='company.name == "C1" and weighted > 1', sort="-amount",
                  count=True)
    service.get("company", company["id"])
    service.delete("deal", deal["id"], actor)
    service.history("deal", deal["id"])


def test_nothing_is_compiled_per_request(service, ann, checks):
    work(service, ann, 0)
    assert checks, "the first requests compile"
    compiled = len(checks)
    for i in range(1, 6):
        work(service, ann, i)
    assert len(checks) == compiled
