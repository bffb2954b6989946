"""The build context as Docker sees it: one reader, ``.dockerignore`` honoured.

Rules read the context to decide what an install needs (requirement files and
what they include, a project's ``pyproject.toml``, a started script's
shebang). They never write to it. Every answer is None when there is no
context to read (``dockopt rewrite -`` without ``--context``), so a rule can
tell "absent" from "unknown".

Why a hand-written ``.dockerignore`` matcher: Docker's rules (moby's
patternmatcher: Go's filepath.Match per path component, ``**`` for any number
of directories, ``!`` exceptions applied in order, a match on a parent
directory excluding everything below) differ from gitignore's, and no
maintained Python package implements them.
"""

from __future__ import annotations

import codecs
import os
import posixpath
import re
from collections.abc import Iterator
from functools import cached_property

from .. import lazyre
from ..records_base import Mutable
from . import project

_COMMENT_RE = lazyre.compile(r"(^|\s)#.*$")
_LOCAL_URL_RE = lazyre.compile(r"@\s*(file:|\.|/)")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: Files larger than this are not read (a requirements file never is).
MAX_READ = 4_000_000
#: The walk of a context (:attr:`BuildContext.inventory`) stops after this many files and folders.
MAX_ENTRIES = 50_000


#: Byte-order marks and their codecs, UTF-32 before UTF-16 (a UTF-32-LE mark begins with UTF-16-LE's).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CODING = lazyre.compile(rb"coding[:=]\s*([-\w.]+)")


def decode_text(data: bytes) -> str:
    """A context file's text, decoded the way pip decodes a requirements file.

    pip (``pip._internal.utils.encoding.auto_decode``, not a public API, hence
    these lines) honours a byte-order mark, then a ``# -*- coding: X -*-``
    comment on one of the first two lines, then the locale, which is UTF-8 in a
    build container. Windows editors save requirements.txt as UTF-16 with a
    mark (bench/realworld: automl-streamlit); read as UTF-8 it names nothing.
    Undecodable bytes become U+FFFD: a file that reads badly names fewer
    packages, it never stops the analysis.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace")
    for line in data.split(b"\n", 2)[:2]:
        match = _CODING.search(line) if line.startswith(b"#") else None
        if match is not None:
            try:
                return data.decode(match.group(1).decode("ascii"), "replace")
            except LookupError:
                break
    return data.decode("utf-8", "replace")


class DockerIgnore:
    """``.dockerignore`` patterns, matched the way moby/patternmatcher matches them."""

    def __init__(self, text: str) -> None:
        self.patterns: list[tuple[re.Pattern[str], bool]] = []
        self.lines: list[str] = []  # the patterns as written (``!`` kept), for telling what is listed
        # As Docker's ignorefile.ReadAll: a byte-order mark is dropped, lines end at \n only (a \f or
        # \x1c inside a line does not end it), and each is trimmed.
        for line in text.removeprefix("\ufeff").split("\n"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            self.lines.append(line)
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            pattern = posixpath.normpath(line)
            if pattern.startswith("//"):  # POSIX keeps a leading "//"; Go's filepath.Clean makes it "/"
                pattern = "/" + pattern.lstrip("/")
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
            self.patterns.append((re.compile(_pattern_regex(pattern)), exclusion))
        self._exceptions = any(exclusion for _, exclusion in self.patterns)

    def ignored(self, rel: str) -> bool:
        rel = posixpath.normpath(rel)
        parents = rel.split("/")[:-1]
        matched = False
        for regex, exclusion in self.patterns:
            if exclusion != matched:
                continue
            hit = regex.match(rel) is not None
            if not hit:
                hit = any(regex.match("/".join(parents[: i + 1])) for i in range(len(parents)))
            if hit:
                matched = not exclusion
        return matched

    def ignored_below_kept_folder(self, rel: str) -> bool:
        """``ignored(rel)`` for a normalised path whose folders are all known not to be ignored.

        Without ``!`` lines no pattern can match a folder that is not ignored, so
        only the path itself needs matching: a walk that never descends into an
        ignored folder asks this instead of testing every parent again (a
        context of 6,000 files took two seconds, a million regex matches).
        """
        if self.has_exceptions:
            return self.ignored(rel)
        return any(regex.match(rel) is not None for regex, _exclusion in self.patterns)

    @property
    def has_exceptions(self) -> bool:
        """Whether a ``!`` line may bring back something below an excluded folder."""
        return self._exceptions


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A COPY source or ignore pattern (Go's filepath.Match per path component, ``**`` for any folders)."""
    return re.compile(_pattern_regex(posixpath.normpath(pattern.lstrip("/")) if pattern not in ("", ".") else "."))


def _pattern_regex(pattern: str) -> str:
    out = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                # Go's filepath.Match negates a class with ^ only: [!a] is "! or a" there, as BuildKit
                # matches it in .dockerignore and in COPY sources alike (not the shell's negation).
                body = pattern[i + 1 : end]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return "".join(out)


class BuildContext:
    """Read-only questions about a build context directory; None answers when there is none."""

    def __init__(self, root: Path | None) -> None:
        self.root: Path | None = None
        if root is not None:
            from pathlib import Path  # only for a real context: `dockopt rewrite -` (no context) starts without it

            self.root = Path(root)
        self._texts: dict[str, str | None] = {}
        self._tomls: dict[str, dict[str, Any] | None] = {}

    @cached_property
    def ignore(self) -> DockerIgnore | None:
        if self.root is None:
            return None
        path = self.root / ".dockerignore"
        return DockerIgnore(path.read_text("utf-8", "replace")) if path.is_file() else None

    @property
    def known(self) -> bool:
        return self.root is not None

    def _path(self, rel: str) -> Path | None:
        if self.root is None:
            return None
        rel = posixpath.normpath(rel.lstrip("/")) if rel not in ("", ".") else "."
        if rel == ".." or rel.startswith("../"):
            return None
        return self.root / rel

    def exists(self, rel: str) -> bool | None:
        path = self._path(rel)
        if path is None:
            return None if self.root is None else False
        return path.exists()

    def is_dir(self, rel: str) -> bool | None:
        path = self._path(rel)
        return None if path is None else path.is_dir()

    def ignored(self, rel: str) -> bool:
        return self.ignore is not None and self.ignore.ignored(rel)

    def shipped(self, rel: str) -> bool | None:
        """The file exists and reaches the build (not excluded by ``.dockerignore``)."""
        exists = self.exists(rel)
        return None if exists is None else exists and not self.ignored(rel)

    def read(self, rel: str) -> str | None:
        """The text of a context file (None: no context, not a file, or too large)."""
        if rel in self._texts:
            return self._texts[rel]
        path = self._path(rel)
        text = None
        try:
            if path is not None and path.is_file() and path.stat().st_size <= MAX_READ:
                text = decode_text(path.read_bytes())
        except OSError:
            text = None
        self._texts[rel] = text
        return text

    def toml(self, rel: str) -> dict[str, Any] | None:
        """A context file parsed as TOML, once per context (a uv.lock runs to thousands of tables, and
        several rules ask for it every round); the caller must not change the dict it gets."""
        try:
            return self._tomls[rel]
        except KeyError:
            data = self._tomls[rel] = project.load_toml(self.read(rel))
            return data

    def top_level(self) -> list[str] | None:
        """Names directly in the context that reach the build (``COPY . .`` brings these)."""
        if self.root is None or not self.root.is_dir():
            return None
        return sorted(p.name for p in self.root.iterdir() if not self.ignored(p.name))

    @cached_property
    def inventory(self) -> Inventory | None:
        """What the context sends to the builder: every file and folder not excluded (None: no context)."""
        if self.root is None or not self.root.is_dir():
            return None
        return _walk(self.root, self.ignore)

    def requirements(self, rel: str) -> Requirements:
        """A requirements file and everything it includes with ``-r``/``-c``, read once."""
        out = Requirements()
        _read_requirements(self, rel, out)
        return out


# ---------------------------------------------------------------------------
# What the context holds
# ---------------------------------------------------------------------------


class Inventory(Mutable):
    """The files (with their sizes) and folders of a context that reach the build, as context paths.

    ``truncated``: the walk stopped at :data:`MAX_ENTRIES`, so some are missing.
    Symbolic links are listed as files of their own (lstat) size and never
    followed: the builder sends a link, not what it points at.
    """

    _fields = ("files", "dirs", "truncated")
    __slots__ = _fields
    files: dict[str, int]
    dirs: set[str]
    truncated: bool

    def __init__(
        self,
        files: dict[str, int] | None = None,
        dirs: set[str] | None = None,
        truncated: bool = False,
    ) -> None:
        self.files = files if files is not None else {}
        self.dirs = dirs if dirs is not None else set()
        self.truncated = truncated

    def under(self, rel: str) -> Iterator[tuple[str, int]]:
        """The files inside folder ``rel`` (``.``: all of them)."""
        if rel in ("", "."):
            yield from self.files.items()
            return
        prefix = rel.rstrip("/") + "/"
        for path, size in self.files.items():
            if path.startswith(prefix):
                yield path, size

    def size_of(self, rel: str) -> int:
        """A file's size, or the total of a folder's files."""
        if rel in self.files:
            return self.files[rel]
        return sum(size for _, size in self.under(rel))

    def matching(self, source: str) -> list[str]:
        """The context paths (files and folders) a COPY/ADD source names; wildcards as BuildKit reads them."""
        rel = posixpath.normpath(source.lstrip("/")) if source.strip("/") not in ("", ".") else "."
        if rel == "." or rel == ".." or rel.startswith("../"):
            return ["."] if rel == "." else []
        if not any(c in rel for c in "*?["):
            return [rel] if rel in self.files or rel in self.dirs else []
        regex = glob_regex(rel)
        return sorted(p for p in (*self.files, *self.dirs) if regex.match(p))


def _walk(root: Path, ignore: DockerIgnore | None) -> Inventory:
    out = Inventory()
    pending = [""]
    seen = 0
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(os.scandir(root / folder if folder else root), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                out.truncated = True
                return out
            rel = f"{folder}/{entry.name}" if folder else entry.name
            ignored = ignore is not None and ignore.ignored_below_kept_folder(rel)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                size = 0 if is_dir else entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
            if is_dir:
                if not ignored:
                    out.dirs.add(rel)
                if not ignored or (ignore is not None and ignore.has_exceptions):
                    pending.append(rel)
            elif not ignored:
                out.files[rel] = size
    return out


# ---------------------------------------------------------------------------
# Requirement files
# ---------------------------------------------------------------------------

_URL_RE = lazyre.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_REQ_OPTION_RE = lazyre.compile(r"^(-r|--requirements?|-c|--constraints?)(?:\s*=\s*|\s+|(?<=^-r)|(?<=^-c))(\S+)")
_REQ_LOCAL_OPTION_RE = lazyre.compile(r"^(-e|--editable|-f|--find-links)(?:\s*=\s*|\s+|(?<=^-e)|(?<=^-f))(\S+)")
_VCS = ("git+", "hg+", "svn+", "bzr+")


class Requirements(Mutable):
    """What a requirements file and its includes ask for, as far as installing them before the code goes.

    ``files``: the file and its includes, context paths in reading order.
    ``local``: lines that install from the source tree (``-e .``, ``./pkg``,
    ``file:``, a local archive), with the file that has them. ``problem``:
    why the set cannot be read (a missing or ignored file, an include outside
    the context or named with a variable).
    """

    _fields = ("files", "local", "editable_local", "problem")
    __slots__ = _fields
    files: list[str]
    local: list[tuple[str, str]]  # (file, line)
    editable_local: list[tuple[str, str]]  # (file, target) of `-e <local path>`
    problem: str | None

    def __init__(
        self,
        files: list[str] | None = None,
        local: list[tuple[str, str]] | None = None,
        editable_local: list[tuple[str, str]] | None = None,
        problem: str | None = None,
    ) -> None:
        self.files = files if files is not None else []
        self.local = local if local is not None else []
        self.editable_local = editable_local if editable_local is not None else []
        self.problem = problem


def logical_lines(text: str) -> list[str]:
    """Requirement-file lines: continuations joined, comments removed."""
    out: list[str] = []
    buf = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            buf += raw[:-1]
            continue
        line = _COMMENT_RE.sub("", buf + raw).strip()
        buf = ""
        if line:
            out.append(line)
    if buf.strip():
        out.append(buf.strip())
    return out


def _read_requirements(context: BuildContext, rel: str, out: Requirements) -> None:
    if out.problem is not None or rel in out.files:
        return
    if len(out.files) > 50:
        out.problem = "the requirement files include more than 50 others; dockopt stops following them"
        return
    text = context.read(rel)
    if text is None or not context.shipped(rel):
        why = "is excluded by .dockerignore" if context.exists(rel) else "is not in the build context"
        out.problem = f"`{rel}` {why}"
        return
    out.files.append(rel)
    base = posixpath.dirname(rel)
    for line in logical_lines(text):
        m = _REQ_OPTION_RE.match(line)
        if m:
            target = m.group(2)
            if _URL_RE.match(target):
                continue
            if "$" in target:
                out.problem = f"`{rel}` includes `{target}`, whose name uses a variable"
                return
            inc = posixpath.normpath(posixpath.join(base, target))
            if inc.startswith("../") or inc == ".." or target.startswith("/"):
                out.problem = f"`{rel}` includes `{target}`, which is outside the copied directory"
                return
            _read_requirements(context, inc, out)
            continue
        local = _REQ_LOCAL_OPTION_RE.match(line)
        if local and not _URL_RE.match(local.group(2)) and not local.group(2).startswith(_VCS):
            out.local.append((rel, line))
            if local.group(1) in ("-e", "--editable"):
                out.editable_local.append((rel, local.group(2)))
            continue
        word = line.split()[0] if line.split() else ""
        archive = word.endswith((".whl", ".tar.gz", ".tgz", ".zip")) and not _URL_RE.match(word)
        if archive or word.startswith((".", "/", "file:")) or _LOCAL_URL_RE.search(line):
            out.local.append((rel, line))
