"""User accounts: people who sign in, their passwords, the admin flag and API tokens.

    accounts = Accounts(service)
    ann = accounts.create_user("ann", password="s3cret-pass", admin=True, roles=["sales_manager"])
    actor = accounts.authenticate("ann", "s3cret-pass")     # an Actor, or None
    token = accounts.create_token(ann["id"], name="laptop")  # shown once; only its hash is kept
    actor = accounts.actor_for_token(token)                  # per API request
    accounts.revoke_token(token_id)

The ``user`` record itself is written through the RecordService like every other record;
the hash and the admin flag live in ``meta_credential`` (see ``metacrm.store.accounts``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update

from ..store import CREDENTIALS, TOKENS
from .actor import Actor
from .errors import FieldError, RecordInvalid, RecordNotFound
from .service import RecordService

#: tokens start with this, so a leaked one is recognisable (secret scanners, logs)
TOKEN_PREFIX = "mcrm_"
#: a password shorter than this is refused
MIN_PASSWORD_LENGTH = 8
#: how long a token's actor is remembered by this process (revoking elsewhere takes this long)
TOKEN_CACHE_SECONDS = 10.0

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
        self._token_cache: dict[str, tuple[float, Actor]] = {}
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
            return bool(conn.execute(select(CREDENTIALS.c.is_admin)
                                     .where(CREDENTIALS.c.user_id == user_id)).scalar())

    def _credentials(self, user_id: str, **values) -> None:
        self.service.get("user", user_id)  # RecordNotFound for an unknown user
        with self.db.write() as conn:
            done = conn.execute(update(CREDENTIALS).where(CREDENTIALS.c.user_id == user_id)
                                .values(changed_at=_now(), **values)).rowcount
            if not done:
                conn.execute(insert(CREDENTIALS).values(
                    user_id=user_id, changed_at=_now(),
                    **{"is_admin": False, "password_hash": None, **values}))

    # -- actors -----------------------------------------------------------------------------

    def actor(self, user_id: str) -> Actor | None:
        """The Actor of an active user (None for an unknown or inactive one)."""
        try:
            user = self.service.get("user", user_id)
        except RecordNotFound:
            return None
        if user.get("active") is False:
            return None
        return Actor.for_user(user, is_admin=self.is_admin(user_id))

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

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token by its id; False when there is no such live token."""
        with self.db.write() as conn:
            done = conn.execute(update(TOKENS).where(TOKENS.c.id == token_id,
                                                     TOKENS.c.revoked_at.is_(None))
                                .values(revoked_at=_now())).rowcount
        with self._lock:
            self._token_cache.clear()
        return bool(done)

    def actor_for_token(self, token: str) -> Actor | None:
        """The Actor a Bearer token stands for (None: unknown, revoked, or its user inactive).
        Remembered for TOKEN_CACHE_SECONDS, so most requests cost no query here."""
        digest = token_hash(token)
        cached = self._token_cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
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
                self._token_cache[digest] = (time.monotonic() + TOKEN_CACHE_SECONDS, actor)
        return actor


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RecordInvalid("user", [FieldError(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters", "invalid")])
