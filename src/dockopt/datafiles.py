"""The tables shipped in ``dockopt/data`` (Debian packages, slim images, caches, ...), read as text.

Read with ``open`` beside this module, as the parser finds its grammar
(``syntax.parser.grammar_path``), rather than through ``importlib.resources``:
importing that (tempfile, zipfile, shutil, random, ...) cost more of a cold
``dockopt rewrite -`` than reading every table.
"""

from __future__ import annotations

import os

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def read_text(name: str) -> str:
    """``dockopt/data/NAME`` as UTF-8 text."""
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as fh:
        return fh.read()
