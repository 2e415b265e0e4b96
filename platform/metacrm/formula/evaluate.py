"""The Python back-end: a typed tree compiled ONCE into a closure over a record.

    >>> fn = compile_python("amount * probability / 100", scope)   # doctest: +SKIP
    >>> fn({"amount": Decimal("1000"), "probability": 20}, EvalContext())
    Decimal('200')

A record is a mapping of field name -> Python value as field types coerce them (str, int,
Decimal, bool, date, naive-UTC datetime, list of str; a lookup holds the related id). Related
records are fetched through ``EvalContext.resolve(object_name, id)``. Blank rules follow
METADATA.md and match the SQL back-end exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping

from . import nodes as n
from . import values as v
from .env import DEFAULT_ENVIRONMENT, Environment
from .errors import FormulaError
from .functions import COMPARISONS, FUNCTIONS
from .scope import Scope
from .typecheck import Usage, check_tree
from .types import FType

Record = Mapping[str, Any]
Closure = Callable[[Record, "EvalContext"], Any]
#: formula fields may reference formula fields this deep (the loader rejects cycles)
MAX_FORMULA_NESTING = 32


def _no_related(object_name: str, record_id: Any) -> None:
    return None


class EvalContext:
    """Everything an evaluation needs besides the record itself."""

    __slots__ = ("resolve", "prior", "is_new", "env")

    def __init__(self, resolve: Callable[[str, Any], Record | None] = _no_related,
                 prior: Record | None = None, is_new: bool = False,
                 env: Environment = DEFAULT_ENVIRONMENT):
        self.resolve = resolve
        self.prior = prior
        self.is_new = is_new
        self.env = env

    def today(self):
        return self.env.today()

    def now(self):
        return self.env.now()

    @property
    def user_id(self):
        return self.env.user_id


class PythonCompiler:
    """Compiles typed trees of one scope; formula fields it meets are compiled once, cached."""

    def __init__(self, scope: Scope, _cache: dict | None = None, _depth: int = 0):
        self.scope = scope
        self._formulas = {} if _cache is None else _cache
        self._depth = _depth

    def compile(self, node: n.Node) -> Closure:
        return getattr(self, "_" + type(node).__name__)(node)

    # -- leaves -----------------------------------------------------------------------------
    def _Literal(self, node):
        value = node.value
        return lambda r, c: value

    def _ListLiteral(self, node):
        items = [self.compile(i) for i in node.items]
        return lambda r, c: [f(r, c) for f in items]

    def _formula(self, scope: Scope, info) -> Closure:
        key = (scope.object_name, info.name)
        if key not in self._formulas:
            if self._depth >= MAX_FORMULA_NESTING:
                raise FormulaError(f"formula field '{info.name}' nests formulas more than "
                                   f"{MAX_FORMULA_NESTING} deep (a cycle?)")
            self._formulas[key] = None  # placeholder: a cycle finds it and fails below
            typed = check_tree(info.formula, scope, Usage.QUERY)
            self._formulas[key] = PythonCompiler(scope, self._formulas, self._depth + 1) \
                .compile(typed)
        compiled = self._formulas[key]
        if compiled is None:
            raise FormulaError(f"formula field '{info.name}' refers to itself")
        return compiled

    def _plain_field(self, node) -> str | None:
        """The name of a stored field of this record that ``node`` reads, else None."""
        if not isinstance(node, n.FieldRef) or len(node.path) != 1:
            return None
        return None if self.scope.field(node.path[0]).formula is not None else node.path[0]

    def _getter(self, scope: Scope, name: str) -> Closure:
        info = scope.field(name)
        if info.formula is not None:
            return self._formula(scope, info)
        return lambda r, c: r.get(name)

    def _FieldRef(self, node):
        scope, hops = self.scope, []
        for name in node.path[:-1]:
            target = scope.field(name).target
            hops.append((name, target))
            scope = scope.scope_for(target)
        final = self._getter(scope, node.path[-1])
        if not hops:
            return final

        def follow(r, c):
            for name, target in hops:
                ref = r.get(name)
                if ref is None:
                    return None
                r = c.resolve(target, ref)
                if r is None:
                    return None
            return final(r, c)
        return follow

    # -- operators --------------------------------------------------------------------------
    def _Negate(self, node):
        a = self.compile(node.operand)

        def negate(r, c):
            x = a(r, c)
            return None if x is None else -x
        return negate

    def _Not(self, node):
        a = self.compile(node.operand)
        return lambda r, c: not a(r, c)

    def _Logical(self, node):
        fs = [self.compile(o) for o in node.operands]
        if node.op == "and":
            def all_true(r, c):
                for f in fs:
                    if not f(r, c):
                        return False
                return True
            return all_true

        def any_true(r, c):
            for f in fs:
                if f(r, c):
                    return True
            return False
        return any_true

    def _Concat(self, node):
        fs = [self.compile(p) for p in node.parts]
        text = v.to_text
        return lambda r, c: "".join([text(f(r, c)) for f in fs])

    def _Binary(self, node):
        a, b = self.compile(node.left), self.compile(node.right)
        lt, rt, op = node.left.type, node.right.type, node.op
        if lt.is_temporal and rt.is_temporal:
            fn = v.difference
        elif lt.is_temporal or rt.is_temporal:
            if rt.is_temporal:  # number + date: put the date first
                a, b = b, a
            fn = v.add_days if op == "+" else (lambda d, k: v.add_days(d, -k))
        elif op == "/":
            fn = _divide
        else:
            fn = {"+": _add, "-": _sub, "*": _mul}[op]

        def binary(r, c):
            x = a(r, c)
            if x is None:
                return None
            y = b(r, c)
            if y is None:
                return None
            return fn(x, y)
        return binary

    def _Compare(self, node):
        op = COMPARISONS[node.op]
        plain = self._plain_field(node.left)
        if plain is not None and isinstance(node.right, n.Literal) and node.right.value is not None:
            # `field op literal`, the commonest condition, in one call instead of three: every
            # write evaluates the conditions of every workflow of its object
            y = node.right.value

            def field_vs_literal(r, c):
                x = r.get(plain)
                return x is not None and op(x, y)
            return field_vs_literal
        a, b = self.compile(node.left), self.compile(node.right)

        def compare(r, c):
            x = a(r, c)
            if x is None:
                return False
            y = b(r, c)
            if y is None:
                return False
            return op(x, y)
        return compare

    def _In(self, node):
        a = self.compile(node.left)
        negated = node.negated
        if node.right.type is FType.TEXT_LIST:
            many = self.compile(node.right)

            def in_field(r, c):
                x = a(r, c)
                values = many(r, c)
                if x is None or not values:  # None or [] (both blank): false, as in SQL
                    return False
                return (x not in values) if negated else (x in values)
            return in_field
        items = node.right.items
        if all(isinstance(i, n.Literal) for i in items):
            constants = [i.value for i in items]
            has_blank = None in constants
            known = frozenset(x for x in constants if x is not None)

            def in_constants(r, c):
                x = a(r, c)
                if x is None:
                    return False
                if negated:
                    return not has_blank and x not in known
                return x in known
            return in_constants
        fs = [self.compile(i) for i in items]

        def in_list(r, c):
            x = a(r, c)
            if x is None:
                return False
            values = [f(r, c) for f in fs]
            if negated:
                return not any(y is None or y == x for y in values)
            return any(y is not None and y == x for y in values)
        return in_list

    def _Call(self, node):
        args = [self.compile(a) for a in node.args]
        return FUNCTIONS[node.name].py(args, node)

    def _ToDatetime(self, node):
        a = self.compile(node.operand)
        return lambda r, c: v.midnight(a(r, c))


def _add(x, y):
    return v.number(x) + v.number(y)


def _sub(x, y):
    return v.number(x) - v.number(y)


def _mul(x, y):
    return v.number(x) * v.number(y)


def _divide(x, y):
    if y == 0:
        return None
    return Decimal(v.number(x)) / Decimal(v.number(y))


def compile_python(source_or_tree, scope: Scope, usage: Usage = Usage.WRITE) -> Closure:
    """Compile an expression into ``fn(record, ctx) -> value``."""
    typed = source_or_tree
    if isinstance(source_or_tree, str) or source_or_tree.type is None:
        typed = check_tree(source_or_tree, scope, usage)
    return PythonCompiler(scope).compile(typed)


def compile_condition(source_or_tree, scope: Scope, usage: Usage = Usage.WRITE) -> Closure:
    """Like :func:`compile_python`, for a condition: a blank result counts as false."""
    typed = source_or_tree
    if isinstance(source_or_tree, str) or source_or_tree.type is None:
        typed = check_tree(source_or_tree, scope, usage)
    fn = compile_python(typed, scope, usage)
    if isinstance(typed, n.Compare):
        return fn  # already True or False, never blank
    return lambda r, c: bool(fn(r, c))
