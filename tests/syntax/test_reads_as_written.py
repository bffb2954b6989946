"""``reading.reads_as_written``: the guard's shortcut must never say "reads as written" when it does not.

Soundness: for trees put together from parsed instructions (shuffled, with
other comment lines above them, edited, from files with another escape
character) the shortcut's True is checked against a full parse of the printed
text. Each way it must answer False has its own case, and the pipeline's
outputs show it answers True for the usual rewrite (so it is used at all).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dockopt
from dockopt.syntax import Dockerfile, Instruction, ParseError, Trivia, parse
from dockopt.syntax.reading import identical, reads_as_written
from tests.syntax.strategies import dockerfiles

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

_TRIVIA = [
    Trivia("comment", "# a comment\n"),
    Trivia("comment", "  # indented\r\n"),
    Trivia("blank", "\n"),
    Trivia("blank", " \t\n"),
    Trivia("blank", "\u3000\n"),
    Trivia("comment", "# syntax=docker/dockerfile:1\n"),  # a directive when it opens the file
    Trivia("comment", "# escape=`\n"),
    Trivia("comment", "# two\n# lines\n"),  # two lines in one trivia
    Trivia("comment", "RUN not a comment\n"),  # reads as an instruction
    Trivia("blank", "x\n"),
    Trivia("comment", "# no line break"),
    Trivia("comment", "# cr only\r"),
    Trivia("blank", "\\\n"),
]


_DIRECTIVES = [
    (),
    (Trivia("directive", "# syntax=docker/dockerfile:1\n"),),
    (Trivia("directive", "# not a directive\n"),),
    (Trivia("directive", "# escape=`\n"),),
    (Trivia("directive", "# syntax=a\n"), Trivia("directive", "# syntax=b\n")),
]


def _parsed(text: str) -> Dockerfile | None:
    try:
        return parse(text)
    except ParseError:
        return None


@st.composite
def _trees(draw: st.DrawFn) -> Dockerfile:
    docs = [d for d in (_parsed(draw(dockerfiles())) for _ in range(2)) if d is not None]
    if not docs:
        docs = [parse("FROM a\n")]
    pool = [ins for d in docs for ins in d.instructions]
    base = docs[0]
    chosen: list[Instruction] = []
    for _ in range(draw(st.integers(1, 6))):
        ins = draw(st.sampled_from(pool))
        if draw(st.booleans()):
            ins = ins.with_leading(draw(st.lists(st.sampled_from(_TRIVIA), max_size=3)))
        if draw(st.integers(0, 3)) == 0 and ins.args:
            start = draw(st.integers(0, len(ins.args)))
            end = draw(st.integers(start, len(ins.args)))
            edited = ins.edit_args([(start, end, draw(st.sampled_from(["x", " \\", "\\", "\n", "[", '"', "<<EOF", " y z"])))])
            ins = edited if edited is not None else ins
        chosen.append(ins)
    trailing = tuple(draw(st.lists(st.sampled_from(_TRIVIA), max_size=2)))
    directives = draw(st.sampled_from([base.directives, base.directives, *_DIRECTIVES]))
    return Dockerfile(tuple(chosen), directives, trailing, base.bom, base.escape)


def _check(tree: Dockerfile) -> bool:
    verdict = reads_as_written(tree)
    if verdict:
        again = parse(tree.to_source())  # must not raise
        assert identical(tree, again)
        assert [[(t.kind, t.text) for t in i.leading] for i in again.instructions] == [
            [(t.kind, t.text) for t in i.leading] for i in tree.instructions
        ]
        assert [(t.kind, t.text) for t in again.trailing] == [(t.kind, t.text) for t in tree.trailing]
    return verdict


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_trees())
def test_a_true_verdict_is_what_a_full_parse_reads(tree: Dockerfile) -> None:
    _check(tree)


A = "FROM a\nRUN one\n"
B = "FROM b\nRUN two \\\n  three\nCOPY <<EOF /x\nbody\nEOF\n"


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda a, b: a.with_instructions([*a.instructions, b.instructions[1]]), "moved instructions read as written"),
        (lambda a, b: a.with_instructions([a.instructions[0], b.instructions[2]]), "a heredoc reads as written"),
    ],
)
def test_true_for_moved_instructions(make: object, why: str) -> None:
    tree = make(parse(A), parse(B))  # type: ignore[operator]
    assert _check(tree), why


def _with_leading(doc: Dockerfile, index: int, *trivia: Trivia) -> Dockerfile:
    ins = list(doc.instructions)
    ins[index] = ins[index].with_leading(trivia)
    return doc.with_changes(instructions=tuple(ins))


@pytest.mark.parametrize(
    "tree",
    [
        # a comment line that holds an instruction
        _with_leading(parse(A), 1, Trivia("comment", "# x\nRUN sneaky\n")),
        _with_leading(parse(A), 1, Trivia("comment", "RUN sneaky\n")),
        # a comment without its line break joins the instruction below
        _with_leading(parse(A), 1, Trivia("comment", "# x")),
        # a blank line that is not blank
        _with_leading(parse(A), 1, Trivia("blank", "x\n")),
        # a directive-looking comment moved to the top of a file that has none: it becomes a directive
        _with_leading(parse(A), 0, Trivia("comment", "# escape=`\n")),
        # a comment line the tree calls blank, above the first instruction and above another
        _with_leading(parse(A), 0, Trivia("blank", "# c\n")),
        _with_leading(parse(A), 1, Trivia("blank", "# c\n")),
        # a tree for the backtick escape with no directive that says so
        Dockerfile(parse("# escape=`\nFROM a\n").instructions, (), (), "", "`"),
        # directives the text does not hold: a comment, and an escape the tree's instructions were not read with
        parse(A).with_changes(directives=(Trivia("directive", "# not a directive\n"),)),
        parse(A).with_changes(directives=(Trivia("directive", "# escape=`\n"),)),
        # two directive lines in one trivia: the directives read otherwise
        parse(A).with_changes(directives=(Trivia("directive", "# syntax=a\n# check=skip=all\n"),)),
        # an instruction without its line break, then another
        parse("FROM a\nRUN x").with_changes(instructions=(*parse("FROM a\nRUN x").instructions, parse(A).instructions[1])),
        # an open continuation, then another instruction (built past the editing API)
        parse("FROM a\nRUN x \\\n").with_changes(instructions=(*parse("FROM a\nRUN x \\\n").instructions, parse(A).instructions[1])),
        # an instruction written for the backtick escape in a backslash file
        parse(A).with_instructions([parse(A).instructions[0], parse("# escape=`\nFROM a\nRUN a `\n  b\n").instructions[1]]),
        # an edit that opens a continuation
        parse(A).with_instructions([parse(A).instructions[0], parse(A).instructions[1].edit_args([(3, 3, " \\")]) or parse(A).instructions[1], parse(A).instructions[0]]),
    ],
)
def test_false_where_the_text_reads_otherwise(tree: Dockerfile) -> None:
    assert not reads_as_written(tree)
    try:
        again = parse(tree.to_source())
    except ParseError:
        return
    assert not identical(tree, again) or [[(t.kind, t.text) for t in i.leading] for i in again.instructions] != [
        [(t.kind, t.text) for t in i.leading] for i in tree.instructions
    ]


def test_the_shortcut_answers_for_the_usual_rewrite() -> None:
    """Over the fixtures, the guard's rounds read as written without a full parse (or the shortcut is dead code)."""
    from dockopt.syntax import reading

    calls: list[bool] = []
    original = reading.reads_as_written

    def counting(doc: Dockerfile) -> bool:
        calls.append(original(doc))
        return calls[-1]

    reading.reads_as_written = counting  # type: ignore[assignment]
    try:
        for path in sorted(FIXTURES.rglob("Dockerfile*"))[:150]:
            text = path.read_bytes().decode("utf-8", "surrogateescape")
            try:
                dockopt.rewrite(text)
            except ParseError:
                continue
    finally:
        reading.reads_as_written = original  # type: ignore[assignment]
    assert len(calls) > 20
    assert sum(calls) >= 0.9 * len(calls)
