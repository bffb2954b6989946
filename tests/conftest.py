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

import pytest
from hypothesis import settings

from dockopt.engine import Engine, check_engine

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


# -- a real Docker engine for the tests that claim "it builds" ---------------------------------------
# No mocks: when no engine answers (or the stand-in base images are missing)
# these tests skip with the reason, unless DOCKOPT_REQUIRE_DOCKER=1 (CI), where
# that is a failure.

BASE_IMAGES = ("python:3.12", "python:3.12-slim", "python:latest", "python:slim")


@pytest.fixture(scope="session")
def engine() -> Engine:
    status = check_engine()
    problem = None
    if status.engine is None:
        problem = f"no Docker engine: {status.reason}"
    else:
        missing = [t for t in BASE_IMAGES if not status.engine.image_exists(t)]
        if missing:
            problem = f"base images missing ({', '.join(missing)}); run scripts/stand-in-images.sh"
    if problem:
        if os.environ.get("DOCKOPT_REQUIRE_DOCKER") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    assert status.engine is not None
    return status.engine
