"""Text edits: the whole rewrite as one edit, and a suppression comment above an instruction.

The rewrite is sent as a single edit that replaces the lines between the
common first and last lines of the old and the new text (whole lines, so an
edit never starts between a ``\\r`` and its ``\\n``); the editor's cursor and
folds outside that block stay put, and applying the edit gives the new text
byte for byte.
"""

from __future__ import annotations

from lsprotocol.types import Position, Range, TextEdit

from ..report import split_lines
from .positions import LineIndex


def replace_edit(old: str, new: str, index: LineIndex) -> TextEdit | None:
    """One edit turning ``old`` (the text ``index`` was built on) into ``new``; None when they are equal."""
    if old == new:
        return None
    a, b = split_lines(old), split_lines(new)
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    start = sum(map(len, a[:prefix]))
    tail = sum(map(len, a[len(a) - suffix :]))
    end = len(old) - tail
    return TextEdit(range=index.range(start, end), new_text=new[start : len(new) - tail])


def suppression_edit(text: str, index: LineIndex, line: int, rule: str, newline: str) -> TextEdit:
    """Insert ``# dockopt: ignore=RULE`` on a line of its own above dockopt's ``line``.

    The comment takes the instruction's indent and the file's usual line
    ending (``newline``). The pipeline reads every ``# dockopt: ignore=``
    comment in the lines above an instruction, so a new line works next to
    an existing one.
    """
    start = index.line_start(line)
    indent_end = start
    while indent_end < len(text) and text[indent_end] in " \t":
        indent_end += 1
    at = index.position(start)
    comment = f"{text[start:indent_end]}# dockopt: ignore={rule}{newline}"
    return TextEdit(range=Range(start=at, end=Position(line=at.line, character=at.character)), new_text=comment)
