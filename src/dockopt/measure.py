"""Build the original and the rewritten Dockerfile for real, and compare them.

A size claim nobody measured is a guess. ``dockopt measure`` and the
end-to-end tests both come through here: each image is built cold (no cache),
its size and layer count read from the daemon, a smoke command run in both,
and then a code-only change is made in a scratch copy of the build context to
time the rebuild and to see whether the dependency install came from cache —
the point of copying manifests before code.

The user's files are never touched: the rewritten Dockerfile is piped to the
engine, and the code-only edit happens in a temporary copy of the context.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .engine import BuildResult, BuildStep, Engine, RunResult, SmokeSpec
from .model import project
from .pipeline import RewriteResult, rewrite

#: Build steps that install dependencies; the rebuild check looks for these.
INSTALL_STEP_RE = re.compile(
    r"\b(pip3?|python3?(\.\d+)? -m pip|uv pip|uv|poetry|pipenv)\s+(?:-\S+\s+)*(install|sync)\b|\bpip install\b"
)

#: Manifests are not "code": editing one is expected to re-run the install.
MANIFEST_NAMES = frozenset(
    {"requirements.txt", "constraints.txt", "pyproject.toml", "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock", "setup.py", "setup.cfg"}
)



def code_edit() -> str:
    """A comment line to append to a source file: unique per call, so no build cache has seen it.

    A fixed text would make the "edited" context identical to the one an
    earlier run built, and the rebuild would come from the cache whether or
    not the Dockerfile installs its dependencies before the code.
    """
    return f"\n# dockopt measure {uuid.uuid4().hex}: a code-only change to time the rebuild\n"


@dataclass
class ImageFigures:
    """What one build of one Dockerfile came to."""

    label: str
    tag: str
    size_bytes: int
    layers: int
    cold_seconds: float
    rebuild_seconds: float | None = None
    install_cached_on_rebuild: bool | None = None
    smoke: RunResult | None = None


@dataclass
class Measurement:
    before: ImageFigures
    after: ImageFigures
    rewrite: RewriteResult
    notes: list[str] = field(default_factory=list)

    @property
    def reduction(self) -> float:
        """Fraction of the original size saved (0.85 = 85 % smaller)."""
        if self.before.size_bytes == 0:
            return 0.0
        return 1 - self.after.size_bytes / self.before.size_bytes

    @property
    def smoke_matches(self) -> bool | None:
        b, a = self.before.smoke, self.after.smoke
        if b is None or a is None:
            return None
        return b.code == a.code and b.stdout.strip() == a.stdout.strip()

    def to_json(self) -> dict[str, Any]:
        def figures(f: ImageFigures) -> dict[str, Any]:
            d = asdict(f)
            d["smoke"] = None if f.smoke is None else {"code": f.smoke.code, "stdout": f.smoke.stdout}
            return d

        return {
            "before": figures(self.before),
            "after": figures(self.after),
            "reduction": round(self.reduction, 4),
            "smoke_matches": self.smoke_matches,
            "changes": [c.as_dict() for c in self.rewrite.changes],
            "skips": [s.as_dict() for s in self.rewrite.skips],
            "notes": self.notes,
        }


def choose_code_file(context: Path) -> Path | None:
    """A source file to touch for the rebuild test: a Python file that is not a manifest."""
    candidates = sorted(p for p in context.rglob("*.py") if p.name not in MANIFEST_NAMES and ".venv" not in p.parts)
    return min(candidates, key=lambda p: (len(p.relative_to(context).parts), str(p))) if candidates else None


def build_and_measure(
    engine: Engine,
    label: str,
    dockerfile_text: str,
    context: Path,
    *,
    smoke: SmokeSpec | None = None,
    edit_file: Path | None = None,
    progress: Callable[[str], None] | None = None,
    keep_image: bool = False,
    cold: bool = True,
) -> ImageFigures:
    """Build ``dockerfile_text`` (cold unless told), read its figures, smoke it, time a code-only rebuild.

    The tests pass ``cold=False`` so repeated runs reuse the build cache; the
    reported build time is then not a cold figure.
    """
    tag = f"dockopt-measure/{label}:{uuid.uuid4().hex[:10]}"
    try:
        cold_build = engine.build(dockerfile_text, context, tag, no_cache=cold, progress=progress)
        figures = ImageFigures(label, tag, engine.image_size(tag), engine.layer_count(tag), cold_build.seconds)
        if smoke is not None:
            figures.smoke = engine.smoke(tag, smoke)
        if edit_file is not None:
            rebuild = _rebuild_after_code_change(engine, dockerfile_text, context, edit_file, tag, progress)
            figures.rebuild_seconds = rebuild.seconds
            figures.install_cached_on_rebuild = install_step_cached(rebuild)
        return figures
    finally:
        if not keep_image:
            engine.remove_image(tag)
            engine.remove_image(tag + "-rebuild")


#: Steps that install the project itself after the code is copied (the second half of a
#: two-step install); they are expected to re-run when the code changes.
PROJECT_STEP_RE = re.compile(r"--no-deps\b|\b(uv sync|poetry install)\b(?!.*--no-(install-project|root))")
DEPENDENCY_ONLY_RE = re.compile(r"--no-install-project|--no-root")


def install_step_cached(build: BuildResult) -> bool | None:
    """True when every dependency-install step of the build came from cache (None: no such step).

    In a two-step install (``uv sync --no-install-project`` before the code,
    ``uv sync`` after it) only the first step installs dependencies; the
    second installs the project and is meant to re-run.
    """
    steps = dependency_steps([s for s in build.instruction_steps if INSTALL_STEP_RE.search(s.name)])
    if not steps:
        return None
    return all(s.cached for s in steps)


def dependency_steps(steps: list[BuildStep]) -> list[BuildStep]:
    """The install steps that install dependencies only, without the second halves of two-step installs.

    deps-first's first halves for ``pip install .`` and for a requirements file
    with ``-e .`` install from /tmp/dockopt-requirements.txt; every install
    after such a step is the project's half (``pip install --no-deps .``, the
    original ``pip install -r requirements.txt``).
    """
    first = next((k for k, s in enumerate(steps) if project.READER_OUTPUT in s.name), None)
    if first is not None:
        steps = [s for k, s in enumerate(steps) if k <= first or project.READER_OUTPUT in s.name]
    if any(DEPENDENCY_ONLY_RE.search(s.name) for s in steps) or any("--no-deps" in s.name for s in steps):
        steps = [s for s in steps if not PROJECT_STEP_RE.search(s.name) or DEPENDENCY_ONLY_RE.search(s.name)]
    return steps


def _rebuild_after_code_change(
    engine: Engine,
    dockerfile_text: str,
    context: Path,
    edit_file: Path,
    tag: str,
    progress: Callable[[str], None] | None,
) -> BuildResult:
    with tempfile.TemporaryDirectory(prefix="dockopt-measure-") as tmp:
        scratch = Path(tmp) / "context"
        shutil.copytree(context, scratch, symlinks=True, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__"))
        # Warm the cache for this copy (content-addressed, so mostly hits), then change code only.
        engine.build(dockerfile_text, scratch, tag + "-rebuild", progress=progress)
        target = scratch / edit_file.relative_to(context)
        with target.open("a", encoding="utf-8") as fh:
            fh.write(code_edit())
        return engine.build(dockerfile_text, scratch, tag + "-rebuild", progress=progress)


def measure(
    engine: Engine,
    dockerfile: Path,
    context: Path,
    *,
    smoke_args: Sequence[str] | None = None,
    smoke: SmokeSpec | None = None,
    edit_file: Path | None = None,
    rewrite_options: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Measurement:
    """Rewrite ``dockerfile``, build both versions, and compare them."""
    original = dockerfile.read_bytes().decode("utf-8", "surrogateescape")
    result = rewrite(original, context_dir=context, **(rewrite_options or {}))
    if smoke is None and smoke_args:
        smoke = SmokeSpec(mode="run", expect="", args=tuple(smoke_args))
    notes = []
    if edit_file is None:
        edit_file = choose_code_file(context)
        if edit_file is None:
            notes.append("no Python source file in the context to change; rebuild time not measured")
    before = build_and_measure(engine, "before", original, context, smoke=smoke, edit_file=edit_file, progress=progress)
    after = build_and_measure(engine, "after", result.text, context, smoke=smoke, edit_file=edit_file, progress=progress)
    return Measurement(before, after, result, notes)


def format_table(m: Measurement) -> str:
    """The before/after table ``dockopt measure`` prints."""

    def mb(n: int) -> str:
        return f"{n / 1e6:,.1f} MB"

    def secs(s: float | None) -> str:
        return "-" if s is None else f"{s:.1f} s"

    def cached(v: bool | None) -> str:
        return {True: "cached", False: "re-run", None: "-"}[v]

    rows = [
        ("", "original", "rewritten"),
        ("image size", mb(m.before.size_bytes), mb(m.after.size_bytes)),
        ("layers", str(m.before.layers), str(m.after.layers)),
        ("cold build", secs(m.before.cold_seconds), secs(m.after.cold_seconds)),
        ("rebuild after code change", secs(m.before.rebuild_seconds), secs(m.after.rebuild_seconds)),
        ("dependency install on rebuild", cached(m.before.install_cached_on_rebuild), cached(m.after.install_cached_on_rebuild)),
    ]
    if m.before.smoke is not None and m.after.smoke is not None:
        rows.append(("smoke exit code", str(m.before.smoke.code), str(m.after.smoke.code)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r)) for r in rows]
    lines.append(f"size reduction: {m.reduction:.0%}")
    if m.smoke_matches is not None:
        lines.append("smoke output: " + ("identical" if m.smoke_matches else "DIFFERENT"))
    lines.extend(m.notes)
    return "\n".join(lines)
