"""Reading committed file contents: one ``git cat-file --batch`` process per repository.

Starting ``git show`` per file costs a process each; ``cat-file --batch``
answers any number of object ids over one pipe, in the order asked.
"""

from __future__ import annotations

import subprocess
from types import TracebackType

from .git import GIT, Git, GitError, git_env


class BlobReader:
    """``with BlobReader(git) as blobs: blobs.read(oid)``."""

    def __init__(self, git: Git) -> None:
        self._git = git
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobReader:
        try:
            self._proc = subprocess.Popen(
                [GIT, "cat-file", "--batch"],
                cwd=self._git.root,
                env=git_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc}") from None
        return self

    def read(self, oid: str) -> bytes:
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None, "use BlobReader in a with block"
        try:
            proc.stdin.write(oid.encode("ascii") + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline()
        except OSError as exc:
            raise GitError(f"git cat-file failed: {exc.strerror or exc}") from None
        parts = header.split()
        if len(parts) != 3:
            raise GitError(f"git cat-file: cannot read object {oid} ({header.decode('ascii', 'replace').strip()})")
        size = int(parts[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after the contents
        if len(data) != size:
            raise GitError(f"git cat-file: object {oid} was cut short")
        return data

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        if proc.stdout is not None:
            proc.stdout.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._proc = None
