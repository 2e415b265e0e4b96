"""User accounts: people who sign in, their passwords, the admin flag and API tokens.

    accounts = Accounts(service)
    ann = accounts.create_user("ann", password="s3cret-pass", admin=True, roles=["sales_manager"])
    actor = accounts.authenticate("ann", "s3cret-pass")     # an Actor, or None
    token = accounts.create_token(ann["id"], name="laptop")  # shown once; only its hash is kept
    actor = accounts.actor_for_token(token)                  # per API request
    accounts.revoke_token(token_id)
    accounts.update_user("ann", roles=["sales_rep"], manager="bob", actor=admin_actor)
    accounts.update_user("ann", active=False, actor=admin_actor)    # signed out everywhere
    accounts.list_users()                                          # user_view() of each

The ``user`` record itself is written through the RecordService like every other record;
the hash and the admin flag live in ``meta_credential`` (see ``metacrm.store.accounts``).

Who may act is decided afresh on every request: a session loads its user's record per request
(``actor``), and a token's Actor, remembered by this process for at most TOKEN_CACHE_SECONDS,
is trusted only while the sign-in generation has not moved. Every change to a user record
(whatever path made it), a password, the admin flag or a token raises that number in the
database (``metacrm.store.signin_changed``); ``Runtimes.current()`` reads it in the same
statement as the newest version number, once per request, and hands it to ``observe``. So a
deactivation, a role change or a revocation is in force in every process on the next request,
at no extra query. (An Accounts used without ``Runtimes`` sees other processes' changes only
when its cache entries expire.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from typing import Any, Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update

from ..meta import USER_OBJECT, suggest
from ..store import CREDENTIALS, MAX_LIMIT, TOKENS, signin_changed
from .actor import Actor
from .errors import FieldError, RecordInvalid, RecordNotFound
from .service import RecordService

#: tokens start with this, so a leaked one is recognisable (secret scanners, logs)
TOKEN_PREFIX = "mcrm_"
#: a password shorter than this is refused
MIN_PASSWORD_LENGTH = 8
#: how long a token's actor is remembered by this process at most (the sign-in generation
#: makes a change elsewhere count at once; this bounds what a bare Accounts may trust)
TOKEN_CACHE_SECONDS = 10.0
#: update_user's default: leave this field as it is (None clears a field)
UNCHANGED: Any = type("Unchanged", (), {"__repr__": lambda self: "UNCHANGED"})()
#: what update_user may change
USER_SETTINGS = ("roles", "manager", "active", "full_name", "email", "admin")

_hasher = PasswordHasher()
# verifying against this keeps an unknown username as slow as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Sign-in over one RecordService (one per deployed version, like the service)."""

    def __init__(self, service: RecordService):
        self.service = service
        self.db = service.db
        self.users = service.tables["user"]
        #: token hash -> (expires at, sign-in generation it was read at, Actor)
        self._token_cache: dict[str, tuple[float, int, Actor]] = {}
        #: the newest sign-in generation this process has seen (``observe``)
        self._generation = 0
        self._lock = threading.Lock()

    # -- users ----------------------------------------------------------------------------

    def create_user(self, username: str, password: str | None = None, *, admin: bool = False,
                    roles: Iterable[str] = (), full_name: str | None = None,
                    email: str | None = None, actor: Actor | None = None) -> dict:
        """Create a ``user`` record (through the RecordService) and its credentials, in one
        transaction. Raises RecordInvalid (a taken username, an unknown role, a short password)."""
        if password is not None:
            _check_password(password)
        data = {"username": username, "roles": list(roles)}
        if full_name is not None:
            data["full_name"] = full_name
        if email is not None:
            data["email"] = email
        with self.service.transaction() as tx:
            user = self.service.create("user", data, actor or Actor.system(), tx=tx)
            tx.conn.execute(insert(CREDENTIALS).values(
                user_id=user["id"], is_admin=admin, changed_at=_now(),
                password_hash=_hasher.hash(password) if password is not None else None))
        return user

    def find_user(self, username: str) -> dict | None:
        with self.db.read() as conn:
            user_id = conn.execute(select(self.users.c.id)
                                   .where(self.users.c.username == username)).scalar()
        return self.service.get("user", user_id) if user_id else None

    def set_password(self, user_id: str, password: str) -> None:
        _check_password(password)
        self._credentials(user_id, password_hash=_hasher.hash(password))

    def set_admin(self, user_id: str, admin: bool) -> None:
        self._credentials(user_id, is_admin=admin)

    def is_admin(self, user_id: str) -> bool:
        with self.db.read() as conn:
            return self._is_admin(conn, user_id)

    # -- people: roles, manager, active ------------------------------------------------------

    def get_user(self, user: str) -> dict:
        """The ``user`` record of a username or an id; UnknownUser (with the closest
        username) when there is none."""
        found = self.find_user(user)
        if found is None:
            try:
                found = self.service.get(USER_OBJECT, user)
            except RecordNotFound:
                with self.db.read() as conn:
                    names = conn.execute(select(self.users.c.username)).scalars().all()
                raise UnknownUser(user, suggest(user, names)) from None
        return found

    def list_users(self) -> list[dict]:
        """Every user as ``user_view`` shows one, by username."""
        users, cursor = [], None
        while True:
            page = self.service.query(USER_OBJECT, sort="username", limit=MAX_LIMIT,
                                      cursor=cursor)
            users += page.records
            cursor = page.next_cursor
            if cursor is None:
                break
        with self.db.read() as conn:
            admins = set(conn.execute(select(CREDENTIALS.c.user_id)
                                      .where(CREDENTIALS.c.is_admin.is_(True))).scalars())
        names = {user["id"]: user["username"] for user in users}
        return [self._view(user, user["id"] in admins, names) for user in users]

    def user_view(self, user: str | dict) -> dict:
        """What people management shows of a user: id, username, full_name, email, roles
        (a sorted list), manager (a username, or None), active, admin, version."""
        record = user if isinstance(user, dict) else self.get_user(user)
        names = {}
        if record.get("manager"):
            try:
                names[record["manager"]] = self.service.get(
                    USER_OBJECT, record["manager"], fields=["username"])["username"]
            except RecordNotFound:
                pass
        return self._view(record, self.is_admin(record["id"]), names)

    @staticmethod
    def _view(record: dict, admin: bool, names: dict[str, str]) -> dict:
        manager = record.get("manager")
        return {"id": record["id"], "username": record["username"],
                "full_name": record.get("full_name"), "email": record.get("email"),
                "roles": sorted(record.get("roles") or ()),
                "manager": names.get(manager, manager) if manager else None,
                "active": record.get("active") is not False, "admin": admin,
                "version": record.get("version")}

    def update_user(self, user: str, *, actor: Actor, roles: Iterable[str] | None = UNCHANGED,
                    manager: str | None = UNCHANGED, active: bool = UNCHANGED,
                    full_name: str | None = UNCHANGED, email: str | None = UNCHANGED,
                    admin: bool = UNCHANGED, version: int | None = None) -> dict:
        """Change a user (given by username or id) in one transaction: ``roles`` (the
        catalog's roles; replaces the list), ``manager`` (a username or id; None: no manager),
        ``active`` (False: their sessions and tokens stop on the next request in every process;
        True again: they work again), ``full_name``, ``email``, ``admin``. What is not given
        stays. The record is written through the RecordService as ``actor``; returns
        ``user_view`` of the result. Raises UnknownUser, RecordInvalid (an unknown role or
        manager, a loop of managers, an admin deactivating or demoting themselves),
        VersionConflict (with ``version``)."""
        record = self.get_user(user)
        user_id = record["id"]
        data: dict[str, Any] = {}
        errors: list[FieldError] = []
        if roles is not UNCHANGED:
            data["roles"] = list(dict.fromkeys(roles or ()))
        if manager is not UNCHANGED:
            data["manager"] = self._manager_id(user_id, manager, errors)
        for name, value in (("full_name", full_name), ("email", email)):
            if value is not UNCHANGED:
                data[name] = value
        if active is not UNCHANGED:
            data["active"] = bool(active)
        if actor.user_id == user_id and active is False:
            errors.append(FieldError("active", "you cannot deactivate yourself", "invalid"))
        if actor.user_id == user_id and admin is False:
            errors.append(FieldError("admin", "you cannot take away your own admin flag",
                                     "invalid"))
        if errors:
            raise RecordInvalid(USER_OBJECT, errors)
        with self.service.transaction() as tx:
            if data or version is not None:
                record = self.service.update(USER_OBJECT, user_id, data, actor, tx=tx,
                                             version=version)
            if admin is not UNCHANGED and bool(admin) != self._is_admin(tx.conn, user_id):
                self._credentials(user_id, tx.conn, is_admin=bool(admin))
        self._forget_tokens()
        return self.user_view(record)

    def update_profile(self, user_id: str, *, full_name: str | None = UNCHANGED,
                       email: str | None = UNCHANGED) -> dict:
        """A user changing their own full name and email (the profile page). Accounts decides
        that anyone may, whatever their roles allow on ``user`` (where only admins write): the
        change is written as the user themselves, with ``source="profile"``, and checked like
        any input (RecordInvalid: a taken or malformed email). Returns ``user_view``."""
        record = self.service.get(USER_OBJECT, user_id)
        data = {name: value for name, value in (("full_name", full_name), ("email", email))
                if value is not UNCHANGED}
        if data:
            me = Actor.for_user(record, is_admin=self.is_admin(user_id))
            record = self.service.update(USER_OBJECT, user_id, {}, me, trusted=data,
                                         source="profile")
        return self.user_view(record)

    def deactivate(self, user: str, *, actor: Actor) -> dict:
        """``update_user(user, active=False)``: signed out everywhere on the next request."""
        return self.update_user(user, active=False, actor=actor)

    def _manager_id(self, user_id: str, manager: str | None,
                    errors: list[FieldError]) -> str | None:
        """The id of the manager named by username or id (None: none); a problem goes to
        ``errors``: an unknown user, the user themselves, a loop of managers."""
        if manager is None or manager == "":
            return None
        try:
            found = self.get_user(manager)
        except UnknownUser as unknown:
            errors.append(FieldError("manager", unknown.message, "lookup"))
            return None
        chain, current = [found], found
        while current is not None and current["id"] != user_id and current.get("manager"):
            if any(c["id"] == current["manager"] for c in chain):
                break  # a loop above the new manager already: not this change's doing
            try:
                current = self.service.get(USER_OBJECT, current["manager"],
                                           fields=["id", "username", "manager"])
            except RecordNotFound:
                break
            chain.append(current)
        if chain[-1]["id"] == user_id:
            names = " → ".join(c["username"] for c in [chain[-1], *chain])
            errors.append(FieldError("manager", "a user cannot be their own manager"
                                     if len(chain) == 1 else
                                     f"would make a loop of managers: {names}", "invalid"))
        return found["id"]

    def change_password(self, user_id: str, current: str, new: str) -> None:
        """A user changing their own password: RecordInvalid unless ``current`` is right."""
        with self.db.read() as conn:
            stored = conn.execute(select(CREDENTIALS.c.password_hash)
                                  .where(CREDENTIALS.c.user_id == user_id)).scalar()
        try:
            _hasher.verify(stored or _DUMMY_HASH, current)
            ok = stored is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            raise RecordInvalid(USER_OBJECT, [FieldError("current_password",
                                                         "is not your current password")])
        self.set_password(user_id, new)

    def _is_admin(self, conn, user_id: str) -> bool:
        return bool(conn.execute(select(CREDENTIALS.c.is_admin)
                                 .where(CREDENTIALS.c.user_id == user_id)).scalar())

    def _credentials(self, user_id: str, conn=None, **values) -> None:
        """Change a user's credentials (and raise the sign-in generation), in ``conn``'s
        transaction or a new one."""
        if conn is None:
            self.service.get("user", user_id)  # RecordNotFound for an unknown user
            with self.db.write() as conn:
                self._credentials(user_id, conn, **values)
            self._forget_tokens()
            return
        done = conn.execute(update(CREDENTIALS).where(CREDENTIALS.c.user_id == user_id)
                            .values(changed_at=_now(), **values)).rowcount
        if not done:
            conn.execute(insert(CREDENTIALS).values(
                user_id=user_id, changed_at=_now(),
                **{"is_admin": False, "password_hash": None, **values}))
        signin_changed(conn)

    # -- actors -----------------------------------------------------------------------------

    def actor(self, user_id: str, stamp: str | None = None) -> Actor | None:
        """The Actor of an active user (None for an unknown or inactive one). With ``stamp``
        (a session's), also None unless it is still the user's ``session_stamp``."""
        try:
            user = self.service.get("user", user_id)
        except RecordNotFound:
            return None
        if user.get("active") is False:
            return None
        with self.db.read() as conn:
            row = conn.execute(select(CREDENTIALS.c.is_admin, CREDENTIALS.c.password_hash)
                               .where(CREDENTIALS.c.user_id == user_id)).first()
        if stamp is not None and stamp != _stamp(row.password_hash if row else None):
            return None
        return Actor.for_user(user, is_admin=bool(row and row.is_admin))

    def session_stamp(self, user_id: str) -> str:
        """What a session of this user carries: it changes with their password, so a new
        password (``set_password``, ``change_password``) ends their other sessions."""
        with self.db.read() as conn:
            hashed = conn.execute(select(CREDENTIALS.c.password_hash)
                                  .where(CREDENTIALS.c.user_id == user_id)).scalar()
        return _stamp(hashed)

    def authenticate(self, username: str, password: str) -> Actor | None:
        """The Actor for a right username and password of an active user, else None."""
        with self.db.read() as conn:
            row = conn.execute(
                select(self.users.c.id, CREDENTIALS.c.password_hash)
                .join(CREDENTIALS, CREDENTIALS.c.user_id == self.users.c.id, isouter=True)
                .where(self.users.c.username == username)).first()
        stored = row.password_hash if row is not None else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if stored is None:
            return None
        if _hasher.check_needs_rehash(stored):
            self._credentials(row.id, password_hash=_hasher.hash(password))
        return self.actor(row.id)

    # -- API tokens ---------------------------------------------------------------------------

    def create_token(self, user_id: str, name: str | None = None) -> str:
        """A new API token for a user. Only its hash is stored: show it once."""
        self.service.get("user", user_id)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as conn:
            conn.execute(insert(TOKENS).values(
                id=secrets.token_hex(8), user_id=user_id, token_hash=token_hash(token),
                name=name, created_at=_now()))
        return token

    def list_tokens(self, user_id: str) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute(select(TOKENS.c.id, TOKENS.c.name, TOKENS.c.created_at,
                                       TOKENS.c.last_used_at, TOKENS.c.revoked_at)
                                .where(TOKENS.c.user_id == user_id)
                                .order_by(TOKENS.c.created_at, TOKENS.c.id)).mappings().all()
        return [dict(row) for row in rows]

    def revoke_token(self, token_id: str, user_id: str | None = None) -> bool:
        """Revoke a token by its id (with ``user_id``: only one of that user's); False when
        there is no such live token. Every process stops accepting it on the next request."""
        where = [TOKENS.c.id == token_id, TOKENS.c.revoked_at.is_(None)]
        if user_id is not None:
            where.append(TOKENS.c.user_id == user_id)
        with self.db.write() as conn:
            done = conn.execute(update(TOKENS).where(*where).values(revoked_at=_now())).rowcount
            if done:
                signin_changed(conn)
        self._forget_tokens()
        return bool(done)

    def observe(self, generation: int) -> None:
        """The sign-in generation this process has just read (``Runtimes.current`` calls it
        per request): remembered tokens read at an older one are no longer trusted."""
        if generation > self._generation:
            with self._lock:
                if generation > self._generation:
                    self._generation = generation
                    self._token_cache.clear()

    def _forget_tokens(self) -> None:
        with self._lock:
            self._token_cache.clear()

    def actor_for_token(self, token: str) -> Actor | None:
        """The Actor a Bearer token stands for (None: unknown, revoked, or its user inactive).
        Remembered for TOKEN_CACHE_SECONDS while the sign-in generation stays the one it was
        read at, so most requests cost no query here."""
        digest = token_hash(token)
        generation = self._generation
        cached = self._token_cache.get(digest)
        if cached is not None and cached[0] > time.monotonic() and cached[1] >= generation:
            return cached[2]
        with self.db.read() as conn:
            row = conn.execute(select(TOKENS.c.user_id, TOKENS.c.last_used_at)
                               .where(TOKENS.c.token_hash == digest,
                                      TOKENS.c.revoked_at.is_(None))).first()
        actor = self.actor(row.user_id) if row is not None else None
        if actor is not None:
            now = _now()
            if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
                with self.db.write() as conn:
                    conn.execute(update(TOKENS).where(TOKENS.c.token_hash == digest)
                                 .values(last_used_at=now))
            with self._lock:
                # read at ``generation``: stale as soon as a newer one is observed
                self._token_cache[digest] = (time.monotonic() + TOKEN_CACHE_SECONDS,
                                             generation, actor)
        return actor


class UnknownUser(RecordNotFound):
    """No user has that username (or id); ``suggestion`` is the closest username."""

    def __init__(self, user: str, suggestion: str | None = None):
        self.suggestion = suggestion
        super().__init__(USER_OBJECT, user)
        self.message = f"no user {user!r}" + (f"; did you mean '{suggestion}'?"
                                               if suggestion else "")
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message


def _stamp(password_hash: str | None) -> str:
    # a digest of the (salted) hash: nothing about the password can be learnt from it
    return hashlib.sha256((password_hash or "no password").encode()).hexdigest()[:20]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RecordInvalid("user", [FieldError(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters", "invalid")])
