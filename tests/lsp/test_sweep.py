"""Every fixture Dockerfile through the server's analysis, diagnostics, actions and formatting.

The protocol is tested over stdio in test_exchange.py; this sweep runs the
same functions the server runs on all 376 fixture files (CRLF, BOM, backtick
escapes, heredocs, files that do not parse) to show they never raise, every
range lies inside the buffer, formatting gives the rewrite, and a
suppression comment leaves a file dockopt still parses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from dockopt.lsp.actions import code_actions, format_edits
from dockopt.lsp.analysis import analyse
from dockopt.lsp.diagnostics import diagnostics
from dockopt.lsp.positions import LineIndex
from dockopt.syntax import ParseError, parse
from tests.conftest import FIXTURES, all_dockerfiles, read_exact
from tests.lsp.conftest import apply_edits

FILES = all_dockerfiles()


def _inside(r: types.Range, text: str) -> bool:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ends = [(r.start.line, r.start.character), (r.end.line, r.end.character)]
    width = [len(line.encode("utf-16-le", "surrogatepass")) // 2 for line in lines]  # UTF-16 code units
    return ends[0] <= ends[1] and all(0 <= line < len(lines) and 0 <= ch <= width[line] for line, ch in ends)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_fixture(path: Path) -> None:
    text = read_exact(path)
    analysis = analyse(path.as_uri(), 1, text, None)
    assert analysis.internal_error is None
    index = LineIndex(text)
    found = diagnostics(analysis, index)
    for d in found:
        assert _inside(d.range, text), (d.range, d.message)
    result = apply_edits(text, format_edits(analysis, index))
    assert result == (analysis.rewritten if analysis.rewritten is not None else text)
    try:
        newline = parse(text).newline
    except ParseError:
        assert analysis.report is not None and analysis.report.error is not None
        return
    for d in found:
        if not isinstance(d.data, dict) or d.data.get("kind") != "change":
            continue
        for action in code_actions(analysis, index, found, d.range, None, newline):
            assert action.edit is not None and action.edit.document_changes
            (change,) = action.edit.document_changes
            assert isinstance(change, types.TextDocumentEdit)
            edited = apply_edits(text, [e for e in change.edits if isinstance(e, types.TextEdit)])
            parse(edited)  # raises if an action left a file dockopt cannot read
