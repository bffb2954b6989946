"""Tiny rules for CLI tests, so they do not depend on what the real passes do today.

``install(monkeypatch, *rules)`` makes them the only rules the pipeline, ``--select``,
``dockopt rules`` and ``dockopt explain`` know about.
"""

from __future__ import annotations

import pytest

from dockopt import passes, pipeline
from dockopt.passes.base import Context, Rule
from dockopt.syntax import Dockerfile


def _replace_word(rule_id: str, old: str, new: str):  # type: ignore[no-untyped-def]
    def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
        rule = passes._BY_KEY[rule_id]
        for ins in doc.instructions:
            if ins.keyword != "RUN":
                continue
            if "keep" in ins.args:
                ctx.skip(rule, ins, "the RUN says keep")
                continue
            if "fine" in ins.args:
                ctx.skip(rule, ins, "the RUN is already fine", actionable=False)
                continue
            at = ins.args.find(old)
            if at < 0 or not ctx.allowed(rule, ins):
                continue
            edited = ins.edit_args([(at, at + len(old), new)])
            if edited is None:
                ctx.skip(rule, ins, f"{old!r} crosses a line continuation")
                continue
            ctx.change(rule, ins, f"replaced {old} with {new}")
            doc = doc.replace(ins, edited)
        return doc

    return apply


def _crash(doc: Dockerfile, ctx: Context) -> Dockerfile:
    if any("crash" in ins.args for ins in doc.instructions):
        raise RuntimeError("boom")
    return doc


def _break(doc: Dockerfile, ctx: Context) -> Dockerfile:
    """Writes a RUN that BuildKit refuses: the pipeline must call that a PassBug."""
    for ins in doc.instructions:
        if ins.keyword == "RUN" and "break" in ins.args:
            edited = ins.edit_args([(0, len(ins.args), '["a", 1]')])
            assert edited is not None
            return doc.replace(ins, edited)
    return doc


RENAME = Rule(
    id="DO901",
    name="fake-rename",
    title="Rename old to new in RUN",
    why="A test rule: RUN lines saying old say new.",
    safety="safe",
    before="FROM a\nRUN echo old\n",
    after="FROM a\nRUN echo new\n",
    apply=_replace_word("DO901", "old", "new"),
    notes="Leaves RUNs that say keep alone.",
)
UNSAFE = Rule(
    id="DO902",
    name="fake-unsafe",
    title="Tame risky RUNs",
    why="A test rule whose fix is unsafe.",
    safety="unsafe",
    before="FROM a\nRUN risky\n",
    after="FROM a\nRUN tamed\n",
    apply=_replace_word("DO902", "risky", "tamed"),
)
CRASH = Rule("DO903", "fake-crash", "Crashes on crash", "A buggy test rule.", "safe", "", "", _crash)
BREAK = Rule("DO904", "fake-break", "Writes a broken RUN", "A buggy test rule.", "safe", "", "", _break)

ALL = (RENAME, UNSAFE, CRASH, BREAK)


def install(monkeypatch: pytest.MonkeyPatch, *rules: Rule) -> None:
    rules = rules or ALL
    monkeypatch.setattr(passes, "RULES", tuple(rules))
    monkeypatch.setattr(pipeline, "RULES", tuple(rules))
    monkeypatch.setattr(passes, "_BY_KEY", {key: r for r in rules for key in (r.id, r.id.lower(), r.name)})
