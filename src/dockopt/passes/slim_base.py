"""DO004 slim-base: Use the slim variant of the official Python base image. (Placeholder: not implemented yet.)"""

from __future__ import annotations

from ..syntax import Dockerfile
from .base import Context, Rule


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    return doc


RULE = Rule(
    id="DO004",
    name="slim-base",
    title="Use the slim variant of the official Python base image",
    why="TODO",
    safety="safe",
    before="",
    after="",
    apply=apply,
)
