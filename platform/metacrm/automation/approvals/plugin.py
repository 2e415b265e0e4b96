"""The approvals engine on the record hooks: the ``submit_for_approval`` workflow action, the
record lock, the cleanup of requests whose record is deleted, and escalation on beat's sweeps.

    pm.register(ApprovalsPlugin(pm), name="metacrm.approvals")   # metacrm.automation.plugin_manager
"""

from __future__ import annotations

from ...plugins import hookimpl
from ...store import approvals as store
from .engine import Approvals
from .errors import AlreadyDecided, ApprovalError
from .escalation import escalate
from .lock import WITH_REQUESTS, check_lock


class ApprovalsPlugin:
    def __init__(self, plugins=None):
        self.engine = Approvals(plugins)

    @hookimpl
    def submit_for_approval(self, run, process, workflow):
        """``run`` is the workflow's run (service, tx, actor, object, record, prior)."""
        try:
            self.engine.submit(run.service, run.actor, run.object, run.record["id"], process,
                               tx=run.tx, prior=run.prior, is_new=run.trigger == "create")
        except AlreadyDecided:
            pass  # a workflow that fires again while its request is pending does not fail the save
        return True

    @hookimpl(trylast=True)
    def record_before_save(self, change):
        # last: the workflows' set_fields have run, so what they change is judged too
        check_lock(change)

    @hookimpl
    def record_after_save(self, change):
        if change.operation != "delete" or not WITH_REQUESTS(change):
            return
        conn = change.connection
        for request in store.requests_for_record(conn, change.object, change.record_id,
                                                 store.PENDING):
            store.update_request(conn, request["id"], status=store.RECALLED, pending_key=None,
                                 current_step=None, decided_at=change.service.env.now(),
                                 comment="the record was deleted")

    @hookimpl
    def automation_sweep(self, service, now):
        return escalate(service, now)


#: the name the approvals plugin is registered under (``metacrm.automation.plugin_manager``)
PLUGIN_NAME = "metacrm.approvals"


def engine_for(service) -> Approvals:
    """The approvals engine registered in the plugin manager of ``service``'s runtime."""
    plugin = service.runtime.plugins.get_plugin(PLUGIN_NAME)
    if plugin is None:
        raise ApprovalError("no approvals engine is registered in this process's plugin manager "
                            "(build it with metacrm.automation.plugin_manager)")
    return plugin.engine


class _Engine:
    """``ENGINE.submit(service, …)``: the engine of the service's own plugin manager, so
    callers need not look it up (it keeps no state of its own)."""

    def __getattr__(self, name: str):
        def call(service, *args, **kwargs):
            return getattr(engine_for(service), name)(service, *args, **kwargs)
        call.__name__ = name
        return call


ENGINE = _Engine()
