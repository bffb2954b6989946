"""Which Python distributions a stage installs, and what they need from Debian at run time.

Read from what a rule can see: the install's arguments (``pip install
lightgbm``), the requirements files it names and the files those include
(``-r``, followed in the build context), and the lock files of poetry,
pipenv and uv when the context has them. A lock file lists every
distribution the install brings, dependencies of dependencies included; a
requirements file lists only what it lists (``pip install -r`` of a file
naming ``my-lib``, which itself depends on lightgbm, shows ``my-lib`` only,
unless ``my-lib`` is one of the well-known distributions the table's
``[requires]`` lists as always depending on an entry: pycaret on lightgbm,
streamlit on GitPython), and without a build context only the arguments are
known. The answer is a lower bound, never a guess.

What a distribution needs from Debian at run time comes from the one table
(``data/debian.toml``, ``[distributions]``): :func:`runtime_needs`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from .. import lazyre
from ..records_base import Record
from ..syntax import Instruction, Stage
from . import debian, runs
from .context import BuildContext, logical_lines
from .packages import PackageInstall, pep503_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: A requirement's name and extras at the start of a PEP 508 line (``lightgbm[dask]>=4``).
_REQUIREMENT_RE = lazyre.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?")
_EGG_RE = lazyre.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_PYTHON_MANAGERS = frozenset({"pip", "uv", "poetry", "pipenv"})


class Distribution(Record):
    """A Python distribution an instruction installs, and where dockopt read that."""

    _fields = ("name", "extras", "ins", "source")
    __slots__ = _fields
    name: str  # PEP 503 normalised
    extras: frozenset[str]
    ins: Instruction
    source: str  # "the install's arguments", "requirements.txt", "poetry.lock" ...

    def __init__(self, name: str, extras: frozenset[str], ins: Instruction, source: str) -> None:
        self._set(name, extras, ins, source)


class RuntimeNeed(Record):
    """A Debian package the installed distributions need at run time, and why."""

    _fields = ("package", "why", "also")
    __slots__ = _fields
    package: str
    why: str  # "lightgbm loads libgomp.so.1"
    also: tuple[str, ...]  # the package's names on other releases

    def __init__(self, package: str, why: str, also: tuple[str, ...] = ()) -> None:
        self._set(package, why, also)

    @property
    def message(self) -> str:
        return f"{self.package}: {self.why}"


def normalize(name: str) -> str:
    """PEP 503: ``GitPython`` -> ``gitpython``, ``python_magic`` -> ``python-magic``."""
    return pep503_name(name)


def stage_distributions(stage: Stage, context: BuildContext) -> list[Distribution]:
    """The distributions the RUNs of ``stage`` install (not those of the stages it is built FROM)."""
    out: list[Distribution] = []
    for ins in stage.instructions:
        if ins.keyword == "RUN":
            out.extend(run_distributions(ins, context))
    return out


def run_distributions(ins: Instruction, context: BuildContext) -> list[Distribution]:
    """The distributions one RUN installs, as far as its text and the build context tell."""
    out: list[Distribution] = []
    for _cmd, call in runs.script(ins).all_calls:
        if call.manager in _PYTHON_MANAGERS and call.is_install:
            out.extend(Distribution(n, e, ins, src) for n, e, src in _call(call, context))
    return out


def runtime_needs(distributions: Iterable[Distribution]) -> list[RuntimeNeed]:
    """The Debian packages ``distributions`` need at run time (from the full image), in order, once each."""
    table = debian.table()
    dists = list(distributions)
    names = {d.name for d in dists}
    through: dict[str, str] = {}  # a [distributions] entry no file names, and the one that pulls it in
    for d in dists:
        for child in table.requires.get(d.name, ()):
            if child not in names and child not in through:
                through[child] = d.name
                dists.append(Distribution(child, frozenset(), d.ins, f"a dependency of {d.name}"))
    names |= set(through)
    whys: dict[str, list[str]] = {}
    also: dict[str, tuple[str, ...]] = {}
    for d in dists:
        entry = table.distributions.get(d.name)
        if entry is None or names & set(entry.unless) or d.extras & set(entry.unless_extras):
            continue
        why = f"{entry.why} (a dependency of {through[d.name]})" if d.name in through else entry.why
        for package in entry.runtime:
            found = whys.setdefault(package, [])
            if why not in found:
                found.append(why)
            also[package] = entry.also
    return [RuntimeNeed(p, ", ".join(w), also[p]) for p, w in whys.items()]


def unmet(needs: Iterable[RuntimeNeed], installed: Iterable[str]) -> list[RuntimeNeed]:
    """The needs that installing the apt packages ``installed`` does not meet."""
    table = debian.table()
    have = list(installed)
    return [n for n in needs if not table.has(have, n.package, n.also)]


# -- one package-manager call ---------------------------------------------------------------------

Found = tuple[str, frozenset[str], str]  # (name, extras, where it was read)


def _call(call: PackageInstall, context: BuildContext) -> list[Found]:
    out: list[Found] = []
    for spec in call.packages:
        if "://" in spec and " @ " not in spec and "@" not in spec.split("://", 1)[0]:
            egg = _EGG_RE.search(spec)
            if egg:
                out.append((normalize(egg.group(1)), frozenset(), "the install's arguments"))
            continue
        found = _requirement(spec)
        if found is not None:
            out.append((*found, "the install's arguments"))
    requirement_files = list(call.requirement_files)
    if call.manager == "uv" and call.action == "pip sync":
        requirement_files += list(call.arguments)
    for path in requirement_files:
        out.extend(_requirements_file(path, context))
    for path in [*call.local_paths, *call.editable]:
        if path.endswith(".whl"):
            out.append((normalize(posixpath.basename(path).split("-", 1)[0]), frozenset(), "the install's arguments"))
        elif not path.endswith((".tar.gz", ".tgz", ".zip", ".tar.bz2")) and "://" not in path:
            out.extend(_project(context))
    if not call.packages and not requirement_files:
        if call.manager == "poetry" and call.action in ("install", "sync"):
            out.extend(_lock(context, "poetry.lock") or _project(context))
        elif call.manager == "uv" and call.action == "sync":
            out.extend(_lock(context, "uv.lock") or _project(context))
        elif call.manager == "pipenv" and call.action in ("install", "sync"):
            out.extend(_pipenv(context, dev=call.has_option("--dev", "-d")))
    return out


def _requirement(text: str) -> tuple[str, frozenset[str]] | None:
    """Name and extras of a PEP 508 requirement (``lightgbm[dask]==4.5``), None for anything else."""
    m = _REQUIREMENT_RE.match(text)
    if m is None:
        return None
    rest = text[m.end() :].lstrip()
    if rest and rest[0] not in "<>=!~;@(,":
        return None  # a path or URL, not a name
    extras = frozenset(normalize(e.strip()) for e in (m.group(2) or "").split(",") if e.strip())
    return normalize(m.group(1)), extras


def _context_file(context: BuildContext, path: str) -> str | None:
    """The build-context file an install names (as written, from the context root, or by its base name)."""
    for candidate in (path.removeprefix("./"), path.lstrip("/"), posixpath.basename(path)):
        if candidate and context.read(candidate) is not None:
            return candidate
    return None


def _requirements_file(path: str, context: BuildContext) -> list[Found]:
    rel = _context_file(context, path)
    if rel is None:
        return []
    out: list[Found] = []
    for f in context.requirements(rel).files:
        text = context.read(f) or ""
        source = posixpath.basename(f)
        for line in logical_lines(text):
            if line.startswith("-"):
                option, _, value = line.partition(" ")
                if option in ("-e", "--editable") or option.startswith(("-e", "--editable=")):
                    value = value or option.removeprefix("--editable=").removeprefix("-e")
                    egg = _EGG_RE.search(value)
                    if egg:
                        out.append((normalize(egg.group(1)), frozenset(), source))
                    elif "://" not in value:
                        out.extend(_project(context))
                continue
            if "://" in line.split(";", 1)[0] and "@" not in line.split("://", 1)[0]:
                egg = _EGG_RE.search(line)
                if egg:
                    out.append((normalize(egg.group(1)), frozenset(), source))
                continue
            if line.startswith((".", "/")):
                out.extend(_project(context))
                continue
            found = _requirement(line)
            if found is not None:
                out.append((*found, source))
    return out


def _lock(context: BuildContext, name: str) -> list[Found]:
    """Every distribution a poetry.lock or uv.lock lists (the project's own entry too: harmless)."""
    data = context.toml(name)
    packages = data.get("package") if data is not None else None
    if not isinstance(packages, list):
        return []
    return [(normalize(p["name"]), frozenset(), name) for p in packages if isinstance(p, dict) and isinstance(p.get("name"), str)]


def _pipenv(context: BuildContext, *, dev: bool) -> list[Found]:
    """Pipfile.lock's ``default`` (and ``develop``) sections, else the Pipfile's own lists."""
    sections = ("default", "develop") if dev else ("default",)
    text = context.read("Pipfile.lock")
    if text is not None:
        import json  # only for a Pipfile.lock: `dockopt rewrite -` (editors, every save) starts without it

        try:
            data: Any = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return [
                (normalize(name), frozenset(), "Pipfile.lock")
                for section in sections
                if isinstance(data.get(section), dict)
                for name in data[section]
            ]
    pipfile = context.toml("Pipfile")
    if pipfile is None:
        return []
    tables = ("packages", "dev-packages") if dev else ("packages",)
    return [
        (normalize(name), _extras(value), "Pipfile")
        for table in tables
        if isinstance(pipfile.get(table), dict)
        for name, value in pipfile[table].items()
    ]


def _project(context: BuildContext) -> list[Found]:
    """The dependencies pyproject.toml declares (``[project]``, or poetry's own table)."""
    data = context.toml("pyproject.toml")
    if data is None:
        return []
    out: list[Found] = []
    table = data.get("project")
    if isinstance(table, dict):
        for dep in table.get("dependencies") or []:
            found = _requirement(dep) if isinstance(dep, str) else None
            if found is not None:
                out.append((*found, "pyproject.toml"))
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if isinstance(deps, dict):
        out.extend((normalize(n), _extras(v), "pyproject.toml") for n, v in deps.items() if n.lower() != "python")
    return out


def _extras(value: object) -> frozenset[str]:
    """Extras of a Pipfile or poetry dependency written as a table (``{version = "*", extras = ["binary"]}``)."""
    if isinstance(value, dict) and isinstance(value.get("extras"), list):
        return frozenset(normalize(str(e)) for e in value["extras"])
    return frozenset()
