"""Deploy = plan, then apply: a Catalog made the version in force, with the DDL it needs.

    plan = deploy.plan(db, catalog)          # what would change, the DDL, the risks (counted)
    print(plan.describe())                   # or plan.to_json()
    result = deploy.apply(db, plan, allow_destructive=False, deployed_by="ann")
    result.version.number                    # None when the plan was empty
    deploy.rollback(db, 3)                   # version 3's files, planned and applied again

``apply`` runs in ONE transaction: it takes the deploy lock, checks that the version the plan
was made against (``plan.base``: its number and content, or nothing deployed) is still the
version in force (DeployConflict otherwise: plan again), refuses risks unless
``allow_destructive``, runs the plan's DDL steps and stores the new version. The plan is
applied as it was made: it is not made again, and its risks are the ones counted by ``plan``
(what the user saw and agreed to; records written in between are not counted again, see
docs/operations.md). ``apply(db, catalog)`` is the shortcut that makes the plan inside the
transaction, once, and applies it. Any failure rolls all of it back: the old version stays in
force and no table is half-changed.
A fresh database is initialised by the first deploy, in the same transaction.

A plan's ``notes`` refuse nothing: approval requests pending under a changed process; for
access, one line when the package is open (no role declares ``permissions``) or when access
starts being enforced, and — when a change narrows access — how many users of the version in
force lose read access to how many records (COUNTs with the old and the new record predicate,
only for the objects and sets of roles whose rule changes; see ``_access_losses``).

SQLite: a table rebuilt by batch mode is dropped and replaced; with foreign keys enforced,
dropping a parent table would fire ON DELETE on its children. So foreign keys are switched
off on the deploy's connection before BEGIN (SQLite ignores the pragma inside a
transaction), checked with ``PRAGMA foreign_key_check`` before COMMIT, and switched on again.
"""

from __future__ import annotations

import contextlib
import zlib
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import Connection, select, text

from ..formula import Environment, FormulaError
from ..meta import (NOTHING, USER_OBJECT, Catalog, CatalogDiff, Vocabulary, access_notes,
                    record_predicate)
from ..meta import diff_catalogs as diff
from . import approvals, versions
from .accounts import CREDENTIALS
from .database import Database
from .ddl import Step, StepContext, ddl_steps
from .query import QueryError, QueryPlan
from .risks import Risk, find_risks
from .system import SYSTEM_METADATA
from .tables import build_tables
from .versions import DeployedVersion, VersionInfo

__all__ = ["Plan", "Applied", "DeployError", "DeployRefused", "DeployConflict", "DeployFailed",
           "plan", "make_plan", "apply", "rollback", "report"]

#: PostgreSQL advisory lock taken by every deploy, so two never interleave
LOCK_KEY = zlib.crc32(b"metacrm deploy")
#: how long a PostgreSQL deploy waits for a table that other transactions are using
TABLE_LOCK_TIMEOUT = "15s"


class DeployError(Exception):
    """A deploy that did not happen; the version in force is unchanged."""


class DeployRefused(DeployError):
    """The plan has risks and ``allow_destructive`` was not given."""

    def __init__(self, plan: "Plan"):
        self.plan = plan
        lines = "\n".join(f"  - {risk}" for risk in plan.risks)
        super().__init__(f"refused: the deploy is risky for data already stored "
                         f"(allow destructive changes to go ahead):\n{lines}")


class DeployConflict(DeployError):
    """The version in force is not the one the plan was made against: plan again.

    ``base`` is the number the plan was made against (None: nothing deployed), ``current``
    the number in force now (None: nothing deployed)."""

    def __init__(self, base: int | None, current: int | None, *, other_content: bool = False):
        self.base = base
        self.current = current
        against = f"version {base}" if base is not None else "an empty database"
        if other_content:
            message = (f"the version {current} in force is not the version {base} this plan "
                       "was made against (its content differs: a plan made on another "
                       "database?)")
        elif current is not None and (base is None or current > base):
            message = f"version {current} was deployed since this plan was made against {against}"
        else:
            in_force = f"version {current} is" if current is not None else "nothing is deployed"
            message = f"this plan was made against {against}, but {in_force} in force"
        super().__init__(message + ": plan again")


class DeployFailed(DeployError):
    """A step failed; everything was rolled back."""

    def __init__(self, step: str, error: BaseException):
        self.step = step
        self.error = error
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        super().__init__(f"deploy failed at: {step}\n  {type(error).__name__}: {detail}\n"
                         "nothing was changed; the deployed version is still in force")


@dataclass(frozen=True)
class Plan:
    """What deploying ``catalog`` would do, against the version in force (``base``)."""

    base: VersionInfo | None
    catalog: Catalog
    changes: CatalogDiff
    steps: tuple[Step, ...]
    risks: tuple[Risk, ...]
    #: things to know that refuse nothing (approval requests pending under a changed process)
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing to do: the catalog is the one in force."""
        return not self.changes

    @property
    def risky(self) -> bool:
        return bool(self.risks)

    def describe(self) -> str:
        """The plan for people: changes, DDL, risks."""
        package = self.catalog.package
        head = (f"{package.name} {package.version} (content {self.catalog.content_hash[:12]}) over "
                + (f"version {self.base.number} ({self.base.package} {self.base.package_version})"
                   if self.base else "an empty database"))
        if self.empty:
            return f"{head}\nno changes"
        lines = [head, "", "changes:"]
        lines += [f"  {change}" for change in self.changes.changes]
        lines += ["", "DDL:"] + ([f"  {step}" for step in self.steps] or ["  none (metadata only)"])
        if self.risks:
            lines += ["", "risks (refused unless destructive changes are allowed):"]
            lines += [f"  ! {risk}" for risk in self.risks]
        else:
            lines += ["", "risks: none"]
        if self.notes:
            lines += ["", "notes:"] + [f"  * {note}" for note in self.notes]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "package": self.catalog.package.name, "package_version": self.catalog.package.version,
            "content_hash": self.catalog.content_hash,
            "base": self.base.number if self.base else None, "empty": self.empty,
            "changes": [change.to_json() for change in self.changes.changes],
            "counts": self.changes.counts(),
            "steps": [step.to_json() for step in self.steps],
            "risks": [risk.to_json() for risk in self.risks],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Applied:
    plan: Plan
    #: the version stored; None when the plan was empty (nothing to store)
    version: DeployedVersion | None


def report(plan: Plan, *, dry_run: bool, applied: Applied | None = None,
           refused: bool = False) -> dict:
    """A plan and what became of it, as JSON (``metacrm deploy --json`` and the API):
    the plan's ``to_json()`` with ``ok``, ``dry_run``, ``applied``, ``refused``, ``version``."""
    version = applied.version if applied is not None else None
    return {"ok": not refused, **plan.to_json(), "dry_run": dry_run,
            "applied": version is not None, "refused": refused,
            "version": version.number if version is not None else None}


def make_plan(conn: Connection, catalog: Catalog) -> Plan:
    """The plan of ``catalog`` against the version in force, in the caller's transaction."""
    # the version in force, loaded with the new catalog's field types (the deploying
    # process's plugins), so a plugin's field type reads the same in both
    base = versions.current(conn, catalog.vocabulary)
    old = base.catalog if base is not None else None
    changes = diff(old, catalog)
    if not changes:
        return Plan(base, catalog, changes, (), ())
    steps = ddl_steps(old, catalog, changes, conn.dialect)
    risks = find_risks(conn, old, catalog, changes)
    return Plan(_info(base), catalog, changes, tuple(steps), tuple(risks),
                approvals.pending_notes(conn, changes.changes) + _access_notes(conn, old, catalog))


# -- what the plan says about access ------------------------------------------------------------

#: COUNT queries a plan may run to say who loses read access to which records; beyond it, one
#: user of each set of roles is counted and the note says so
ACCESS_COUNT_BUDGET = 200
#: names listed per object in the note
ACCESS_NAMES_SHOWN = 5
#: a set of roles may not read the object at all
_NOTHING = NOTHING


def _access_notes(conn: Connection, old: Catalog | None, new: Catalog) -> tuple[str, ...]:
    """The plan's lines about access: the package is open, or access is enforced from now on
    (``meta.access_notes``), and — when access narrows — how many users lose read access to
    how many records they could read before (counted in the data, ``_access_losses``)."""
    notes = list(access_notes(old, new))
    if old is not None and not new.access_open:
        notes += _access_losses(conn, old, new)
    return tuple(notes)


def _read_rule(catalog: Catalog, roles: frozenset[str], object_name: str) -> str | None:
    """Which records of ``object_name`` a (non-admin) user holding ``roles`` may read: the
    runtime's own predicate (``meta.record_predicate``)."""
    return record_predicate(catalog, roles, object_name, "read")


def _lost(before: str | None, after: str | None) -> str | None:
    """The records readable under ``before`` and not under ``after``, as a condition (None:
    none are lost)."""
    if before == _NOTHING or after is None or before == after:
        return None
    if after == _NOTHING:
        return before or "true"
    return f"not ({after})" if before is None else f"({before}) and not ({after})"


def _users(conn: Connection, tables) -> list[tuple[str, str, frozenset]]:
    """The active users who are not admins: (id, username, roles), by username."""
    users = tables[USER_OBJECT]
    admins = select(CREDENTIALS.c.user_id).where(CREDENTIALS.c.is_admin.is_(True))
    rows = conn.execute(select(users.c.id, users.c.username, users.c.roles)
                        .where(users.c.active.is_not(False), users.c.id.not_in(admins))
                        .order_by(users.c.username))
    return [(row.id, row.username, frozenset(row.roles or ())) for row in rows]


def _access_losses(conn: Connection, old: Catalog, new: Catalog) -> list[str]:
    """One line when users of the version in force lose read access to records: per object
    whose read rule changes for a set of roles some user holds, COUNT the records the old rule
    admits and the new one does not (on the stored tables, the old catalog's scope; one COUNT
    per user when the condition names current_user(), else one per set of roles). With more
    than ACCESS_COUNT_BUDGET counts to make, one user of each set of roles is counted."""
    if old.roles == new.roles and old.sharing_rules == new.sharing_rules and all(
            obj.sharing == new.objects[name].sharing
            for name, obj in old.objects.items() if name in new.objects):
        return []  # the same roles, rules and sharing: the same predicates, nothing to count
    tables = build_tables(old)
    groups: dict[frozenset, list[tuple[str, str]]] = {}
    for user_id, username, roles in _users(conn, tables):
        groups.setdefault(roles, []).append((user_id, username))
    work = []  # (object, condition, members)
    for roles, members in groups.items():
        for object_name in old.objects:
            if object_name not in new.objects:
                continue  # a removed object's records go with it (a risk of its own)
            condition = _lost(_read_rule(old, roles, object_name),
                              _read_rule(new, roles, object_name))
            if condition is not None:
                work.append((object_name, condition, members))
    if not work:
        return []
    needed = sum(len(members) if "current_user()" in condition else 1
                 for _, condition, members in work)
    per_role = needed > ACCESS_COUNT_BUDGET
    lost: dict[str, dict[str, int]] = {}   # object -> username -> records lost
    uncounted: set[str] = set()
    plans: dict[tuple[str, str], QueryPlan | None] = {}
    for object_name, condition, members in work:
        key = (object_name, condition)
        if key not in plans:
            try:
                plans[key] = QueryPlan(old, tables, conn.dialect.name, object_name,
                                       fields=["id"], access=condition)
            except (QueryError, FormulaError):  # the new rule reads what this deploy adds
                plans[key] = None
        plan = plans[key]
        if plan is None:
            uncounted.add(object_name)
            continue
        if "current_user()" in condition and not per_role:
            counts = [(username, plan.count(conn, Environment(user_id=user_id)))
                      for user_id, username in members]
        else:  # the same for each of them (or, per role, said so in the note)
            number = plan.count(conn, Environment(user_id=members[0][0]))
            counts = [(username, number) for _, username in members]
        for username, number in counts:
            if number:
                lost.setdefault(object_name, {})[username] = number
    return _loss_lines(lost, uncounted, per_role, sum(map(len, groups.values())))


def _loss_lines(lost: dict[str, dict[str, int]], uncounted: set[str], per_role: bool,
                users: int) -> list[str]:
    lines = []
    if lost:
        losers = {name for counts in lost.values() for name in counts}
        total = sum(sum(counts.values()) for counts in lost.values())
        parts = []
        for object_name, counts in sorted(lost.items()):
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            shown = ", ".join(f"{name} {number:,}" for name, number in
                              ranked[:ACCESS_NAMES_SHOWN])
            more = len(ranked) - ACCESS_NAMES_SHOWN
            parts.append(f"{object_name}: {shown}" + (f" and {more} more" if more > 0 else ""))
        how = ("counted for one user of each set of roles and given to all of them (too many "
               f"users to count each: more than {ACCESS_COUNT_BUDGET} counts)" if per_role
               else "counted per user")
        lines.append(f"access narrows: {len(losers)} of {users} user{'s' * (users != 1)} lose "
                     f"read access to records they could read before, {total:,} in all, "
                     f"{how} ({'; '.join(parts)})")
    if uncounted:
        lines.append(f"access changes on {', '.join(sorted(uncounted))}: not counted (the new "
                     "rules read fields this deploy adds)")
    return lines


def _info(version: DeployedVersion | None) -> VersionInfo | None:
    if version is None:
        return None
    return VersionInfo(version.number, version.package, version.package_version,
                       version.content_hash, version.deployed_at, version.deployed_by,
                       version.note, version.changes)


def plan(db: Database, catalog: Catalog) -> Plan:
    """The plan of deploying ``catalog`` now (nothing is changed)."""
    with db.read() as conn:
        return make_plan(conn, catalog)


def apply(db: Database, plan_or_catalog: Plan | Catalog, *, allow_destructive: bool = False,
          deployed_by: str | None = None, note: str | None = None) -> Applied:
    """Apply the plan, as it was made (see the module's docstring); given a Catalog, plan it
    inside the transaction first (once).

    Raises DeployConflict when the version in force is no longer the plan's ``base``,
    DeployRefused for risks without ``allow_destructive``, DeployFailed when a step fails;
    in every case nothing has changed.
    """
    with _deploy_transaction(db) as conn:
        SYSTEM_METADATA.create_all(conn)  # a fresh database: initialised in this transaction
        if isinstance(plan_or_catalog, Plan):
            plan = plan_or_catalog
            _check_base(conn, plan)
        else:
            plan = make_plan(conn, plan_or_catalog)
        if plan.empty:
            return Applied(plan, None)
        if plan.risky and not allow_destructive:
            raise DeployRefused(plan)
        context = StepContext(conn)
        for step in plan.steps:
            _run_step(context, step)
        version = versions.save(conn, plan.catalog, deployed_by=deployed_by, note=note,
                                changes=tuple(str(change) for change in plan.changes.changes))
        _check_foreign_keys(conn)
    return Applied(plan, version)


def _check_base(conn: Connection, plan: Plan) -> None:
    """DeployConflict unless the version in force is the one ``plan`` was made against
    (one indexed row read: the newest number and its content hash)."""
    table = versions.meta_versions
    row = conn.execute(select(table.c.number, table.c.content_hash)
                       .order_by(table.c.number.desc()).limit(1)).first()
    current = row.number if row is not None else None
    if current != _number(plan.base):
        raise DeployConflict(_number(plan.base), current)
    if row is not None and plan.base is not None and row.content_hash != plan.base.content_hash:
        raise DeployConflict(_number(plan.base), current, other_content=True)


def rollback(db: Database, number: int, *, allow_destructive: bool = False,
             deployed_by: str | None = None, note: str | None = None,
             dry_run: bool = False, vocabulary: Vocabulary | None = None) -> Applied:
    """Deploy version ``number``'s files again (stored as a new version), loaded with
    ``vocabulary`` (the process's plugins' field types; metacrm's own by default)."""
    with db.read() as conn:
        old = versions.load(conn, number, vocabulary)
    catalog = old.catalog
    if dry_run:
        return Applied(plan(db, catalog), None)
    return apply(db, catalog, allow_destructive=allow_destructive, deployed_by=deployed_by,
                 note=note or f"rollback to version {number}")


def _number(version: VersionInfo | None) -> int | None:
    return version.number if version is not None else None


def _run_step(context: StepContext, step: Step) -> None:
    try:
        step.run(context)
    except DeployError:
        raise
    except Exception as error:  # any database error: reported with the step, all rolled back
        raise DeployFailed(step.description, error) from error


def _check_foreign_keys(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL checked every key as it went
    problems = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        shown = ", ".join(f"{row[0]} row {row[1]} -> {row[2]}" for row in problems[:5])
        raise DeployFailed("checking foreign keys",
                           RuntimeError(f"{len(problems)} broken references: {shown}"))


@contextlib.contextmanager
def _deploy_transaction(db: Database) -> Iterator[Connection]:
    """The deploy's write transaction, serialised with other deploys."""
    if db.dialect != "sqlite":
        with db.write() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            # DDL waits for the transactions using a table, and while it waits every new
            # query of that table queues behind it: give up (and roll back) rather than stall
            conn.execute(text(f"SET LOCAL lock_timeout = '{TABLE_LOCK_TIMEOUT}'"))
            yield conn
        return
    with db.engine.connect() as conn:
        # on the DBAPI connection, outside SQLAlchemy's transaction (which has not begun)
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            conn = conn.execution_options(sqlite_immediate=True)  # BEGIN IMMEDIATE: one writer
            with conn.begin():
                yield conn
        finally:
            try:
                raw.execute("PRAGMA foreign_keys=ON")
            except Exception:  # the connection is unusable: never hand it out without keys
                conn.invalidate()
                raise
