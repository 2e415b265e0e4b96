"""metacrm.store: the database. Only this layer talks to it.

    from metacrm.store import Database, build_tables, versions
    db = Database.from_url()                 # METACRM_DATABASE_URL or instance/metacrm.db
    tables = build_tables(catalog)           # {object name: sqlalchemy.Table}
    with db.read() as conn:
        deployed = versions.current(conn)    # the version in force (its files, its catalog)
"""

# every module that defines a system table is imported here, so init_database creates them all
from . import accounts, counters, history, versions  # noqa: F401
from . import outbox  # noqa: F401 - automation's outbox and run log
from . import approvals  # noqa: F401 - approval requests, steps, decisions, delegations
from .database import DEFAULT_URL, Database, database_url
from .system import SYSTEM_METADATA, init_database
from .tables import TABLE_PREFIX, build_tables, table_name
from .versions import DeployedVersion

__all__ = ["DEFAULT_URL", "Database", "database_url", "SYSTEM_METADATA", "init_database",
           "TABLE_PREFIX", "build_tables", "table_name", "DeployedVersion", "versions"]
