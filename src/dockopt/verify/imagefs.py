"""Reading an image's files without running anything in it.

A stopped container (``docker create``) and ``docker cp CONTAINER:PATH -``
give a tar stream of any path in the image, whatever the image contains: no
shell, no Python, no ``which`` needed. That answers two questions the same
way for every image: where does an executable name resolve on the image's
PATH (and what does its ``#!`` line say), and what files are under the
working directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import posixpath
import re
import shlex
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..engine import Engine

#: Shells whose ``-c`` script we look into for the command it starts.
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
_PYTHON_NAME = re.compile(r"^python(\d+(\.\d+)?)?$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Executable:
    """Where a command name resolved in an image."""

    name: str                 # as written (``gunicorn``, ``./boot.sh``)
    path: str | None          # absolute path it resolved to, None if it does not
    executable: bool = False  # has an x bit (after following symlinks)
    shebang: str | None = None  # the ``#!`` line without ``#!``, if a script

    @property
    def interpreter(self) -> list[str]:
        """The script's interpreter argv from its shebang (``[]`` if none)."""
        if not self.shebang:
            return []
        return self.shebang.split()


@dataclass(frozen=True)
class FileEntry:
    """One path under the working directory: kind (f file, d dir, l symlink,
    o other), permission bits, owner, and the sha256 (file) or target (link)."""

    kind: str
    mode: int
    uid: int
    gid: int
    digest: str = ""


def is_python(path: str) -> bool:
    return bool(_PYTHON_NAME.match(posixpath.basename(path)))


def command_argv(entrypoint: Sequence[str] | None, cmd: Sequence[str] | None) -> list[str]:
    """What ``docker run IMAGE`` executes: ENTRYPOINT + CMD, or CMD alone."""
    return [*(entrypoint or ()), *(cmd or ())]


def shell_command_word(script: str) -> str | None:
    """The command a ``sh -c`` script starts with, when it is a plain word:
    ``exec gunicorn app:app`` -> ``gunicorn``; anything too clever -> None."""
    try:
        lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:
        return None
    for word in words:
        if _ASSIGNMENT.match(word) or word in ("exec", "set", "-e", "-x", "-eu", "-ex"):
            continue
        if any(c in word for c in "$`*?[]{}~;&|()<>"):
            return None
        return word
    return None


def candidate_commands(entrypoint: Sequence[str] | None, cmd: Sequence[str] | None) -> list[str]:
    """The command names ``docker run IMAGE`` depends on, in order: argv[0];
    the command of a ``sh -c`` script; CMD[0] behind an ENTRYPOINT (an
    entrypoint script usually ends in ``exec "$@"``). Comparing where each
    resolves in both images is symmetric, so a candidate that is not a
    command at all (``--port``) simply resolves in neither."""
    argv = command_argv(entrypoint, cmd)
    out: list[str] = []
    if not argv:
        return out
    out.append(argv[0])
    if posixpath.basename(argv[0]) in SHELLS and len(argv) >= 3 and argv[1] == "-c":
        word = shell_command_word(argv[2])
        if word:
            out.append(word)
    if entrypoint and cmd and not cmd[0].startswith("-"):
        out.append(cmd[0])
    return list(dict.fromkeys(out))


class ImageFiles:
    """A stopped container of one image, for reading its files. Use as a
    context manager: the container is removed at the end."""

    def __init__(self, engine: Engine, tag: str) -> None:
        self.engine = engine
        self.tag = tag
        self.container: str | None = None
        self._resolved: dict[tuple[str, str, str], Executable] = {}

    def __enter__(self) -> ImageFiles:
        self.container = self.engine.create_container(self.tag)
        return self

    def __exit__(self, *_: object) -> None:
        if self.container is not None:
            self.engine.remove_container(self.container)
            self.container = None

    # -- single files ------------------------------------------------------------------------
    def stat(self, path: str) -> Executable | None:
        """Follow ``path`` (symlinks included) and read its mode and first line."""
        assert self.container is not None
        with self.engine.copy_from(self.container, path, follow_link=True) as stream:
            if stream is None:
                return None
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                member = tar.next()
                if member is None:
                    return None
                shebang = None
                if member.isfile():
                    fh = tar.extractfile(member)
                    head = fh.read(256) if fh is not None else b""
                    if head.startswith(b"#!"):
                        shebang = head[2:].split(b"\n", 1)[0].decode(errors="replace").strip()
                return Executable(
                    name=path, path=path, executable=member.isfile() and bool(member.mode & 0o111), shebang=shebang
                )

    def resolve(self, name: str, path_env: str, workdir: str) -> Executable:
        """Where ``name`` resolves as the runtime would run it: an absolute
        path as is, ``./x`` or ``a/b`` against the working directory, a bare
        name on the image's PATH (first executable hit, like execvp)."""
        key = (name, path_env, workdir)
        if key in self._resolved:
            return self._resolved[key]
        if "/" in name:
            candidates = [name if name.startswith("/") else posixpath.normpath(posixpath.join(workdir or "/", name))]
        else:
            candidates = [posixpath.join(d or ".", name) for d in path_env.split(":") if d.startswith("/")]
        found = Executable(name=name, path=None)
        for path in candidates:
            st = self.stat(path)
            if st is not None and (st.executable or "/" in name):
                found = Executable(name=name, path=path, executable=st.executable, shebang=st.shebang)
                break
        self._resolved[key] = found
        return found

    def python_for(self, entrypoint: Sequence[str] | None, cmd: Sequence[str] | None, path_env: str, workdir: str) -> str | None:
        """The interpreter the image's own command uses: argv[0] if it is a
        python, else the python of its ``#!`` line (a console script such as
        ``gunicorn`` in a virtualenv), else ``python3``/``python`` on PATH."""
        for name in candidate_commands(entrypoint, cmd):
            exe = self.resolve(name, path_env, workdir)
            if exe.path is None or not exe.executable:
                continue
            if is_python(exe.path):
                return exe.path
            interp = exe.interpreter
            if interp and posixpath.basename(interp[0]) == "env" and len(interp) > 1:
                interp = interp[1:]
            if interp and is_python(interp[0]):
                target = self.resolve(interp[0], path_env, workdir)
                if target.path is not None and target.executable:
                    return target.path
        for name in ("python3", "python"):
            exe = self.resolve(name, path_env, workdir)
            if exe.path is not None and exe.executable:
                return exe.path
        return None

    # -- a whole tree --------------------------------------------------------------------------
    def tree(self, root: str) -> dict[str, FileEntry] | None:
        """Every path under ``root`` (relative to it) with kind, mode, owner
        and content hash; None if ``root`` does not exist."""
        assert self.container is not None
        entries: dict[str, FileEntry] = {}
        with self.engine.copy_from(self.container, root.rstrip("/") + "/.") as stream:
            if stream is None:
                return None
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    rel = _relative(member.name)
                    if rel is None:
                        continue
                    if member.isfile():
                        digest = _sha256(tar, member)
                        kind = "f"
                    elif member.isdir():
                        kind, digest = "d", ""
                    elif member.issym():
                        kind, digest = "l", member.linkname
                    elif member.islnk():
                        kind, digest = "f", "hardlink:" + (_relative(member.linkname) or member.linkname)
                    else:
                        kind, digest = "o", ""
                    entries[rel] = FileEntry(kind, member.mode & 0o7777, member.uid, member.gid, digest)
        return entries


def _relative(name: str) -> str | None:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    # docker cp of DIR/. names entries "./x" (or "DIR/x" on some versions).
    return "/".join(parts) if parts else None


def _sha256(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    h = hashlib.sha256()
    fh = tar.extractfile(member)
    if fh is not None:
        with contextlib.closing(fh):
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def iter_dirs(paths: Iterator[str]) -> Iterator[str]:
    """Every ancestor folder of each path (``a/b/c`` -> ``a``, ``a/b``)."""
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts)):
            yield "/".join(parts[:i])
