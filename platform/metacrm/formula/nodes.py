"""The expression tree: one small frozen class per construct.

The parser builds these untyped (``type`` is None); the type checker returns a copy in which
every node carries its :class:`FType`, which is what both back-ends compile.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator

from .types import FType


@dataclass(frozen=True, slots=True)
class Node:
    line: int = field(default=1, kw_only=True, compare=False)
    column: int = field(default=1, kw_only=True, compare=False)
    type: FType | None = field(default=None, kw_only=True, compare=False)

    def children(self) -> tuple["Node", ...]:
        return ()

    def with_type(self, type: FType, **changes) -> "Node":
        """A copy carrying ``type`` (and ``changes``): dataclasses.replace, minus its cost,
        which showed in the type checker's profile."""
        cls = self.__class__
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
        new = object.__new__(cls)
        for name in names:
            object.__setattr__(new, name, changes[name] if name in changes else getattr(self, name))
        object.__setattr__(new, "type", type)
        return new

    def walk(self) -> Iterator["Node"]:
        """Every node of the tree, this one first (iterative: trees may be deep)."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    def field_paths(self) -> set[tuple[str, ...]]:
        """The field paths the expression reads, e.g. ``{("amount",), ("account", "name")}``."""
        return {node.path for node in self.walk() if isinstance(node, FieldRef)}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple[Node, ...]

    def children(self):
        return self.items


@dataclass(frozen=True, slots=True)
class FieldRef(Node):
    path: tuple[str, ...]
    #: the column of each segment, for errors that point at ``account.nmae``'s second part
    columns: tuple[int, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node

    def children(self):
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node

    def children(self):
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic: ``+ - * /``."""

    op: str
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Concat(Node):
    """Text concatenation ``a & b & c``: blanks count as empty text."""

    parts: tuple[Node, ...]

    def children(self):
        return self.parts


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class In(Node):
    left: Node
    right: Node
    negated: bool = False

    def children(self):
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Logical(Node):
    """``and`` / ``or`` over two or more operands."""

    op: str
    operands: tuple[Node, ...]

    def children(self):
        return self.operands


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str  # lower case: function names are case-insensitive
    args: tuple[Node, ...]

    def children(self):
        return self.args


@dataclass(frozen=True, slots=True)
class ToDatetime(Node):
    """Inserted by the type checker where a date meets a datetime: midnight of that date."""

    operand: Node

    def children(self):
        return (self.operand,)
