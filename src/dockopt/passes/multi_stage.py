"""DO002 multi-stage: Split dependency installation into a builder stage. (Placeholder: not implemented yet.)"""

from __future__ import annotations

from ..syntax import Dockerfile
from .base import Context, Rule


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    return doc


RULE = Rule(
    id="DO002",
    name="multi-stage",
    title="Split dependency installation into a builder stage",
    why="TODO",
    safety="safe",
    before="",
    after="",
    apply=apply,
)
