"""The approval lock: while a request with ``lock: true`` is pending, its record refuses
changes — except to ``editable_while_locked`` fields, by admins, and by the approvals engine's
own actions (``on_approve``'s set_fields…).

It is a ``record_before_save`` hook that runs last (after the workflows' set_fields), so every
write path is covered the same way: the API, forms, imports, workflow actions. It costs one
indexed query per update or delete of an object a process can lock (others skip it); creates
are never locked.
"""

from __future__ import annotations

import threading
import time

from ...formula import same
from ...runtime import RECORD, Change, FieldError, RecordInvalid
from ...store import approvals as store
from .actions import SOURCE

LOCKED = "locked"


#: how long the objects with pending requests of processes no longer deployed are trusted
STALE_SECONDS = 60.0


class Lockable:
    """Which objects' records can be locked, per catalog: those of its processes with
    ``lock: true``, and those with pending locking requests of processes a deploy changed or
    removed (read from the database, again after ``STALE_SECONDS``). Other objects' writes
    skip the check, so the lock costs nothing where no process locks. ``locking=False``: the
    objects that can have pending requests at all (locking or not)."""

    def __init__(self, locking: bool = True):
        self.locking = locking
        self._lock = threading.Lock()

    def __call__(self, change: Change) -> bool:
        catalog = change.service.catalog
        # per version: [when read, objects]
        cached = change.service.runtime.part(f"approvals.lockable.{self.locking}", lambda: [0.0, None])
        with self._lock:
            read_at, objects = cached
        now = time.monotonic()
        if objects is None or now - read_at > STALE_SECONDS:
            ours = {p.object for p in catalog.approval_processes.values()
                    if p.lock or not self.locking}
            objects = ours | store.objects_with_pending(change.connection, locking=self.locking)
            with self._lock:
                cached[:] = [now, objects]
        return change.object in objects


LOCKABLE = Lockable()
#: objects whose deletes must close pending requests
WITH_REQUESTS = Lockable(locking=False)


def check_lock(change: Change) -> None:
    if change.operation == "create" or change.actor.is_admin or change.connection is None:
        return
    if change.source == SOURCE or not LOCKABLE(change):
        return
    requests = store.locking_requests(change.connection, change.object, change.record_id)
    if not requests:
        return
    request = requests[0]
    label = request["definition"].get("label") or request["process"]
    why = f"is locked while approval request {request['id']} ({label}) is pending"
    if change.operation == "delete":
        raise RecordInvalid(change.object, [FieldError(RECORD, f"this record {why}", LOCKED)])
    editable = set()
    for each in requests:  # a field is editable only if every locking request allows it
        allowed = set(each["definition"].get("editable_while_locked") or ())
        editable = allowed if each is requests[0] else editable & allowed
    prior = change.prior or {}
    stored = change.service.rules(change.object).stored
    changed = [name for name in stored if name not in ("updated_at", "updated_by", "version")
               and not same(change.record.get(name), prior.get(name))]
    refused = [name for name in changed if name not in editable]
    if refused:
        raise RecordInvalid(change.object, [FieldError(name, why, LOCKED) for name in refused])
