"""A real Docker engine for the tests that claim "it builds".

No mocks: when no engine answers (or the stand-in base images are missing)
these tests skip with the reason, unless DOCKOPT_REQUIRE_DOCKER=1 (CI), where
that is a failure.
"""

from __future__ import annotations

import os

import pytest

from dockopt.engine import Engine, check_engine

BASE_IMAGES = ("python:3.12", "python:3.12-slim")


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
