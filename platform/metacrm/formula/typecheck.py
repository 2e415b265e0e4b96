"""Type checking: an expression against a :class:`Scope` -> a typed tree.

    >>> typed = check_tree("amount * 2", scope)          # doctest: +SKIP
    >>> typed.type
    <FType.CURRENCY: 'currency'>

The checker resolves every name (with "did you mean" suggestions), follows lookups, checks
operand and argument types, and rewrites two things so the back-ends stay simple: ``x == null``
becomes ``is_blank(x)``, and a date meeting a datetime is widened to midnight.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
from decimal import Decimal

from . import functions
from . import nodes as n
from .errors import FormulaError
from .parser import parse
from .scope import Scope
from .types import NUMERIC, FType, assignable, describe, numeric_result


class Usage(enum.Enum):
    """Where an expression runs, which decides what it may use."""

    #: computed over stored rows, also in SQL: formula fields, filters, list views
    QUERY = "query"
    #: evaluated on a record being written: validations, ``*_when``, defaults, conditions
    WRITE = "write"


_LITERAL_TYPES = {bool: FType.BOOLEAN, int: FType.INTEGER, Decimal: FType.DECIMAL,
                  str: FType.TEXT, type(None): FType.NULL}
_TEXTUAL = frozenset({FType.TEXT, FType.REFERENCE})
def suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class Checker:
    """Checks one expression; ``error`` raises at a node's position."""

    def __init__(self, scope: Scope, usage: Usage, source: str):
        self.scope = scope
        self.usage = usage
        self.source = source

    def error(self, node: n.Node, message: str, column: int | None = None):
        raise FormulaError(message, node.line, column or node.column, self.source)

    # -- entry ------------------------------------------------------------------------------
    def check(self, node: n.Node) -> n.Node:
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    def typed(self, node: n.Node, t: FType, **changes) -> n.Node:
        return node.with_type(t, **changes)

    # -- leaves -----------------------------------------------------------------------------
    def _Literal(self, node: n.Literal) -> n.Node:
        return self.typed(node, _LITERAL_TYPES[type(node.value)])

    def _ListLiteral(self, node: n.ListLiteral) -> n.Node:
        items = tuple(self.check(i) for i in node.items)
        for item in items:
            if item.type in (FType.LIST, FType.TEXT_LIST):
                self.error(item, "a list cannot contain a list")
        return self.typed(node, FType.LIST, items=items)

    def resolve(self, node: n.FieldRef):
        """Follow a field path; return (scope of the last segment, its FieldInfo)."""
        scope = self.scope
        info = None
        for i, name in enumerate(node.path):
            column = node.columns[i] if node.columns else node.column
            if info is not None:
                if info.type is not FType.REFERENCE or not info.target:
                    self.error(node, f"'{node.path[i - 1]}' is not a lookup, so '.{name}' "
                                     "cannot follow it", column)
                scope = scope.scope_for(info.target)
            info = scope.field(name)
            if info is None:
                where = f" on '{scope.object_name}'" if i else ""
                self.error(node, f"unknown field '{name}'{where}"
                           + suggest(name, scope.field_names()), column)
        return scope, info

    def _FieldRef(self, node: n.FieldRef) -> n.Node:
        _, info = self.resolve(node)
        return self.typed(node, info.type)

    # -- operators --------------------------------------------------------------------------
    def _Negate(self, node: n.Negate) -> n.Node:
        operand = self.check(node.operand)
        if operand.type is not FType.NULL and not operand.type.is_numeric:
            self.error(node, f"'-' needs a number, not {describe(operand.type)}")
        return self.typed(node, operand.type, operand=operand)

    def _Not(self, node: n.Not) -> n.Node:
        operand = self.condition(node.operand, "'not'")
        return self.typed(node, FType.BOOLEAN, operand=operand)

    def condition(self, node: n.Node, what: str) -> n.Node:
        typed = self.check(node)
        if typed.type not in (FType.BOOLEAN, FType.NULL):
            self.error(typed, f"{what} needs true or false, not {describe(typed.type)}")
        return typed

    def _Logical(self, node: n.Logical) -> n.Node:
        operands = tuple(self.condition(o, f"'{node.op}'") for o in node.operands)
        return self.typed(node, FType.BOOLEAN, operands=operands)

    def _Concat(self, node: n.Concat) -> n.Node:
        parts = tuple(self.check(p) for p in node.parts)
        for part in parts:
            if part.type in (FType.LIST, FType.TEXT_LIST):
                self.error(part, f"'&' joins single values, not {describe(part.type)}")
        return self.typed(node, FType.TEXT, parts=parts)

    def _Binary(self, node: n.Binary) -> n.Node:
        left, right = self.check(node.left), self.check(node.right)
        lt, rt = left.type, right.type
        result = self.arithmetic(node, node.op, lt, rt)
        if lt.is_temporal and rt.is_temporal and lt is not rt:
            left, right = self.widen(left), self.widen(right)
        return self.typed(node, result, left=left, right=right)

    def arithmetic(self, node: n.Node, op: str, lt: FType, rt: FType) -> FType:
        null = FType.NULL
        if lt is null and rt is null:
            return null
        if lt.is_numeric and rt.is_numeric or null in (lt, rt) and (lt.is_numeric or rt.is_numeric):
            lt, rt = (rt if lt is null else lt), (lt if rt is null else rt)
            if op == "/":
                if lt is FType.CURRENCY and rt is not FType.CURRENCY:
                    return FType.CURRENCY
                return FType.DECIMAL
            return numeric_result(lt, rt)
        if op in "+-" and lt.is_temporal and (rt.is_numeric or rt is null):
            if lt is FType.DATE and rt not in (FType.INTEGER, null):
                self.error(node, f"a date {'plus' if op == '+' else 'minus'} a number needs a "
                                 f"whole number of days, not {describe(rt)}")
            return lt
        if op == "+" and rt.is_temporal and (lt.is_numeric or lt is null):
            if rt is FType.DATE and lt not in (FType.INTEGER, null):
                self.error(node, "a date plus a number needs a whole number of days, "
                                 f"not {describe(lt)}")
            return rt
        if op == "-" and lt.is_temporal and rt.is_temporal:
            return FType.INTEGER if lt is rt is FType.DATE else FType.DECIMAL
        if op == "+" and FType.TEXT in (lt, rt):
            self.error(node, "'+' adds numbers; join texts with '&'")
        verb = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}[op]
        self.error(node, f"cannot {verb} {describe(lt)} and {describe(rt)}")

    def widen(self, node: n.Node) -> n.Node:
        if node.type is FType.DATE:
            return n.ToDatetime(node, line=node.line, column=node.column, type=FType.DATETIME)
        return node

    def comparable(self, node: n.Node, op: str, lt: FType, rt: FType) -> None:
        ok = (
            lt is rt and lt not in (FType.LIST, FType.TEXT_LIST)
            or lt.is_numeric and rt.is_numeric
            or lt in _TEXTUAL and rt in _TEXTUAL
            or lt.is_temporal and rt.is_temporal
        )
        if not ok:
            self.error(node, f"cannot compare {describe(lt)} with {describe(rt)}")
        if lt is FType.BOOLEAN and op not in ("==", "!="):
            self.error(node, f"'{op}' does not order true and false; use '==' or '!='")

    def check_options(self, field: n.Node, literal: n.Node) -> None:
        """``stage == "Clsoed Won"`` is an error when stage is a picklist without that option."""
        if not isinstance(field, n.FieldRef) or not isinstance(literal, n.Literal):
            return
        if not isinstance(literal.value, str):
            return
        _, info = self.resolve(field)
        if info.options is not None and literal.value not in info.options:
            self.error(literal, f"'{literal.value}' is not an option of '{field.path[-1]}'"
                       + suggest(literal.value, info.options))

    def _Compare(self, node: n.Compare) -> n.Node:
        left, right = self.check(node.left), self.check(node.right)
        if FType.NULL in (left.type, right.type):
            return self.null_test(node, left, right)
        self.comparable(node, node.op, left.type, right.type)
        self.check_options(left, right)
        self.check_options(right, left)
        if left.type.is_temporal and right.type.is_temporal and left.type is not right.type:
            left, right = self.widen(left), self.widen(right)
        return self.typed(node, FType.BOOLEAN, left=left, right=right)

    def null_test(self, node: n.Compare, left: n.Node, right: n.Node) -> n.Node:
        """``x == null`` tests for blank (METADATA.md); other comparisons with null are errors."""
        if node.op not in ("==", "!="):
            self.error(node, f"'{node.op}' with null is never true; test blanks with "
                             "is_blank(x) or x == null")
        other = right if left.type is FType.NULL else left
        test = self.check(n.Call("is_blank", (other,), line=node.line, column=node.column))
        if node.op == "!=":
            return n.Not(test, line=node.line, column=node.column, type=FType.BOOLEAN)
        return test

    def _In(self, node: n.In) -> n.Node:
        left, right = self.check(node.left), self.check(node.right)
        if left.type in (FType.LIST, FType.TEXT_LIST):
            self.error(left, f"the left side of 'in' must be a single value, not "
                             f"{describe(left.type)}")
        if right.type is FType.TEXT_LIST:
            if left.type not in _TEXTUAL | {FType.NULL}:
                what = f"'{right.path[-1]}'" if isinstance(right, n.FieldRef) else "the list"
                self.error(node, f"{what} holds texts; cannot look for "
                                 f"{describe(left.type)} in it")
            self.check_options(right, left)
        elif right.type is FType.LIST:
            for item in right.items:
                if FType.NULL not in (left.type, item.type):
                    self.comparable(item, "==", left.type, item.type)
                self.check_options(left, item)
            types = {left.type} | {i.type for i in right.items}
            if FType.DATE in types and FType.DATETIME in types:  # compare at midnight
                left = self.widen(left)
                right = dataclasses.replace(right, items=tuple(self.widen(i)
                                                               for i in right.items))
        else:
            self.error(right, "the right side of 'in' must be a list like [\"a\", \"b\"] or a "
                              f"multi-picklist field, not {describe(right.type)}")
        return self.typed(node, FType.BOOLEAN, left=left, right=right)

    # -- functions --------------------------------------------------------------------------
    def _Call(self, node: n.Call) -> n.Node:
        spec = functions.FUNCTIONS.get(node.name)
        if spec is None:
            self.error(node, f"unknown function '{node.name}'"
                       + suggest(node.name, functions.FUNCTIONS))
        if spec.write_only and self.usage is not Usage.WRITE:
            self.error(node, f"{node.name}() needs the record being written, and this "
                             "expression also runs in queries where there is none")
        count = len(node.args)
        if not spec.min_args <= count <= spec.max_args:
            self.error(node, f"{node.name}() takes {spec.arity_text()}, not {count}")
        args = tuple(self.check(a) for a in node.args)
        result = spec.typer(self, node, args)
        args = spec.widen_args(self, args)
        return self.typed(node, result, args=args)

    def _ToDatetime(self, node: n.ToDatetime) -> n.Node:
        return node


def check_tree(source_or_tree, scope: Scope, usage: Usage = Usage.WRITE,
               expect: FType | None = None) -> n.Node:
    """Type-check; return the typed tree (every node's ``type`` set)."""
    if isinstance(source_or_tree, str):
        source, tree = source_or_tree, parse(source_or_tree)
    else:
        source, tree = "", source_or_tree
    checker = Checker(scope, usage, source)
    typed = checker.check(tree)
    if expect is not None and not assignable(typed.type, expect):
        want = "true or false" if expect is FType.BOOLEAN else describe(expect)
        checker.error(typed, f"the expression gives {describe(typed.type)}, but {want} "
                             "is needed here", 1)
    return typed


def check(source_or_tree, scope: Scope, usage: Usage = Usage.WRITE,
          expect: FType | None = None) -> FType:
    """Type-check an expression; return its type or raise :class:`FormulaError`."""
    return check_tree(source_or_tree, scope, usage, expect).type


__all__ = ["Usage", "check", "check_tree", "numeric_result", "describe", "NUMERIC"]
