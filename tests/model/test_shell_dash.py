"""model.shell against a real POSIX shell: the commands it reads are the ones ``dash`` runs, word for word.

A shell-form RUN on the official python and Debian images runs under
``/bin/sh``, which is dash. Each text here is run by dash with a PATH holding
only stub programs that record their argv; the commands dash ran must be the
model's items (those the operators let run, every stub exiting 0: the right
side of ``||`` does not), each with the model's words after quote removal.
Generated texts mix quoting (single, double, backslash), operators, comments,
assignments, redirections and line continuations; a text the model calls
``complex`` is left out, since its items are a best guess by contract.

Not compared: expansions (the model keeps ``$X`` verbatim by design) and
bash's ``$'...'`` quoting, which dash does not have (dash reads ``$'a'`` as
``$a``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockopt.model.shell import CommandList, parse_command

DASH = shutil.which("dash")
pytestmark = pytest.mark.skipif(DASH is None, reason="dash (Debian's /bin/sh) is not installed")

PROGRAMS = ["apt-get", "pip", "curl", "tar", "useradd", "python3", "npm", "chmod"]
WORDS = [
    "install",
    "-y",
    "--no-cache-dir",
    "'a b'",
    '"c d"',
    "e\\ f",
    'g"h"i',
    "'it'\"'\"'s'",
    '"x\\"y"',
    "'#not-a-comment'",
    "a#b",
    '""',
    "''",
    "-r",
    "requirements.txt",
    '"tab\\tkept"',
    "x=1",
    '--opt="q r"',
    '"a\\b"',
    "a\\\\b",
    '"\\$lit"',
    "\\$lit",
    "'\\'",
    '"\\\\"',
    "x\ty",
]
OPERATORS = [" && ", " || ", " ; ", " | ", "\n", " &&\\\n    ", " \\\n  && ", "\t&&\t", ";", "&&", "||"]
EXTRAS = ["", " >/dev/null", " 2>&1", " # trailing comment"]


@st.composite
def command_texts(draw: st.DrawFn) -> str:
    parts = []
    for i in range(draw(st.integers(1, 4))):
        if i:
            parts.append(draw(st.sampled_from(OPERATORS)))
        prefix = draw(st.sampled_from(["", "DEBIAN_FRONTEND=noninteractive ", "A='1 2' "]))
        words = draw(st.lists(st.sampled_from(WORDS), max_size=4))
        parts.append(prefix + " ".join([draw(st.sampled_from(PROGRAMS)), *words]))
        extra = draw(st.sampled_from(EXTRAS))
        parts.append(extra)
        if "#" in extra:
            parts.append("\n")  # a comment ends at the line's end: the next command starts on a new line
    return "".join(parts)


def expected_runs(cl: CommandList) -> list[tuple[str, ...]]:
    """The model's commands that run when every command exits 0.

    A pipeline binds tighter than ``&&``/``||``: in ``a || b | c`` the whole of ``b | c`` is skipped.
    """
    pipelines: list[tuple[str, list[tuple[str, ...]]]] = [("", [cl.items[0].words])]
    for op, item in zip(cl.operators, cl.items[1:], strict=True):
        if op == "|":
            pipelines[-1][1].append(item.words)
        else:
            pipelines.append((op, [item.words]))
    # Every command exits 0, so `||` skips what follows it and everything else runs.
    return [words for op, members in pipelines if op != "||" for words in members]


def dash_runs(text: str, tmp: Path) -> list[tuple[str, ...]]:
    """The argv of every stub dash ran for ``text``, in no particular order (the sides of a pipe run at once)."""
    stubs, logs = tmp / "bin", tmp / "runs"
    stubs.mkdir(exist_ok=True)
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    for name in PROGRAMS:  # each run writes its own file (named by its pid): no two records interleave
        stub = stubs / name
        stub.write_text(f'#!{DASH}\nprintf "%s\\0" "${{0##*/}}" "$@" > {logs}/$$\n')
        stub.chmod(0o755)
    proc = subprocess.run(
        [str(DASH), "-c", text], env={"PATH": str(stubs)}, capture_output=True, timeout=30, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 0, (text, proc.stderr)
    return [tuple(w.decode() for w in f.read_bytes().split(b"\0")[:-1]) for f in logs.iterdir()]


def check(text: str, tmp: Path) -> None:
    cl = parse_command(text)
    if cl.complex or not cl.items:
        return
    assert Counter(dash_runs(text, tmp)) == Counter(expected_runs(cl)), text


FIXED = [
    "apt-get update && apt-get install -y 'a b' \"c d\"",
    "pip install -r requirements.txt || pip install --no-cache-dir x && chmod 'a#b'",
    "curl -fsSL x | tar xz; useradd -m 'it'\"'\"'s' # done",
    "python3 \\\n  -m pip install \\\n  e\\ f",
    'DEBIAN_FRONTEND=noninteractive apt-get install -y g"h"i >/dev/null 2>&1',
]


@pytest.mark.parametrize("text", FIXED)
def test_fixed_texts_run_as_read(text: str, tmp_path: Path) -> None:
    check(text, tmp_path)


@settings(
    max_examples=int(os.environ.get("DOCKOPT_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=command_texts())
def test_generated_texts_run_as_read(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    check(text, tmp_path_factory.mktemp("dash"))


def test_negative_control_a_misread_word_is_seen(tmp_path: Path) -> None:
    """The comparison can fail: dash's argv for a quoted word is not the word with its quotes."""
    text = "pip install 'a b'"
    assert dash_runs(text, tmp_path) == [("pip", "install", "a b")]
    assert dash_runs(text, tmp_path) != [("pip", "install", "'a", "b'")]
    assert expected_runs(parse_command("pip install 'a b' || curl x")) == [("pip", "install", "a b")]
