"""Sign-in data beside the ``user`` records: password hashes, the admin flag, API tokens.

Kept out of the ``user`` object on purpose: nothing that writes records (the API, forms,
imports, workflows) can read a hash or make someone an admin. Passwords are hashed by the
runtime (argon2); tokens are long random strings, so a SHA-256 of each is enough to find and
check it and the token itself is never stored.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, String, Table, Text

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
