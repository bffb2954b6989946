"""DO006 run-cleanup: Leave no package-manager caches in the layer. (Placeholder: not implemented yet.)"""

from __future__ import annotations

from ..syntax import Dockerfile
from .base import Context, Rule


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    return doc


RULE = Rule(
    id="DO006",
    name="run-cleanup",
    title="Leave no package-manager caches in the layer",
    why="TODO",
    safety="safe",
    before="",
    after="",
    apply=apply,
)
