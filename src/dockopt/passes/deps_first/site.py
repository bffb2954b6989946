"""What the classification of a command is given (a :class:`Site`) and what it returns (:class:`Reads`)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from ...model import paths
from ...model.analysis import Analysis
from ...model.context import BuildContext
from ...syntax import Instruction
from .common import Need, Stop, line
from .copies import Area

#: Paths and names dockopt writes into a command without quoting.
PLAIN_RE = re.compile(r"[A-Za-z0-9_./+-]+")


@dataclass(frozen=True)
class Site:
    """Where a command runs, and what the classifiers may ask about it."""

    ins: Instruction
    cwd: str
    area: Area
    model: Analysis
    origins: Mapping[str, str]  # image path -> context path of files earlier COPYs put in place
    image: str | None  # the stage's base image, ARGs expanded

    @property
    def context(self) -> BuildContext:
        return self.model.context

    def path(self, written: str) -> str:
        return paths.resolve(self.cwd, written)

    def context_path(self, path: str) -> str | None:
        """The build-context file that ends up at ``path`` (through the whole-context COPY or an earlier COPY)."""
        whole = self.area.whole
        rel = paths.relative(path, whole.target) if whole is not None else None
        return rel or self.origins.get(path)

    def at(self, cwd: str) -> Site:
        return replace(self, cwd=cwd)


@dataclass(frozen=True)
class Project:
    """A call that installs the project itself, and how its dependencies-only first step is made.

    ``option``: the option that leaves the project out (``word``).
    ``reader``: ``word`` is the local path installed (``.``, ``".[web]"`` unquoted); the first step
    reads ``pyproject`` with ``python`` and installs ``extras`` too.
    ``filter``: ``word`` is the requirements file whose local lines the first step drops.
    """

    how: Literal["option", "reader", "filter"]
    word: str
    editable: bool = False
    python: str = ""
    pyproject: str = ""
    extras: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reads:
    """What one call reads and writes."""

    install: bool = False  # installs dependencies from files
    needs: tuple[Need, ...] = ()
    outputs: tuple[str, ...] = ()  # files it writes (an export), absolute
    projects: tuple[tuple[str, str], ...] = ()  # (tool, manifest path) whose contents are checked
    project: Project | None = None


def check_paths(ins: Instruction, name: str, written: tuple[str, ...] | list[str], area: Area) -> None:
    """Every path must be absolute, plain and outside where the code goes."""
    for p in written:
        if not p.startswith("/") or "$" in p or area.touches(posixpath.normpath(p)):
            raise Stop(ins, f"`{name} {p}` ({line(ins)}) may touch the copied code")
