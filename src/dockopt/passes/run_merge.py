"""DO005 run-merge: Merge consecutive RUN instructions into one layer. (Placeholder: not implemented yet.)"""

from __future__ import annotations

from ..syntax import Dockerfile
from .base import Context, Rule


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    return doc


RULE = Rule(
    id="DO005",
    name="run-merge",
    title="Merge consecutive RUN instructions into one layer",
    why="TODO",
    safety="safe",
    before="",
    after="",
    apply=apply,
)
