"""One write transaction: the pipeline every create, update and delete goes through.

    defaults -> coercion -> before-save hook -> read-only / required -> unique -> lookups
    -> validation rules -> auto-numbers -> save -> parent roll-ups -> history -> after-save hook

A Writer lives for one transaction (the RecordService makes it); nested writes that the write
itself causes (on_delete set_null and cascade, records a hook creates) run through the same
Writer, so they share its transaction, its history and its after-commit list. Batched steps
(unique values, lookups, auto-numbers, the INSERT, roll-ups, history) are set-based, so a bulk
create costs a few statements however many records it holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ..formula import Environment, EvalContext, same
from ..meta import FieldValueError
from ..store import Feed, counters, history_row, table_name, unique_index_name, write_history
from .actor import Actor
from .checks import Draft, check_read_only, check_required, check_rules, coerce_input, recoerce
from .errors import (RECORD, AccessDenied, BulkInvalid, FieldError, RecordInvalid,
                     RecordNotFound, VersionConflict)
from .hooks import Change
from .ids import new_ids
from .rules import ObjectRules
from .transaction import Transaction

if TYPE_CHECKING:
    from .service import RecordService

#: roll-ups of roll-ups are followed this many levels up (a loop of parents stops here)
MAX_ROLLUP_DEPTH = 16


class Writer:
    def __init__(self, service: "RecordService", tx: Transaction, actor: Actor,
                 env: Environment):
        self.service = service
        self.tx = tx
        self.conn: Connection = tx.conn
        self.actor = actor
        self.env = env
        self.now = env.now()
        self.today = env.today()
        self.store = service.store
        self.rollups = service.rollups
        self.hooks = service.hooks
        #: changes whose after-commit hook runs once the outermost transaction commits
        self.pending = tx.after_commit
        self._listening = {name: self.hooks.listening(name) for name in (
            "record_before_save", "record_after_save", "record_after_commit")}
        self._related: dict[tuple[str, str], dict | None] = {}
        #: records being deleted in this transaction (cascades must not come back to them)
        self.deleting: set[tuple[str, str]] = set()
        #: what the actor may do (None: everything); trusted writes (a workflow's, an
        #: approval's) and what a write imposes (cascades) run as the system
        self.access = service.runtime.access(actor)

    # -- what expressions see -------------------------------------------------------------------

    def resolve(self, object_name: str, record_id: Any) -> dict | None:
        """A related record's stored values, for lookup traversal (``account.industry``)."""
        key = (object_name, record_id)
        if key not in self._related:
            self._related[key] = self.store.fetch_one(self.conn, object_name, record_id)
        return self._related[key]

    def _forget(self, object_name: str, ids: Iterable[str]) -> None:
        for record_id in ids:
            self._related.pop((object_name, record_id), None)

    def _change(self, object_name: str, operation: str, record: dict, prior,
                source: str | None = None) -> Change:
        return Change(object_name, operation, record, prior, self.actor, self.service,
                      self.tx, self.service.metadata_version, env=self.env, source=source)

    def _before_save(self, rules: ObjectRules, draft: Draft, operation: str,
                     trusted: Mapping | None = None, source: str | None = None) -> Change | None:
        listening = self._listening["record_before_save"]
        if not listening and not trusted:
            return None
        change = self._change(rules.name, operation, draft.record, draft.prior, source)
        before = dict(draft.record)
        if trusted:  # set as a before-save hook would set them (see RecordService.create)
            draft.record.update(trusted)
        if listening:
            self.hooks.before_save(change)
        recoerce(rules, before, draft)
        return change

    def _after_save(self, object_name: str, operation: str, items) -> None:
        """``items``: (record, prior, changed, Change or None) per saved record."""
        if not (self._listening["record_after_save"] or self._listening["record_after_commit"]):
            return
        for record, prior, changed, change in items:
            if changed is None:  # a create: every field it filled (auto-numbers included)
                changed = frozenset(name for name, value in record.items() if value is not None)
            change = change or self._change(object_name, operation, record, prior)
            change.record, change.changed = record, changed
            if self._listening["record_after_save"]:
                self.hooks.after_save(change)
            self.pending.append(change)

    # -- create ---------------------------------------------------------------------------------

    def create_many(self, object_name: str, rows: list[Mapping], single: bool = False,
                    trusted: Mapping | None = None, source: str | None = None) -> list[dict]:
        rules = self.service.rules(object_name)
        access = None if source is not None else self.access
        if access is not None:
            self._may(access, rules, "create")
            self._fields_allowed(access, rules, rows)
        blank = self.service.blank_record(object_name)
        uid, now = self.actor.user_id, self.now
        ids = new_ids(len(rows))
        drafts, changes = [], []
        for index, data in enumerate(rows):
            draft = Draft(index)
            drafts.append(draft)
            changes.append(None)
            coerce_input(rules, data, draft)
            if not isinstance(data, Mapping):
                continue
            # input that failed coercion stays blank (and in draft.bad, so checks that read it
            # are skipped); the other checks still run, to report every problem at once
            record = draft.record = dict(blank)
            record.update(draft.given)
            draft.ctx = ctx = EvalContext(self.resolve, None, True, self.env)
            for spec in rules.defaults:
                if spec.name not in draft.given and spec.name not in draft.bad:
                    try:
                        value = record[spec.name] = spec.default_value(record, ctx)
                        if value is not None:
                            spec.validate(value)
                    except FieldValueError as err:
                        draft.fail(spec.name, f"the default value {err.message}")
            if "owner" not in draft.given:
                record["owner"] = uid
            record.update(id=ids[index], created_at=now, updated_at=now, created_by=uid,
                          updated_by=uid, version=1)
            changes[index] = self._before_save(rules, draft, "create", trusted, source)
            check_read_only(rules, draft, is_new=True)
            check_required(rules, draft)
            draft.changed = frozenset(name for name, value in record.items() if value is not None)
            if access is not None and not draft.errors:
                self._keeps_sight(access, rules, record, ctx)
        self._check_database(rules, drafts)
        failed = {d.index: tuple(d.errors) for d in drafts if d.errors}
        if failed:
            if single:
                raise RecordInvalid(object_name, failed[0])
            raise BulkInvalid(object_name, failed)

        records = [d.record for d in drafts]
        for name, kind in rules.auto_numbers:
            last = counters.reserve(self.conn, object_name, name, len(records))
            for number, record in enumerate(records, start=last - len(records) + 1):
                record[name] = kind.render(number, self.today)
        self._save(rules, lambda: self.store.insert(self.conn, object_name, records))
        self._update_rollups(object_name, [(None, record, None) for record in records])
        write_history(self.conn, [self._history(object_name, r["id"], "create", version=1)
                                  for r in records])
        self._after_save(object_name, "create",
                         [(d.record, None, None, c) for d, c in zip(drafts, changes)])
        return records

    # -- update ---------------------------------------------------------------------------------

    def update(self, object_name: str, record_id: str, data: Mapping, version: int | None,
               enforce: bool = True, trusted: Mapping | None = None,
               source: str | None = None) -> dict:
        """``enforce=False``: a change the system imposes (on_delete set_null), not input:
        read-only fields, required fields and validation rules are not checked."""
        rules = self.service.rules(object_name)
        draft = Draft(0)
        if isinstance(data, Mapping) and "version" in data:
            data = dict(data)
            version = self._expected_version(object_name, data.pop("version"), version)
        prior = self.store.fetch_one(self.conn, object_name, record_id, lock="no_key_update")
        if prior is None:
            raise RecordNotFound(object_name, record_id)
        access = None if source is not None or not enforce else self.access
        if access is not None:
            self._may_change(access, rules, prior, "edit")
            self._fields_allowed(access, rules, [data])
        if version is not None and prior["version"] != version:
            raise self._conflict(object_name, prior, version)
        draft.prior = prior
        coerce_input(rules, data, draft)
        if not isinstance(data, Mapping):
            raise RecordInvalid(object_name, draft.errors)
        record = draft.record = dict(prior)
        record.update(draft.given)
        if not enforce:
            record.update(draft.fixed)
        draft.ctx = EvalContext(self.resolve, prior, False, self.env)
        change = self._before_save(rules, draft, "update", trusted, source)
        draft.changed = frozenset(n for n in rules.stored if not same(record[n], prior[n]))
        if access is not None and draft.changed:
            self._keeps_sight(access, rules, record, draft.ctx)
        if enforce:
            check_read_only(rules, draft, is_new=False)
        if not draft.changed and not draft.errors:
            return prior  # nothing to save: no new version, no history, no hooks
        if enforce:
            check_required(rules, draft)
        self._check_database(rules, [draft], rules_too=enforce)
        if draft.errors:
            raise RecordInvalid(object_name, draft.errors)

        values = {name: record[name] for name in draft.changed}
        values.update(updated_at=self.now, updated_by=self.actor.user_id,
                      version=(prior["version"] or 0) + 1)
        record.update(values)
        self._save(rules, lambda: self.store.update(self.conn, object_name, record_id, values))
        self._forget(object_name, [record_id])
        self._update_rollups(object_name, [(prior, record, draft.changed)])
        write_history(self.conn, [
            self._history(object_name, record_id, "update", field=name, old=prior[name],
                          new=record[name], version=record["version"])
            for name in rules.history_fields if name in draft.changed])
        self._after_save(object_name, "update", [(record, prior, draft.changed, change)])
        return record

    def _expected_version(self, object_name: str, raw, version: int | None) -> int | None:
        """``version`` in the input names the version the change was based on (an ETag)."""
        try:
            given = self.service.rules(object_name).fields["version"].type.coerce(raw)
        except FieldValueError as err:
            raise RecordInvalid(object_name, [FieldError("version", err.message)]) from None
        if version is not None and given is not None and given != version:
            raise RecordInvalid(object_name, [FieldError(
                "version", f"is {given} in the input but {version} was given as the version")])
        return version if version is not None else given

    def _conflict(self, object_name: str, current: Mapping, expected: int) -> VersionConflict:
        user = self.resolve("user", current["updated_by"]) if current["updated_by"] else None
        who = user["username"] if user else current["updated_by"]
        return VersionConflict(object_name, current["id"], expected, current["version"], who,
                               current["updated_at"])

    # -- delete ---------------------------------------------------------------------------------

    def delete(self, object_name: str, record_id: str, version: int | None) -> dict:
        """Delete a record, applying every lookup's on_delete to the records pointing at it."""
        prior = self.store.fetch_one(self.conn, object_name, record_id, lock="update")
        if prior is None:
            raise RecordNotFound(object_name, record_id)
        rules = self.service.rules(object_name)
        if self.access is not None and not self.deleting:  # cascades are the system's
            self._may_change(self.access, rules, prior, "delete")
        if version is not None and prior["version"] != version:
            raise self._conflict(object_name, prior, version)
        self.deleting.add((object_name, record_id))
        change = None
        if self._listening["record_before_save"]:
            change = self._change(object_name, "delete", dict(prior), prior)
            self.hooks.before_save(change)
        references = self.service.catalog.lookups_to(object_name)
        refused = []
        for child, field in references:
            if field.type.on_delete == "restrict":
                ids = self._referencing(child, field.name, record_id)
                if ids:
                    label = self.service.catalog.object(child).plural if len(ids) > 1 \
                        else self.service.catalog.object(child).label
                    refused.append(FieldError(RECORD, (
                        f"cannot be deleted: {len(ids)} {label.lower()} "
                        f"refer{'s' * (len(ids) == 1)} to it through '{field.name}'"),
                        "restricted"))
        if refused:
            raise RecordInvalid(object_name, refused)
        for child, field in references:
            rule = field.type.on_delete
            if rule == "set_null":
                for child_id in self._referencing(child, field.name, record_id):
                    self.update(child, child_id, {field.name: None}, None, enforce=False)
            elif rule == "cascade":
                for child_id in self._referencing(child, field.name, record_id):
                    self._cascade(object_name, child, child_id)
        self.store.delete(self.conn, object_name, record_id)
        self._forget(object_name, [record_id])
        self._update_rollups(object_name, [(prior, None, None)])
        snapshot = {name: prior[name] for name in rules.stored}
        write_history(self.conn, [self._history(object_name, record_id, "delete", old=snapshot,
                                                version=prior["version"])])
        self._after_save(object_name, "delete", [(prior, prior, frozenset(), change)])
        return prior

    def _referencing(self, child: str, field_name: str, record_id: str) -> list[str]:
        """Records of ``child`` pointing at ``record_id``, except those being deleted here."""
        if not self.store.count_referencing(self.conn, child, field_name, record_id):
            return []
        return [i for i in self.store.referencing(self.conn, child, field_name, record_id)
                if (child, i) not in self.deleting]

    def _cascade(self, object_name: str, child: str, child_id: str) -> None:
        try:
            self.delete(child, child_id, None)
        except RecordNotFound:
            pass  # already deleted through another path of the same cascade
        except RecordInvalid as refused:
            raise RecordInvalid(object_name, [FieldError(
                RECORD, f"cannot be deleted: it would delete {child} '{child_id}', which "
                        f"{refused.errors[0].message}", "restricted")]) from refused

    # -- access (see runtime/access.py) -------------------------------------------------------

    def _may(self, access, rules: ObjectRules, action: str) -> None:
        if not access.may(rules.name, "read"):
            raise RecordNotFound(rules.name, "")  # the object does not exist for them
        if not access.may(rules.name, action):
            verb = {"create": "create", "edit": "change", "delete": "delete"}[action]
            raise AccessDenied(rules.name, [FieldError(
                RECORD, f"you may not {verb} {rules.plural.lower()}", "forbidden")])

    def _may_change(self, access, rules: ObjectRules, prior: Mapping, action: str) -> None:
        """An update or delete: the object's permission, and the record must be one the user
        may edit (one they may not even read does not exist for them)."""
        ctx = EvalContext(self.resolve, prior, False, self.env)
        if not access.may(rules.name, "read") or not access.admits(rules.name, "read", prior, ctx):
            raise RecordNotFound(rules.name, prior["id"])
        self._may(access, rules, action)
        if not access.admits(rules.name, "edit", prior, ctx):
            verb = "delete" if action == "delete" else "change"
            raise AccessDenied(rules.name, [FieldError(
                RECORD, f"you may see this {rules.label.lower()} but not {verb} it",
                "forbidden")])

    def _fields_allowed(self, access, rules: ObjectRules, rows) -> None:
        refused = sorted({name for data in rows if isinstance(data, Mapping) for name in data
                          if name in rules.fields and name != "version"
                          and access.field_access(rules.name, name) != "edit"})
        if refused:
            raise AccessDenied(rules.name, [FieldError(name, "you may not change this field",
                                                       "forbidden") for name in refused])

    def _keeps_sight(self, access, rules: ObjectRules, record: Mapping, ctx) -> None:
        """A user may not write a record into a state they could not edit, unless they own it."""
        if record.get("owner") == self.actor.user_id and self.actor.user_id is not None:
            return
        if not access.admits(rules.name, "edit", record, ctx):
            raise AccessDenied(rules.name, [FieldError(
                RECORD, f"after this change you could no longer edit this "
                        f"{rules.label.lower()}", "forbidden")])

    # -- steps shared by every write ------------------------------------------------------------

    def _check_database(self, rules: ObjectRules, drafts: list[Draft], rules_too: bool = True):
        """Unique values and lookups (set-based over the batch), then validation rules."""
        live = [d for d in drafts if d.record]
        self._check_unique(rules, live)
        self._check_lookups(rules, live)
        if rules_too:
            for draft in live:
                check_rules(rules, draft)

    def _check_unique(self, rules: ObjectRules, drafts: list[Draft]) -> None:
        for spec in rules.uniques:
            name, casefold = spec.name, spec.unique_casefold
            wanted: dict[Any, list[Draft]] = {}
            for draft in drafts:
                value = draft.record.get(name)
                if value is None or name in draft.bad or name not in draft.changed:
                    continue
                wanted.setdefault(value.lower() if casefold else value, []).append(draft)
            if not wanted:
                continue
            taken = self.store.taken(self.conn, rules.name, name, list(wanted), casefold=casefold)
            for key, holders in wanted.items():
                other = taken.get(key)
                for position, draft in enumerate(holders):
                    shown = draft.record[name]
                    if other is not None and other != draft.record["id"]:
                        draft.fail(name, f"'{shown}' is already used by another "
                                         f"{rules.label.lower()}", "unique")
                    elif position > 0:
                        draft.fail(name, f"'{shown}' is also given to record "
                                         f"#{holders[0].index} of this batch", "unique")

    def _check_lookups(self, rules: ObjectRules, drafts: list[Draft]) -> None:
        for spec in rules.lookups:
            name = spec.name
            wanted = {d.record[name] for d in drafts if d.record.get(name) is not None
                      and name in d.changed and name not in d.bad}
            if not wanted:
                continue
            missing = wanted - self.store.existing(self.conn, spec.target, wanted)
            if not missing:
                continue
            for draft in drafts:
                value = draft.record.get(name)
                if value in missing and name in draft.changed and name not in draft.bad:
                    draft.fail(name, f"there is no {spec.target} with id '{value}'", "lookup")

    def _save(self, rules: ObjectRules, statement: Callable[[], None]) -> None:
        """Run the INSERT/UPDATE; a unique index or foreign key that a concurrent writer beat
        us to becomes a field error like the checks above give."""
        try:
            statement()
        except IntegrityError as err:
            error = _integrity_error(rules, str(err.orig))
            if error is None:
                raise
            raise RecordInvalid(rules.name, [error]) from err

    def _update_rollups(self, object_name: str, items) -> None:
        """Recompute the parents' roll-ups the change touched; ``items``: (prior, record,
        changed fields) per record, prior None on create, record None on delete."""
        for feed in self.rollups.fed_by(object_name):
            parents: set[str] = set()
            for prior, record, changed in items:
                if prior is None or record is None or changed & feed.reads:
                    for side in (prior, record):
                        if side is not None and side[feed.lookup] is not None:
                            parents.add(side[feed.lookup])
            parents = {p for p in parents if (feed.parent, p) not in self.deleting}
            if parents:
                self._recompute(feed, parents, 0)

    def _recompute(self, feed: Feed, parents: set[str], depth: int) -> None:
        self.store.lock(self.conn, feed.parent, parents)
        self.rollups.recompute(self.conn, feed, parents)
        self._forget(feed.parent, parents)
        if depth >= MAX_ROLLUP_DEPTH:
            return
        for up in self.rollups.fed_by(feed.parent):  # roll-ups of these roll-ups
            if up.reads.intersection(feed.fields):
                grand = self.store.lookup_values(self.conn, feed.parent, up.lookup, parents)
                grand = {g for g in grand if (up.parent, g) not in self.deleting}
                if grand:
                    self._recompute(up, grand, depth + 1)

    def _history(self, object_name: str, record_id: str, operation: str, **values) -> dict:
        return history_row(object_name, record_id, operation, actor_id=self.actor.user_id,
                           actor_name=self.actor.username, at=self.now,
                           metadata_version=self.service.metadata_version, **values)


def _integrity_error(rules: ObjectRules, text: str) -> FieldError | None:
    table = table_name(rules.name)
    for spec in rules.uniques:
        if unique_index_name(rules.name, spec.name) in text or f"{table}.{spec.name}" in text:
            return FieldError(spec.name, f"is already used by another {rules.label.lower()}",
                              "unique")
    if "foreign key" in text.lower():
        return FieldError(RECORD, "refers to a record that does not exist (it may have just "
                                  "been deleted)", "lookup")
    if "unique" in text.lower():
        return FieldError(RECORD, "conflicts with another record that has the same values "
                                  "(a unique index)", "unique")
    return None
