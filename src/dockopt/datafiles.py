"""The tables shipped in ``dockopt/data`` (Debian packages, slim images, caches, ...).

Read with ``open`` beside this module, as the parser finds its grammar
(``syntax.parser.grammar_path``), rather than through ``importlib.resources``:
importing that (tempfile, zipfile, shutil, random, ...) cost more of a cold
``dockopt rewrite -`` than reading every table.

:func:`load_table` parses a table once per text: the parsed table is kept in
dockopt's cache folder (:mod:`dockopt.cachefiles`) with the text it came from,
and used only while the file still holds exactly that text. Importing tomllib
and parsing the tables a small rewrite needs cost about as much as the rest
of the rewrite of a small file.
"""

from __future__ import annotations

import os

from . import cachefiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
_CACHE_STEM = "data-tables"


def read_text(name: str) -> str:
    """``dockopt/data/NAME`` as UTF-8 text."""
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as fh:
        return fh.read()


_cached: dict[str, Any] | None = None  # the cache file's entries, read once per process


def load_table(name: str) -> dict[str, Any]:
    """``dockopt/data/NAME`` parsed (``tomllib.loads``), from the cache when it holds this exact text."""
    global _cached
    text = read_text(name)
    path = cachefiles.cache_path(_CACHE_STEM)
    if _cached is None:
        found = cachefiles.read_marshal(path)
        _cached = found if isinstance(found, dict) else {}
    entry = _cached.pop(name, None)  # handed out once: the caller owns (and may change) the table
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == text and isinstance(entry[1], dict):
        return entry[1]
    import tomllib

    table = tomllib.loads(text)
    found = cachefiles.read_marshal(path)  # what other tables this or another run kept meanwhile
    entries = found if isinstance(found, dict) else {}
    entries[name] = (text, table)
    cachefiles.write_marshal(path, entries)  # a table marshal cannot hold (a TOML date) is not kept
    return table
