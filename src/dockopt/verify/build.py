"""Building the two images and reading their figures.

Both images are built from Dockerfile *text* piped to the engine (the user's
files are never written), by default with ``--no-cache`` so the build time is
a cold figure and no earlier build answers for this one. The dependency-layer
figure comes from :mod:`dockopt.measure`: a code-only edit, unique to this
run, in a scratch copy of the context, then a rebuild whose install step
must come from the cache.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from ..engine import BuildError, BuildResult, Engine
from ..measure import choose_code_file, install_step_cached
from ..model import args
from ..syntax import parse
from .result import ImageFacts

#: Instructions that never add a layer (BuildKit history shows them with no filesystem change).
_METADATA_ONLY = re.compile(
    r"^(?:/bin/sh -c #\(nop\)\s+(?!COPY|ADD)|(?:ENV|CMD|ENTRYPOINT|EXPOSE|LABEL|USER|VOLUME|ARG|HEALTHCHECK|STOPSIGNAL|SHELL|ONBUILD|MAINTAINER)\b)"
)


def new_tag(role: str) -> str:
    """A tag nobody else uses: verify's images are its own to remove."""
    return f"dockopt-verify/{role}:{uuid.uuid4().hex[:12]}"


def build(
    engine: Engine, text: str, context: Path, tag: str, *, cold: bool, progress: Callable[[str], None] | None = None
) -> BuildResult:
    return engine.build(text, context, tag, no_cache=cold, progress=progress)


def layers_of(engine: Engine, tag: str, inspect: dict[str, object]) -> tuple[tuple[str, int], ...]:
    """(diff id, bytes) per filesystem layer. ``docker history`` lists
    metadata-only steps too; they are dropped, and when what is left does not
    line up one to one with ``RootFS.Layers`` the bytes are reported as -1."""
    rootfs = inspect.get("RootFS")
    ids = [str(x) for x in rootfs.get("Layers", [])] if isinstance(rootfs, dict) else []
    rows = [(size, created) for size, created in engine.history(tag) if size > 0 or not _METADATA_ONLY.match(created)]
    if len(rows) != len(ids):
        return tuple((d, -1) for d in ids)
    return tuple((d, size) for d, (size, _) in zip(ids, rows, strict=True))


def facts(engine: Engine, tag: str, result: BuildResult, inspect: dict[str, object], *, cold: bool) -> ImageFacts:
    size = inspect.get("Size")
    return ImageFacts(
        tag=tag,
        size_bytes=int(size) if isinstance(size, int) else engine.image_size(tag),
        layers=layers_of(engine, tag, inspect),
        build_seconds=result.seconds,
        cold=cold,
    )


def dependency_layer_reused(
    engine: Engine, text: str, context: Path, *, progress: Callable[[str], None] | None = None
) -> tuple[bool | None, str]:
    """After a code-only edit unique to this run, did the rewrite's install
    step come from cache? (None, why) when it cannot be told: no Python file
    to edit, no install step, or the edit never reached the image (every
    step cached: the file is not copied, or is dockerignored)."""
    edit = choose_code_file(context)
    if edit is None:
        return None, "no Python source file in the context to edit"
    tag = new_tag("rebuild")
    with tempfile.TemporaryDirectory(prefix="dockopt-verify-") as tmp:
        scratch = Path(tmp) / "context"
        shutil.copytree(context, scratch, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__"))
        target = scratch / edit.relative_to(context)
        # A short comment line, so that a linter run by the build (flake8 in
        # a RUN) has nothing to say about it; unique so no cache can answer.
        ends_with_newline = target.read_bytes().endswith(b"\n") or target.stat().st_size == 0
        with target.open("a", encoding="utf-8") as fh:
            fh.write(("" if ends_with_newline else "\n") + f"# {uuid.uuid4().hex}\n")
        try:
            rebuilt = engine.build(text, scratch, tag, progress=progress)
        except BuildError as exc:
            tail = " / ".join(exc.log_tail.strip().splitlines()[-2:])
            return None, f"the rebuild after a code-only edit of {edit.relative_to(context)} failed: {tail}"
        finally:
            engine.remove_image(tag)
    rel = edit.relative_to(context)
    if all(step.cached for step in rebuilt.instruction_steps):
        return None, f"the edit to {rel} did not reach the image (not copied, or dockerignored)"
    reused = install_step_cached(rebuilt)
    if reused is None:
        return None, "no dependency install step found"
    return reused, f"edited {rel}; install step {'cached' if reused else 're-ran'}"


def final_base(text: str) -> str | None:
    """The external image the final stage is built FROM (through ``FROM
    stage`` chains), global ARG defaults substituted; None for ``scratch``,
    or when it cannot be told."""
    try:
        doc = parse(text)
    except Exception:
        return None
    stages = doc.stages
    if not stages:
        return None
    by_name = {s.name.lower(): s for s in stages if s.name}
    stage = stages[-1]
    seen = {stage.index}
    while True:
        base = stage.base or ""
        parent = by_name.get(base.lower())
        if parent is None or parent.index in seen:
            break
        seen.add(parent.index)
        stage = parent
    resolved = args.expand(stage.base or "", args.global_args(doc.global_args))
    if not resolved or resolved.lower() == "scratch":
        return None
    return resolved
