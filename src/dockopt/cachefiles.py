"""dockopt's cache folder and the marshal files in it (start-up data derived from the package).

``$XDG_CACHE_HOME/dockopt`` (else ``~/.cache/dockopt``), where the parser keeps
its table too. Everything kept here is derived from dockopt's own files and
checked against them when read, so a stale or broken file only costs the
work it was meant to save; so does a folder that cannot be written.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dockopt")


def cache_path(stem: str, *, folder: str | None = None) -> str:
    """``STEM-<python build>.marshal`` in ``folder`` (default :func:`cache_dir`): marshalled code and data are
    read only by the Python that wrote them."""
    tag = sys.implementation.cache_tag or "python"
    return os.path.join(folder if folder is not None else cache_dir(), f"{stem}-{tag}-{sys.hexversion:x}.marshal")


def read_marshal(path: str) -> object:
    """The object in ``path``, or None when it is missing or unreadable."""
    import marshal

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        return marshal.loads(data)  # marshal.load(fh) reads in small pieces: several times slower
    except (OSError, EOFError, ValueError, TypeError):
        return None


def write_marshal(path: str, value: dict[str, Any] | tuple[Any, ...]) -> None:
    """Write atomically (a temporary file, then a rename); failures are ignored."""
    import marshal

    try:
        data = marshal.dumps(value)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass
