"""Offsets in a buffer ↔ LSP positions, and dockopt's line numbers ↔ offsets.

Two notions of "line" meet here. dockopt (like BuildKit) counts lines at
``\\n`` only: a lone ``\\r`` or a form feed is content. LSP counts lines at
``\\r\\n``, ``\\n`` and a lone ``\\r``, and measures a column in the code units
of the negotiated position encoding (UTF-16 unless the client offers another).
Written here rather than taken from pygls's ``TextDocument``, whose lines come
from ``str.splitlines`` and so also break at ``\\f``, ``\\v``, ``\\x1c``–``\\x1e``,
``\\x85``, U+2028 and U+2029, which neither LSP nor BuildKit do.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from lsprotocol.types import Position, PositionEncodingKind, Range

_LSP_EOL = re.compile(r"\r\n|\n|\r")


def code_units(text: str, encoding: str) -> int:
    """How long ``text`` is in the position encoding's code units."""
    if encoding == PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class LineIndex:
    """Line starts of one text, for turning offsets into positions (and dockopt lines into offsets)."""

    def __init__(self, text: str, encoding: str = PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.encoding = encoding
        self._lsp_starts = [0, *(m.end() for m in _LSP_EOL.finditer(text))]
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    @property
    def line_count(self) -> int:
        """dockopt's count: a last line without ``\\n`` counts, the empty rest after a final ``\\n`` does not."""
        return len(self._line_starts) - (1 if self.text.endswith("\n") or not self.text else 0)

    def position(self, offset: int) -> Position:
        """The LSP position of the character offset ``offset`` (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self._lsp_starts, offset) - 1
        start = self._lsp_starts[line]
        return Position(line=line, character=code_units(self.text[start:offset], self.encoding))

    def range(self, start: int, end: int) -> Range:
        return Range(start=self.position(start), end=self.position(end))

    def line_start(self, line: int) -> int:
        """Offset of dockopt's 1-based ``line`` (clamped to the text)."""
        index = max(1, min(line, len(self._line_starts))) - 1
        return self._line_starts[index]

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line``'s content: before its ``\\n`` (and a ``\\r`` right before it)."""
        start = self.line_start(line)
        nl = self.text.find("\n", start)
        end = len(self.text) if nl < 0 else nl
        if end > start and self.text[end - 1] == "\r" and nl >= 0:
            end -= 1
        return end

    def lines_range(self, first: int, last: int) -> Range:
        """From the start of line ``first`` to the end of line ``last``'s content (1-based, dockopt's lines)."""
        return self.range(self.line_start(first), self.line_end(max(first, last)))
