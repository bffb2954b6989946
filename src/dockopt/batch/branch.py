"""Committing rewritten files on a branch with git plumbing, never touching the user's checkout.

``git checkout``/``stash``/``commit`` all go through the working tree or the
index. Here the new tree is built in a temporary index (``GIT_INDEX_FILE``):
``read-tree HEAD``, ``hash-object -w`` for the new contents,
``update-index --index-info`` to put them at their paths, ``write-tree``;
then ``commit-tree`` with ``HEAD`` as parent and ``update-ref`` with the old
value, so a concurrent change to the branch fails instead of being lost. The
current branch, the index and every file in the working tree stay as they
were. Nothing is pushed.

A second run makes no commit when the branch's tip already has ``HEAD`` as
its only parent and the same tree. When ``HEAD`` has moved, the branch is made
again from ``HEAD``, but only if its tip is a commit ``dockopt batch`` made
(its message ends with the :data:`TRAILER` trailer): a branch of the same
name holding someone's work, or checked out in a worktree, is left alone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from .git import Git, GitError
from .records import BranchAction

TRAILER = "Dockopt-Batch"

_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "dockopt batch",
    "GIT_AUTHOR_EMAIL": "dockopt@localhost",
    "GIT_COMMITTER_NAME": "dockopt batch",
    "GIT_COMMITTER_EMAIL": "dockopt@localhost",
}


class BranchRefused(GitError):
    """The branch exists and is not dockopt's to replace, or it is checked out."""


@dataclass(frozen=True)
class BranchResult:
    action: BranchAction
    commit: str | None


def check_name(branch: str) -> str | None:
    """Why ``branch`` is not a valid branch name, or None.

    ``git check-ref-format refs/heads/NAME`` needs no repository and, unlike
    ``--branch``, does not expand ``@{-1}`` against the current folder's one.
    """
    if branch.startswith("-"):
        return "a branch name cannot start with -"
    try:
        Git(Path.cwd()).run("check-ref-format", f"refs/heads/{branch}")
    except GitError:
        return "git check-ref-format refuses it"
    return None


def commit_branch(
    git: Git, head: str, branch: str, files: Mapping[str, tuple[str, bytes]], message: str
) -> BranchResult:
    """Point ``refs/heads/BRANCH`` at a commit of ``head`` with ``files`` (path -> (mode, bytes)) replaced."""
    ref = f"refs/heads/{branch}"
    current = git.resolve(ref)
    if not files:
        return BranchResult("none", current)
    if ref in checked_out(git):
        raise BranchRefused(f"branch {branch} is checked out; dockopt batch does not move a checked-out branch")
    if current is not None and not made_by_dockopt(git, current):
        raise BranchRefused(
            f"branch {branch} exists and dockopt batch did not make it (its tip {current[:12]} has no "
            f"{TRAILER} trailer); left alone: delete it or choose another --git-branch"
        )
    tree = write_tree(git, head, files)
    if current is not None:
        parents = git.text("rev-list", "--parents", "-n", "1", current).split()[1:]
        if parents == [head] and git.resolve(f"{current}^{{tree}}") == tree:
            return BranchResult("unchanged", current)
    full_message = f"{message.rstrip()}\n\n{TRAILER}: {__version__}\n"
    commit = git.run("commit-tree", tree, "-p", head, input=full_message.encode("utf-8"), env=identity(git))
    new = commit.decode("ascii").strip()
    old = current if current is not None else "0" * len(head)
    git.run("update-ref", "-m", f"dockopt batch: rewrite of {head[:12]}", ref, new, old)
    return BranchResult("created" if current is None else "updated", new)


def write_tree(git: Git, head: str, files: Mapping[str, tuple[str, bytes]]) -> str:
    """The tree of ``head`` with ``files`` replaced, built in a temporary index."""
    with tempfile.TemporaryDirectory(prefix="dockopt-batch-") as scratch:
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git.run("read-tree", head, env=index)
        paths = sorted(files)
        blobs = []
        for n, path in enumerate(paths):
            blob = Path(scratch) / f"blob-{n}"
            blob.write_bytes(files[path][1])
            blobs.append(str(blob))
        oids = git.run("hash-object", "-w", "--no-filters", "--stdin-paths", input="\n".join(blobs).encode() + b"\n")
        lines = oids.decode("ascii").split()
        if len(lines) != len(paths):
            raise GitError("git hash-object returned an unexpected answer")
        records = b"".join(
            f"{files[path][0]} {oid}\t".encode("ascii") + path.encode("utf-8", "surrogateescape") + b"\0"
            for path, oid in zip(paths, lines, strict=True)
        )
        git.run("update-index", "-z", "--index-info", input=records, env=index)
        return git.text("write-tree", env=index)


def made_by_dockopt(git: Git, commit: str) -> bool:
    body = git.run("cat-file", "commit", commit).decode("utf-8", "replace")
    message = body.partition("\n\n")[2]
    return any(line.startswith(f"{TRAILER}:") for line in message.splitlines())


def checked_out(git: Git) -> set[str]:
    """The branch refs checked out in any worktree of this repository."""
    out = git.text("worktree", "list", "--porcelain")
    return {line.removeprefix("branch ") for line in out.splitlines() if line.startswith("branch ")}


def identity(git: Git) -> dict[str, str]:
    """The user's identity when git knows it, else a stand-in so commit-tree does not refuse."""
    try:
        git.run("var", "GIT_AUTHOR_IDENT")
        git.run("var", "GIT_COMMITTER_IDENT")
    except GitError:
        return dict(_FALLBACK_IDENTITY)
    return {}
