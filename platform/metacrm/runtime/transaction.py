"""One write transaction and what travels with it, passed explicitly to every nested write.

    with service.transaction() as tx:
        deal = service.create("opportunity", {...}, ann, tx=tx)
        service.update("account", deal["account"], {...}, ann, tx=tx)
        tx.conn                           # the connection, for reads in the same transaction
    # committed here; then each change's record_after_commit hook runs

A hook's ``change.tx`` is the transaction of the write that called it: writes it makes with
``tx=change.tx`` join it (and its after-commit list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection

if TYPE_CHECKING:
    from .hooks import Change

__all__ = ["Transaction"]


@dataclass(eq=False)
class Transaction:
    conn: Connection
    #: changes whose ``record_after_commit`` hook runs once the transaction has committed
    after_commit: list["Change"] = field(default_factory=list)
    #: the workflow runs under way, outermost first: (workflow, object, record id). The
    #: automation's guard against workflows that trigger each other in a cycle reads it.
    chain: list[tuple[str, str, str]] = field(default_factory=list)
