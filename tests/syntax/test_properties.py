"""Properties of the parser over generated Dockerfile-like text.

(a) ``parse`` returns a tree that prints back the input byte for byte, or
    raises ParseError: never any other exception.
(b) Where both accept, dockopt and BuildKit agree instruction by instruction.
(c) Where BuildKit rejects, dockopt rejects too (and the other way round),
    except for the accepted differences listed in test_buildkit_agreement.

The whole module runs in well under 30 s; raise ``DOCKOPT_FUZZ_EXAMPLES`` to
search longer (e.g. ``DOCKOPT_FUZZ_EXAMPLES=20000``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from dockopt.syntax import Instruction, ParseError, buildkit, parse
from dockopt.syntax.tokens import Token
from tests.syntax.strategies import dockerfiles, junk_text
from tests.syntax.test_buildkit_agreement import agreement

EXAMPLES = int(os.environ.get("DOCKOPT_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _parse_or_error(text: str) -> None:
    try:
        doc = parse(text)
    except ParseError as exc:
        assert exc.line >= 1 and exc.column >= 1
        return
    assert doc.to_source() == text


@FUZZ
@given(dockerfiles(unsafe=True))
def test_lossless_or_parse_error(text: str) -> None:
    _parse_or_error(text)


@FUZZ
@given(dockerfiles())
@example("FROM a\n  RUN a \\\n  b\n")
@example(" \\\n FROM a\n")
@example("FROM a\nRUN a \\\n\n\n")
@example("FROM a\nRUN <<'EOF\nx\nEOF\n")
# Found by a CI draw: a check directive, then a second escape on a last line with no
# line ending (accepted difference 5; the reference v0.12.5 reads `# check=` as a comment).
@example("\ufeff#escape=`\n#syntax=docker/dockerfile:1\n#check=skip=all\n#escape=`")
def test_agrees_with_buildkit(text: str) -> None:
    outcome = agreement(text)
    event(outcome or "agree")
    try:
        parse(text)
        event("dockopt accepts")
    except ParseError:
        event("dockopt rejects")


@FUZZ
@given(st.text())
def test_random_text_never_crashes(text: str) -> None:
    _parse_or_error(text)


@FUZZ
@given(junk_text())
def test_junk_lines_never_crash(text: str) -> None:
    _parse_or_error(text)


def _split_keyword(ins: Instruction) -> str:
    k = buildkit.split_command(ins.logical).keyword
    return ins.logical[k[0] : k[1]]


@FUZZ
@given(dockerfiles(unsafe=True))
@example("FROM a\nRUN\x85 \n")
@example("FROM a\nRUN\xa0x y\n")
@example("FROM a\n \\\n  RUN x\n")
def test_keyword_token_is_buildkits_keyword(text: str) -> None:
    """The keyword read off the lexer's KEYWORD token is splitCommand's keyword."""
    try:
        doc = parse(text)
    except ParseError:
        return
    for ins in doc.instructions:
        assert ins.keyword_text == _split_keyword(ins)
        assert ins.with_changes(line=None).keyword_text == _split_keyword(ins)


@pytest.mark.parametrize("edit", [(0, 0, "x"), (0, 0, "\x85x"), (0, 0, " "), (0, 0, "\t")])
def test_keyword_after_an_edit_at_the_keyword(edit: tuple[int, int, str]) -> None:
    """An edit at offset 0 of empty arguments lands in the KEYWORD token: the keyword is split again."""
    ins = parse("FROM a\nRUN\n").instructions[1]
    edited = ins.edit_args([edit])
    assert edited is not None
    assert edited.keyword_text == _split_keyword(edited)


@pytest.mark.parametrize("args", ["x y", "\x85x", "", " x", "\x85"])
def test_keyword_of_hand_built_tokens(args: str) -> None:
    """A KEYWORD token followed by arguments that do not start with a blank: the keyword runs on."""
    parts = (Token("KEYWORD", "RUN"), *((Token("ARGS", args),) if args else ()), Token("EOL", "\n"))
    ins = Instruction(parts)
    assert ins.keyword_text == _split_keyword(ins)
