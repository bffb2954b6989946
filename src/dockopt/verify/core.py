"""``verify_texts``: build the original and the rewrite, run every check, clean up.

The order is the cheap-and-decisive first: both builds (a rewrite that does
not build is the biggest difference there is), then the image config read
from the daemon, then the files and entrypoint read from stopped containers,
then the probe run with each image's own Python, then the optional smoke
command, and last the rebuild figure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..engine import DOCKER, BuildError, Engine, EngineError, check_engine
from . import compare
from .build import build, dependency_layer_reused, facts, final_base, new_tag
from .imagefs import Executable, ImageFiles, candidate_commands
from .probe import run_probe
from .result import Check, Verification, verdict

#: Overrides the docker client verify looks for (a test points it at nothing).
DOCKER_ENV = "DOCKOPT_DOCKER"
#: Lines of a failed build's log quoted in the reason.
LOG_LINES = 20


def find_engine() -> tuple[Engine | None, str]:
    status = check_engine(os.environ.get(DOCKER_ENV) or DOCKER)
    return status.engine, status.reason


def _tail(exc: BuildError, lines: int = LOG_LINES) -> str:
    return "\n".join(exc.log.rstrip().splitlines()[-lines:])


def verify_texts(
    original: str,
    rewritten: str,
    context: Path,
    *,
    engine: Engine | None = None,
    smoke: Sequence[str] | None = None,
    measure_rebuild: bool = True,
    keep_images: bool = False,
    cold: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Verification:
    """Build ``original`` and ``rewritten`` in ``context`` and compare the images.

    ``cold`` (an addition to the contract, default as it says) builds with
    ``--no-cache``; tests pass False to share cache between runs. Nothing in
    ``context`` is modified; verify's images are removed unless
    ``keep_images``.
    """
    if engine is None:
        engine, why = find_engine()
        if engine is None:
            return Verification("cannot-verify", (), f"no Docker engine: {why}", None, None, None)
    context = Path(context).resolve()
    if not context.is_dir():
        return Verification("cannot-verify", (), f"build context {context} is not a directory", None, None, None)
    tags = {"before": new_tag("before"), "after": new_tag("after")}
    try:
        return _verify(engine, original, rewritten, context, tags, smoke, measure_rebuild, cold, progress)
    except EngineError as exc:
        return Verification("cannot-verify", (), f"the Docker engine failed: {exc}", None, None, None)
    finally:
        if not keep_images:
            for tag in tags.values():
                engine.remove_image(tag)


def _verify(
    engine: Engine,
    original: str,
    rewritten: str,
    context: Path,
    tags: dict[str, str],
    smoke: Sequence[str] | None,
    measure_rebuild: bool,
    cold: bool,
    progress: Callable[[str], None] | None,
) -> Verification:
    try:
        built_before = build(engine, original, context, tags["before"], cold=cold, progress=progress)
    except BuildError as exc:
        reason = f"the original does not build:\n{_tail(exc)}"
        return Verification("cannot-verify", (Check("builds", None, "the original does not build"),), reason, None, None, None)
    inspect_before = engine.inspect_image(tags["before"])
    before = facts(engine, tags["before"], built_before, inspect_before, cold=cold)
    try:
        built_after = build(engine, rewritten, context, tags["after"], cold=cold, progress=progress)
    except BuildError as exc:
        lines = tuple(_tail(exc, 12).splitlines())
        check = Check("builds", False, "the original builds, the rewrite does not", lines)
        return Verification("different", (check,), None, before, None, None)
    inspect_after = engine.inspect_image(tags["after"])
    after = facts(engine, tags["after"], built_after, inspect_after, cold=cold)
    kind = "cold" if cold else "cache allowed"
    checks: list[Check] = [
        Check("builds", True, f"both build ({kind}): original {before.build_seconds:.1f} s, rewrite {after.build_seconds:.1f} s")
    ]

    config_b: dict[str, Any] = inspect_before.get("Config") or {}
    config_a: dict[str, Any] = inspect_after.get("Config") or {}
    checks_config = compare.compare_config(
        config_b,
        config_a,
        before_base_labels=_base_labels(engine, original),
        after_base_labels=_base_labels(engine, rewritten),
    )

    with ImageFiles(engine, tags["before"]) as files_b, ImageFiles(engine, tags["after"]) as files_a:
        env_b, env_a = compare.env_map(config_b.get("Env")), compare.env_map(config_a.get("Env"))
        path_b, path_a = env_b.get("PATH", ""), env_a.get("PATH", "")
        wd_b, wd_a = config_b.get("WorkingDir") or "", config_a.get("WorkingDir") or ""
        commands = candidate_commands(config_b.get("Entrypoint"), config_b.get("Cmd"))
        resolved_b = [files_b.resolve(name, path_b, wd_b) for name in commands]
        resolved_a = [files_a.resolve(name, path_a, wd_a) for name in commands]
        # A script's interpreter (#!/bin/bash, #!/usr/bin/env python3) must
        # resolve too: the original's in the original, the rewrite's own
        # script's in the rewrite (the script itself may differ).
        for b, a in list(zip(resolved_b, resolved_a, strict=True)):
            ib, ia = _interpreter(b), _interpreter(a)
            if ib is None:
                continue
            label = f"{b.name}'s interpreter {ib}"
            commands.append(label)
            resolved_b.append(replace(files_b.resolve(ib, path_b, wd_b), name=label))
            after_exe = files_a.resolve(ia, path_a, wd_a) if ia else Executable(name=label, path=None)
            resolved_a.append(replace(after_exe, name=label if ia == ib else f"{label} (the rewrite's: {ia})"))
        check_entry = compare.compare_entrypoint(commands, resolved_b, resolved_a)
        check_files = compare.compare_files(
            wd_b, wd_a, files_b.tree(wd_b) if wd_b not in ("", "/") else None, files_a.tree(wd_a) if wd_a not in ("", "/") else None
        )
        python_b = files_b.python_for(config_b.get("Entrypoint"), config_b.get("Cmd"), path_b, wd_b)
        python_a = files_a.python_for(config_a.get("Entrypoint"), config_a.get("Cmd"), path_a, wd_a)

    # First what the original has, then both again importing the same modules.
    listing = run_probe(engine, tags["before"], python_b)
    modules = compare.modules_to_import(listing) if listing.error is None else []
    probe_b = run_probe(engine, tags["before"], python_b, modules) if listing.error is None else listing
    probe_a = run_probe(engine, tags["after"], python_a, modules)
    check_dists = compare.compare_distributions(probe_b, probe_a)
    checks += [check_dists, compare.compare_imports(probe_b, probe_a, modules), checks_config, check_entry, check_files]

    if smoke:
        run_b = engine.run(tags["before"], list(smoke))
        run_a = engine.run(tags["after"], list(smoke))
        checks.append(compare.compare_smoke(smoke, (run_b.code, run_b.stdout), (run_a.code, run_a.stdout)))
    else:
        checks.append(compare.compare_smoke((), None, None))

    reused: bool | None = None
    notes: list[str] = []
    if measure_rebuild:
        reused, why = dependency_layer_reused(engine, rewritten, context, progress=progress)
        notes.append(f"rebuild after a code-only edit: {why}")
    result = tuple(checks)
    return Verification(verdict(result), result, None, before, after, reused, notes=tuple(notes))


def _base_labels(engine: Engine, text: str) -> dict[str, str]:
    base = final_base(text)
    if base is None:
        return {}
    try:
        labels = (engine.inspect_image(base).get("Config") or {}).get("Labels") or {}
    except EngineError:
        return {}
    return {str(k): str(v) for k, v in labels.items()}




def _interpreter(exe: Executable) -> str | None:
    """The program a resolved script's ``#!`` line runs (``env X`` -> ``X``)."""
    if exe.path is None:
        return None
    interp = exe.interpreter
    if interp and interp[0].endswith("/env") and len(interp) > 1:
        interp = interp[1:]
        if interp and interp[0].startswith("-"):
            return None
    return interp[0] if interp else None
