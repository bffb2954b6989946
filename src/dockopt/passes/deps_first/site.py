"""What the classification of a command is given (a :class:`Site`) and what it returns (:class:`Reads`)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from ... import lazyre
from ...model import paths
from ...model.analysis import Analysis
from ...model.context import BuildContext
from ...records_base import Record
from ...syntax import Instruction
from .common import Need, Stop, line
from .copies import Area

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

#: Paths and names dockopt writes into a command without quoting.
PLAIN_RE = lazyre.compile(r"[A-Za-z0-9_./+-]+")


class Site(Record):
    """Where a command runs, and what the classifiers may ask about it."""

    _fields = ("ins", "cwd", "area", "model", "origins", "image")
    __slots__ = _fields
    ins: Instruction
    cwd: str
    area: Area
    model: Analysis
    origins: Mapping[str, str]  # image path -> context path of files earlier COPYs put in place
    image: str | None  # the stage's base image, ARGs expanded

    def __init__(
        self,
        ins: Instruction,
        cwd: str,
        area: Area,
        model: Analysis,
        origins: Mapping[str, str],
        image: str | None,
    ) -> None:
        self._set(ins, cwd, area, model, origins, image)

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
        return self.with_changes(cwd=cwd)


class Project(Record):
    """A call that installs the project itself, and how its dependencies-only first step is made.

    ``option``: the option that leaves the project out (``word``).
    ``reader``: ``word`` is the local path installed (``.``, ``".[web]"`` unquoted); the first step
    reads ``pyproject`` with ``python`` and installs ``extras`` too.
    ``filter``: ``word`` is the requirements file whose local lines the first step drops.
    """

    _fields = ("how", "word", "editable", "python", "pyproject", "extras")
    __slots__ = _fields
    how: Literal["option", "reader", "filter"]
    word: str
    editable: bool
    python: str
    pyproject: str
    extras: tuple[str, ...]

    def __init__(
        self,
        how: Literal["option", "reader", "filter"],
        word: str,
        editable: bool = False,
        python: str = "",
        pyproject: str = "",
        extras: tuple[str, ...] = (),
    ) -> None:
        self._set(how, word, editable, python, pyproject, extras)


class Reads(Record):
    """What one call reads and writes."""

    _fields = ("install", "needs", "outputs", "projects", "project")
    __slots__ = _fields
    install: bool  # installs dependencies from files
    needs: tuple[Need, ...]
    outputs: tuple[str, ...]  # files it writes (an export), absolute
    projects: tuple[tuple[str, str], ...]  # (tool, manifest path) whose contents are checked
    project: Project | None

    def __init__(
        self,
        install: bool = False,
        needs: tuple[Need, ...] = (),
        outputs: tuple[str, ...] = (),
        projects: tuple[tuple[str, str], ...] = (),
        project: Project | None = None,
    ) -> None:
        self._set(install, needs, outputs, projects, project)


def check_paths(ins: Instruction, name: str, written: tuple[str, ...] | list[str], area: Area) -> None:
    """Every path must be absolute, plain and outside where the code goes."""
    for p in written:
        if not p.startswith("/") or "$" in p or area.touches(posixpath.normpath(p)):
            raise Stop(ins, f"`{name} {p}` ({line(ins)}) may touch the copied code")
