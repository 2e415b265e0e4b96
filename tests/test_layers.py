"""The layers and their public APIs (docs/development.md, "Public API of each layer").

- import-linter's contracts in pyproject.toml are kept: layers import one way, and a layer is
  used through its package (``from ..store import QueryPlan``), never through its modules;
  a planted import of each layer's internals breaks them;
- a layer's public namespace modules (``from ..store import outbox``) are imported as modules,
  not reached into (``from ..store.outbox import RUN_KINDS``), which import-linter cannot tell
  apart;
- an import inside a function (or any indented import outside ``if TYPE_CHECKING:``) says why
  in a comment on its line or the line before: imports that only dodged a cycle are gone.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "platform" / "metacrm"
CONFIG = ROOT / "pyproject.toml"

#: the packages other layers may import from (a layer's own modules import each other freely)
PUBLIC = frozenset({
    "metacrm.formula", "metacrm.meta", "metacrm.store", "metacrm.runtime", "metacrm.packages",
    "metacrm.automation", "metacrm.automation.approvals", "metacrm.web", "metacrm.cli",
    "metacrm.plugins", "metacrm.plugins.hookspecs",
})

_LINT = ("import sys\n"
         "from importlinter.cli import lint_imports\n"
         "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))\n")


def lint_imports(pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    """``lint-imports`` on pyproject.toml's contracts, for the metacrm found first on
    ``pythonpath`` (the checkout's by default)."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath),
                                                          env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", _LINT, str(CONFIG)], cwd=pythonpath or ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


#: one import of another layer's internals per protected layer: (file, import, contract)
PLANTED = [
    ("meta/zz_planted.py", "from ..formula.values import same",
     "Other layers use metacrm.formula, not its modules"),
    ("store/zz_planted.py", "from ..meta.model import thaw",
     "Other layers use metacrm.meta, not its modules"),
    ("runtime/zz_planted.py", "from ..store.query import QueryPlan",
     "Other layers use metacrm.store, not its modules"),
    ("cli/zz_planted.py", "from ..runtime.accounts import Accounts",
     "Other layers use metacrm.runtime, not its modules"),
    ("cli/zz_planted_export.py", "from ..packages.export import export",
     "Other layers use metacrm.packages, not its modules"),
    ("web/zz_planted.py", "from ..automation.approvals.engine import Approvals",
     "Other layers use metacrm.automation and metacrm.automation.approvals, not their"),
    ("cli/zz_planted_web.py", "from ..web.app import create_app",
     "The CLI uses metacrm.web, not its modules"),
]


def test_contracts_break_on_an_import_of_internals(tmp_path):
    """A copy of the package with one planted import per layer breaks each layer's contract
    (and only those: the layers still import one way)."""
    copy = tmp_path / "metacrm"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns(
        "__pycache__", "static", "templates", "schemas", "*.lark"))
    for relative, statement, _ in PLANTED:
        (copy / relative).write_text(statement + "  # noqa: F401\n")
    result = lint_imports(pythonpath=tmp_path)
    out = " ".join(result.stdout.split())  # the report wraps long contract names
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{len(PLANTED)} broken" in out, result.stdout
    for relative, _, contract in PLANTED:
        module = "metacrm." + relative.removesuffix(".py").replace("/", ".")
        assert contract in out.split("Broken contracts", 1)[1], (contract, result.stdout)
        assert f"- {module} -> " in out, (module, result.stdout)


# -- namespace modules are imported as modules ---------------------------------------------

def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_from(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a ``from … import`` reads from."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def layer(module: str) -> str:
    return ".".join(module.split(".")[:2])


def reaches_into(path: Path, root: Path = PACKAGE) -> list[str]:
    """Imports in ``path`` that name another layer's module instead of its package."""
    module = module_name(path, root)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            targets = [imported_from(node, module, path.name == "__init__.py")]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target.startswith("metacrm.") and layer(target) != layer(module) \
                    and target not in PUBLIC:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {target}")
    return found


def test_other_layers_are_imported_through_their_packages():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in reaches_into(path)]
    assert found == [], "import these from the layer's package:\n" + "\n".join(found)


def test_reaching_into_a_namespace_module_is_found(tmp_path):
    package = tmp_path / "metacrm"
    (package / "automation").mkdir(parents=True)
    planted = package / "automation" / "planted.py"
    planted.write_text("from ..store import outbox\nfrom ..store.outbox import RUN_KINDS\n"
                       "from . import engine\nimport metacrm.store.versions\n")
    assert reaches_into(planted, package) == [
        "metacrm/automation/planted.py:2: metacrm.store.outbox",
        "metacrm/automation/planted.py:4: metacrm.store.versions",
    ]


# -- imports inside functions say why ------------------------------------------------------

_NOQA = re.compile(r"noqa(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?", re.IGNORECASE)


def _reason(comment: str) -> bool:
    """A comment gives a reason when, without its ``noqa``, some words are left."""
    return len(re.findall(r"[A-Za-z]{2,}", _NOQA.sub("", comment))) >= 2


def _comment(line: str) -> str:
    # good enough for import lines: they hold no string with a '#'
    return line.split("#", 1)[1] if "#" in line else ""


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def unexplained_imports(source: str, filename: str = "<source>") -> list[str]:
    """Indented imports (in a function, a class, a ``try``…) outside ``if TYPE_CHECKING:``
    without a comment giving a reason on their first line or the line before."""
    lines = source.splitlines()
    found = []

    def visit(node: ast.AST, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = type_checking or (isinstance(node, ast.If) and child in node.body
                                       and _is_type_checking(node.test))
            if isinstance(child, (ast.Import, ast.ImportFrom)) and child.col_offset > 0 \
                    and not inside:
                line = lines[child.lineno - 1]
                before = lines[child.lineno - 2].strip() if child.lineno > 1 else ""
                if not (_reason(_comment(line))
                        or (before.startswith("#") and _reason(before[1:]))):
                    found.append(f"{filename}:{child.lineno}: {line.strip()}")
            visit(child, inside)

    visit(ast.parse(source, filename), False)
    return found


def test_imports_inside_functions_say_why():
    found = [hit for path in sorted(PACKAGE.rglob("*.py"))
             for hit in unexplained_imports(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == [], ("import at module level, or say in a comment why this import must "
                         "wait:\n" + "\n".join(found))


@pytest.mark.parametrize("source, found", [
    ("def f():\n    from .b import c\n", ["<source>:2: from .b import c"]),
    ("def f():\n    import json  # noqa: F401\n", ["<source>:2: import json  # noqa: F401"]),
    ("class A:\n    import json\n", ["<source>:2: import json"]),
    ("try:\n    import x\nexcept ImportError:\n    x = None\n", ["<source>:2: import x"]),
    ("def f():\n    from .b import c  # b imports this module at its top\n", []),
    ("def f():\n    # Flask only where pages are served\n    import flask  # noqa: F401\n", []),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import c\n", []),
    ("import typing\nif typing.TYPE_CHECKING:\n    from .b import c\nelse:\n    import d\n",
     ["<source>:5: import d"]),
    ("import json\nfrom .b import c\n", []),
])
def test_unexplained_imports_are_found(source, found):
    assert unexplained_imports(source) == found
