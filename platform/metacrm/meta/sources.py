"""YAML documents with their positions: read once, then asked "which line is this path on?".

Files are read as YAML 1.2. The data comes from ruamel.yaml's safe loader on libyaml (the C
extension ruamel.yaml.clib: several times faster than the pure-Python round-trip loader, which
dominated the loading of a large package). Positions come from the round-trip loader, which
records the line of every key and value, but only when a line is asked for — in practice only
for a document with an error — and a document whose text the fast loader refuses (bad YAML,
tags) is read by the round-trip loader at once, for its exact message. Both give the same
plain data (dates become ISO text, numbers plain ints and floats).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from .errors import MetadataError

PathKey = str | int
DocPath = tuple[PathKey, ...]


def format_path(path: Sequence[PathKey]) -> str:
    """``("fields", "amount", "type")`` -> ``fields.amount.type``; list items as ``[i]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def to_plain(node: Any) -> Any:
    """ruamel's round-trip types as plain JSON-like Python data."""
    if isinstance(node, dict):
        return {str(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(item) for item in node]
    if isinstance(node, (bool, ScalarBoolean)):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        # .inf and .nan are no JSON numbers: keep them as the text written, which the
        # schemas then reject where a number is expected
        return float(node) if math.isfinite(node) else str(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, (dt.date, dt.datetime)):
        return node.isoformat()
    if node is None:
        return None
    return str(getattr(node, "value", node))  # a tagged scalar: its text


@dataclass
class SourceDocument:
    """One YAML document of a package."""

    #: where errors say the file is (relative to the root package)
    file: str
    #: the package the file belongs to
    package: str
    #: the round-trip tree (positions); None until first needed, then parsed from ``text``
    parsed: CommentedMap | None
    data: dict
    #: the file's text as read (kept so a deployed version can store and export it as written)
    text: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def node(self) -> CommentedMap:
        if self.parsed is None:
            with self._lock:
                if self.parsed is None:
                    node = _yaml().load(self.text)
                    self.parsed = node if isinstance(node, CommentedMap) else CommentedMap()
        return self.parsed

    @property
    def kind(self) -> Any:
        return self.data.get("kind")

    @property
    def name(self) -> Any:
        return self.data.get("name")

    def line(self, path: Sequence[PathKey], *, value: bool = False) -> int | None:
        """The 1-based line of the key at ``path`` (of its value with ``value=True``).

        A path that does not exist (a missing key) gives the line of its deepest existing part.
        """
        node: Any = self.node
        line = self.node.lc.line
        for part in path:
            try:
                if isinstance(node, CommentedMap) and part in node:
                    position = node.lc.value(part) if value and part == path[-1] else node.lc.key(part)
                elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                    position = node.lc.item(part)
                else:
                    break
            except (KeyError, TypeError, AttributeError):
                break
            line = position[0]
            node = node[part]
        return line + 1

    def expression_line(self, path: Sequence[PathKey], line_in_expression: int = 1) -> int | None:
        """The file line of line ``line_in_expression`` of the expression held at ``path``."""
        start = self.line(path, value=True)
        if start is None:
            return None
        holder = self.value_node(path)
        # a block scalar (| or >) starts on the line after its indicator
        offset = 1 if isinstance(holder, (LiteralScalarString, FoldedScalarString)) else 0
        return start + offset + max(0, line_in_expression - 1)

    def value_node(self, path: Sequence[PathKey]) -> Any:
        node: Any = self.node
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def value(self, path: Sequence[PathKey]) -> Any:
        """The plain value at ``path`` (None where there is none), without the round-trip
        parse that :meth:`value_node` needs: checks that pass ask this."""
        value: Any = self.data
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    def error(self, path: Sequence[PathKey], message: str, suggestion: str | None = None, *,
              value: bool = False, line: int | None = None) -> MetadataError:
        return MetadataError(self.file, line if line is not None else self.line(path, value=value),
                             format_path(path), message, suggestion)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)  # `on:` and `no:` are text, not booleans
    return yaml


@functools.cache
def _has_fast_loader() -> bool:
    try:
        # a probe, so it runs only when asked: ruamel.yaml.clib's C extension is optional
        import _ruamel_yaml  # noqa: F401
    except ImportError:
        return False
    return True


def _fast_load(text: str) -> Any:
    """The document's data through libyaml, or raises (then the round-trip loader reads it)."""
    yaml = YAML(typ="safe", pure=False)
    yaml.version = (1, 2)
    return yaml.load(text)


def read_document(path: Path, file: str, package: str
                  ) -> tuple[SourceDocument | None, list[MetadataError]]:
    """Read one YAML file; a syntax error comes back as a MetadataError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [MetadataError(file, None, "", f"cannot read the file: {error}")]
    return parse_document(text, file, package)


def parse_document(text: str, file: str, package: str
                   ) -> tuple[SourceDocument | None, list[MetadataError]]:
    """One YAML document from its text (``file`` is where errors say it is)."""
    if _has_fast_loader():
        try:
            data = _fast_load(text)
        except Exception:  # noqa: BLE001 - any refusal: the round-trip loader says why
            data = None
        if isinstance(data, dict):
            return SourceDocument(file, package, None, to_plain(data), text), []
    try:
        node = _yaml().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if "duplicate key" in str(problem) or "found duplicate key" in str(error):
            problem = str(problem).split(" with value")[0]
        if "another document" in str(problem):
            problem = "a file holds one document, and this one has a second (after ---)"
        line = mark.line + 1 if mark is not None else None
        return None, [MetadataError(file, line, "", f"invalid YAML: {problem}")]
    except YAMLError as error:
        return None, [MetadataError(file, None, "", f"invalid YAML: {error}")]
    if node is None:
        return None, [MetadataError(file, None, "", "the file is empty")]
    if not isinstance(node, CommentedMap):
        return None, [MetadataError(file, 1, "", "a document must be a mapping of keys to values")]
    return SourceDocument(file, package, node, to_plain(node), text), []


def dump_yaml(data: Any) -> str:
    """Plain data as YAML 1.2 text that :func:`parse_document` reads back to the same data.

    Deterministic: keys keep their order, no anchors, a fixed width and indentation (used to
    write a document whose original text is not at hand).
    """
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.ignore_aliases = lambda _data: True
    out = io.StringIO()
    yaml.dump(data, out)
    text = out.getvalue()
    # the %YAML directive ruamel writes for version 1.2 is noise for a package file
    if text.startswith("%YAML"):
        text = text.split("---\n", 1)[1] if "---\n" in text else text
    return text
