"""Debian packages: one table (``data/debian.toml``) answering what each is for in a Python build.

Which packages only build (compilers, headers), which shared-library packages
code built against a ``-dev`` package loads at run time, which of those
python:*-slim already has, and which commands the full image has that slim
lacks, and what Python distributions need from Debian at run time (lightgbm
loads libgomp.so.1, GitPython runs git). The multi-stage rule splits an apt
install with it, the slim-base rule checks a stage's needs with it; both read
the same facts.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from functools import cache

from ..datafiles import load_table
from ..records_base import Record
from .packages import normalize_package_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal
    Role = Literal["toolchain", "build-only", "dev", "runtime"]


class Package(Record):
    _fields = ("name", "role", "commands", "runtime", "also")
    __slots__ = _fields
    name: str
    role: Role
    commands: tuple[str, ...]
    runtime: tuple[str, ...]  # dev: the runtime packages of its libraries (all needed)
    also: tuple[str, ...]  # dev: the same libraries' names on other releases

    def __init__(
        self,
        name: str,
        role: Role,
        commands: tuple[str, ...] = (),
        runtime: tuple[str, ...] = (),
        also: tuple[str, ...] = (),
    ) -> None:
        self._set(name, role, commands, runtime, also)


class Check(Record):
    """How the table's test checks a distribution entry on the images (see ``[distributions]``)."""

    _fields = ("spec", "module", "source")
    __slots__ = _fields
    spec: str  # what to pip install
    module: str  # what to import
    source: bool  # no Linux wheel: build it on the full image first

    def __init__(self, spec: str, module: str, source: bool = False) -> None:
        self._set(spec, module, source)


class DistributionNeeds(Record):
    """What a Python distribution needs from Debian at run time (a ``[distributions]`` entry)."""

    _fields = ("name", "runtime", "loads", "runs", "also", "unless", "unless_extras", "check")
    __slots__ = _fields
    name: str  # PEP 503 normalised
    runtime: tuple[str, ...]  # the packages, all needed
    loads: tuple[str, ...]  # shared libraries it loads
    runs: tuple[str, ...]  # executables it runs
    also: tuple[str, ...]  # the packages' names on other releases
    unless: tuple[str, ...]  # distributions that make them unneeded (a vendoring variant)
    unless_extras: tuple[str, ...]  # extras of this distribution that install such a variant
    check: Check | None

    def __init__(
        self,
        name: str,
        runtime: tuple[str, ...],
        loads: tuple[str, ...] = (),
        runs: tuple[str, ...] = (),
        also: tuple[str, ...] = (),
        unless: tuple[str, ...] = (),
        unless_extras: tuple[str, ...] = (),
        check: Check | None = None,
    ) -> None:
        self._set(name, runtime, loads, runs, also, unless, unless_extras, check)

    @property
    def why(self) -> str:
        """``lightgbm loads libgomp.so.1``, ``gitpython runs git``."""
        parts = []
        if self.loads:
            parts.append(f"loads {', '.join(self.loads)}")
        if self.runs:
            parts.append(f"runs {', '.join(self.runs)}")
        return f"{self.name} {' and '.join(parts)}" if parts else f"{self.name} needs them"


class Table(Record):
    _fields = (
        "packages", "patterns", "slim", "full", "standin_lacks", "by_command", "distributions", "requires",
        "requires_checks",
    )
    __slots__ = _fields
    packages: dict[str, Package]
    patterns: dict[str, Role]
    slim: frozenset[str]
    full: frozenset[str]
    standin_lacks: frozenset[str]
    by_command: dict[str, frozenset[str]]  # command -> the packages that ship it
    distributions: dict[str, DistributionNeeds]  # PEP 503 name -> what it needs at run time
    requires: dict[str, tuple[str, ...]]  # name -> [distributions] it always pulls in
    requires_checks: dict[str, str]  # name -> the pinned spec its test reads

    def __init__(
        self,
        packages: dict[str, Package],
        patterns: dict[str, Role],
        slim: frozenset[str],
        full: frozenset[str],
        standin_lacks: frozenset[str],
        by_command: dict[str, frozenset[str]],
        distributions: dict[str, DistributionNeeds],
        requires: dict[str, tuple[str, ...]] | None = None,
        requires_checks: dict[str, str] | None = None,
    ) -> None:
        self._set(
            packages,
            patterns,
            slim,
            full,
            standin_lacks,
            by_command,
            distributions,
            requires if requires is not None else {},
            requires_checks if requires_checks is not None else {},
        )

    def role(self, name: str) -> Role:
        """How a package relates to a Python build (unknown ``-dev`` packages count as dev)."""
        name = normalize_package_name("apt", name)
        found = self.packages.get(name)
        if found is not None:
            return found.role
        for pattern, role in self.patterns.items():
            if fnmatch.fnmatchcase(name, pattern):
                return role
        return "dev" if name.endswith("-dev") else "runtime"

    def get(self, name: str) -> Package | None:
        return self.packages.get(normalize_package_name("apt", name))

    def runtime_libraries(self, name: str) -> tuple[str, ...] | None:
        """The runtime packages of a ``-dev`` package (``libpq-dev`` -> ``("libpq5",)``), None if unknown."""
        found = self.get(name)
        return found.runtime if found is not None and found.runtime else None

    def libraries_in_slim(self, name: str) -> bool:
        """Whether python:*-slim already has every shared library a ``-dev`` package's code loads."""
        libs = self.runtime_libraries(name)
        return libs is not None and all(lib in self.slim for lib in libs)

    def provides(self, name: str, library: str) -> bool:
        """Whether installing ``name`` gives the library package ``library`` (or its name elsewhere)."""
        found = self.get(name)
        return found is not None and (library in found.runtime or library in found.also)

    def commands(self, name: str) -> tuple[str, ...]:
        """The executables a package provides (its own name when the table does not say)."""
        found = self.get(name)
        return found.commands if found is not None and found.commands else (normalize_package_name("apt", name),)

    def providers(self, command: str) -> frozenset[str]:
        """The packages that ship ``command``."""
        return self.by_command.get(command, frozenset())

    def full_only(self, command: str) -> frozenset[str]:
        """Packages the full image has and slim lacks that ship ``command`` (empty: slim has it, or nobody)."""
        return frozenset(p for p in self.providers(command) if p in self.full and p not in self.slim)

    def has(self, installed: Iterable[str], package: str, also: Iterable[str] = ()) -> bool:
        """Whether installing ``installed`` gives ``package``: itself, one of its names elsewhere
        (``also``), or a package that brings it (``libpq-dev`` brings ``libpq5``)."""
        names = {normalize_package_name("apt", p) for p in installed}
        return package in names or bool(names & set(also)) or any(self.provides(n, package) for n in names)

    @property
    def toolchain_commands(self) -> frozenset[str]:
        return frozenset(c for p in self.packages.values() if p.role == "toolchain" for c in p.commands)


def apt_problem(image: str | None) -> str | None:
    """Why a stage FROM ``image`` can't install this table's packages with apt-get, or None.

    The official images dockopt moves to slim are Debian; an Alpine or
    Windows base (or none) has no apt-get, or other package names."""
    if image is None:
        return "the stage has no base image"
    if any(marker in image.lower() for marker in ("alpine", "windows", "nanoserver")):
        return f"its base image `{image}` is not Debian (the package table is Debian's)"
    return None


@cache
def table() -> Table:
    """``data/debian.toml``, loaded once."""
    raw = load_table("debian.toml")
    packages = {
        name: Package(
            name=name,
            role=entry.get("role", "runtime"),
            commands=tuple(entry.get("commands", ())),
            runtime=tuple(entry.get("runtime", ())),
            also=tuple(entry.get("also", ())),
        )
        for name, entry in raw["packages"].items()
    }
    distributions = {name: _distribution(name, entry) for name, entry in raw.get("distributions", {}).items()}
    requires = {name: tuple(entry["requires"]) for name, entry in raw.get("requires", {}).items()}
    requires_checks = {name: str(entry["check"]) for name, entry in raw.get("requires", {}).items()}
    images = raw["images"]
    by_command: dict[str, set[str]] = {}
    for pkg in packages.values():
        for cmd in pkg.commands:
            by_command.setdefault(cmd, set()).add(pkg.name)
    return Table(
        packages=packages,
        patterns=dict(raw["patterns"]),
        slim=frozenset(images["slim"]),
        full=frozenset(images["full"]) | frozenset(images["slim"]),
        standin_lacks=frozenset(images["standin_lacks"]),
        by_command={k: frozenset(v) for k, v in by_command.items()},
        distributions=distributions,
        requires=requires,
        requires_checks=requires_checks,
    )


def _distribution(name: str, entry: dict[str, Any]) -> DistributionNeeds:
    check = entry.get("check")
    return DistributionNeeds(
        name=name,
        runtime=tuple(entry["runtime"]),
        loads=tuple(entry.get("loads", ())),
        runs=tuple(entry.get("runs", ())),
        also=tuple(entry.get("also", ())),
        unless=tuple(entry.get("unless", ())),
        unless_extras=tuple(entry.get("unless_extras", ())),
        check=Check(check["spec"], check["import"], bool(check.get("source", False))) if check else None,
    )
