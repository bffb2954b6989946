"""DO003 path-env: Put a copied virtualenv's or ~/.local's bin on PATH. (Placeholder: not implemented yet.)"""

from __future__ import annotations

from ..syntax import Dockerfile
from .base import Context, Rule


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    return doc


RULE = Rule(
    id="DO003",
    name="path-env",
    title="Put a copied virtualenv's or ~/.local's bin on PATH",
    why="TODO",
    safety="safe",
    before="",
    after="",
    apply=apply,
)
