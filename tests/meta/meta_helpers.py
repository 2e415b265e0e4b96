"""Helpers for the metadata tests: fixture packages and throwaway packages.

(Named ``meta_helpers`` rather than ``helpers``: test folders are not packages, so module
names must be unique across the whole suite.)
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from metacrm.meta import FieldValueError, PackageInvalid, load_package
from metacrm.meta.fieldtypes import TextType, param
from metacrm.plugins.hookspecs import hookimpl

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


# -- a plugin field type, as a plugin would write it ----------------------------------------

@dataclass(frozen=True)
class ColorType(TextType):
    """What a plugin writes: a class with its keys as ``param`` fields, registered by a hook."""

    name = "color"
    widget = "color"
    summary = "A colour as #rrggbb."
    default_max_length = 7
    palette: str | None = param("palette")

    def _check_shape(self, text):
        if not re.fullmatch(r"#[0-9a-f]{6}", text):
            raise FieldValueError(f"'{text}' is not a colour")


class ColorPlugin:
    @hookimpl
    def register_field_types(self):
        return [ColorType]
