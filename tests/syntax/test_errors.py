"""What BuildKit refuses, dockopt refuses, with a line and column."""

from __future__ import annotations

import pytest

from dockopt.syntax import ParseError, parse

REJECTED = {
    "empty file": ("", 1, "file with no instructions"),
    "only comments": ("# a\n# b\n", 2, "file with no instructions"),
    "only blank lines": ("\n\n", 2, "file with no instructions"),
    "env without value": ("FROM a\nENV FOO\n", 2, "ENV must have two arguments"),
    "env pair without =": ("FROM a\nENV A=1 B\n", 2, "can't find ="),
    "label without value": ("FROM a\nLABEL x\n", 2, "LABEL must have two arguments"),
    "nested json array": ('FROM a\nCMD [["a"]]\n', 2, "arrays must be comprised of strings"),
    "json number": ('FROM a\nRUN ["a", 1]\n', 2, "arrays must be comprised of strings"),
    "unterminated heredoc": ("FROM a\nRUN <<EOF\necho\n", 2, "unterminated heredoc"),
    "duplicate directive": ("# escape=`\n# escape=\\\nFROM a\n", 2, "only one escape parser directive"),
    "bad escape": ("# escape=x\nFROM a\n", 1, "invalid escape token"),
}


@pytest.mark.parametrize(("text", "line", "message"), REJECTED.values(), ids=REJECTED.keys())
def test_rejected_with_location(text: str, line: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.line == line
    assert message in info.value.message
    assert info.value.column >= 1


def test_format_has_caret() -> None:
    with pytest.raises(ParseError) as info:
        parse("FROM a\n  ENV FOO\n")
    shown = info.value.format("Dockerfile")
    assert shown.splitlines() == ["Dockerfile:2:3: ENV must have two arguments", "    ENV FOO", "    ^"]
