"""Paths inside the image, as far as a Dockerfile lets them be known.

Paths are absolute POSIX strings. What cannot be known is kept as a marked
root rather than dropped, so two paths on the same unknown root still compare
lexically, which is all the rules need to tell that ``COPY . .`` and
``pip install -r requirements.txt`` meet in the same directory:

* :data:`UNKNOWN` is the working directory of a base image dockopt does not
  know (``FROM mycorp/base`` may set any WORKDIR);
* :data:`OPAQUE` + text is a path with a variable or quotes dockopt could not
  resolve (``WORKDIR $APP_HOME`` without a known value).
"""

from __future__ import annotations

import posixpath

UNKNOWN = "/\x00"
OPAQUE = "/\x01"


def resolve(base: str, path: str) -> str:
    """``path`` (as written in WORKDIR, COPY, a command) made absolute against ``base``."""
    if any(c in path for c in "$\"'\\`"):
        return OPAQUE + path
    if path.startswith("/"):
        return posixpath.normpath(path)
    if not literal(base) and ".." in path.split("/"):
        # `..` above an unknown directory leads nowhere dockopt can name.
        return OPAQUE + base + "/" + path
    return posixpath.normpath(posixpath.join(base, path))


def literal(path: str) -> bool:
    """True when ``path`` is fully known."""
    return not path.startswith((UNKNOWN, OPAQUE))


def under(path: str, root: str) -> bool:
    """``path`` is ``root`` or inside it (lexically)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def may_be_under(path: str, root: str) -> bool:
    """Whether ``path`` could be inside ``root`` (or ``root`` inside it) once the unknown parts are known."""
    if literal(path) and literal(root):
        return under(path, root) or under(root, path)
    return True


def overlap(a: str, b: str) -> bool:
    """Whether one of two known directories contains the other; unknown ones may."""
    return may_be_under(a, b)


def relative(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` when it is certainly inside it."""
    if path == root:
        return ""
    prefix = root.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def show(path: str) -> str:
    """A path as a user would write it (markers removed)."""
    if path.startswith(OPAQUE):
        return path[len(OPAQUE) :]
    if path.startswith(UNKNOWN):
        return "./" + path[len(UNKNOWN) :].lstrip("/")
    return path


def _root(path: str) -> str:
    """The unknown directory a path starts from (``UNKNOWN``, or ``OPAQUE`` + the first word)."""
    return "/".join(path.split("/", 2)[:2])


def may_overlap(a: str, b: str) -> bool:
    """Whether one of two paths may contain the other, comparing paths on the same unknown root lexically.

    ``UNKNOWN/src`` and ``UNKNOWN/requirements.txt`` sit side by side in the
    same unknown directory, so they do not overlap; a known path and an
    unknown one may.
    """
    if literal(a) and literal(b):
        return under(a, b) or under(b, a)
    if literal(a) or literal(b) or _root(a) != _root(b) or "/../" in a + "/" or "/../" in b + "/":
        return True
    return under(a, b) or under(b, a)
