"""metacrm.runtime: the RecordService (the ONE write path), validation, defaults, roll-ups.

    from metacrm.runtime import Actor, Runtime, Runtimes, RecordInvalid
    service = Runtime(db, catalog, plugins=pm).service      # or Runtimes(db, plugins=pm).current()
    try:
        service.create("contact", {"last_name": "Lovelace"}, Actor.system())
    except RecordInvalid as invalid:
        invalid.messages            # {"field": ["message", …], "_record": [...]}
"""

from ..store.query import Page
from .actor import Actor
from .errors import (RECORD, BulkInvalid, FieldError, QueryInvalid, ReadOnlyField, RecordError,
                     RecordInvalid, RecordNotFound, UnknownObject, VersionConflict)
from .hooks import Change
from .ids import new_id
from .runtime import Runtime
from .runtimes import Runtimes
from .service import RecordService
from .transaction import Transaction

__all__ = [
    "Actor", "Runtime", "Runtimes", "RecordService", "Transaction", "Change", "Page", "new_id",
    "RecordError", "RecordInvalid", "BulkInvalid", "RecordNotFound", "VersionConflict",
    "QueryInvalid", "UnknownObject", "FieldError", "ReadOnlyField", "RECORD",
]
