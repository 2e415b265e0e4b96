"""The ``metacrm`` command: one module per group of commands, all on ``main``.

    metacrm validate metadata/crm
"""

from . import metadata  # noqa: F401 - registers validate and formula on main
from . import deploy  # noqa: F401
from . import records  # noqa: F401
from . import data  # noqa: F401
from . import serve  # noqa: F401
from . import users  # noqa: F401
from . import automation  # noqa: F401 - worker, beat, outbox, runs
from . import access  # noqa: F401 - access explain, access check
from .app import main, open_database

__all__ = ["main", "open_database"]
