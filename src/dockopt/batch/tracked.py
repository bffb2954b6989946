"""The files git tracks in a repository, and which of them are Dockerfiles.

Two listings: the commit's tree (``git ls-tree``, for ``--git-branch``, which
never looks at the working tree) and the index (``git ls-files``, for the dry
run and ``--write``, which work on the checkout). Either way ``.gitignore``d
and untracked files are not there, and a Dockerfile counts when ``dockopt
rewrite`` would find it in a folder: the same names
(:func:`dockopt.fileio.is_dockerfile_name`) outside the same skipped folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from ..fileio import SKIP_DIRS, is_dockerfile_name
from .git import Git

SYMLINK = "120000"
GITLINK = "160000"


@dataclass(frozen=True)
class Entry:
    """A tracked file: its path from the repository's top (``/``-separated), mode, object id and size."""

    path: str
    mode: str
    oid: str
    size: int | None = None  # known from ls-tree; None from the index

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK

    @property
    def folder(self) -> str:
        """The folder holding the file, ``""`` for the top."""
        parent = str(PurePosixPath(self.path).parent)
        return "" if parent == "." else parent


def is_candidate(path: str) -> bool:
    """A path ``dockopt rewrite DIR`` would pick up: a Dockerfile's name, no skipped folder on the way."""
    parts = path.split("/")
    return is_dockerfile_name(parts[-1]) and not any(p in SKIP_DIRS for p in parts[:-1])


def commit_tree(git: Git, commit: str) -> list[Entry]:
    """Every file (blobs and symlinks; not submodules) in ``commit``'s tree."""
    out = git.run("ls-tree", "-r", "-z", "-l", "--full-tree", commit)
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, oid, size = meta.decode("ascii").split()
        if kind != "blob":
            continue
        entries.append(Entry(_path(raw_path), mode, oid, int(size)))
    return entries


def index_files(git: Git) -> list[Entry]:
    """Every file the index tracks (one entry per path, also for a conflict; no submodules)."""
    out = git.run("ls-files", "-z", "-s")
    seen: dict[str, Entry] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, oid, _stage = meta.decode("ascii").split()
        if mode == GITLINK:
            continue
        path = _path(raw_path)
        seen.setdefault(path, Entry(path, mode, oid))
    return list(seen.values())


def dockerfiles(entries: list[Entry]) -> list[Entry]:
    return sorted((e for e in entries if is_candidate(e.path)), key=lambda e: e.path)


def _path(raw: bytes) -> str:
    # -z gives paths verbatim; undecodable bytes survive as surrogates, as file contents do.
    return raw.decode("utf-8", "surrogateescape")
