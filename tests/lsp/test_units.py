"""The language server's pure parts: positions, edits, skip advice, rule pages, and lazy imports.

These test functions, not the protocol (tests/lsp/test_exchange.py does that
over stdio): the edge cases here (lone CR, form feeds, astral characters,
every shape of edit) are cheaper to cover exhaustively without a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol.types import DiagnosticSeverity, Position, PositionEncodingKind

import dockopt
from dockopt.lsp.diagnostics import skip_severity
from dockopt.lsp.edits import replace_edit, suppression_edit
from dockopt.lsp.positions import LineIndex
from tests.conftest import ROOT
from tests.lsp.conftest import apply_edits

# -- positions ------------------------------------------------------------------------------------


def test_lsp_lines_break_at_crlf_lf_and_lone_cr_but_dockopt_lines_only_at_lf() -> None:
    text = "a\r\nb\rc\nd\fe\n"
    index = LineIndex(text)
    assert index.position(text.index("b")) == Position(line=1, character=0)
    assert index.position(text.index("c")) == Position(line=2, character=0)  # a lone CR ends an LSP line
    assert index.position(text.index("e")) == Position(line=3, character=2)  # a form feed does not
    assert index.position(len(text)) == Position(line=4, character=0)
    # dockopt's line 2 is "b\rc" (BuildKit counts \n only); its content ends before the \n
    assert text[index.line_start(2) : index.line_end(2)] == "b\rc"
    assert text[index.line_start(1) : index.line_end(1)] == "a"  # the \r of \r\n is not content
    assert index.line_count == 3


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [(PositionEncodingKind.Utf16, 3), (PositionEncodingKind.Utf8, 5), (PositionEncodingKind.Utf32, 2)],
)
def test_columns_count_code_units(encoding: PositionEncodingKind, expected: int) -> None:
    index = LineIndex("x🐳y\n", encoding)
    assert index.position(2) == Position(line=0, character=expected)


def test_a_last_line_without_newline() -> None:
    index = LineIndex("FROM a\nRUN b")
    assert index.line_count == 2
    assert index.lines_range(2, 2).end == Position(line=1, character=5)


# -- edits -------------------------------------------------------------------------------------------

_pieces = st.sampled_from(["FROM a", "RUN b", "RUN  c", "# note", "", "ENV x=🐳", "a\rb"])
_ends = st.sampled_from(["\n", "\r\n"])
_texts = st.lists(st.tuples(_pieces, _ends), max_size=8).map(lambda xs: "".join(p + e for p, e in xs)) | st.text(
    alphabet="ab\r\n🐳 ", max_size=20
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(old=_texts, new=_texts)
def test_applying_the_edit_gives_the_new_text(old: str, new: str) -> None:
    edit = replace_edit(old, new, LineIndex(old))
    if old == new:
        assert edit is None
        return
    assert edit is not None
    assert apply_edits(old, [edit]) == new


def test_the_edit_leaves_common_lines_out() -> None:
    old = "FROM a\r\nRUN b\r\nRUN c\r\nCMD d\r\n"
    new = "FROM a\r\nRUN b && c\r\nCMD d\r\n"
    edit = replace_edit(old, new, LineIndex(old))
    assert edit is not None
    assert (edit.range.start.line, edit.range.end.line, edit.new_text) == (1, 3, "RUN b && c\r\n")


def test_a_suppression_goes_above_the_instruction_with_its_indent() -> None:
    text = "FROM a\r\n\t  RUN b\r\n"
    edit = suppression_edit(text, LineIndex(text), 2, "DO005", "\r\n")
    assert apply_edits(text, [edit]) == "FROM a\r\n\t  # dockopt: ignore=DO005\r\n\t  RUN b\r\n"


# -- skip advice -----------------------------------------------------------------------------------


def test_skip_severity_follows_the_rules_own_mark() -> None:
    """Actionable skips are Information; the [info] ones (already multi-stage, no slim variant) are Hints."""
    result = dockopt.rewrite("FROM python:3.12 AS b\nRUN true\nFROM ubuntu:22.04\nUSER app\nRUN pip install flask\n")
    kinds = {(s.actionable, skip_severity(s)) for s in result.skips}
    assert (False, DiagnosticSeverity.Hint) in kinds
    actionable = dockopt.rewrite("ARG V\nFROM python:${V}\nCMD true\n", select=["slim-base"]).skips
    assert [skip_severity(s) for s in actionable] == [DiagnosticSeverity.Information]


# -- rule pages and imports ------------------------------------------------------------------------


def test_every_rule_has_its_page_and_the_pages_are_current() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "rule_docs.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, f"run `python scripts/rule_docs.py`:\n{proc.stderr}"


def test_rule_pages_check_fails_for_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: the check above can fail (a changed page, a missing page)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("rule_docs", ROOT / "scripts" / "rule_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for page in (ROOT / "docs" / "rules").glob("*.md"):
        (tmp_path / page.name).write_bytes(page.read_bytes())
    monkeypatch.setattr(module, "DOCS", tmp_path)
    assert module.stale() == []
    (tmp_path / "DO001.md").write_text("# DO001\n")
    (tmp_path / "DO002.md").unlink()
    assert module.stale() == [str(tmp_path / "DO001.md"), str(tmp_path / "DO002.md")]


def test_other_commands_do_not_import_pygls() -> None:
    code = (
        "import sys\nfrom dockopt.cli import cli\n"
        "for args in (['rules'], ['rewrite', '--help'], ['lsp', '--help']):\n"
        "    try:\n        cli(args, prog_name='dockopt')\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in ('pygls', 'lsprotocol', 'cattrs', 'dockopt.lsp') if m in sys.modules), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    assert "Run the language server" in proc.stdout  # `dockopt lsp --help` answered without loading it


def test_lsp_accepts_the_stdio_flag_clients_add() -> None:
    """vscode-languageclient appends --stdio for a stdio transport; the server must start with it."""
    import json

    from tests.cli.conftest import dockopt_command

    def frame(message: dict[str, object]) -> bytes:
        body = json.dumps(message).encode()
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    stdin = (
        frame(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            }
        )
        + frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        + frame({"jsonrpc": "2.0", "method": "exit"})
    )
    proc = subprocess.run([*dockopt_command(), "lsp", "--stdio"], input=stdin, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    replies = []
    rest = proc.stdout
    while rest:
        header, _, rest = rest.partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in header.split(b"\r\n"))
        length = int(fields[b"Content-Length"])
        replies.append(json.loads(rest[:length]))
        rest = rest[length:]
    by_id = {r["id"]: r for r in replies if "id" in r}
    assert by_id[1]["result"]["serverInfo"]["name"] == "dockopt"
    assert by_id[2]["result"] is None
