"""metacrm.runtime: the RecordService (the ONE write path), validation, defaults, roll-ups.

    from metacrm.runtime import Actor, Runtime, Runtimes, RecordInvalid
    service = Runtime(db, catalog, plugins=pm).service      # or Runtimes(db, plugins=pm).current()
    try:
        service.create("contact", {"last_name": "Lovelace"}, Actor.system())
    except RecordInvalid as invalid:
        invalid.messages            # {"field": ["message", …], "_record": [...]}

Other layers import from this package only, never from its modules (``__all__`` is what they
may use; docs/development.md, "Public API of each layer").
"""

from ..store import Page
from .accounts import Accounts, token_hash
from .actor import Actor
from .access import Access
from .errors import (RECORD, AccessDenied, BulkInvalid, FieldError, QueryInvalid, ReadOnlyField,
                     RecordError, RecordInvalid, RecordNotFound, UnknownObject, VersionConflict)
from .explain import explain_record, person, user_rights
from .hooks import Change
from .ids import new_id
from .rules import Condition, reads
from .runtime import Runtime
from .runtimes import Runtimes
from .seed import SeedReport, load_data
from .service import RecordService
from .transaction import Transaction

__all__ = [
    "Actor", "Runtime", "Runtimes", "RecordService", "Transaction", "Change", "Page", "new_id",
    # who may do what (docs/access.md)
    "Access", "AccessDenied", "explain_record", "person", "user_rights",
    "RecordError", "RecordInvalid", "BulkInvalid", "RecordNotFound", "VersionConflict",
    "QueryInvalid", "UnknownObject", "FieldError", "ReadOnlyField", "RECORD",
    # users' passwords and API tokens
    "Accounts", "token_hash",
    # loading a package's data/ folder
    "load_data", "SeedReport",
    # the compiled ``*_when`` conditions and what an expression reads (forms mirror them)
    "Condition", "reads",
]
