"""metacrm's own tables (metadata versions, history, counters…), beside the object tables.

Each module that owns a system table defines it on ``SYSTEM_METADATA``; names start with
``meta`` (objects may not, so they never collide). ``init_database`` creates what is missing.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from .database import Database

SYSTEM_METADATA = MetaData()


def init_database(db: Database) -> None:
    """Create metacrm's system tables where missing (idempotent)."""
    with db.write() as conn:
        SYSTEM_METADATA.create_all(conn)
