"""``data/dependency_manifests.toml``: what the installers read and which commands are harmless."""

from __future__ import annotations

from functools import cache

from ...datafiles import load_table
from ...records_base import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ProjectTool(Record):
    """How a project-based installer (poetry, uv, pipenv) reads its project."""

    _fields = ("name", "manifest", "lock", "lock_required_with", "extras", "deps_only", "project_done_with")
    __slots__ = _fields
    name: str
    manifest: str
    lock: str
    lock_required_with: frozenset[str]
    extras: tuple[str, ...]
    deps_only: str
    project_done_with: frozenset[str]

    def __init__(
        self,
        name: str,
        manifest: str,
        lock: str,
        lock_required_with: frozenset[str],
        extras: tuple[str, ...],
        deps_only: str,
        project_done_with: frozenset[str],
    ) -> None:
        self._set(name, manifest, lock, lock_required_with, extras, deps_only, project_done_with)


class Tables(Record):
    _fields = ("projects", "file_variables", "harmless", "path_args", "path_args_after_first", "installers")
    __slots__ = _fields
    projects: dict[str, ProjectTool]
    file_variables: frozenset[str]
    harmless: frozenset[str]
    path_args: frozenset[str]
    path_args_after_first: frozenset[str]
    installers: tuple[str, ...]  # URL prefixes of the official tool installers

    def __init__(
        self,
        projects: dict[str, ProjectTool],
        file_variables: frozenset[str],
        harmless: frozenset[str],
        path_args: frozenset[str],
        path_args_after_first: frozenset[str],
        installers: tuple[str, ...],
    ) -> None:
        self._set(projects, file_variables, harmless, path_args, path_args_after_first, installers)


@cache
def tables() -> Tables:
    """The table, loaded once."""
    raw: dict[str, Any] = load_table("dependency_manifests.toml")
    projects = {
        name: ProjectTool(
            name=name,
            manifest=entry["manifest"],
            lock=entry["lock"],
            lock_required_with=frozenset(entry["lock_required_with"]),
            extras=tuple(entry["extras"]),
            deps_only=entry["deps_only"],
            project_done_with=frozenset(entry["project_done_with"]),
        )
        for name, entry in raw["projects"].items()
    }
    cmds = raw["commands"]
    return Tables(
        projects=projects,
        file_variables=frozenset(raw["env"]["file_variables"]),
        harmless=frozenset(cmds["harmless"]),
        path_args=frozenset(cmds["path_args"]),
        path_args_after_first=frozenset(cmds["path_args_after_first"]),
        installers=tuple(cmds["installers"]),
    )
