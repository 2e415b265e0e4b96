"""The write path's hook points: before-save may change the record, after-save runs in the
transaction (and can roll it back or write more), after-commit runs once it committed."""

from __future__ import annotations

import pytest

from runtime_helpers import snapshot

from metacrm.plugins import make_plugin_manager
from metacrm.plugins.hookspecs import hookimpl
from metacrm.runtime import RecordInvalid, Runtime


class Recorder:
    def __init__(self):
        self.calls = []

    @hookimpl
    def record_before_save(self, change):
        self.calls.append(("before", change.operation, change.object))
        if change.object == "deal" and change.operation in ("create", "update"):
            if change.record.get("stage") == "Won" and change.record.get("close_date") is None:
                change.record["close_date"] = "2024-04-30"     # coerced like input
            change.record["approved"] = True                    # hooks may set read-only fields

    @hookimpl
    def record_after_save(self, change):
        self.calls.append(("after", change.operation, change.object, tuple(sorted(change.changed))))
        assert change.connection is not None

    @hookimpl
    def record_after_commit(self, change):
        self.calls.append(("commit", change.operation, change.object))
        assert change.connection is None


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def hooked(service, recorder):
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(recorder)
    return Runtime(service.db, service.catalog, env=service.env, number=5, plugins=pm).service


@pytest.fixture
def acme(service, ann):
    return service.create("company", {"name": "Acme"}, ann)


def test_hooks_run_in_order_with_the_change(hooked, recorder, ann, acme):
    deal = hooked.create("deal", {"title": "D", "company": acme["id"], "stage": "Won"}, ann)
    # the before-save hook filled the date the rule needs, and set a read-only field
    assert str(deal["close_date"]) == "2024-04-30" and deal["approved"] is True
    assert [c[:3] for c in recorder.calls] == [("before", "create", "deal"),
                                               ("after", "create", "deal"),
                                               ("commit", "create", "deal")]
    assert "close_date" in recorder.calls[1][3]


def test_required_is_checked_after_before_save(hooked, ann, acme):
    # without the hook this deal would break won_needs_close_date; with it, it passes
    hooked.create("deal", {"title": "D", "company": acme["id"], "stage": "Won"}, ann)


def test_hook_values_are_checked(hooked, recorder, ann, acme):
    class Bad:
        @hookimpl
        def record_before_save(self, change):
            change.record["quantity"] = "many"
            change.record["ref"] = "X"
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(Bad())
    bad = Runtime(hooked.db, hooked.catalog, plugins=pm).service
    with pytest.raises(RecordInvalid) as caught:
        bad.create("deal", {"title": "D", "company": acme["id"]}, ann)
    assert caught.value.messages == {"quantity": ["expected a whole number, got 'many'"],
                                     "ref": ["a before-save hook set 'ref', which cannot be set"]}


def test_after_save_failure_rolls_everything_back(service, ann, acme):
    class Fail:
        @hookimpl
        def record_after_save(self, change):
            raise RuntimeError("no")
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(Fail())
    failing = Runtime(service.db, service.catalog, plugins=pm).service
    before = snapshot(service.db, service)
    with pytest.raises(RuntimeError):
        failing.create("deal", {"title": "D", "company": acme["id"], "amount": 5}, ann)
    assert snapshot(service.db, service) == before


def test_after_save_may_write_more_in_the_same_transaction(service, ann, acme):
    class FollowUp:
        @hookimpl
        def record_after_save(self, change):
            if change.object == "deal" and change.operation == "create":
                change.service.create("line", {"product": "setup", "deal": change.record_id,
                                               "total": 10}, change.actor,
                                      tx=change.tx)
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(FollowUp())
    follow = Runtime(service.db, service.catalog, plugins=pm).service
    deal = follow.create("deal", {"title": "D", "company": acme["id"]}, ann)
    assert follow.get("deal", deal["id"])["line_total"] == 10
    assert follow.get("company", acme["id"])["line_total"] == 10


def test_after_commit_errors_are_logged_not_raised(service, ann, caplog):
    class Loud:
        @hookimpl
        def record_after_commit(self, change):
            raise RuntimeError("mail server down")
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(Loud())
    loud = Runtime(service.db, service.catalog, plugins=pm).service
    company = loud.create("company", {"name": "Kept"}, ann)
    assert loud.get("company", company["id"])["name"] == "Kept"
    assert "record_after_commit failed" in caplog.text


def test_delete_calls_the_hooks(hooked, recorder, ann, acme):
    hooked.delete("company", acme["id"], ann)
    assert [c[:3] for c in recorder.calls] == [("before", "delete", "company"),
                                               ("after", "delete", "company"),
                                               ("commit", "delete", "company")]


def test_one_transaction_for_several_writes(hooked, recorder, ann):
    with hooked.transaction() as tx:
        hooked.create("company", {"name": "A"}, ann, tx=tx)
        hooked.create("company", {"name": "B"}, ann, tx=tx)
        assert not [c for c in recorder.calls if c[0] == "commit"]
    assert [c for c in recorder.calls if c[0] == "commit"] == [("commit", "create", "company")] * 2


def test_a_foreign_connection_is_refused(service, ann):
    with service.db.write() as conn:
        with pytest.raises(TypeError, match="transaction"):
            service.create("company", {"name": "A"}, ann, tx=conn)
