"""The pipeline's guard: a rewrite is emitted only if BuildKit reads the printed text as the rule meant.

Each check has its negative control: a rule that prints a tree BuildKit reads
differently (an instruction after an open continuation, built by hand past the
editing API that would close it) or that changes how the image runs is dropped
with a skip naming the problem; a rule that makes a faithful change is applied.
"""

from __future__ import annotations

import dockerfile
import pytest

import dockopt
from dockopt.passes.base import Context, Rule
from dockopt.syntax import Dockerfile, Instruction
from dockopt.syntax.tokens import Token
from tests.cli import fakes


def _instruction(text: str) -> Instruction:
    keyword, _, args = text.partition(" ")
    return Instruction((Token("KEYWORD", keyword), Token("ARGS", " " + args), Token("EOL", "\n")))


def _swallow(doc: Dockerfile, ctx: Context) -> Dockerfile:
    """Appends a stage without closing the open continuation above it (what the editing API prevents)."""
    if len(doc.stages) > 1:
        return doc
    ctx.change(SWALLOW, None, "appended a runtime stage")
    return doc.with_changes(instructions=(*doc.instructions, _instruction("FROM b"), _instruction("RUN true")))


def _append(doc: Dockerfile, ctx: Context) -> Dockerfile:
    """The same change through the editing API."""
    if len(doc.stages) > 1:
        return doc
    ctx.change(APPEND, None, "appended a runtime stage")
    return doc.append([_instruction("FROM b"), _instruction("RUN true")])


def _change_cmd(doc: Dockerfile, ctx: Context) -> Dockerfile:
    for ins in doc.instructions:
        if ins.keyword == "CMD" and "run" in ins.args:
            ctx.change(CHANGE_CMD, ins, "changed CMD")
            edited = ins.edit_args([(0, len(ins.args), "other")])
            assert edited is not None
            return doc.replace(ins, edited)
    return doc


SWALLOW = Rule("DO911", "fake-swallow", "Appends a stage", "test", "safe", "", "", _swallow)
APPEND = Rule("DO912", "fake-append", "Appends a stage", "test", "safe", "", "", _append)
CHANGE_CMD = Rule("DO913", "fake-change-cmd", "Changes CMD", "test", "safe", "", "", _change_cmd)

OPEN = "FROM a\nRUN pip install x \\\n"


def test_a_rewrite_buildkit_would_misread_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    fakes.install(monkeypatch, SWALLOW)
    result = dockopt.rewrite(OPEN)
    assert not result.changed
    assert not result.changes
    (skip,) = result.skips
    assert skip.guard and skip.rule == "DO911"
    assert "BuildKit would read the rewritten file differently" in skip.message
    assert "FROM meant for line 3 would be read as more words of the RUN at line 2" in skip.message
    # The text it would have emitted parses, and BuildKit really reads one stage: the guard
    # is the only thing standing between it and the user.
    emitted = _swallow(dockopt.parse(OPEN), Context()).to_source()
    assert [c.cmd for c in dockerfile.parse_string(emitted)] == ["FROM", "RUN", "RUN"]


def test_the_same_change_through_the_editing_api_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    fakes.install(monkeypatch, APPEND)
    result = dockopt.rewrite(OPEN)
    assert result.changed and not result.skips
    assert result.text == "FROM a\nRUN pip install x \nFROM b\nRUN true\n"
    assert [c.cmd for c in dockerfile.parse_string(result.text)] == ["FROM", "RUN", "FROM", "RUN"]


def test_a_rewrite_that_changes_cmd_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    fakes.install(monkeypatch, CHANGE_CMD)
    source = "FROM a\nCMD run\n"
    result = dockopt.rewrite(source)
    assert result.text == source
    (skip,) = result.skips
    assert skip.guard and "CMD changed" in skip.message
