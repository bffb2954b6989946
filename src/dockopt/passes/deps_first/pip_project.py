"""``pip install .``: installing the project's dependencies first, read from pyproject.toml at build time.

The first step runs a reader (:func:`dockopt.model.project.dependency_reader`)
that prints the ``[project]`` dependencies (and those of the extras asked
for) into a file pip installs; the second is the original install with
``--no-deps``. It is made only when it is certain to install the same
packages: static dependencies in a pyproject.toml the build context shows,
none naming the project itself, and a base image whose tag names Python 3.11
or newer (the reader uses tomllib).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from ... import lazyre
from ...model import paths, project
from ...model.packages import PackageInstall
from ...model.scope import python_version
from ...model.shell import SimpleCommand
from .common import Need, Stop, line
from .site import PLAIN_RE, Project, Site

_TARGET_RE = lazyre.compile(r"(?P<path>[^\[\]]+?)(?:\[(?P<extras>[A-Za-z0-9._,\s-]*)\])?")
_PIP_RE = lazyre.compile(r"pip(?P<version>[0-9]+(?:\.[0-9]+)*)?")
_TOMLLIB = (3, 11)


def pip_project(
    call: PackageInstall, cmd: SimpleCommand, site: Site, shown: str, targets: tuple[str, ...]
) -> tuple[Project, Need]:
    """``pip install .``: how to install its dependencies first, read from pyproject.toml at build time."""

    def refuse(why: str, *, report: bool = True) -> Stop:
        return Stop(
            site.ins,
            f"{line(site.ins)} installs the project itself (`{shown}`), which needs the whole source tree; {why}",
            install=True,
            report=report,
        )

    if call.manager != "pip":
        raise refuse("dockopt installs a project's dependencies on their own only for pip")
    if len(targets) > 1:
        raise refuse("it installs more than one local project")
    m = _TARGET_RE.fullmatch(targets[0])
    if m is None or not PLAIN_RE.fullmatch(m.group("path")):
        raise refuse(f"dockopt does not write the path `{targets[0]}` into a command")
    extras = tuple(e.strip() for e in (m.group("extras") or "").split(",") if e.strip())
    written = posixpath.normpath(posixpath.join(m.group("path"), "pyproject.toml"))
    pyproject = site.path(written)
    data = _pyproject(site, pyproject, refuse)
    problem = project.static_dependencies(data)
    if problem is not None:
        raise refuse(problem)
    assert data is not None
    own = project.self_reference(data, extras)
    if own is not None:
        raise refuse(f"its dependency `{own}` names the project itself, which only `pip install .` resolves")
    if not _dependencies(data, extras):
        raise refuse("it has no dependencies to install first", report=False)
    _check_python(site, refuse)
    python = _interpreter(cmd, call)
    if python is None:
        raise refuse(f"dockopt cannot tell which Python `{cmd.program}` belongs to")
    proj = Project("reader", targets[0], targets[0] in call.editable, python, written, extras)
    return proj, Need(pyproject, "file", site.ins)


def _pyproject(site: Site, path: str, refuse: Callable[[str], Stop]) -> dict[str, object] | None:
    if not site.context.known:
        raise refuse("dockopt reads its dependencies from pyproject.toml in the build context, and none was given")
    rel = site.context_path(path)
    if rel is None:
        raise refuse(f"dockopt cannot tell which file of the build context `{paths.show(path)}` is")
    if not site.context.shipped(rel):
        setup = posixpath.join(posixpath.dirname(rel), "setup.py")
        if site.context.shipped(setup):
            raise refuse(f"the project has no `{rel}`, and `{setup}` computes its dependencies when it runs")
        raise refuse(f"`{rel}` is not in the build context")
    data = site.context.toml(rel)
    if data is None:
        raise refuse(f"`{rel}` is not valid TOML")
    return data


def _dependencies(data: dict[str, object], extras: tuple[str, ...]) -> bool:
    table = data.get("project")
    if not isinstance(table, dict):
        return False
    optional = table.get("optional-dependencies") or {}
    return bool(table.get("dependencies")) or any(isinstance(optional, dict) and optional.get(e) for e in extras)


def _check_python(site: Site, refuse: Callable[[str], Stop]) -> None:
    """The step that reads pyproject.toml needs tomllib: Python 3.11 or newer."""
    version = python_version(site.image) if site.image else None
    if version is None:
        raise refuse(
            f"dockopt would read its dependencies from pyproject.toml at build time, which needs Python 3.11 or "
            f"newer (tomllib), and cannot tell which Python `{site.image or 'the base image'}` has; name the version "
            f"in the tag (`python:3.12`)"
        )
    if version < _TOMLLIB:
        raise refuse(
            f"dockopt would read its dependencies from pyproject.toml at build time, which needs Python 3.11 or "
            f"newer (tomllib), and `{site.image}` has Python {version[0]}.{version[1]}"
        )


def _interpreter(cmd: SimpleCommand, call: PackageInstall) -> str | None:
    """The Python a pip command runs under: ``/opt/venv/bin/pip3`` -> ``/opt/venv/bin/python3``."""
    program = cmd.program
    if program is None or not PLAIN_RE.fullmatch(program):
        return None
    if call.tool.endswith("-m pip"):
        return program
    base = posixpath.basename(program)
    m = _PIP_RE.fullmatch(base)
    if m is None:
        return None
    return program[: len(program) - len(base)] + "python" + (m.group("version") or "")
