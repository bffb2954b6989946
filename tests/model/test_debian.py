"""The one Debian package table (data/debian.toml): consistent with itself, with apt, and with the images.

Three kinds of check: the table's own consistency (no package in two roles,
every dev package's runtime packages are not headers, a -dev package's
"already in slim" answer follows from the slim image's package list); on a
bookworm machine with apt lists, that each runtime package really is a
dependency of its -dev package; with a Docker engine, that python:3.12-slim
ships exactly the listed packages and python:3.12 has every package the
table says the full image has.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dockopt.engine import DOCKER, Engine
from dockopt.model.debian import table


def test_roles_and_fields() -> None:
    t = table()
    assert len(t.packages) > 80
    for name, pkg in t.packages.items():
        assert pkg.name == name
        assert pkg.role in ("toolchain", "build-only", "dev", "runtime"), name
        if pkg.role == "dev":
            assert "-dev" in name, name
            assert pkg.runtime, f"{name}: a dev package needs its runtime packages"
        else:
            assert not pkg.runtime and not pkg.also, name
        for lib in (*pkg.runtime, *pkg.also):
            assert not lib.endswith("-dev"), (name, lib)
        if pkg.role == "toolchain":
            assert pkg.commands, name
    for pattern, role in t.patterns.items():
        assert role in ("toolchain", "build-only", "runtime"), pattern


def test_answers() -> None:
    t = table()
    assert t.role("gcc-12") == "toolchain"
    assert t.role("libpq-dev=15.*") == "dev"
    assert t.role("libsomething-dev") == "dev"
    assert t.role("jq") == "runtime"
    assert t.runtime_libraries("libpq-dev") == ("libpq5",)
    assert t.runtime_libraries("gcc") is None
    # The disagreement the old tables had: slim already has libffi8, so code built
    # against libffi-dev needs nothing installed at run time; libpq5 it lacks.
    assert t.libraries_in_slim("libffi-dev")
    assert t.libraries_in_slim("libssl-dev") and t.libraries_in_slim("zlib1g-dev")
    assert not t.libraries_in_slim("libpq-dev")
    assert not t.libraries_in_slim("tk-dev")  # slim has no libtk: tkinter does not work there
    assert t.full_only("curl") == {"curl"}
    assert t.full_only("ls") == frozenset()
    assert "libpq-dev" in t.providers("pg_config")
    assert t.commands("build-essential") == ("gcc", "cc", "g++", "c++", "make")
    assert t.commands("jq") == ("jq",)


def test_slim_and_full_lists_do_not_contradict_roles() -> None:
    t = table()
    for name in t.slim:
        assert t.role(name) not in ("toolchain",), f"{name} is a compiler, and slim has none"
    assert t.standin_lacks <= t.slim


# -- against apt ---------------------------------------------------------------------------------


def _apt_depends(*packages: str) -> dict[str, set[str]]:
    """Direct dependencies of each package, from one `apt-cache depends` call."""
    out = subprocess.run(["apt-cache", "depends", *packages], capture_output=True, text=True, check=False).stdout
    deps: dict[str, set[str]] = {}
    current = None
    for line in out.splitlines():
        if line and not line[0].isspace():
            current = line.strip()
            deps.setdefault(current, set())
            continue
        m = re.match(r"\s+\|?Depends: <?([^\s>]+)>?", line)
        if m and current is not None:
            deps[current].add(m.group(1))
    return deps


def _on_bookworm() -> bool:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    if "bookworm" not in text or shutil.which("apt-cache") is None:
        return False
    return bool(_apt_depends("libpq-dev").get("libpq-dev"))


#: Entries apt cannot check here: not in bookworm's main archive (names for other setups), or
#: virtual names another package provides (libxslt-dev: libxslt1-dev, checked under its own name).
_NOT_IN_BOOKWORM = {"libmysqlclient-dev", "libgdal-dev", "libxslt-dev"}


@pytest.mark.skipif(not _on_bookworm(), reason="needs a Debian 12 (bookworm) machine with apt lists to check the table")
def test_runtime_packages_are_dependencies_of_their_dev_package() -> None:
    """Each dev entry is a fact apt confirms: its runtime packages are dependencies of the -dev package,
    directly or through the -dev (or krb5-multidev) packages it depends on (transitional names)."""
    libraries = {n: p.runtime for n, p in table().packages.items() if p.role == "dev" and n not in _NOT_IN_BOOKWORM}
    follow = lambda dep: "-dev" in dep or dep.startswith("krb5-")  # noqa: E731
    known: dict[str, set[str]] = {}
    frontier = set(libraries)
    for _ in range(4):  # fetch the dependency graph level by level, one apt-cache call each
        missing = sorted(p for p in frontier if p not in known)
        if missing:
            found = _apt_depends(*missing)
            for p in missing:
                known[p] = found.get(p, set())
        frontier = {d for p in frontier for d in known.get(p, set()) if follow(d)}
    wrong = []
    for dev, libs in libraries.items():
        reachable: set[str] = set()
        todo = {dev}
        for _ in range(4):
            deps = set().union(*(known.get(p, set()) for p in todo))
            reachable |= deps
            todo = {d for d in deps if follow(d)}
        absent = [lib for lib in libs if lib not in reachable]
        if absent:
            wrong.append((dev, absent))
    assert wrong == []


# -- against the images ----------------------------------------------------------------------------


def _packages(engine: Engine, image: str) -> set[str]:
    out = subprocess.run(
        [DOCKER, "run", "--rm", image, "dpkg-query", "-W", "-f", "${Package}\\n"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return {line.split(":")[0] for line in out.split()}


@pytest.mark.docker
def test_slim_image_ships_exactly_the_listed_packages(engine: Engine) -> None:
    t = table()
    assert _packages(engine, "python:3.12-slim") == t.slim - t.standin_lacks


@pytest.mark.docker
def test_full_image_has_what_the_table_says(engine: Engine) -> None:
    t = table()
    have = _packages(engine, "python:3.12")
    missing = sorted(p for p in t.full if p not in have and p not in t.standin_lacks)
    assert missing == []
