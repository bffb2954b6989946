"""The one Debian package table (data/debian.toml): consistent with itself, with apt, and with the images.

Three kinds of check: the table's own consistency (no package in two roles,
every dev package's runtime packages are not headers, a -dev package's
"already in slim" answer follows from the slim image's package list); on a
bookworm machine with apt lists, that each runtime package really is a
dependency of its -dev package; with a Docker engine, that python:3.12-slim
ships exactly the listed packages and python:3.12 has every package the
table says the full image has, and that each ``[distributions]`` entry is
true: the distribution fails to import on python:3.12-slim and imports once
its packages are installed (while wheels that vendor their library import on
slim as they are, the negative control).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockopt.engine import DOCKER, Engine
from dockopt.model.debian import DistributionNeeds, table
from dockopt.model.distributions import normalize


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


def test_distribution_entries() -> None:
    t = table()
    assert {"lightgbm", "gitpython", "psycopg2", "mysqlclient"} <= set(t.distributions)
    for name, entry in t.distributions.items():
        assert name == normalize(name) == entry.name, f"{name}: PEP 503 names only"
        assert entry.runtime and (entry.loads or entry.runs), name
        assert entry.check is not None, f"{name}: every entry says how it was checked"
        assert all(u == normalize(u) for u in entry.unless), name
        for package in entry.runtime:
            # what the full image has and slim lacks: dockopt restores the full image's packages, no more
            assert package in t.full and package not in t.slim, (name, package)
            assert t.role(package) != "dev", (name, package)
    # wheels that vendor their library need nothing and must not be listed
    assert not {"xgboost", "scikit-learn", "torch", "psycopg2-binary", "psycopg-binary"} & set(t.distributions)


def test_requires_entries() -> None:
    t = table()
    assert t.requires["pycaret"] == ("lightgbm",) and t.requires["streamlit"] == ("gitpython",)
    for name, children in t.requires.items():
        assert name == normalize(name) and name not in t.distributions, name
        assert children and all(c in t.distributions for c in children), name
        assert re.fullmatch(rf"{re.escape(name)}==[\w.]+", t.requires_checks[name], re.I), name


def _requires_dist(metadata: str) -> dict[str, str]:
    """Requires-Dist lines of a METADATA text: normalised name -> the rest (version and marker)."""
    out = {}
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist:"):
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)(.*)", line.partition(":")[2])
            assert match is not None, line
            out[normalize(match.group(1))] = match.group(2)
    return out


def test_requires_dist_reader_has_a_negative_control() -> None:
    text = "Name: x\nRequires-Dist: GitPython (!=3.1.19,<4)\nRequires-Dist: lightgbm; extra == 'full'\n"
    found = _requires_dist(text)
    assert "extra" not in found["gitpython"] and "extra" in found["lightgbm"]


@pytest.mark.parametrize("name", sorted(table().requires))
def test_requires_entry_is_an_unconditional_dependency(name: str, tmp_path: Path) -> None:
    """The pinned release's wheel METADATA lists each child without a marker (pip download, no deps)."""
    import sys
    import zipfile

    spec = table().requires_checks[name]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", str(tmp_path), spec],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        (meta,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        requires = _requires_dist(z.read(meta).decode())
    for child in table().requires[name]:
        assert child in requires, (spec, child, sorted(requires))
        assert ";" not in requires[child], (spec, child, requires[child])


def test_distribution_answers() -> None:
    t = table()
    assert t.distributions["lightgbm"].why == "lightgbm loads libgomp.so.1"
    assert t.distributions["gitpython"].why == "gitpython runs git"
    assert t.has(["libpq-dev"], "libpq5") and t.has(["libpq5=15.*"], "libpq5")
    assert not t.has(["libpq-dev"], "libgomp1")
    assert t.has(["libmysqlclient21"], "libmariadb3", also=("libmysqlclient21",))


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


# -- the [distributions] entries, on the images ----------------------------------------------------

#: Wheels that bring their own copy of the library: they import on slim as they are (the negative
#: control of the entries' checks). (spec, module)
VENDORED = [
    ("xgboost==2.1.3 numpy scipy", "xgboost"),  # xgboost.libs/libgomp-*.so
    ("scikit-learn==1.5.2", "sklearn.ensemble"),  # scikit_learn.libs/libgomp-*.so
    ("psycopg2-binary==2.9.10", "psycopg2"),  # psycopg2_binary.libs/libpq-*.so
    ("psycopg[binary]==3.2.3", "psycopg"),  # psycopg-binary: the entry's unless_extras
]

_PIP = "pip install -q --no-cache-dir --disable-pip-version-check --root-user-action=ignore --only-binary=:all:"


def _run(image: str, script: str, *mount: str, timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    volumes = [a for m in mount for a in ("-v", m)]
    return subprocess.run(
        [DOCKER, "run", "--rm", *volumes, image, "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def source_wheels(engine: Engine) -> Iterator[Path]:
    """Wheels of the sdist-only entries, built on python:3.12 as pip builds them there (a new folder per run)."""
    specs = " ".join(e.check.spec for e in table().distributions.values() if e.check is not None and e.check.source)
    with tempfile.TemporaryDirectory(prefix="dockopt-runtimelibs-wheels-") as tmp:
        script = f"pip wheel -q --no-cache-dir --disable-pip-version-check --no-deps -w /wheels {specs}"
        done = _run("python:3.12", f"{script} && chmod -R a+rwX /wheels", f"{tmp}:/wheels")
        assert done.returncode == 0, done.stderr[-2000:]
        yield Path(tmp)


def _entries() -> list[DistributionNeeds]:
    return sorted(table().distributions.values(), key=lambda e: e.name)


@pytest.mark.docker
@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.name)
def test_distribution_needs_its_packages_on_slim(engine: Engine, entry: DistributionNeeds, source_wheels: Path) -> None:
    """On python:3.12-slim: installed, it fails to import; with its packages (no recommends) it imports."""
    check = entry.check
    assert check is not None
    packages = " ".join(entry.runtime)
    find = "--find-links /wheels " if check.source else ""
    script = (
        f"{_PIP} {find}{check.spec} || exit 3\n"
        f"if python -c 'import {check.module}' 2>/dev/null; then echo IMPORTS-WITHOUT; exit 4; fi\n"
        f"apt-get update -qq && apt-get install -y -qq --no-install-recommends {packages} >/dev/null || exit 5\n"
        f"python -c 'import {check.module}' && echo IMPORTS-WITH\n"
    )
    done = _run("python:3.12-slim", script, f"{source_wheels}:/wheels:ro")
    assert "IMPORTS-WITHOUT" not in done.stdout, f"{entry.name} imports on slim without {packages}: not a need"
    assert done.returncode == 0 and "IMPORTS-WITH" in done.stdout, (done.returncode, done.stdout, done.stderr[-2000:])


@pytest.mark.docker
@pytest.mark.parametrize(("spec", "module"), VENDORED, ids=[s.split("==")[0] for s, _ in VENDORED])
def test_vendoring_wheels_need_nothing_on_slim(engine: Engine, spec: str, module: str) -> None:
    words = " ".join(f"'{w}'" for w in spec.split())
    done = _run("python:3.12-slim", f"{_PIP} {words} && python -c 'import {module}' && echo IMPORTS")
    assert done.returncode == 0 and "IMPORTS" in done.stdout, (spec, done.stderr[-2000:])
    name = normalize(re.split(r"[\[=]", spec, maxsplit=1)[0])
    entry = table().distributions.get(name)
    assert entry is None or "binary" in entry.unless_extras, f"{name} vendors its library: the table must not list it"
