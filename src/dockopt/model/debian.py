"""Debian packages: one table (``data/debian.toml``) answering what each is for in a Python build.

Which packages only build (compilers, headers), which shared-library packages
code built against a ``-dev`` package loads at run time, which of those
python:*-slim already has, and which commands the full image has that slim
lacks. The multi-stage rule splits an apt install with it, the slim-base rule
checks a stage's needs with it; both read the same facts.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ..datafiles import load_table
from .packages import normalize_package_name

Role = Literal["toolchain", "build-only", "dev", "runtime"]


@dataclass(frozen=True)
class Package:
    name: str
    role: Role
    commands: tuple[str, ...] = ()
    runtime: tuple[str, ...] = ()  # dev: the runtime packages of its libraries (all needed)
    also: tuple[str, ...] = ()  # dev: the same libraries' names on other releases


@dataclass(frozen=True)
class Table:
    packages: dict[str, Package]
    patterns: dict[str, Role]
    slim: frozenset[str]
    full: frozenset[str]
    standin_lacks: frozenset[str]
    by_command: dict[str, frozenset[str]]  # command -> the packages that ship it

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

    @property
    def toolchain_commands(self) -> frozenset[str]:
        return frozenset(c for p in self.packages.values() if p.role == "toolchain" for c in p.commands)


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
    )
