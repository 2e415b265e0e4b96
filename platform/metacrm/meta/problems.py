"""Collecting every problem of a package, so all of them are reported at once."""

from __future__ import annotations

from typing import Sequence

from .errors import MetadataError, PackageInvalid
from .sources import PathKey, SourceDocument, format_path


class Problems:
    """The errors found so far. One error per place: the first one said about a path wins
    (a schema error and the same complaint from a later check are reported once)."""

    def __init__(self) -> None:
        self._errors: dict[tuple[str, str], MetadataError] = {}

    def add(self, error: MetadataError) -> None:
        self._errors.setdefault((error.file, error.path or f"@{error.line}:{error.message}"), error)

    def at(self, document: SourceDocument, path: Sequence[PathKey], message: str,
           suggestion: str | None = None, *, value: bool = False, line: int | None = None) -> None:
        self.add(document.error(path, message, suggestion, value=value, line=line))

    def has(self, document: SourceDocument, path: Sequence[PathKey]) -> bool:
        return (document.file, format_path(path)) in self._errors

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    def sorted(self) -> list[MetadataError]:
        return sorted(self._errors.values(),
                      key=lambda e: (e.file.startswith("../"), e.file, e.line or 0, e.path, e.message))

    def raise_if_any(self) -> None:
        if self._errors:
            raise PackageInvalid(self.sorted())
