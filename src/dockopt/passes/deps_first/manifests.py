"""Which files to copy before the install: the manifests it reads, looked up in the build context.

With a whole-context code COPY, every file the installs read comes from it:
each becomes a context path to copy first (a requirements file with the files
it includes, ``pyproject.toml`` with ``poetry.lock`` when the context has it
or ``poetry.lock*`` when the context is unknown ...). When only parts of the
project move, the manifests are already in place; what the context shows
about them is still checked (``-e .`` in a requirements file, path
dependencies). Everything that makes the rewrite unsafe is a
:class:`~dockopt.passes.base.Decline` with the reason.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from ... import lazyre
from ...model import paths, project
from ...model.context import BuildContext
from ...records_base import Record
from ..base import Decline
from .common import Need, line
from .copies import Area, CodeCopy
from .local_lines import local_line_problem
from .scan import Scan

_LOCAL_REFERENCE_RE = lazyre.compile(r"@\s*\.")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_GLOB_CHARS = frozenset("*?[]\\ \t\"'$")


class Manifests(Record):
    _fields = ("sources", "notes")
    __slots__ = _fields
    sources: tuple[str, ...]  # context paths; a trailing `/` for a directory, `*` for an optional lock
    notes: tuple[str, ...]

    def __init__(self, sources: tuple[str, ...], notes: tuple[str, ...]) -> None:
        self._set(sources, notes)


def manifests(result: Scan, origins: Mapping[str, str], context: BuildContext) -> Manifests:
    """The files to copy before the installs of ``result`` (empty when only parts of the project move)."""
    whole = Area(result.copies).whole
    produced: set[str] = set()
    out: list[str] = []
    for step in result.steps:
        for need in step.needs:
            if need.path in produced:
                continue
            if whole is None:
                _check_in_place(need, origins, context)
                continue
            out.extend(s for s in _from_whole(need, whole, context) if s not in out)
        for tool, manifest in step.projects:
            rel = paths.relative(manifest, whole.target) if whole is not None else origins.get(manifest)
            problem = project_problem(tool, rel, context) if rel and context.known else None
            if problem is not None:
                raise Decline(step.ins, problem)
        for path in step.produces:
            produced.add(path)
            rel = paths.relative(path, whole.target) if whole is not None else None
            if rel and context.shipped(rel):
                raise Decline(
                    step.ins,
                    f"the build context has its own `{rel}`, which the code COPY would now copy over the one "
                    f"{line(step.ins)} writes",
                )
    # Drop directories' members, and files an earlier COPY already put in place.
    dirs = [s for s in out if s.endswith("/")]
    out = [s for s in out if s.endswith("/") or not any(s.startswith(d) for d in dirs)]
    if whole is not None:
        out = [s for s in out if origins.get(posixpath.join(whole.target, s)) != s]
    notes: tuple[str, ...] = ()
    if not context.known and any(s.endswith((".txt", "/")) for s in out):
        notes = ("no build context given: -r includes inside the requirement files were not checked",)
    return Manifests(tuple(out), notes)


def _from_whole(need: Need, whole: CodeCopy, context: BuildContext) -> list[str]:
    rel = paths.relative(need.path, whole.target)
    if not rel:
        raise Decline(
            need.ins,
            f"the install on {line(need.ins)} reads `{paths.show(need.path)}`, which is outside the directory "
            f"the COPY on {line(whole.ins)} fills; dockopt does not know where that file comes from",
        )
    if any(c in _GLOB_CHARS for c in rel) or rel.startswith("../"):
        raise Decline(
            need.ins, f"the install on {line(need.ins)} reads `{rel}`, a name dockopt does not copy on its own"
        )
    if need.kind in ("requirements", "filtered"):
        if context.known:
            return _closure(need, rel, context)
        # Without the context a nested file brings its directory, since it may include its neighbours.
        return [rel.split("/", 1)[0] + "/"] if "/" in rel else [rel]
    shipped = context.shipped(rel)
    if need.kind == "file":
        if shipped is False:
            raise Decline(need.ins, f"the install on {line(need.ins)} reads `{rel}`, which {_missing(rel, context)}")
        return [rel]
    if need.kind == "lock" and shipped is None:
        return [rel + "*"]  # the COPY succeeds whether or not the lock exists
    return [rel] if shipped else []


def _check_in_place(need: Need, origins: Mapping[str, str], context: BuildContext) -> None:
    """A manifest an earlier COPY put in place: check what it asks for, when the context shows it."""
    rel = origins.get(need.path)
    if rel is not None and context.known and need.kind in ("requirements", "filtered"):
        _closure(need, rel, context)


def _closure(need: Need, rel: str, context: BuildContext) -> list[str]:
    """A requirements file and the files it includes; Decline on what needs the source tree."""
    if not context.shipped(rel):
        raise Decline(need.ins, f"the install on {line(need.ins)} reads `{rel}`, which {_missing(rel, context)}")
    reqs = context.requirements(rel)
    if reqs.problem is not None:
        raise Decline(need.ins, reqs.problem)
    for file, text in reqs.local:
        if need.kind == "filtered" and file == rel and project.filtered_local_line(text):
            continue  # the first step drops it
        raise Decline(need.ins, local_line_problem(file, text))
    return list(reqs.files)


def _missing(rel: str, context: BuildContext) -> str:
    return "is excluded by .dockerignore" if context.exists(rel) else "is not in the build context"


def project_problem(tool: str, rel: str, context: BuildContext) -> str | None:
    """A reason the project's dependencies need more than its manifests (path dependencies, workspaces)."""
    data = context.toml(rel)
    if data is None:
        return None if context.read(rel) is None else f"`{rel}` is not valid TOML"
    if tool == "pipenv":
        for section in ("packages", "dev-packages"):
            for name, spec in (data.get(section) or {}).items():
                if isinstance(spec, dict) and ("path" in spec or "file" in spec):
                    return f"the Pipfile installs `{name}` from a local path, which needs the source tree"
        return None
    for dep in (data.get("project") or {}).get("dependencies") or []:
        if isinstance(dep, str) and ("file:" in dep or _LOCAL_REFERENCE_RE.search(dep)):
            return f"`{rel}` depends on a local path (`{dep}`), which needs the source tree"
    tools = data.get("tool") or {}
    if tool == "uv":
        return _uv_problem(rel, tools.get("uv") or {})
    if tool == "poetry":
        return _poetry_problem(rel, tools.get("poetry") or {})
    return None


def _uv_problem(rel: str, uv: dict[str, Any]) -> str | None:
    if uv.get("workspace"):
        return f"`{rel}` declares a uv workspace; its members need their sources (use --no-install-workspace by hand)"
    for name, spec in (uv.get("sources") or {}).items():
        if isinstance(spec, dict) and ("path" in spec or "workspace" in spec):
            return f"`{rel}` takes `{name}` from a local path or workspace, which needs the source tree"
    return None


def _poetry_problem(rel: str, poetry: dict[str, Any]) -> str | None:
    tables: list[dict[str, Any]] = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
    tables.extend((g or {}).get("dependencies") or {} for g in (poetry.get("group") or {}).values())
    for deps in tables:
        for name, spec in deps.items():
            if isinstance(spec, dict) and "path" in spec:
                return f"`{rel}` takes `{name}` from a local path, which needs the source tree"
    return None


def group(sources: tuple[str, ...], dest: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """One COPY per target directory, in first-seen order: (sources, destination)."""
    groups: dict[str, list[str]] = {}
    for s in sources:
        sub = s.rstrip("/") if s.endswith("/") else posixpath.dirname(s)
        groups.setdefault(sub, []).append(s)
    out = []
    for sub, items in groups.items():
        single = len(items) == 1 and not items[0].endswith(("/", "*"))
        out.append((tuple(items), _destination(dest, sub, single)))
    return tuple(out)


def _destination(dest: str, sub: str, single: bool) -> str:
    if dest in (".", "./"):
        if not sub:
            return "." if single else "./"
        return sub + "/"
    base = dest if dest.endswith("/") else dest + "/"
    return base + (sub + "/" if sub else "")
