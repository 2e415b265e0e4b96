"""The one error type of the expression language: a message and where it points."""

from __future__ import annotations


class FormulaError(ValueError):
    """A syntax or type error in an expression, at a 1-based line and column of its source."""

    def __init__(self, message: str, line: int = 1, column: int = 1, source: str = ""):
        self.message = message
        self.line = line
        self.column = column
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        if "\n" in self.source:
            return f"line {self.line}, column {self.column}: {self.message}"
        return f"column {self.column}: {self.message}"

    def pointer(self) -> str:
        """The offending line of the source with a caret under the column."""
        lines = self.source.splitlines() or [""]
        text = lines[min(self.line, len(lines)) - 1]
        return f"{text}\n{' ' * (self.column - 1)}^"
