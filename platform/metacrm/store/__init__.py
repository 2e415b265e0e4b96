"""metacrm.store: the database. Only this layer talks to it.

    from metacrm.store import Database, build_tables, versions
    db = Database.from_url()                 # METACRM_DATABASE_URL or instance/metacrm.db
    tables = build_tables(catalog)           # {object name: sqlalchemy.Table}
    with db.read() as conn:
        deployed = versions.current(conn)    # the version in force (its files, its catalog)

Other layers import from this package only, never from its modules. Five modules are public
as namespaces (``from metacrm.store import outbox``; ``outbox.enqueue(…)``): ``versions``,
``deploy``, ``outbox``, ``approvals`` and ``counters``; everything else is re-exported by name.
"""

# every module that defines a system table is imported here, so init_database creates them all
from . import accounts, counters, history, versions  # noqa: F401
from . import outbox  # noqa: F401 - automation's outbox and run log
from . import approvals  # noqa: F401 - approval requests, steps, decisions, delegations
from . import deploy  # noqa: F401 - plan and apply a catalog (needs approvals, versions)
from .accounts import CREDENTIALS, TOKENS, signin_changed
from .database import DEFAULT_URL, Database, database_url
from .history import decode_values, history_row, read_history, to_json_value, write_history
from .query import DEFAULT_LIMIT, MAX_LIMIT, Page, QueryError, QueryPlan
from .records import RecordStore
from .rollups import Feed, RollupIndex
from .system import SYSTEM_METADATA, init_database
from .tables import (TABLE_PREFIX, build_tables, casefold_unique, lookup_target, table_name,
                     unique_index_name)
from .versions import DeployedVersion

__all__ = [
    # the database and its system tables
    "DEFAULT_URL", "Database", "database_url", "SYSTEM_METADATA", "init_database",
    "CREDENTIALS", "TOKENS", "signin_changed",
    # object tables
    "TABLE_PREFIX", "build_tables", "table_name", "unique_index_name", "lookup_target",
    "casefold_unique",
    # reading and writing records
    "QueryPlan", "QueryError", "Page", "DEFAULT_LIMIT", "MAX_LIMIT", "RecordStore",
    "RollupIndex", "Feed",
    # history
    "history_row", "write_history", "read_history", "decode_values", "to_json_value",
    # metadata versions
    "DeployedVersion",
    # modules public as namespaces
    "versions", "deploy", "outbox", "approvals", "counters",
]
