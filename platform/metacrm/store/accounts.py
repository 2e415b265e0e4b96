"""Sign-in data beside the ``user`` records: password hashes, the admin flag, API tokens.

Kept out of the ``user`` object on purpose: nothing that writes records (the API, forms,
imports, workflows) can read a hash or make someone an admin. Passwords are hashed by the
runtime (argon2); tokens are long random strings, so a SHA-256 of each is enough to find and
check it and the token itself is never stored.

The sign-in generation is one number raised (in the writer's transaction) by every change to
who may act as whom: any write of the ``user`` table (``RecordStore`` calls it, whatever path
made the write), a password, the admin flag, a revoked token. Each process reads it per request
together with the newest metadata version (``versions.newest``: one statement, no extra round
trip) and trusts what it remembers about tokens only while the number has not moved, so a
deactivation, a role change or a revocation is in force in every process on the next request.

    signin_changed(conn)                 # inside the write's transaction
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, DateTime, Index, String, Table, Text, select

from . import counters
from .system import SYSTEM_METADATA

CREDENTIALS = Table(
    "meta_credential", SYSTEM_METADATA,
    #: the ``user`` record's id (no foreign key: the user table is an object table)
    Column("user_id", String(64), primary_key=True),
    Column("password_hash", Text),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("changed_at", DateTime),
)

TOKENS = Table(
    "meta_token", SYSTEM_METADATA,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(64), nullable=False),
    #: SHA-256 (hex) of the token
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(100)),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
    Index("meta_token_user", "user_id"),
)

#: the ``meta_counter`` row of the sign-in generation (object names may not start with
#: ``meta``, so no auto-number field's counter can take this key)
SIGNIN_COUNTER = ("meta_credential", "generation")


def signin_changed(conn: Connection) -> int:
    """Raise the sign-in generation in the caller's transaction; returns the new value."""
    return counters.reserve(conn, *SIGNIN_COUNTER)


def signin_generation():
    """The sign-in generation as a scalar subquery (NULL until the first change)."""
    return (select(counters.COUNTERS.c.value)
            .where(counters.COUNTERS.c.object == SIGNIN_COUNTER[0],
                   counters.COUNTERS.c.field == SIGNIN_COUNTER[1])
            .scalar_subquery())
