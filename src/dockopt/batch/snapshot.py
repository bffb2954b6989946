"""A scratch copy of the committed build contexts, so ``--git-branch`` never reads the working tree.

The rules read the build context (requirements files, ``pyproject.toml``,
``.dockerignore``) and the settings come from ``.dockopt.toml`` /
``pyproject.toml`` files above each Dockerfile. For a branch made from
``HEAD`` all of those must be ``HEAD``'s, not the checkout's uncommitted
edits, so the commit's files under each Dockerfile's folder, and the config
files in the folders above it, are written to a scratch folder that stands in
for the checkout.

Without ``--verify`` a file over :data:`CONTENT_LIMIT` is written as a sparse
file of the same size (the rules never read files that large, but may ask
whether they exist or how big they are); with ``--verify`` the context is
built, so every byte is written.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path

from ..config import CONFIG_NAME, PYPROJECT
from .blobs import BlobReader
from .tracked import Entry

CONTENT_LIMIT = 4 << 20


def _ancestors(folder: str) -> Iterable[str]:
    while True:
        yield folder
        if not folder:
            return
        parent = posixpath.dirname(folder)
        folder = parent


def _under(path: str, folder: str) -> bool:
    return not folder or path.startswith(folder + "/")


def select(entries: Iterable[Entry], folders: set[str]) -> list[Entry]:
    """The entries a snapshot for these Dockerfile folders needs."""
    config_folders = {a for f in folders for a in _ancestors(f)}
    out = []
    for entry in entries:
        name = posixpath.basename(entry.path)
        parent = posixpath.dirname(entry.path)
        if any(_under(entry.path, f) for f in folders) or (
            name in (CONFIG_NAME, PYPROJECT) and parent in config_folders
        ):
            out.append(entry)
    return out


def write(entries: Iterable[Entry], folders: set[str], dest: Path, blobs: BlobReader, *, full: bool) -> None:
    """Write the snapshot for ``folders`` (repository-relative, ``""`` for the top) under ``dest``."""
    for entry in select(entries, folders):
        parts = entry.path.split("/")
        if entry.path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            continue  # git refuses such paths; never write outside dest if one slipped through
        target = dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.is_symlink:
            os.symlink(blobs.read(entry.oid).decode("utf-8", "surrogateescape"), target)
            continue
        if not full and entry.size is not None and entry.size > CONTENT_LIMIT:
            with open(target, "wb") as fh:
                fh.truncate(entry.size)
        else:
            target.write_bytes(blobs.read(entry.oid))
        if entry.mode == "100755":
            target.chmod(0o755)
