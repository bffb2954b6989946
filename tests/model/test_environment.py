"""model/environment.py: where each install puts the packages, and whether PATH names it."""

from __future__ import annotations

from pathlib import Path

import pytest

import dockopt
from dockopt.model.analysis import analyse
from dockopt.model.environment import StageEnvironment


def envs(text: str, context: Path | None = None) -> list[StageEnvironment]:
    doc = dockopt.parse(text)
    return analyse(doc, context).environments(doc.stages[-1])


def last(text: str, context: Path | None = None) -> StageEnvironment:
    return envs(text, context)[-1]


APP = "FROM python:3.12\nWORKDIR /app\n"


@pytest.mark.parametrize(
    ("text", "kind", "path"),
    [
        # uv sync: the project's .venv, wherever the project is
        (APP + "RUN uv sync --locked\n", "directory", "/app/.venv"),
        (APP + "RUN cd sub && uv sync\n", "directory", "/app/sub/.venv"),
        (APP + "RUN uv sync --directory /srv/x\n", "directory", "/srv/x/.venv"),
        (APP + "ENV UV_PROJECT_ENVIRONMENT=/opt/env\nRUN uv sync\n", "directory", "/opt/env"),
        (APP + "ENV UV_PROJECT_ENVIRONMENT=env\nRUN uv sync\n", "directory", "/app/env"),
        (APP + "RUN UV_PROJECT_ENVIRONMENT=/e uv sync\n", "directory", "/e"),
        (APP + "RUN export UV_PROJECT_ENVIRONMENT=/e && uv sync\n", "directory", "/e"),
        (APP + "ENV UV_PROJECT_ENVIRONMENT=/usr/local\nRUN uv sync\n", "directory", "/usr/local"),
        # uv pip and pip: the interpreter they run with
        (APP + "RUN uv pip install --system flask\n", "interpreter", None),
        (APP + "RUN pip install flask\n", "interpreter", None),
        (APP + "RUN /venv/bin/pip install flask\n", "directory", "/venv"),
        (APP + "RUN /usr/local/bin/pip install flask\n", "interpreter", None),
        # poetry: its own virtualenv unless told otherwise
        (APP + "RUN poetry install --no-root\n", "tool", "~/.cache/pypoetry/virtualenvs"),
        (APP + "RUN poetry config virtualenvs.create false && poetry install\n", "interpreter", None),
        (APP + "RUN poetry config virtualenvs.create false\nRUN poetry install\n", "interpreter", None),
        (APP + "ENV POETRY_VIRTUALENVS_CREATE=false\nRUN poetry install\n", "interpreter", None),
        (APP + "ARG POETRY_VIRTUALENVS_CREATE=0\nRUN poetry install\n", "interpreter", None),
        (APP + "RUN env POETRY_VIRTUALENVS_CREATE=false poetry install\n", "interpreter", None),
        (APP + "ENV POETRY_VIRTUALENVS_IN_PROJECT=true\nRUN poetry install\n", "directory", "/app/.venv"),
        (APP + "RUN poetry config virtualenvs.in-project true && poetry install\n", "directory", "/app/.venv"),
        # the environment variable beats `poetry config`
        (APP + "ENV POETRY_VIRTUALENVS_CREATE=true\nRUN poetry config virtualenvs.create false && poetry install\n", "tool", "~/.cache/pypoetry/virtualenvs"),
        # a config after the install does not count
        (APP + "RUN poetry install && poetry config virtualenvs.create false\n", "tool", "~/.cache/pypoetry/virtualenvs"),
        (APP + "ENV POETRY_VIRTUALENVS_PATH=/pv\nRUN poetry install\n", "tool", "/pv"),
        # pipenv: --system, in the project, or its own
        (APP + "RUN pipenv install --system --deploy\n", "interpreter", None),
        (APP + "ENV PIPENV_VENV_IN_PROJECT=1\nRUN pipenv install --deploy\n", "directory", "/app/.venv"),
        (APP + "ENV PIPENV_VENV_IN_PROJECT=0\nRUN pipenv install --deploy\n", "tool", "~/.local/share/virtualenvs"),
        (APP + "RUN pipenv install --deploy\n", "tool", "~/.local/share/virtualenvs"),
    ],
)
def test_where_the_packages_go(text: str, kind: str, path: str | None) -> None:
    found = last(text)
    assert (found.env.kind, found.env.path) == (kind, path), found.env


def test_poetry_toml_in_the_context_counts_when_a_copy_brings_it(tmp_path: Path) -> None:
    (tmp_path / "poetry.toml").write_text("[virtualenvs]\nin-project = true\n")
    copied = APP + "COPY pyproject.toml poetry.lock poetry.toml ./\nRUN poetry install --no-root\n"
    assert last(copied, tmp_path).env.path == "/app/.venv"
    whole = APP + "COPY . .\nRUN poetry install --no-root\n"
    assert last(whole, tmp_path).env.path == "/app/.venv"
    # negative control: the file is in the context, but no COPY brings it into the image
    not_copied = APP + "COPY pyproject.toml poetry.lock ./\nRUN poetry install --no-root\n"
    assert last(not_copied, tmp_path).env.kind == "tool"


@pytest.mark.parametrize(
    ("text", "on_path", "active"),
    [
        (APP + "RUN uv sync\n", False, False),
        (APP + "RUN uv sync\nENV PATH=/app/.venv/bin:$PATH\n", True, False),
        (APP + 'ENV PATH="/app/.venv/bin:${PATH}"\nRUN uv sync\n', True, False),
        (APP + "ENV VENV=/app/.venv\nENV PATH=$VENV/bin:$PATH VIRTUAL_ENV=$VENV\nRUN uv sync\n", True, True),
        # a later ENV that drops it: off PATH at the end of the stage
        (APP + "ENV PATH=/app/.venv/bin:$PATH\nRUN uv sync\nENV PATH=/usr/bin:/bin\n", False, False),
        # PATH from a variable dockopt can't read
        (APP + "RUN uv sync\nENV PATH=$HOME/.venv/bin:$PATH\n", None, False),
    ],
)
def test_on_path(text: str, on_path: bool | None, active: bool) -> None:
    found = last(text)
    assert (found.on_path, found.active) == (on_path, active)


def test_path_is_inherited_from_the_stage_built_from() -> None:
    text = "FROM python:3.12 AS base\nENV PATH=/app/.venv/bin:$PATH\n\nFROM base\nWORKDIR /app\nRUN uv sync\n"
    assert last(text).on_path is True


def test_build_tools_are_listed_with_their_install() -> None:
    """`pip install poetry` is an install into the interpreter; the rule tells tools from dependencies itself."""
    found = envs(APP + "RUN pip install poetry && poetry install --no-root\n")
    assert [(e.env.tool, e.env.kind) for e in found] == [("pip", "interpreter"), ("poetry", "tool")]
