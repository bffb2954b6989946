"""Comparisons of what was read from both images: pure functions, no engine.

Each function takes facts about the original and the rewrite and returns a
:class:`~dockopt.verify.result.Check`. Keeping them free of I/O is what lets
the unit tests feed them planted differences (and their negative controls)
without building anything.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .imagefs import Executable, FileEntry
from .probe import Distribution, ProbeResult
from .result import Check

#: Always set aside: the base image's own packaging tools.
ASIDE = frozenset({"pip", "setuptools", "wheel"})
#: Installers: when the original has one only to install with and the rewrite
#: dropped it (with what only it needs), that is the point of a build stage.
INSTALLERS = frozenset({"poetry", "pipenv", "uv", "pdm", "pip-tools", "virtualenv", "hatch", "poetry-plugin-export"})
#: Config keys compared (``docker image inspect`` .Config).
CONFIG_KEYS = ("Entrypoint", "Cmd", "Env", "User", "WorkingDir", "ExposedPorts", "Volumes", "Healthcheck", "Labels", "StopSignal")
#: Env keys the rewrite may add (a copied virtualenv needs them) or whose PATH may gain entries.
ADDED_ENV_OK = frozenset({"VIRTUAL_ENV"})
#: At most this many difference lines per check; the rest are counted.
MAX_LINES = 25


def _cap(lines: Sequence[str]) -> tuple[str, ...]:
    if len(lines) <= MAX_LINES:
        return tuple(lines)
    return (*lines[:MAX_LINES], f"... and {len(lines) - MAX_LINES} more")


def _show(value: object) -> str:
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)


# -- distributions and imports ------------------------------------------------------------------


def installer_only(dists: Mapping[str, Distribution]) -> set[str]:
    """Installer tools in ``dists`` (pip, setuptools and wheel included) and
    the distributions only they need (wheel >= 0.46 brings packaging).

    From each tool, follow its requirements (extras too: poetry asks for
    ``pbs-installer[download]``) through distributions installed the same way
    (the same INSTALLER) and not asked for by name (no REQUESTED marker: an
    app's own requirement, even one a tool shares, is never set aside). Then
    keep out whatever another distribution needs unconditionally."""
    tools = {k for k in dists if k in INSTALLERS or k in ASIDE}
    installers = {dists[k].installer for k in tools}
    closure: set[str] = set()
    todo = list(tools)
    while todo:
        key = todo.pop()
        if key in closure or key not in dists:
            continue
        d = dists[key]
        if key not in tools and (d.requested or d.installer not in installers):
            continue
        closure.add(key)
        todo.extend(d.requires)
        todo.extend(d.requires_extra)
    changed = True
    while changed:
        changed = False
        needed_elsewhere = {r for k, d in dists.items() if k not in closure for r in d.requires}
        for key in list(closure):
            if key in needed_elsewhere and key not in tools:
                closure.discard(key)
                changed = True
    return closure


def compare_distributions(before: ProbeResult, after: ProbeResult) -> Check:
    """Same distributions and versions (pip/setuptools/wheel aside, and
    installer tools the rewrite dropped along with what only they need)."""
    if before.error is not None:
        return Check("distributions", None, f"cannot check distributions: {before.error}")
    if after.error is not None:
        return Check("distributions", False, f"the original has python, the rewrite: {after.error}", (after.error,))
    b, a = before.distributions, after.distributions
    dropped_tools = (installer_only(b) - set(a)) - ASIDE
    aside = set(ASIDE) | dropped_tools
    diffs: list[str] = []
    for key in sorted((set(b) | set(a)) - aside):
        if key not in a:
            diffs.append(f"{b[key].name} {b[key].version}: in the original, missing in the rewrite")
        elif key not in b:
            diffs.append(f"{a[key].name} {a[key].version}: in the rewrite, not in the original")
        elif b[key].version != a[key].version:
            diffs.append(f"{b[key].name}: {b[key].version} in the original, {a[key].version} in the rewrite")
    compared = len((set(b) | set(a)) - aside)
    note = "pip, setuptools, wheel aside"
    if dropped_tools:
        names = sorted(dropped_tools & INSTALLERS)
        others = sorted(dropped_tools - INSTALLERS)
        what = f"installer {', '.join(names)}" if names else "what pip/setuptools/wheel alone need"
        more = f" (+{len(others)} only they need: {', '.join(others[:4])}{', ...' if len(others) > 4 else ''})" if names and others else ""
        if not names:
            more = f" ({', '.join(others)})"
        note += f"; {what} only in the original{more}"
    where = f"python {before.version} ({before.python}) vs {after.version} ({after.python})"
    if diffs:
        return Check("distributions", False, f"{len(diffs)} of {compared} distributions differ ({note}); {where}", _cap(diffs))
    return Check("distributions", True, f"{compared} distributions, same versions ({note}); {where}")


def modules_to_import(before: ProbeResult) -> list[str]:
    """The top-level modules of the original's distributions, except those of
    pip/setuptools/wheel and of installer tools (and what only they need)."""
    skip = set(ASIDE) | installer_only(before.distributions)
    mods = {m for key, d in before.distributions.items() if key not in skip for m in d.top_level}
    return sorted(m for m in mods if all(p.isidentifier() for p in m.split(".")))


def compare_imports(before: ProbeResult, after: ProbeResult, modules: Sequence[str]) -> Check:
    """Every module that imports in the original also imports in the rewrite."""
    if before.error is not None:
        return Check("imports", None, f"cannot check imports: {before.error}")
    if after.error is not None:
        return Check("imports", False, f"cannot import anything in the rewrite: {after.error}", (after.error,))
    if not modules:
        return Check("imports", True, "no top-level modules to import")
    owners: dict[str, str] = {}
    for d in before.distributions.values():
        for m in d.top_level:
            owners.setdefault(m, d.name)
    importable = [m for m in modules if m in before.imports and before.imports[m] is None]
    diffs = []
    for m in importable:
        if m not in after.imports:
            diffs.append(f"{m}: imports in the original, not tried in the rewrite")
        elif after.imports[m] is not None:
            owner = owners.get(m)
            label = m if owner is None or owner.lower().replace("-", "_") == m.lower() else f"{m} ({owner})"
            diffs.append(f"{label}: imports in the original, fails in the rewrite: {after.imports[m]}")
    failing = len(modules) - len(importable)
    tail = f"; {failing} fail in the original too" if failing else ""
    if diffs:
        return Check("imports", False, f"{len(diffs)} of {len(importable)} modules no longer import{tail}", _cap(diffs))
    return Check("imports", True, f"{len(importable)} modules import in both{tail}")


# -- image config ---------------------------------------------------------------------------------


def env_map(env: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in env or ():
        key, _, value = item.partition("=")
        out[key] = value
    return out


def _path_ok(before: str, after: str) -> bool:
    """The rewrite's PATH is the original's with entries added (and no other change)."""
    old = before.split(":")
    kept = [p for p in after.split(":") if p in old]
    return kept == old


def effective_labels(labels: Mapping[str, str] | None, base_labels: Mapping[str, str] | None) -> dict[str, str]:
    """Labels the Dockerfile set: those not inherited unchanged from its base image."""
    base = dict(base_labels or {})
    return {k: v for k, v in (labels or {}).items() if base.get(k) != v}


def compare_config(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    before_base_labels: Mapping[str, str] | None = None,
    after_base_labels: Mapping[str, str] | None = None,
) -> Check:
    """The final images' run-time config (``docker image inspect`` .Config)."""
    diffs: list[str] = []
    for key in CONFIG_KEYS:
        if key == "Env":
            b, a = env_map(before.get("Env")), env_map(after.get("Env"))
            for name in sorted(set(b) | set(a)):
                if name not in a:
                    diffs.append(f"Env {name}: {b[name]!r} in the original, missing in the rewrite")
                elif name not in b:
                    if name not in ADDED_ENV_OK:
                        diffs.append(f"Env {name}: added by the rewrite ({a[name]!r})")
                elif b[name] != a[name] and not (name == "PATH" and _path_ok(b[name], a[name])):
                    diffs.append(f"Env {name}: {b[name]!r} in the original, {a[name]!r} in the rewrite")
            continue
        if key == "Labels":
            bv: Any = effective_labels(before.get("Labels"), before_base_labels)
            av: Any = effective_labels(after.get("Labels"), after_base_labels)
            for name in sorted(set(bv) | set(av)):
                if bv.get(name) != av.get(name):
                    diffs.append(f"Labels {name}: {_show(bv.get(name))} in the original, {_show(av.get(name))} in the rewrite")
            continue
        bv, av = before.get(key) or None, after.get(key) or None
        if bv != av:
            diffs.append(f"{key}: {_show(bv)} in the original, {_show(av)} in the rewrite")
    if diffs:
        return Check("config", False, f"{len(diffs)} config differences", _cap(diffs))
    return Check("config", True, "same " + ", ".join(CONFIG_KEYS) + " (PATH may gain entries)")


# -- entrypoint ------------------------------------------------------------------------------------


def compare_entrypoint(commands: Sequence[str], before: Sequence[Executable], after: Sequence[Executable]) -> Check:
    """Each command the image's ENTRYPOINT/CMD depends on that resolves (to
    an executable) in the original also resolves in the rewrite. ``before``
    and ``after`` hold the resolution of the same names, in the same order."""
    if not commands:
        return Check("entrypoint", None, "the image has no ENTRYPOINT or CMD")
    diffs: list[str] = []
    shown: list[str] = []
    for b, a in zip(before, after, strict=True):
        if b.path is None or not b.executable:
            continue
        shown.append(f"{b.name} -> {b.path}" + ("" if a.path == b.path else f" / {a.path}"))
        if a.path is None:
            where = a.name.removeprefix(b.name)
            diffs.append(f"{b.name}: resolves to {b.path} in the original, not found in the rewrite{where}")
        elif not a.executable:
            diffs.append(f"{b.name}: {a.path} is not executable in the rewrite")
    if not shown:
        first = before[0].name if before else commands[0]
        return Check("entrypoint", None, f"{first!r} does not resolve to an executable in the original either")
    if diffs:
        return Check("entrypoint", False, "; ".join(diffs), _cap(diffs))
    return Check("entrypoint", True, "resolves: " + ", ".join(shown))


# -- application files ------------------------------------------------------------------------------


def _skipped(path: str, venvs: Sequence[str]) -> bool:
    parts = path.split("/")
    if "__pycache__" in parts or path.endswith((".pyc", ".pyo")):
        return True
    return any(path == v or path.startswith(v + "/") for v in venvs)


def virtualenvs(tree: Mapping[str, FileEntry]) -> list[str]:
    """Folders holding a ``pyvenv.cfg``: virtualenvs, compared by the distributions check instead."""
    return sorted(posixpath.dirname(p) for p in tree if posixpath.basename(p) == "pyvenv.cfg")


def compare_files(
    workdir_before: str,
    workdir_after: str,
    before: Mapping[str, FileEntry] | None,
    after: Mapping[str, FileEntry] | None,
) -> Check:
    """Same files under the working directory: paths, kind, content hash,
    permission bits and owner (``*.pyc``, ``__pycache__`` and virtualenvs aside)."""
    if not workdir_before or workdir_before == "/":
        return Check("files", None, "the original sets no WORKDIR: application files not compared")
    if before is None:
        return Check("files", None, f"the original has no {workdir_before}")
    if after is None:
        return Check("files", False, f"{workdir_after or '/'} does not exist in the rewrite", (f"{workdir_after}: missing",))
    venvs = sorted(set(virtualenvs(before)) | set(virtualenvs(after)))
    b = {p: e for p, e in before.items() if not _skipped(p, venvs)}
    a = {p: e for p, e in after.items() if not _skipped(p, venvs)}
    diffs: list[str] = []
    # A virtualenv's contents are the distributions check's business, but one
    # the original has under the working directory must still be there.
    for venv in sorted(set(virtualenvs(before)) - set(virtualenvs(after))):
        diffs.append(f"{venv}/: a virtualenv in the original, missing in the rewrite")
    for path in sorted(set(b) | set(a)):
        eb, ea = b.get(path), a.get(path)
        if ea is None:
            diffs.append(f"{path}: in the original, missing in the rewrite")
        elif eb is None:
            diffs.append(f"{path}: in the rewrite, not in the original")
        elif eb.kind != ea.kind:
            diffs.append(f"{path}: {_KIND[eb.kind]} in the original, {_KIND[ea.kind]} in the rewrite")
        elif eb.digest != ea.digest:
            diffs.append(f"{path}: content differs" if eb.kind == "f" else f"{path}: link target {eb.digest!r} -> {ea.digest!r}")
        elif eb.mode != ea.mode:
            diffs.append(f"{path}: mode {eb.mode:04o} in the original, {ea.mode:04o} in the rewrite")
        elif (eb.uid, eb.gid) != (ea.uid, ea.gid):
            diffs.append(f"{path}: owner {eb.uid}:{eb.gid} in the original, {ea.uid}:{ea.gid} in the rewrite")
    files = sum(1 for e in b.values() if e.kind == "f")
    aside = f"; virtualenv {', '.join(venvs)} aside" if venvs else ""
    if diffs:
        return Check("files", False, f"{len(diffs)} differences under {workdir_before}{aside}", _cap(diffs))
    return Check("files", True, f"{files} files under {workdir_before}, same content, modes and owners{aside}")


_KIND = {"f": "a file", "d": "a folder", "l": "a symlink", "o": "a special file"}


# -- smoke ----------------------------------------------------------------------------------------------


def compare_smoke(argv: Sequence[str], before: tuple[int, str] | None, after: tuple[int, str] | None) -> Check:
    """Same exit code and stdout (trailing whitespace aside) for ``argv``."""
    if before is None or after is None:
        return Check("smoke", None, "no --smoke command given")
    shown = " ".join(argv)
    diffs = []
    if before[0] != after[0]:
        diffs.append(f"exit code {before[0]} in the original, {after[0]} in the rewrite")
    b_lines, a_lines = before[1].rstrip().splitlines(), after[1].rstrip().splitlines()
    if [line.rstrip() for line in b_lines] != [line.rstrip() for line in a_lines]:
        for i in range(max(len(b_lines), len(a_lines))):
            bl = b_lines[i] if i < len(b_lines) else "<no line>"
            al = a_lines[i] if i < len(a_lines) else "<no line>"
            if bl.rstrip() != al.rstrip():
                diffs.append(f"stdout line {i + 1}: {bl[:200]!r} in the original, {al[:200]!r} in the rewrite")
                break
    if diffs:
        return Check("smoke", False, f"{shown!r} behaves differently", tuple(diffs))
    return Check("smoke", True, f"{shown!r}: exit code {before[0]}, same {len(b_lines)} lines of output")


_WS = re.compile(r"\s+")
