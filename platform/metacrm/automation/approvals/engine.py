"""The approvals engine: submit, decide, recall, reassign. Every call is one transaction.

    engine = Approvals()
    request = engine.submit(service, ann, "opportunity", deal_id, "big_discount")
    engine.decide(service, bob, request["id"], "approve", comment="fine")
    engine.decide(service, eve, request["id"], "reject", comment="too much")
    engine.recall(service, ann, request["id"])
    engine.reassign(service, root, request["id"], "bob", "carol")

A decision locks the request row first (``FOR UPDATE`` on PostgreSQL; SQLite has one writer
at a time), then reads the step's decisions, so two approvers deciding at the same instant
are taken one after the other: the second sees the first, and a step never advances twice.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Mapping

from sqlalchemy.exc import IntegrityError

from ...meta import ApprovalProcess, suggest
from ...runtime import Actor, RecordNotFound, RecordService, Transaction
from ...store import approvals as store
from .actions import ActionRunner
from .definition import from_plain, to_plain
from .errors import AlreadyDecided, ApprovalError, NotAllowed, RequestNotFound
from .mail import mail_approvers
from .people import People
from .steps import approver_row, holds, outcome, start_next

DECISIONS = {"approve": store.APPROVED, "reject": store.REJECTED}


class Approvals:
    def __init__(self, plugins=None):
        self.actions = ActionRunner(plugins)

    @contextlib.contextmanager
    def _transaction(self, service: RecordService, tx: Transaction | None
                     ) -> Iterator[Transaction]:
        if tx is not None:
            yield tx
        else:
            with service.transaction() as tx:
                yield tx

    # -- submit ---------------------------------------------------------------------------------

    def submit(self, service: RecordService, actor: Actor, object_name: str, record_id: str,
               process_name: str, *, tx: Transaction | None = None, prior: Mapping | None = None,
               is_new: bool = False) -> dict:
        """Submit a record to a process; returns the request row. Raises ApprovalError
        (unknown process, entry criteria false, not a submitter, no approver), AlreadyDecided
        (a request of this process is already pending for the record), RecordNotFound."""
        process = self.process(service, process_name)
        if process.object != object_name:
            raise ApprovalError(f"approval process '{process_name}' is for {process.object}, "
                                f"not {object_name}")
        with self._transaction(service, tx) as tx:
            conn = tx.conn
            record = service.store.fetch_one(conn, object_name, record_id, lock="no_key_update")
            if record is None:
                raise RecordNotFound(object_name, record_id)
            if not People(service, conn).may_submit(process.submitters, actor, record):
                raise NotAllowed(f"you may not submit to approval process '{process_name}'")
            if not holds(service, conn, process, process.when, record, prior, is_new):
                raise ApprovalError(f"this {object_name} does not meet the entry criteria of "
                                    f"approval process '{process_name}': {process.when}")
            key = store.pending_key(process_name, object_name, record_id)
            pending = store.requests_for_record(conn, object_name, record_id, store.PENDING)
            for other in pending:
                if other["process"] == process_name:
                    raise AlreadyDecided(f"this {object_name} already has a pending request of "
                                         f"approval process '{process_name}'",
                                         request_id=other["id"])
            now = service.env.now()
            request = {"id": store.new_id(), "process": process_name, "object": object_name,
                       "record_id": record_id, "status": store.PENDING, "pending_key": key,
                       "definition": store.to_json(to_plain(process)),
                       "metadata_version": service.metadata_version, "locks": process.lock,
                       "current_step": None, "submitted_by": actor.user_id,
                       "submitted_by_name": actor.username, "submitted_at": now,
                       "decided_at": None, "comment": None}
            try:
                with conn.begin_nested():
                    store.insert_request(conn, request)
            except IntegrityError:  # a concurrent submit won the unique pending_key
                raise AlreadyDecided(f"this {object_name} already has a pending request of "
                                     f"approval process '{process_name}'") from None
            self.actions.run(service, tx, actor, process_name, "on_submit", object_name,
                             record_id, process.on_submit, now)
            record = service.store.fetch_one(conn, object_name, record_id)
            state, why = start_next(service, conn, People(service, conn), request, process, 0,
                                    record, now)
            if state == "unreachable":
                raise ApprovalError(f"cannot submit to '{process_name}': {why}")
            if state == "done":  # every step was skipped: nothing to approve
                self._finish(service, tx, actor, request, process, store.APPROVED, now)
            return store.read_request(conn, request["id"])

    def process(self, service: RecordService, name: str) -> ApprovalProcess:
        found = service.catalog.approval_processes.get(name)
        if found is None:
            hint = suggest(name, service.catalog.approval_processes)
            raise ApprovalError(f"there is no approval process '{name}'"
                                + (f"; did you mean '{hint}'?" if hint else ""))
        return found

    # -- decide ---------------------------------------------------------------------------------

    def decide(self, service: RecordService, actor: Actor, request_id: str, decision: str,
               comment: str | None = None, *, on_behalf_of: str | None = None,
               tx: Transaction | None = None) -> dict:
        """Approve or reject (``decision``: approve | reject) for the actor, or for the approver
        who delegated to them (``on_behalf_of`` a username picks one when several did)."""
        if decision not in DECISIONS:
            raise ApprovalError(f"a decision is approve or reject, not '{decision}'")
        comment = (comment or "").strip() or None
        with self._transaction(service, tx) as tx:
            conn = tx.conn
            request, process = self._pending(conn, request_id)
            step = store.current_step(conn, request_id)
            if actor.user_id == request["submitted_by"] and not process.allow_self_approval:
                raise NotAllowed("you submitted this request: approval process "
                                 f"'{process.name}' does not allow self-approval",
                                 request_id=request_id)
            rows = [r for r in store.approvers_of(conn, step_ids=[step["id"]]) if r["active"]]
            row = self._seat(service, conn, actor, request, step, rows, on_behalf_of)
            if decision == "reject" and process.reject_requires_comment and not comment:
                raise ApprovalError("a comment is required to reject this request",
                                    request_id=request_id)
            now = service.env.now()
            delegate = row["user_id"] != actor.user_id
            store.update_approver(conn, row["id"], decision=DECISIONS[decision], decided_at=now,
                                  comment=comment,
                                  decided_by=actor.user_id if delegate else None,
                                  decided_by_name=actor.username if delegate else None)
            row["decision"] = DECISIONS[decision]
            result = outcome(step["mode"], step["quorum"], [r["decision"] for r in rows])
            if result is not None:
                self._step_decided(service, tx, actor, request, process, step, result, now)
            return store.read_request(conn, request_id)

    def _pending(self, conn, request_id: str) -> tuple[dict, ApprovalProcess]:
        request = store.read_request(conn, request_id, lock=True)
        if request is None:
            raise RequestNotFound(f"there is no approval request '{request_id}'",
                                  request_id=request_id)
        if request["status"] != store.PENDING:
            raise AlreadyDecided(f"this request was already {request['status']}",
                                 request_id=request_id)
        return request, from_plain(request["definition"])

    def _seat(self, service, conn, actor: Actor, request, step, rows, on_behalf_of):
        """The approver row the actor decides: their own, else one of someone who delegated
        to them today."""
        today = service.env.today()
        givers = {d["user_id"] for d in store.delegations(conn, delegate_id=actor.user_id,
                                                           on=today)} if actor.user_id else set()
        mine = [r for r in rows if r["user_id"] == actor.user_id]
        mine += [r for r in rows if r["user_id"] in givers and r["user_id"] != actor.user_id]
        if on_behalf_of is not None:
            mine = [r for r in mine if r["username"] == on_behalf_of]
        if not mine:
            earlier = [r for r in store.approvers_of(conn, request_ids=[request["id"]])
                       if r["user_id"] == actor.user_id and r["step_id"] != step["id"]]
            if earlier:
                raise AlreadyDecided("the step you approve was already decided; the request "
                                     f"is now at step '{step['name']}'", request_id=request["id"])
            whom = f" for {on_behalf_of}" if on_behalf_of else ""
            raise NotAllowed(f"you are not an approver{whom} of step '{step['name']}' of this "
                             "request", request_id=request["id"])
        open_rows = [r for r in mine if r["decision"] is None]
        if not open_rows:
            raise AlreadyDecided(f"you already decided ({mine[0]['decision']}) at step "
                                 f"'{step['name']}'", request_id=request["id"])
        return open_rows[0]

    def _step_decided(self, service, tx, actor, request, process, step, result, now) -> None:
        conn = tx.conn
        store.update_step(conn, step["id"], status=result, decided_at=now)
        definition = process.steps[step["position"]]
        event = "on_approve" if result == store.APPROVED else "on_reject"
        self.actions.run(service, tx, actor, process.name, f"{definition.name}.{event}",
                         request["object"], request["record_id"], getattr(definition, event), now)
        if result == store.REJECTED:
            self._finish(service, tx, actor, request, process, store.REJECTED, now)
            return
        record = service.store.fetch_one(conn, request["object"], request["record_id"])
        state, why = start_next(service, conn, People(service, conn), request, process,
                                step["position"] + 1, record, now)
        if state == "done":
            self._finish(service, tx, actor, request, process, store.APPROVED, now)
        elif state == "unreachable":
            self._finish(service, tx, actor, request, process, store.REJECTED, now, why)

    def _finish(self, service, tx, actor, request, process, status, now, comment=None):
        conn = tx.conn
        store.update_request(conn, request["id"], status=status, pending_key=None,
                             current_step=None, decided_at=now, comment=comment)
        event = {store.APPROVED: "on_approve", store.REJECTED: "on_reject",
                 store.RECALLED: "on_recall"}[status]
        self.actions.run(service, tx, actor, process.name, event, request["object"],
                         request["record_id"], getattr(process, event), now)

    # -- recall, reassign -----------------------------------------------------------------------

    def recall(self, service: RecordService, actor: Actor, request_id: str,
               comment: str | None = None, *, tx: Transaction | None = None) -> dict:
        """The submitter (or an admin) takes a pending request back; on_recall runs."""
        with self._transaction(service, tx) as tx:
            conn = tx.conn
            request, process = self._pending(conn, request_id)
            if actor.user_id != request["submitted_by"] and not actor.is_admin:
                raise NotAllowed("only the submitter (or an admin) may recall a request",
                                 request_id=request_id)
            now = service.env.now()
            step = store.current_step(conn, request_id)
            if step is not None:
                store.update_step(conn, step["id"], status=store.RECALLED, decided_at=now)
            self._finish(service, tx, actor, request, process, store.RECALLED, now,
                         (comment or "").strip() or None)
            return store.read_request(conn, request_id)

    def reassign(self, service: RecordService, actor: Actor, request_id: str, from_user: str,
                 to_user: str, *, tx: Transaction | None = None) -> dict:
        """An admin hands an undecided approver's part of the current step to someone else."""
        if not actor.is_admin:
            raise NotAllowed("only admins may reassign an approval", request_id=request_id)
        with self._transaction(service, tx) as tx:
            conn = tx.conn
            request, process = self._pending(conn, request_id)
            step = store.current_step(conn, request_id)
            rows = [r for r in store.approvers_of(conn, step_ids=[step["id"]]) if r["active"]]
            people = People(service, conn)
            target = people.by_username(to_user)
            if target.get("active") is False:
                raise ApprovalError(f"user '{to_user}' is inactive")
            source = next((r for r in rows if r["username"] == from_user), None)
            if source is None:
                raise ApprovalError(f"'{from_user}' is not an approver of step '{step['name']}'",
                                    request_id=request_id)
            if source["decision"] is not None:
                raise AlreadyDecided(f"'{from_user}' already decided ({source['decision']})",
                                     request_id=request_id)
            if target["id"] == request["submitted_by"] and not process.allow_self_approval:
                raise NotAllowed(f"'{to_user}' submitted this request and may not approve it",
                                 request_id=request_id)
            if any(r["user_id"] == target["id"] for r in rows):
                raise ApprovalError(f"'{to_user}' is already an approver of step "
                                    f"'{step['name']}'", request_id=request_id)
            store.update_approver(conn, source["id"], active=False,
                                  comment=f"reassigned to {to_user} by {actor.username}")
            store.add_approvers(conn, [approver_row(request_id, step["id"], target,
                                                    "reassigned")])
            if process.notify_approvers:
                mail_approvers(conn, process, process.steps[step["position"]], [target],
                               request["object"], request["record_id"], service.env.now())
            return store.read_request(conn, request_id)
