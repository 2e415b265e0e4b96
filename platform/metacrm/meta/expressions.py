"""Checking every expression of a package, and finding formula fields that depend on themselves.

This is the one module of ``meta`` that calls the formula language's parser and checker.
A FormulaError becomes a MetadataError at the key holding the expression, with the column::

    objects/opportunity.yaml:22: fields.expected_revenue.expression: column 1: unknown field 'amout'; did you mean 'amount'?
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

from metacrm.formula import FormulaError, FType, Usage, assignable, check, parse

from .model import ObjectType
from .problems import Problems
from .scopes import ObjectScope
from .sources import PathKey, SourceDocument

_USAGES = {"query": Usage.QUERY, "write": Usage.WRITE}


def field_paths(source: str) -> set[tuple[str, ...]]:
    """The field paths an expression reads; empty when it does not parse."""
    try:
        return parse(source).field_paths()
    except FormulaError:
        return set()


class ExpressionChecker:
    """Type-checks expressions against the package's objects, reporting into ``problems``.

    ``is_broken(object, field)`` tells which objects and fields already failed; an expression
    that reads one of them is not checked (its errors would only echo the first one).
    """

    def __init__(self, objects: Mapping[str, ObjectType], problems: Problems,
                 is_broken: Callable[[str, str | None], bool]):
        self._objects = objects
        self._problems = problems
        self._is_broken = is_broken

    def check(self, document: SourceDocument, path: Sequence[PathKey], source: str, *,
              object_name: str, usage: str, result: FType, column_offset: int = 0) -> FType | None:
        """Check ``source`` as it runs on ``object_name``; it must give a ``result``.

        ``column_offset`` counts characters in the YAML value before the expression (the
        ``=`` of a default). Returns the expression's type, or None after reporting an error.
        """
        try:
            tree = parse(source)
            if self._touches_broken(tree.field_paths(), object_name):
                return None
            found = check(tree, ObjectScope(self._objects, object_name), usage=_USAGES[usage])
        except FormulaError as error:
            line = document.expression_line(path, error.line or 1)
            column = (error.column or 1) + (column_offset if (error.line or 1) == 1 else 0)
            self._problems.at(document, path, f"column {column}: {error.message}", line=line)
            return None
        if not assignable(found, result):
            if result is FType.BOOLEAN:
                message = f"must be a condition (true or false), but it gives {found}"
            else:
                message = f"the expression gives {found}, but {result} is needed here"
            self._problems.at(document, path, f"column {1 + column_offset}: {message}", value=True)
            return None
        return found

    def _touches_broken(self, paths: Iterable[tuple[str, ...]], object_name: str) -> bool:
        for path in paths:
            obj = self._objects.get(object_name)
            for name in path:
                if obj is None:
                    break
                if self._is_broken(obj.name, name):
                    return True
                field = obj.fields.get(name)
                target = field.type.field_info(name).target if field is not None else None
                if target is None:
                    break
                if self._is_broken(target, None):
                    return True
                obj = self._objects.get(target)
        return False


def formula_cycles(objects: Mapping[str, ObjectType]) -> list[list[tuple[str, str]]]:
    """Cycles among formula fields, each as ``[(object, field), …, first again]``.

    The formula checker does not look inside other formula fields, so a formula reaching
    itself (directly, through other formulas, or across lookups like ``account.x``) is only
    caught here. Each strongly connected group is reported once, from its first field.
    """
    graph: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for obj in objects.values():
        for field in obj.fields.values():
            expression = field.type.field_info(field.name).formula
            if expression is None:
                continue
            graph[(obj.name, field.name)] = sorted(_formula_reads(objects, obj, expression))
    cycles = []
    for group in _strongly_connected(graph):
        start = group[0]
        if len(group) > 1 or start in graph[start]:
            cycles.append(_cycle_from(start, set(group), graph))
    return cycles


def _formula_reads(objects, obj: ObjectType, expression: str) -> set[tuple[str, str]]:
    """The formula fields an expression reads, following lookups."""
    reads = set()
    for path in field_paths(expression):
        current = obj
        for name in path:
            field = current.fields.get(name) if current is not None else None
            if field is None:
                break
            info = field.type.field_info(name)
            if info.formula is not None:
                reads.add((current.name, name))
            current = objects.get(info.target) if info.target else None
    return reads


def _strongly_connected(graph):
    """Tarjan's algorithm, iterative (deep formula chains must not hit the recursion limit)."""
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    groups = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group, key=list(graph).index))
    return groups


def _cycle_from(start, members, graph) -> list[tuple[str, str]]:
    """A path from ``start`` back to itself inside one strongly connected group (BFS)."""
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in graph[node]:
            if nxt == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return list(reversed(path)) + [start]
            if nxt in members and nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return [start, start]
