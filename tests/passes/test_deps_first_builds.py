"""deps-first's two-step installs, built with a real engine: they run the same and keep the dependency layer.

The golden pairs show the text; these show that the text works: the step
that reads pyproject.toml's dependencies (``pip install .``) and the step
that filters ``-e .`` out of a requirements file really install the
dependencies on a python image, the second half installs the project, the
app runs, and after a code-only edit (new each run) the dependency step comes
from the build cache while the naive file re-runs its install (the negative
control). Projects are tiny (flit_core, six, idna) to keep the builds short.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import dockopt
from dockopt.engine import Engine, SmokeSpec
from dockopt.measure import build_and_measure

pytestmark = pytest.mark.docker

PYPROJECT = """\
[build-system]
requires = ["flit_core>=3.9,<4"]
build-backend = "flit_core.buildapi"

[project]
name = "hello"
version = "1.0.0"
description = "a greeting"
dependencies = [{dependencies}]

[project.optional-dependencies]
web = ["idna==3.10"]
"""
MODULE = '"""A greeting."""\n\nGREETING = "hi"\n'


def make_context(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def build_both(engine: Engine, label: str, naive: str, context: Path, smoke: SmokeSpec) -> str:
    result = dockopt.rewrite(naive, select=["deps-first"], context_dir=context)
    assert result.changed, result.skips
    edit = context / "hello" / "__init__.py"
    before = build_and_measure(engine, f"depsfirst-{label}-before", naive, context, smoke=smoke, edit_file=edit, cold=False)
    after = build_and_measure(
        engine, f"depsfirst-{label}-after", result.text, context, smoke=smoke, edit_file=edit, cold=False
    )
    assert before.smoke is not None and smoke.matches(before.smoke), before.smoke
    assert after.smoke is not None and smoke.matches(after.smoke), (after.smoke, result.text)
    assert before.install_cached_on_rebuild is False, "negative control: the naive install came from cache"
    assert after.install_cached_on_rebuild is True, f"a code-only change re-ran the dependency install\n{result.text}"
    return result.text


def test_pip_install_dot_reads_the_dependencies_first(engine: Engine, tmp_path: Path) -> None:
    context = make_context(
        tmp_path, {"pyproject.toml": PYPROJECT.format(dependencies='"six==1.16.0"'), "hello/__init__.py": MODULE}
    )
    naive = (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
        'RUN pip install --no-cache-dir ".[web]"\n'
        'CMD ["python", "-c", "import hello, six, idna; print(hello.GREETING, six.__version__, idna.__version__)"]\n'
    )
    text = build_both(engine, "reader", naive, context, SmokeSpec("run", "hi 1.16.0 3.10"))
    assert 'RUN pip install --no-deps --no-cache-dir ".[web]"\n' in text


def test_requirements_with_editable_dot_installs_the_rest_first(engine: Engine, tmp_path: Path) -> None:
    context = make_context(
        tmp_path,
        {
            "requirements.txt": "six==1.16.0\n-e .  # the project itself\n",
            "pyproject.toml": PYPROJECT.format(dependencies=""),
            "hello/__init__.py": MODULE,
        },
    )
    naive = (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt pyproject.toml ./\nCOPY hello/ hello/\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        'CMD ["python", "-c", "import hello, six; print(hello.GREETING, six.__version__, hello.__file__)"]\n'
    )
    text = build_both(engine, "filter", naive, context, SmokeSpec("run", "hi 1.16.0 /app/hello/__init__.py"))
    assert text.index("/tmp/dockopt-requirements.txt") < text.index("COPY hello/ hello/") < text.rindex("RUN pip install")
