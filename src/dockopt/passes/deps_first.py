"""DO001 deps-first: Copy dependency manifests and install before copying the code. (Placeholder: not implemented yet.)"""

from __future__ import annotations

from ..syntax import Dockerfile
from .base import Context, Rule


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    return doc


RULE = Rule(
    id="DO001",
    name="deps-first",
    title="Copy dependency manifests and install before copying the code",
    why="TODO",
    safety="safe",
    before="",
    after="",
    apply=apply,
)
