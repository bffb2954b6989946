"""Reading and writing Dockerfiles without changing a byte dockopt did not mean to change.

Text is handled losslessly: files are read as bytes and decoded as UTF-8 with
``surrogateescape``, so a stray Latin-1 byte, a BOM, CRLF line endings or a
missing final newline all survive a round trip through :func:`encode`. Writes
are atomic: a temporary file in the same directory, fsynced, given the
original's mode, then ``os.replace``\\d over it, so a crash or a full disk can
never leave a half-written Dockerfile.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

# Reading lives in textio (no pathlib, for start-up time); re-exported for callers of fileio.
from .textio import ENCODING as ENCODING
from .textio import ERRORS as ERRORS
from .textio import FileError as FileError
from .textio import decode as decode
from .textio import encode as encode
from .textio import read_bytes as read_bytes
from .textio import read_stdin as read_stdin
from .textio import write_stdout as write_stdout

#: Directories never searched when a directory is given on the command line.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


def write_atomic(path: Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace ``path``'s content with ``data`` atomically, keeping its mode.

    A symlink is followed: the file it points at is replaced and the link
    stays. With ``expected``, the file is re-read just before the replace and
    left alone if someone changed it since dockopt read it.
    """
    target = Path(os.path.realpath(path))
    try:
        st = target.stat()
    except OSError as exc:
        raise FileError(f"{path}: cannot write ({exc.strerror or exc})") from None
    if expected is not None and read_bytes(target) != expected:
        raise FileError(f"{path}: changed on disk while dockopt was running; not written")
    _replace(path, target, data, stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid))


def write_new_atomic(path: Path, data: bytes) -> None:
    """Create or replace ``path`` (a report, a patch) atomically: readers see the old file or the whole new one.

    A new file gets the usual mode (0666 less the umask); an existing one keeps its mode.
    """
    target = Path(os.path.realpath(path))
    try:
        st = target.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        _replace(path, target, data, 0o666 & ~umask, None)
        return
    except OSError as exc:
        raise FileError(f"{path}: cannot write ({exc.strerror or exc})") from None
    _replace(path, target, data, stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid))


def create_new_atomic(path: Path, data: bytes) -> None:
    """Create ``path`` holding ``data`` only if nothing is there, atomically: never overwrites, never half-written.

    The data goes to a temporary file beside it first, which is then
    hard-linked to ``path`` (``link`` fails if ``path`` exists, where a rename
    would replace it). On a filesystem without hard links the file is opened
    with O_EXCL and written; a failure removes what was written.
    """
    import tempfile

    umask = os.umask(0)
    os.umask(umask)
    fd, tmp_name = -1, ""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockopt.tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as tmp:
            fd = -1
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o666 & ~umask)
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            raise
        except OSError:
            _create_exclusive(path, data, 0o666 & ~umask)
        _fsync_dir(path.parent)
    except FileExistsError:
        raise FileError(f"{path}: already exists; not overwritten") from None
    except OSError as exc:
        raise FileError(f"{path}: cannot create ({exc.strerror or exc})") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _create_exclusive(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def _replace(path: Path, target: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    """Write ``data`` to a temporary file beside ``target``, fsync it, give it ``mode``, rename it over ``target``."""
    import tempfile

    fd, tmp_name = -1, ""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dockopt.tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as tmp:
            fd = -1  # owned by the file object now
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, mode)
        if owner is not None and hasattr(os, "chown"):
            with contextlib.suppress(OSError):  # only root may give a file away; the mode is what matters
                os.chown(tmp_name, *owner)
        os.replace(tmp_name, target)
        tmp_name = ""
        _fsync_dir(target.parent)
    except OSError as exc:
        raise FileError(f"{path}: cannot write ({exc.strerror or exc}); the file was not changed") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; not every platform lets a directory be opened."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# -- finding Dockerfiles ---------------------------------------------------------------


def is_dockerfile_name(name: str) -> bool:
    """``Dockerfile``, ``*.Dockerfile``, ``Dockerfile.*``, ``Containerfile`` (any case).

    ``Dockerfile.dockerignore`` is BuildKit's per-Dockerfile ignore file, not a Dockerfile.
    """
    low = name.lower()
    if low.endswith(".dockerignore"):
        return False
    return low in ("dockerfile", "containerfile") or low.endswith(".dockerfile") or low.startswith("dockerfile.")


def find_dockerfiles(directory: Path) -> Iterator[Path]:
    """Dockerfiles under ``directory`` in a stable order, skipping VCS, dependency and venv folders."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if is_dockerfile_name(name):
                yield Path(root) / name


def excluded(path: str | os.PathLike[str], patterns: Iterable[str], base: Path) -> bool:
    """True when ``path`` matches one of the ``exclude`` globs.

    Like ruff: a pattern without ``/`` matches any component of the path
    (``legacy`` excludes every folder or file named so, ``*.old`` any such
    file); a pattern with ``/`` matches the path relative to ``base`` (the
    folder holding the config file).
    """
    resolved = Path(os.path.abspath(path))
    try:
        rel = resolved.relative_to(Path(os.path.abspath(base))).as_posix()
    except ValueError:
        rel = None
    for pattern in patterns:
        pat = pattern.rstrip("/")
        if "/" in pat:
            pat = pat.removeprefix("./")
            if rel is not None and (fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(rel, pat + "/*")):
                return True
        else:
            parts = (resolved.name,) if rel is None else Path(rel).parts
            if any(fnmatch.fnmatchcase(part, pat) for part in parts):
                return True
    return False
