"""Running git in one repository, with an environment that cannot reach the user's other repositories.

``dockopt batch`` may run from inside a git hook or a CI step that exports
``GIT_DIR``, ``GIT_WORK_TREE`` or ``GIT_INDEX_FILE``; those would redirect every
command to the wrong repository or index, so they are removed. Optional locks
are off (``GIT_OPTIONAL_LOCKS=0``): read-only commands then never rewrite the
user's index to refresh its stat data. Messages are in the C locale so they
read the same everywhere.

The ``git`` command line is used rather than a library (pygit2, dulwich): it is
installed wherever repositories are, it honours the repository's own config
(object format, alternates, safe.directory), and plumbing commands are a stable
interface.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Variables that point git at another repository, index or object store.
_REDIRECTS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)

GIT = "git"


class GitError(RuntimeError):
    """A git command failed; the message holds the command and git's own words."""


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTS}
    env.update({"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"})
    if extra:
        env.update(extra)
    return env


class Git:
    """git commands run in ``root`` (a working tree's top folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok_codes: Sequence[int] = (0,),
    ) -> bytes:
        """stdout of ``git ARGS``; GitError unless the exit status is in ``ok_codes``."""
        try:
            proc = subprocess.run(
                [GIT, *args],
                cwd=self.root,
                input=input,
                env=git_env(env),
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc}") from None
        if proc.returncode not in ok_codes:
            words = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            said = words[-1] if words else f"exit status {proc.returncode}"
            raise GitError(f"git {args[0]} failed: {said.removeprefix('fatal: ')}")
        return proc.stdout

    def text(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        return self.run(*args, env=env).decode("utf-8", "surrogateescape").strip()

    def resolve(self, rev: str) -> str | None:
        """The object id ``rev`` names, or None when it names nothing (``rev-parse --verify -q``)."""
        out = self.run("rev-parse", "--verify", "-q", "--end-of-options", rev, ok_codes=(0, 1))
        name = out.decode("ascii", "replace").strip()
        return name or None

    def head(self) -> str | None:
        """The commit HEAD names; None in a repository with no commits yet."""
        return self.resolve("HEAD^{commit}")

    def toplevel(self) -> Path:
        return Path(self.text("rev-parse", "--show-toplevel"))
