"""DO007 apt-no-recommends: Install apt packages without recommended extras. (Placeholder: not implemented yet.)"""

from __future__ import annotations

from ..syntax import Dockerfile
from .base import Context, Rule


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    return doc


RULE = Rule(
    id="DO007",
    name="apt-no-recommends",
    title="Install apt packages without recommended extras",
    why="TODO",
    safety="unsafe",
    before="",
    after="",
    apply=apply,
)
