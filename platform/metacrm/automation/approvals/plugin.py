"""The built-in registration of the approvals engine (``metacrm.plugins.DEFAULT_PLUGINS``):
the ``submit_for_approval`` workflow action, the record lock, the cleanup of requests whose
record is deleted, and escalation on beat's sweeps."""

from __future__ import annotations

from ...plugins import hookimpl
from ...store import approvals as store
from .engine import Approvals
from .escalation import escalate
from .lock import WITH_REQUESTS, check_lock

ENGINE = Approvals()


@hookimpl
def submit_for_approval(change, process, workflow):
    """``change`` is the workflow's run (service, conn, actor, object, record, prior)."""
    from .errors import AlreadyDecided

    try:
        ENGINE.submit(change.service, change.actor, change.object, change.record["id"], process,
                      conn=change.conn, prior=change.prior,
                      is_new=getattr(change, "trigger", None) == "create")
    except AlreadyDecided:
        pass  # a workflow that fires again while its request is pending does not fail the save
    return True


@hookimpl(trylast=True)
def record_before_save(change):
    # last: the workflows' set_fields have run, so what they change is judged too
    check_lock(change)


@hookimpl
def record_after_save(change):
    if change.operation != "delete" or not WITH_REQUESTS(change):
        return
    conn = change.connection
    for request in store.requests_for_record(conn, change.object, change.record_id,
                                             store.PENDING):
        store.update_request(conn, request["id"], status=store.RECALLED, pending_key=None,
                             current_step=None, decided_at=change.service.env.now(),
                             comment="the record was deleted")


@hookimpl
def automation_sweep(service, now):
    return escalate(service, now)
