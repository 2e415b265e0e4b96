"""Metadata errors: every one names the file, the line, the path inside the document.

    >>> str(MetadataError("objects/deal.yaml", 14, "fields.amount.type",
    ...                   "unknown field type 'curency'", suggestion="currency"))
    "objects/deal.yaml:14: fields.amount.type: unknown field type 'curency'; did you mean 'currency'?"

The loader collects every error of a package and raises them together as
:class:`PackageInvalid`, so an admin fixes a package in one round, not one error at a time.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class MetadataError:
    """One problem in a metadata package."""

    #: the file, relative to the root of the package being loaded (``objects/deal.yaml``;
    #: a required package's file is reached through ``../crm/objects/account.yaml``)
    file: str
    #: 1-based line of the offending key or value; None when the problem is the file itself
    line: int | None
    #: where inside the document: ``fields.amount.type``, ``steps[1].approvers.role``
    path: str
    message: str
    #: the closest valid name, when there is one
    suggestion: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.path:
            where += f": {self.path}"
        text = f"{where}: {self.message}"
        if self.suggestion:
            text += f"; did you mean '{self.suggestion}'?"
        return text


class PackageInvalid(Exception):
    """A package failed to load; ``errors`` holds every problem found, in file and line order."""

    def __init__(self, errors: Iterable[MetadataError]):
        self.errors: tuple[MetadataError, ...] = tuple(errors)
        count = len(self.errors)
        head = f"{count} error{'s' if count != 1 else ''} in metadata package"
        super().__init__(head + ":\n" + "\n".join(f"  {error}" for error in self.errors))


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` (a likely typo), or None when nothing is close."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None
