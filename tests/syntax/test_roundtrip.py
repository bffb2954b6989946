"""Lossless: printing the tree gives back the input byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.syntax import parse
from tests.conftest import ROOT, all_dockerfiles, read_exact

CASES = {
    "crlf": "FROM a\r\nRUN x \\\r\n  y\r\n",
    "mixed endings": "FROM a\nRUN x\r\nCMD y\n",
    "cr before lf twice": "FROM a\r\r\nRUN b\n",
    "no final newline": "FROM a\nRUN b",
    "bom": "\ufeffFROM a\n",
    "continuation at eof": "FROM a\nRUN b \\",
    "continuation then blank at eof": "FROM a\nRUN b \\\n\n",
    "blank after escape": "FROM a\nRUN b \\   \n  c\n",
    "comment inside continuation": "FROM a\nRUN b \\\n# c\n  d\n",
    "indented comment inside": "FROM a\nRUN b \\\n    # c \\\n  d\n",
    "escape alone on first line": "\\\nFROM a\n",
    "indented keyword": "   FROM a\n\tRUN b\n",
    "lowercase keyword": "from a as b\nrun c\n",
    "hash mid-line": "FROM a\nRUN echo # not a comment\n",
    "escaped escape at eol": "FROM a\nRUN echo \\\\\nRUN b\n",
    "trailing spaces": "FROM a   \nRUN b  \n",
    "only whitespace lines": "  \n\t\nFROM a\n \n",
    "directive then blank": "# syntax=docker/dockerfile:1\n\nFROM a\n",
    "check directive": "# check=skip=JSONArgsRecommended\nFROM a\n",
    "backtick": "# escape=`\nFROM a\nRUN b `\n  c\n",
    "heredoc": "FROM a\nRUN <<EOF\nx\nEOF\n",
    "heredoc chomp": "FROM a\nRUN <<-EOF\n\tx\n\tEOF\n",
    "heredoc at eof no newline": "FROM a\nRUN <<EOF\nx\nEOF",
    "two heredocs": "FROM a\nCOPY <<A <<B /d/\n1\nA\n2\nB\n",
    "empty heredoc": "FROM a\nRUN <<EOF\nEOF\n",
    "unknown instruction": "FROM a\nFOO bar\n",
    "keyword only": "FROM a\nRUN\n",
    "dashdash": "FROM a\nCOPY --link -- a b\n",
    "unicode": "FROM a\nLABEL desc=\"héllo wörld ✓\"\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_inline_case_round_trips(text: str) -> None:
    assert parse(text).to_source() == text


@pytest.mark.parametrize("path", all_dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_fixture_round_trips(path: Path) -> None:
    text = read_exact(path)
    assert parse(text).to_source() == text


def test_comment_above_belongs_to_instruction() -> None:
    doc = parse("FROM a\n\n# install\nRUN b\n")
    run = doc.instructions[1]
    assert [t.kind for t in run.leading] == ["blank", "comment"]
    assert run.leading[1].comment == "install"


def test_directives_are_kept_apart() -> None:
    doc = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM a\n")
    assert [(d.name, d.value) for d in doc.parsed_directives] == [("syntax", "docker/dockerfile:1"), ("escape", "`")]
    assert doc.escape == "`"


def test_directive_scan_stops_at_first_other_line() -> None:
    doc = parse("# hello\n# escape=`\nFROM a\nRUN b `\n")
    assert doc.escape == "\\"
    assert doc.directives == ()
    assert doc.instructions[1].args == "b `"


def test_stages_and_lines() -> None:
    doc = parse("ARG V=3\nFROM --platform=$P python:$V AS build\nRUN a \\\n  b\nFROM scratch\nCOPY --from=build /x /x\n")
    assert [a.value for a in doc.global_args] == [("V=3",)]
    build, final = doc.stages
    assert (build.name, build.base, build.platform) == ("build", "python:$V", "$P")
    assert build.instructions[0].source_lines == (3, 4)
    assert final.base == "scratch" and final.name is None
    assert final.instructions[0].flag("from").value == "build"  # type: ignore[union-attr]


def test_heredoc_nodes() -> None:
    doc = parse("FROM a\nRUN <<-'EOF' sh\n\techo $HOME\n\tEOF\n")
    (h,) = doc.instructions[1].heredocs
    assert (h.name, h.chomp, h.expand, h.fd) == ("EOF", True, False, 0)
    assert h.body == "\techo $HOME\n" and h.content == "echo $HOME\n"


def test_json_fallback_to_shell_form() -> None:
    doc = parse('FROM a\nCMD ["a", "b"]\nCMD [not json\nENTRYPOINT ["x"] trailing\n')
    assert doc.instructions[1].json_args == ["a", "b"]
    assert doc.instructions[2].json_args is None and doc.instructions[2].value == ("[not json",)
    assert doc.instructions[3].json_args == ["x"]  # like Go's json.Decoder: first value only


def test_variables_kept_verbatim() -> None:
    doc = parse("FROM a\nENV P=${PATH:-/bin}:$HOME\n")
    assert doc.instructions[1].env_pairs == [("P", "${PATH:-/bin}:$HOME")]


def _newline_of_text(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_newline_counted_per_instruction_is_the_texts(text: str) -> None:
    """Dockerfile.newline adds up counts kept on each instruction; it must say what the whole text says."""
    for variant in (text, text.replace("\n", "\r\n"), "FROM a\r\n# c\r\n" + text, text + "\r\n\r\n"):
        assert parse(variant).newline == _newline_of_text(variant)


def test_newline_follows_edits() -> None:
    doc = parse("FROM a\r\nRUN b\r\n")
    assert doc.newline == "\r\n"
    lf = parse("RUN c\nRUN d\nRUN e\n").instructions
    assert doc.append(lf).newline == "\n"  # negative control: now most lines end in LF
