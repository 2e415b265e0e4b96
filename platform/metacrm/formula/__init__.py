"""The metacrm expression language: one grammar, one typed tree, two back-ends.

    >>> from metacrm.formula import parse, check, compile_python, SqlCompiler
    >>> parse("amount > 10").field_paths()
    {('amount',)}

The ground floor of the layers: it knows nothing about objects; it checks names against a
:class:`Scope` that ``meta`` provides.

Other layers import from this package only, never from its modules (``__all__`` is what they
may use; docs/development.md, "Public API of each layer").
"""

from .env import DEFAULT_ENVIRONMENT, Environment
from .errors import FormulaError
from .evaluate import EvalContext, compile_condition, compile_python
from .functions import FUNCTIONS, Function
from .nodes import Node
from .parser import MAX_DEPTH, MAX_LENGTH, parse, quote
from .scope import DictScope, FieldInfo, Scope
from .sqltypes import DateTimeSeconds, TextList, register_sqlite_functions, to_utc_seconds
from .to_sql import SqlCompiler, compile_sql, environment_params, sql_type
from .typecheck import Usage, check, check_tree
from .types import NUMERIC, RETURN_TYPES, FType, assignable
from .values import round_half_up, same

__all__ = [
    "quote",
    "DEFAULT_ENVIRONMENT", "Environment", "FormulaError", "EvalContext", "compile_condition",
    "compile_python", "FUNCTIONS", "Function", "Node", "MAX_DEPTH", "MAX_LENGTH", "parse",
    "DictScope", "FieldInfo", "Scope", "DateTimeSeconds", "TextList",
    "register_sqlite_functions", "to_utc_seconds", "SqlCompiler", "compile_sql",
    "environment_params", "sql_type",
    "Usage", "check", "check_tree", "NUMERIC", "RETURN_TYPES", "FType", "assignable",
    # value helpers both back-ends use, for the layers that compare and round values
    "same", "round_half_up",
]
