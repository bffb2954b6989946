"""Dockerfile bytes in and out, losslessly.

Files are read as bytes and decoded as UTF-8 with ``surrogateescape``, so a
stray Latin-1 byte, a BOM, CRLF line endings or a missing final newline all
survive a round trip through :func:`encode`. Kept apart from ``fileio`` (atomic
writes, file discovery) because ``dockopt parse -`` needs only this and must
start fast: no pathlib here.
"""

from __future__ import annotations

import os
import sys

ENCODING = "utf-8"
ERRORS = "surrogateescape"


class FileError(OSError):
    """A file could not be read or written; the message names the file."""


def decode(data: bytes) -> str:
    return data.decode(ENCODING, ERRORS)


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except IsADirectoryError:
        raise FileError(f"{path}: is a directory") from None
    except FileNotFoundError:
        raise FileError(f"{path}: no such file") from None
    except OSError as exc:
        raise FileError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def write_stdout(data: bytes) -> None:
    """Bytes to stdout as they are (a text-only stdout gets them decoded back, surrogates and all)."""
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(decode(data))
        sys.stdout.flush()
        return
    sys.stdout.flush()  # anything already written as text goes first
    out.write(data)
    out.flush()


def dumps(document: object) -> str:
    """A JSON document for stdout; ASCII-escaped so surrogate-escaped bytes stay printable as \\udcXX."""
    import json

    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"
