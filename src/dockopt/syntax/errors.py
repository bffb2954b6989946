"""The one exception a caller of the parser has to handle."""

from __future__ import annotations


class ParseError(ValueError):
    """The input is not a Dockerfile BuildKit would read.

    ``line`` and ``column`` are 1-based and point into the original text;
    ``source_line`` is that line without its ending, for a caret display.
    """

    def __init__(self, message: str, line: int, column: int = 1, source_line: str = "") -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column
        self.source_line = source_line

    def format(self, filename: str) -> str:
        """``file:line:col: message`` with the offending line and a caret under the column."""
        text = f"{filename}:{self.line}:{self.column}: {self.message}"
        if self.source_line:
            shown = self.source_line.expandtabs(1)
            text += f"\n  {shown}\n  {' ' * (self.column - 1)}^"
        return text
