"""Helpers for the metadata tests: fixture packages and throwaway packages.

(Named ``meta_helpers`` rather than ``helpers``: test folders are not packages, so module
names must be unique across the whole suite.)
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from metacrm.meta import PackageInvalid, load_package

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent
CRM = REPO / "metadata" / "crm"


def load_errors(path: Path | str, **kwargs) -> list[str]:
    """Every error of a package that must fail to load, as the strings users see."""
    with pytest.raises(PackageInvalid) as caught:
        load_package(path, **kwargs)
    return [str(error) for error in caught.value.errors]


def write_package(root: Path, name: str, files: dict[str, str], requires=(),
                  version: str = "0.1.0") -> Path:
    """A package folder ``root/name`` holding ``files`` (text dedented)."""
    folder = root / name
    head = f"kind: package\nname: {name}\nversion: {version}\n"
    if requires:
        head += f"requires: [{', '.join(requires)}]\n"
    for relative, text in {"package.yaml": head, **files}.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder

