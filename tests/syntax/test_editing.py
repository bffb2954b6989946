"""The editing API places new instructions where BuildKit will read them as instructions.

An instruction that was a file's last may end without a line ending, in an
open line continuation (perhaps followed by comment and blank lines it
swallows), or in a heredoc terminator without a line ending. Printed before
another instruction, each of those would swallow it. Every edit below is
checked three ways: dockopt's own parse of the printed text reads as the tree
meant (``reading.difference``), BuildKit's Go parser sees the same number of
instructions, and the bytes dockopt had to change are only the ones closing
the old last line.
"""

from __future__ import annotations

import dockerfile
import pytest

from dockopt.syntax import Dockerfile, Instruction, parse, reading
from dockopt.syntax.tokens import Token

ENDINGS = {
    "open continuation": "RUN pip install x \\",
    "open continuation with trailing blanks": "RUN pip install x \\  \t",
    "open continuation then newline": "RUN pip install x \\\n",
    "open continuation then crlf": "RUN pip install x \\\r\n",
    "open continuation then comment": "RUN pip install x \\\n# a comment",
    "open continuation then comment and blank lines": "RUN pip install x \\\n# a comment\n\n  \n",
    "continued then open": "RUN pip install \\\n    x \\\n",
    "continued with inner comment then open": "RUN pip install \\\n# inner\n    x \\\n\n",
    "no final newline": "RUN pip install x",
    "heredoc terminator without newline": "RUN <<EOF\npip install x\nEOF",
    "heredoc terminator with newline": "RUN <<EOF\npip install x\nEOF\n",
}


def _new(keyword: str, args: str) -> Instruction:
    return Instruction((Token("KEYWORD", keyword), Token("ARGS", " " + args), Token("EOL", "\n")))


def _check(doc: Dockerfile, expected_count: int) -> str:
    text = doc.to_source()
    printed = parse(text)
    assert reading.difference(doc, printed) is None, text
    assert len(printed.instructions) == expected_count, text
    assert len(dockerfile.parse_string(text)) == expected_count, text  # BuildKit's own parser agrees
    return text


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_append_after_the_last_line(ending: str) -> None:
    doc = parse("FROM python:3.12\n" + ending)
    new = doc.append([_new("FROM", "python:3.12-slim"), _new("CMD", "app")])
    _check(new, 4)


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_insert_after_the_last_instruction(ending: str) -> None:
    doc = parse("FROM python:3.12\n" + ending)
    new = doc.insert_after(doc.instructions[-1], [_new("COPY", ". .")])
    _check(new, 3)


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_move_the_last_instruction_up(ending: str) -> None:
    doc = parse("FROM python:3.12\nCOPY . .\n" + ending)
    last = doc.instructions[-1]
    new = doc.move(last, before=doc.instructions[1])
    text = _check(new, 3)
    assert parse(text).instructions[1].keyword == "RUN"


#: What the old last instruction becomes when something is appended: only its last line changes.
CLOSED = {
    "open continuation": "RUN pip install x \n",
    "open continuation with trailing blanks": "RUN pip install x   \t\n",
    "open continuation then newline": "RUN pip install x \n",
    "open continuation then crlf": "RUN pip install x \r\n",
    "open continuation then comment": "RUN pip install x \n# a comment\n",
    "open continuation then comment and blank lines": "RUN pip install x \n# a comment\n\n  \n",
    "continued then open": "RUN pip install \\\n    x \n",
    "continued with inner comment then open": "RUN pip install \\\n# inner\n    x \n\n",
    "no final newline": "RUN pip install x\n",
    "heredoc terminator without newline": "RUN <<EOF\npip install x\nEOF\n",
    "heredoc terminator with newline": "RUN <<EOF\npip install x\nEOF\n",
}


@pytest.mark.parametrize("name", ENDINGS)
def test_only_the_old_last_line_changes(name: str) -> None:
    doc = parse("FROM python:3.12\n" + ENDINGS[name])
    text = doc.append([_new("CMD", "app")]).to_source()
    assert text == "FROM python:3.12\n" + CLOSED[name] + "CMD app\n"


def test_comment_inside_the_open_continuation_moves_above_the_next_instruction() -> None:
    doc = parse("FROM a\nRUN x \\\n# about x\n")
    text = doc.append([_new("CMD", "y")]).to_source()
    assert text == "FROM a\nRUN x \n# about x\nCMD y\n"


def test_backtick_escape_and_crlf() -> None:
    doc = parse("# escape=`\r\nFROM a\r\nRUN x `\r\n")
    new = doc.append([_new("CMD", "y")])
    text = _check(new, 3)
    assert text.startswith("# escape=`\r\nFROM a\r\nRUN x \r\n")


def test_heredoc_terminator_gets_a_line_ending() -> None:
    doc = parse("FROM a\nRUN <<EOF\necho hi\nEOF")
    text = doc.append([_new("CMD", "y")]).to_source()
    assert text == "FROM a\nRUN <<EOF\necho hi\nEOF\nCMD y\n"


def test_a_last_instruction_stays_as_written() -> None:
    source = "FROM a\nRUN x \\\n# c\n"
    doc = parse(source)
    new = doc.insert_before(doc.instructions[-1], [_new("CMD", "y")])
    assert new.to_source() == "FROM a\nCMD y\n" + source[len("FROM a\n") :]


def test_difference_names_the_swallowed_instruction() -> None:
    """The negative control for the guard: a tree printed with an open continuation before an instruction."""
    doc = parse("FROM a\nRUN x \\\n")
    # Build the broken tree by hand, bypassing the editing API that closes the line.
    broken = doc.with_changes(instructions=(*doc.instructions, _new("FROM", "b")))
    printed = parse(broken.to_source())
    message = reading.difference(broken, printed)
    assert message is not None
    assert "FROM meant for line 3 would be read as more words of the RUN at line 2" in message
