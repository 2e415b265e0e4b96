"""metacrm.store: the database. Only this layer talks to it.

    from metacrm.store import build_tables
    tables = build_tables(catalog)        # {object name: sqlalchemy.Table}
"""

from .tables import TABLE_PREFIX, build_tables, table_name

__all__ = ["TABLE_PREFIX", "build_tables", "table_name"]
