"""Facts about a Python project's ``pyproject.toml`` that decide how its install can be split.

Both the deps-first and the multi-stage rules need to know whether
``poetry install`` / ``uv sync`` also installs the project itself (and so has
to run again after the code is copied); they read the manifest from the build
context in their own ways and ask here.
"""

from __future__ import annotations

import tomllib
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
