"""Shared test helpers: where the fixtures live and how to read them byte-exactly.

Hypothesis runs derandomised by default (the ``ci`` profile): the same examples
on every run and every machine, no example database, so a landing cannot turn
red on a lucky draw. ``HYPOTHESIS_PROFILE=fuzz`` (``scripts/fuzz.sh``) searches
randomly and for longer; what it finds is pinned with ``@example``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# dockopt caches its parser table under $XDG_CACHE_HOME/dockopt. The suite (and the
# dockopt processes it starts) gets an empty cache of its own, so an earlier run's
# files cannot answer for a check; a new user's machine has none either.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="dockopt-test-cache-")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


def read_exact(path: Path) -> str:
    """File text with line endings and a BOM kept, as the CLI reads it."""
    return path.read_bytes().decode("utf-8", "surrogateescape")


def all_dockerfiles() -> list[Path]:
    """Every Dockerfile under fixtures/ (syntax cases, pass pairs, example apps)."""
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and "Dockerfile" in p.name)
