"""syntax.arguments: the readers of HEALTHCHECK's values against Go's, and the flag table's shape.

Which texts BuildKit refuses is tested through ``buildable`` in
tests/syntax/test_buildable.py and against the engine in
tests/e2e/test_buildable_engine.py; this file checks the small readers.
"""

from __future__ import annotations

import pytest

from dockopt.syntax import arguments, buildable, parse

# Go's time.ParseDuration (values from its documentation and tests), in nanoseconds; None: Go refuses it.
DURATIONS: dict[str, int | None] = {
    "0": 0,
    "-0": 0,
    "+0": 0,
    "0s": 0,
    "5s": 5 * 10**9,
    "300ms": 300 * 10**6,
    "-1.5h": -5400 * 10**9,
    "2h45m": (2 * 3600 + 45 * 60) * 10**9,
    "1.5s": 1_500_000_000,
    ".5s": 500_000_000,
    "1.s": 10**9,
    "1\u00b5s": 1_000,
    "1\u03bcs": 1_000,
    "1us": 1_000,
    "1.0000001ms": 1_000_000,  # the fraction's rest is cut, as Go cuts it
    "3ns": 3,
    "1h1m1.5s": 3661_500_000_000,
    "": None,
    "5": None,
    "00": None,
    ".": None,
    ".s": None,
    "-": None,
    "1x": None,
    "1S": None,
    "s": None,
    "1s5": None,
    "1 s": None,
}


@pytest.mark.parametrize("text", DURATIONS)
def test_go_duration(text: str) -> None:
    assert arguments.go_duration(text) == DURATIONS[text]


@pytest.mark.parametrize(
    ("text", "refused"),
    [("1ms", False), ("999999ns", False), ("999998ns", True), ("0.5ms", True), ("-1s", True), ("-1ns", False), ("0s", False)],
)
def test_sub_millisecond_margin(text: str, refused: bool) -> None:
    """Go multiplies fractions in floating point: one nanosecond either side of 0 and 1ms is left alone."""
    doc = parse(f"FROM scratch\nHEALTHCHECK --interval={text} CMD x\n")
    assert (arguments.problem(doc.instructions[1]) is not None) is refused


@pytest.mark.parametrize(
    ("text", "refused"),
    [("3", False), ("+2", False), ("-0", False), ("0", False), ("2147483647", False), ("2147483648", True), ("-1", True),
     ("1_0", True), ("0x10", True), ("1.0", True), (" 1", True)],
)
def test_retries(text: str, refused: bool) -> None:
    doc = parse(f'FROM scratch\nHEALTHCHECK --retries="{text}" CMD x\n')
    assert doc.instructions[1].flags[0].value == text
    assert (arguments.problem(doc.instructions[1]) is not None) is refused


def test_flag_table_names_known_instructions() -> None:
    assert set(arguments.KNOWN_FLAGS) <= buildable.KNOWN


def test_first_problem_in_flag_order() -> None:
    """BFlags.Parse stops at the first flag it refuses: the message names that one."""
    doc = parse("FROM scratch\nCOPY --chown --foo=1 a b\n")
    assert arguments.problem(doc.instructions[1]) == "missing a value on flag --chown (write --chown=VALUE)"
