"""Which build steps count as the dependency install in the rebuild check (no engine needed)."""

from __future__ import annotations

import pytest

from dockopt.engine import BuildStep
from dockopt.measure import dependency_steps

READER = "RUN python -c \"import tomllib; ...\" > /tmp/dockopt-requirements.txt && pip install -r /tmp/dockopt-requirements.txt"


def names(*titles: str) -> list[BuildStep]:
    return [BuildStep(k + 1, f"[{k + 1}/9] {t}", cached=False) for k, t in enumerate(titles)]


@pytest.mark.parametrize(
    ("titles", "kept"),
    [
        (["RUN pip install -r requirements.txt"], [0]),
        (["RUN uv sync --locked --no-install-project", "RUN uv sync --locked"], [0]),
        (["RUN pip install -r requirements.txt", "RUN pip install --no-deps ."], [0]),
        ([READER, "RUN pip install --no-deps ."], [0]),
        # a requirements file with -e .: its filtered first half, then the original after the code
        (["RUN pip install --upgrade pip", READER.replace("python -c", "sed -e x requirements.txt"), "RUN pip install -r requirements.txt"], [0, 1]),
    ],
)
def test_dependency_steps(titles: list[str], kept: list[int]) -> None:
    steps = names(*titles)
    assert dependency_steps(steps) == [steps[k] for k in kept]
