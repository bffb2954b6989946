"""Facts about a Python project's ``pyproject.toml`` that decide how its install can be split.

Both the deps-first and the multi-stage rules need to know whether
``poetry install`` / ``uv sync`` also installs the project itself (and so has
to run again after the code is copied); they read the manifest from the build
context in their own ways and ask here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


def load_toml(text: str | None) -> dict[str, Any] | None:
    """The parsed TOML, or None when there is no text or it is not valid TOML."""
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _table(data: object, *keys: str) -> dict[str, Any] | None:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, dict) else None


def poetry_package_mode_off(pyproject: dict[str, Any] | None) -> bool:
    """``[tool.poetry] package-mode = false``: poetry never installs the project itself."""
    poetry = _table(pyproject, "tool", "poetry")
    return poetry is not None and poetry.get("package-mode") is False


def uv_virtual_project(pyproject: dict[str, Any] | None) -> bool:
    """uv installs the project only when it is a package: a [build-system] table or ``tool.uv.package = true``."""
    if pyproject is None:
        return False
    uv = _table(pyproject, "tool", "uv")
    if uv is not None and "package" in uv:
        return uv.get("package") is False
    return "build-system" not in pyproject


# -- installing a project's dependencies before its code -------------------------------------------
#
# `pip install .` reads the dependencies from pyproject.toml and installs the project with them; to
# install the dependencies before the code is copied, dockopt writes a step that reads them at build
# time (so a change to pyproject.toml still invalidates the layer) and installs them from a file:
#
#   python -c "<READER>" > /tmp/dockopt-requirements.txt && pip install -r /tmp/dockopt-requirements.txt
#
# then `pip install --no-deps .` after the code. tomllib needs Python 3.11 or newer.

#: Where the reader writes the requirements (one a line).
READER_OUTPUT = "/tmp/dockopt-requirements.txt"


def dependency_reader(pyproject: str = "pyproject.toml", extras: tuple[str, ...] = ()) -> str:
    """The Python code printing ``[project] dependencies`` (and those of ``extras``), one a line."""
    wanted = "p.get('dependencies', [])"
    if extras:
        groups = ", ".join(repr(e) for e in extras)
        wanted += f" + [d for e in ({groups},) for d in p.get('optional-dependencies', {{}}).get(e, [])]"
    return f"import tomllib; p = tomllib.load(open({pyproject!r}, 'rb'))['project']; print(*{wanted}, sep=chr(10))"


def is_dependency_reader(words: tuple[str, ...]) -> bool:
    """Whether a command's words are ``python -c <a reader dockopt wrote>``."""
    return (
        len(words) == 3
        and words[0].rsplit("/", 1)[-1].startswith("python")
        and words[1] == "-c"
        and words[2].startswith("import tomllib; p = tomllib.load(open(")
        and "['project']" in words[2]
    )


def static_dependencies(pyproject: dict[str, Any] | None) -> str | None:
    """Why the ``[project]`` dependencies can't be read from pyproject.toml before the code, or None when they can."""
    if pyproject is None:
        return "the build context has no readable pyproject.toml"
    table = pyproject.get("project")
    if not isinstance(table, dict):
        return "pyproject.toml has no [project] table (the metadata comes from setup.py or the build backend)"
    dynamic = table.get("dynamic") or []
    if "dependencies" in dynamic or "optional-dependencies" in dynamic:
        return "pyproject.toml declares its dependencies dynamic (computed by the build backend at build time)"
    return None


# -- tools that install dependencies (data/python_tools.toml) -----------------------------------------


@dataclass(frozen=True)
class PythonTools:
    tools: dict[str, str]  # PyPI project -> command
    installers: dict[str, str]  # installer URL text -> tool


@cache
def python_tools() -> PythonTools:
    raw = tomllib.loads((resources.files("dockopt") / "data" / "python_tools.toml").read_text("utf-8"))
    return PythonTools(
        tools={str(k): str(v) for k, v in raw["python-tools"].items()},
        installers={str(k): str(v) for k, v in raw["python-tool-installers"].items()},
    )
