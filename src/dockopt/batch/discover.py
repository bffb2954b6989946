"""Which repositories a batch covers, and the identifier each one keeps across runs and machines.

A repository is a folder holding ``.git`` (a folder, or a file as in worktrees
and submodules). Every one under each ROOT is a unit, nested ones included:
the outer repository's ``git ls-files`` never lists a nested repository's
files, so no Dockerfile belongs to two units. The walk skips the folders
``dockopt rewrite`` skips (``node_modules``, virtualenvs, ...) and does not
follow symlinks.

The identifier is the repository's path relative to the ROOT it was found
under (``billing``, ``payments/ledger``), or the ROOT's own name when the ROOT
is the repository; with several ROOTs each identifier starts with its ROOT's
folder name (``team-a/billing``, ``team-b/billing``). It is the same on every
machine that lays the fleet out the same way, whatever the absolute paths. A
``--repos-file`` line is its own identifier.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..fileio import SKIP_DIRS


class DiscoveryError(ValueError):
    """The batch cannot start: a ROOT or the repos file is missing, or two repositories share an identifier."""


@dataclass(frozen=True, order=True)
class Repository:
    id: str  # stable identifier: the key of reports, resume, shards and merge
    path: Path  # where it is on this machine


def is_repository(folder: Path) -> bool:
    return (folder / ".git").exists() or (folder / ".git").is_symlink()


def find_repositories(roots: Sequence[Path]) -> list[Repository]:
    """Every repository under each ROOT, sorted by identifier."""
    found: list[Repository] = []
    for root in roots:
        if not root.is_dir():
            raise DiscoveryError(f"{root}: no such folder")
        found.extend(_walk(root, prefixed=len(roots) > 1))
    return unique(found)


def _walk(root: Path, *, prefixed: bool) -> Iterable[Repository]:
    own = Path(os.path.abspath(root)).name
    for folder, dirs, _files in os.walk(root):
        here = Path(folder)
        if ".git" in dirs or (here / ".git").is_file():
            rel = here.relative_to(root).as_posix()
            if rel == ".":
                yield Repository(own, here)
            else:
                yield Repository(f"{own}/{rel}" if prefixed else rel, here)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)


def read_repos_file(file: Path) -> list[Repository]:
    """One repository path a line (relative to the current folder); blank lines and ``#`` comments are skipped."""
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DiscoveryError(f"{file}: cannot read the repositories file ({reason})") from None
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found.append(Repository(_normalise(line), Path(line)))
    return unique(found)


def _normalise(line: str) -> str:
    """``./a/b/`` and ``a//b`` are the same repository ``a/b``."""
    text = line.replace(os.sep, "/") if os.sep != "/" else line
    return str(PurePosixPath(text)) if text not in ("", ".") else "."


def unique(repos: Iterable[Repository]) -> list[Repository]:
    by_id: dict[str, Repository] = {}
    for repo in repos:
        other = by_id.get(repo.id)
        if other is None:
            by_id[repo.id] = repo
        elif os.path.abspath(other.path) != os.path.abspath(repo.path):
            raise DiscoveryError(
                f"two repositories have the identifier {repo.id!r} ({other.path} and {repo.path}); "
                "identifiers key reports, resume and shards, so give the ROOTs distinct layouts"
            )
    return sorted(by_id.values())
