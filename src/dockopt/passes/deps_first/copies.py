"""Which COPYs bring the code, and where in the image they write.

Two kinds of code COPY move below the dependency install:

* the whole build context (``COPY . .``, ``ADD . /app``): the install's
  manifests are inside it, so a COPY of just those takes its place;
* a part of the project copied into the working directory (``COPY src/ src/``,
  ``COPY templates/ ./templates/``): it moves as written, provided the install
  reads nothing it writes (the install's manifests come from elsewhere).

A COPY writes below its destination; dockopt keeps that as a *region*, a
path with everything under it. Only a file copied into a directory has a
narrower region (``COPY app.py .`` writes ``/app/app.py``), and only when the
build context shows the source is a file. Regions are compared with the path
algebra of :mod:`dockopt.model.paths`, so two unknown paths may overlap.
"""

from __future__ import annotations

import posixpath

from ...model import paths
from ...model.analysis import Analysis
from ...model.context import BuildContext
from ...records_base import Record
from ...syntax import Instruction
from .common import line

_NOT_LITERAL = frozenset("$*?[]\\\"'`")


class CodeCopy(Record):
    _fields = ("ins", "sources", "dest", "target", "whole", "regions", "left", "moved")
    __slots__ = _fields
    ins: Instruction
    sources: tuple[str, ...]
    dest: str  # as written
    target: str  # the destination, absolute
    whole: bool  # copies the whole build context
    regions: tuple[str, ...]  # where it writes: each path and everything below it
    left: Instruction | None  # split in two (:mod:`.parts`): the COPY of the manifests, in its place
    moved: Instruction | None  # and the COPY of the rest (``sources``), which moves

    def __init__(
        self,
        ins: Instruction,
        sources: tuple[str, ...],
        dest: str,
        target: str,
        whole: bool,
        regions: tuple[str, ...],
        left: Instruction | None = None,
        moved: Instruction | None = None,
    ) -> None:
        self._set(ins, sources, dest, target, whole, regions, left, moved)

    def writes(self, path: str) -> bool:
        """Whether this COPY may write ``path`` (or something inside it, or a directory containing it)."""
        return any(paths.may_overlap(path, r) for r in self.regions)


class Area(Record):
    """The code COPYs being moved, in order: what the instructions they move past must not touch."""

    _fields = ("copies",)
    __slots__ = _fields
    copies: tuple[CodeCopy, ...]

    def __init__(self, copies: tuple[CodeCopy, ...]) -> None:
        self._set(copies)

    def touches(self, path: str) -> bool:
        return any(c.writes(path) for c in self.copies)

    def plus(self, copy: CodeCopy) -> Area:
        return Area((*self.copies, copy))

    @property
    def whole(self) -> CodeCopy | None:
        return next((c for c in self.copies if c.whole), None)


def is_whole_copy(ins: Instruction) -> bool:
    """A COPY/ADD of the whole build context (``COPY . .``, ``ADD . /app``)."""
    parts = ins.copy_sources_and_dest() if ins.keyword in ("COPY", "ADD") else None
    return parts is not None and len(parts[0]) == 1 and parts[0][0] in (".", "./")


def code_copy(ins: Instruction, model: Analysis, context: BuildContext) -> CodeCopy | None:
    """The code COPY ``ins`` is, or None when it is not one."""
    parts = ins.copy_sources_and_dest() if ins.keyword in ("COPY", "ADD") else None
    if parts is None:
        return None
    sources, dest = tuple(parts[0]), parts[1]
    target = model.scope.path(ins, dest)
    if is_whole_copy(ins):
        return CodeCopy(ins, sources, dest, target, True, (target,))
    workdir = model.scope.workdir(ins)
    if ins.flag("from") is not None or workdir in ("/", paths.UNKNOWN) or not all(_context_path(s) for s in sources):
        return None  # (a base image's unknown WORKDIR may be /, where `COPY etc/ etc/` writes /etc)
    into_dir = dest.endswith("/") or len(sources) > 1 or target == workdir
    regions = tuple(_region(ins, s, target, into_dir, context) for s in sources)
    if not all(paths.under(r, workdir) and r != workdir for r in regions):
        return None  # not a part of the project in the working directory
    return CodeCopy(ins, sources, dest, target, False, regions)


def _context_path(source: str) -> bool:
    """A plain path in the build context (no URL, variable, glob or way out of the context)."""
    if "://" in source or source.startswith("git@") or any(c in _NOT_LITERAL for c in source):
        return False
    rel = posixpath.normpath(source.lstrip("/") or ".")
    return rel != ".." and not rel.startswith("../")


def _region(ins: Instruction, source: str, target: str, into_dir: bool, context: BuildContext) -> str:
    """Where one source of a COPY lands: a directory's contents go into the target, a file beside them."""
    rel = posixpath.normpath(source.lstrip("/") or ".")
    is_file = ins.keyword == "COPY" and context.is_dir(rel) is False and context.exists(rel) is True
    if is_file and into_dir:
        return posixpath.join(target, posixpath.basename(rel))
    return target


def check_other_copy(ins: Instruction, model: Analysis, area: Area) -> str | None:
    """Why a COPY between the code COPY and the install stops it (it writes where the code goes), or None."""
    parts = ins.copy_sources_and_dest()
    if parts is None:
        return f"the {ins.keyword} on {line(ins)} may write where the code goes"
    dest = parts[1]
    target = model.scope.path(ins, dest)
    regions = [target]
    if ins.keyword == "COPY" and ins.flag("from") is None:
        into_dir = dest.endswith("/") or len(parts[0]) > 1 or target == model.scope.workdir(ins)
        regions = [_region(ins, s, target, into_dir, model.context) for s in parts[0]]
    if "$" in dest or any(area.touches(r) for r in regions):
        return f"the {ins.keyword} on {line(ins)} writes to `{dest}`, where the code COPY also writes"
    return None


def origins(before: tuple[Instruction, ...], model: Analysis) -> dict[str, str]:
    """Files earlier plain COPYs put in the image: absolute path -> context path (the last COPY wins)."""
    out: dict[str, str] = {}
    for ins in before:
        parts = ins.copy_sources_and_dest() if ins.keyword in ("COPY", "ADD") else None
        if parts is None or ins.flag("from") is not None:
            continue
        sources, dest = parts
        target = model.scope.path(ins, dest)
        into_dir = dest.endswith("/") or len(sources) > 1 or target == model.scope.workdir(ins)
        for s in sources:
            if not _context_path(s) or s in (".", "./"):
                continue
            rel = posixpath.normpath(s.lstrip("/"))
            out[posixpath.join(target, posixpath.basename(rel)) if into_dir else target] = rel
    return out
