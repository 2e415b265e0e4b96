"""Field types are asked what they can do, never tested by name (issue 11, item 4).

Outside ``metacrm/meta/fieldtypes/`` no code compares a field type's name with a string
(``field.type_name == "formula"``, ``ftype.name in ("lookup", …)``) or checks for a built-in
type class (``isinstance(t, LookupType)``): it asks the type (``formula()``, ``references()``,
``child_summary()``, ``numbered_on_create``, ``in_history``, ``unique_ignores_case``…), so a
plugin type that has the same capability behaves the same. Showing ``type_name`` is fine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from meta_helpers import REPO

from metacrm.meta import BUILTIN_FIELD_TYPES

PACKAGE = REPO / "platform" / "metacrm"
EXEMPT = PACKAGE / "meta" / "fieldtypes"
TYPE_NAMES = frozenset(cls.name for cls in BUILTIN_FIELD_TYPES)
TYPE_CLASSES = frozenset(cls.__name__ for cls in BUILTIN_FIELD_TYPES)
_COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)


def _strings(node: ast.AST) -> set[str]:
    """The string literals ``node`` is, or holds (a tuple, list or set of them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_strings(item) for item in node.elts)) if node.elts else set()
    return set()


def _names(node: ast.AST) -> set[str]:
    """The class names ``node`` is, or holds (``LookupType``, ``ft.LookupType``, a tuple)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(item) for item in node.elts)) if node.elts else set()
    return set()


def _is_type_name(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "type_name") or \
        (isinstance(node, ast.Name) and node.id == "type_name")


def type_name_tests(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, why) for every test of a field type by its name in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare) and all(isinstance(op, _COMPARISONS) for op in node.ops):
            operands = [node.left, *node.comparators]
            literals = set().union(*(_strings(o) for o in operands))
            if literals and any(_is_type_name(o) for o in operands):
                found.append((node.lineno, f"type_name compared with {sorted(literals)}"))
            elif literals & TYPE_NAMES and any(isinstance(o, ast.Attribute) and o.attr == "name"
                                               for o in operands):
                found.append((node.lineno, f".name compared with {sorted(literals & TYPE_NAMES)}"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("isinstance", "issubclass") and len(node.args) == 2):
            classes = _names(node.args[1]) & TYPE_CLASSES
            if classes:
                found.append((node.lineno, f"{node.func.id} of {sorted(classes)}"))
    return sorted(found)


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if EXEMPT not in p.parents)


def test_no_field_type_is_tested_by_name():
    found = [f"{path.relative_to(REPO)}:{line}: {why}"
             for path in _sources()
             for line, why in type_name_tests(path.read_text(encoding="utf-8"), str(path))]
    assert not found, ("field types tested by name (give FieldType a capability instead, see "
                       "docs/metadata.md, Plugins):\n" + "\n".join(found))


def test_the_scan_sees_the_package():
    sources = _sources()
    assert PACKAGE / "store" / "tables.py" in sources
    assert not any(EXEMPT in p.parents for p in sources)
    assert {"lookup", "formula", "rollup", "auto_number", "email"} <= TYPE_NAMES


@pytest.mark.parametrize("line", [
    'if field.type_name == "formula": pass',
    'if "rollup" != f.type_name: pass',
    'ok = type_name in ("picklist", "multi_picklist")',
    'ok = field.type_name not in ["lookup"]',
    'ok = field.type.name == "auto_number"',
    'ok = kind.name in {"email", "url"}',
    'ok = isinstance(field.type, LookupType)',
    'ok = isinstance(t, (fieldtypes.FormulaType, int))',
    'ok = (a.type_name ==\n      "email")',
])
def test_a_test_by_name_is_found(line):
    assert type_name_tests(line)


@pytest.mark.parametrize("line", [
    'x = {"x_field_type": field.type_name}',
    'message = f"a {field.type_name} field is computed"',
    'changed = old.type_name != new.type_name',
    'ok = dialect.name == "sqlite"',
    'ok = view.name == "all"',
    'ok = isinstance(value, Decimal)',
    'ok = field.type.formula() is not None',
])
def test_other_code_is_left_alone(line):
    assert not type_name_tests(line)
