"""A tracked Dockerfile's bytes, from the commit or the checkout, or the reason it is not read.

Files named like Dockerfiles are not always Dockerfiles: a symlink (perhaps
leaving the repository), a binary test fixture, a generated megabyte. Those
are outcomes of one file (``skipped-file`` with the reason, or ``error`` when
the file cannot be read), never a reason to stop a batch.
"""

from __future__ import annotations

import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path

from .blobs import BlobReader
from .tracked import Entry

#: Larger files are skipped: a Dockerfile is a few kilobytes, and a megabyte named so is generated or data.
MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class Loaded:
    """Exactly one is set: the bytes, why the file is skipped, or why it could not be read."""

    data: bytes | None = None
    skip: str | None = None
    error: str | None = None


def check(data: bytes) -> str | None:
    """Why these bytes are not a Dockerfile to rewrite, or None."""
    if len(data) > MAX_BYTES:
        return too_big(len(data))
    if b"\0" in data:
        return "binary data (a NUL byte), not a Dockerfile"
    return None


def too_big(size: int) -> str:
    return f"{size} bytes, over the {MAX_BYTES} byte limit for a Dockerfile"


def symlink_reason(path: str, target: str, *, leaves: bool) -> str:
    if leaves:
        return f"a symlink to {target}, outside the repository; not followed"
    return f"a symlink to {target}; the file it points at is rewritten under its own name if it is a Dockerfile"


def from_commit(entry: Entry, blobs: BlobReader) -> Loaded:
    """The committed bytes of ``entry`` (from ``git ls-tree``)."""
    if entry.size is not None and entry.size > MAX_BYTES:
        return Loaded(skip=too_big(entry.size))
    data = blobs.read(entry.oid)
    if entry.is_symlink:
        target = data.decode("utf-8", "surrogateescape")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), target))
        leaves = posixpath.isabs(target) or resolved == ".." or resolved.startswith("../")
        return Loaded(skip=symlink_reason(entry.path, target, leaves=leaves))
    reason = check(data)
    return Loaded(skip=reason) if reason else Loaded(data=data)


def from_checkout(root: Path, entry: Entry) -> Loaded:
    """The working tree's bytes of a tracked file."""
    path = root / entry.path
    try:
        st = path.lstat()
    except FileNotFoundError:
        return Loaded(skip="tracked but deleted in the working tree")
    except OSError as exc:
        return Loaded(error=f"cannot read ({exc.strerror or exc})")
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        real = Path(os.path.realpath(path))
        leaves = not real.is_relative_to(Path(os.path.realpath(root)))
        return Loaded(skip=symlink_reason(entry.path, target, leaves=leaves))
    if not stat.S_ISREG(st.st_mode):
        return Loaded(skip="not a regular file in the working tree")
    if st.st_size > MAX_BYTES:
        return Loaded(skip=too_big(st.st_size))
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return Loaded(error=f"cannot read ({exc.strerror or exc})")
    reason = check(data)
    return Loaded(skip=reason) if reason else Loaded(data=data)
