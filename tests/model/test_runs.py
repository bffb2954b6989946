"""model.runs: a script's commands and its package-manager calls come from one parse of its text."""

from __future__ import annotations

import dockopt
from dockopt.model import runs

TEXT = "apt-get update && apt-get install -y gcc"
FILE = f"FROM python:3.12\nRUN {TEXT}\nCMD python app.py\n"


def _fill(count: int) -> None:
    for i in range(count):
        runs.commands(f"echo {i}")  # distinct texts: what an editor sends while someone types in a RUN line


def test_calls_are_the_commands_of_the_same_parse() -> None:
    # The rules match a call to its command by identity (``cmd is uses[-1]``). Once the cache of commands
    # had dropped a text that the cache of calls still held, the two came from different parses: DO006
    # raised StopIteration in a long-lived process (the language server; found by scripts/fuzz.sh).
    first = runs.calls(TEXT)
    _fill(runs.CACHE_SIZE + 10)
    items = runs.commands(TEXT).items
    calls = runs.calls(TEXT)
    assert all(any(cmd is item for item in items) for cmd, _ in calls)
    assert [c for c, _ in first] == [c for c, _ in calls]  # the same commands, whichever parse answers


def test_a_rewrite_after_the_cache_turned_over() -> None:
    dockopt.rewrite(FILE)
    _fill(runs.CACHE_SIZE + 10)
    out = dockopt.rewrite(FILE).text
    assert "rm -rf /var/lib/apt/lists/*" in out  # control: DO006 still plans against this RUN


def test_clear_caches_empties_both() -> None:
    runs.calls(TEXT)
    runs.clear_caches()
    assert runs.cache_size() == 0
