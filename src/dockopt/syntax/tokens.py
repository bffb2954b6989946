"""The token: a piece of source text with the name of its terminal in the grammar.

A ``str`` subclass, so printing a tree is plain concatenation of its tokens.
Defined here rather than borrowed from lark so that reading a Dockerfile
does not import lark (see ``lalr.py``). A ``str`` subclass cannot declare
field slots, so each token carries a small ``__dict__``.
"""

from __future__ import annotations


class Token(str):
    """``Token("ARGS", " -r requirements.txt")``; ``line``/``column`` are 1-based where known."""

    type: str
    line: int | None
    column: int | None

    def __new__(cls, type: str, value: str, line: int | None = None, column: int | None = None) -> Token:
        tok = str.__new__(cls, value)
        tok.type = type
        tok.line = line
        tok.column = column
        return tok

    @property
    def value(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {str(self)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (Token, (self.type, str(self), self.line, self.column))
