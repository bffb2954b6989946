"""Real builds for DO008 cache-mounts, DO009 large-files and DO010 dockerignore.

* Every example app rewritten with ``cache_mounts=True`` builds, runs its
  smoke check exactly like the rewrite without mounts, and is not larger.
  A single-stage file shows the check can fail: the same mounts pointed at
  the wrong folder leave uv's cache in the image, which the size check sees.
* The large-file advice, followed on a real build: a copy of models-dir with a
  generated 150 MB weights file; the advised .dockerignore entry shrinks the
  image by the file, and the advised ``-v`` mount gives the app its model back
  (without the mount it fails: the negative control).
* A created .dockerignore on a context with a planted host virtualenv and
  __pycache__: same smoke output, a smaller build context and image than the
  same build without it (which is the negative control: it carries them).

Each image is tagged uniquely and removed; every edit and planted file is new
per run (random bytes, uuid), so no build cache can answer for a check.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

import dockopt
from dockopt.cli import cli
from dockopt.engine import App, BuildResult, Engine, load_apps
from dockopt.measure import build_and_measure
from tests.conftest import FIXTURES, read_exact
from tests.e2e import app_param

APPS = load_apps(FIXTURES / "apps")
MB = 1_000_000

pytestmark = pytest.mark.docker


def _tag(label: str) -> str:
    return f"dockopt-craft/{label}:{uuid.uuid4().hex[:10]}"


def _build(engine: Engine, text: str, context: Path, label: str) -> tuple[str, BuildResult]:
    tag = _tag(label)
    return tag, engine.build(text, context, tag)


# -- DO008 cache mounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("app", [app_param(a) for a in APPS])
def test_cache_mounts_build_run_the_same_and_are_not_larger(engine: Engine, app: App) -> None:
    original = read_exact(app.dockerfile)
    plain = dockopt.rewrite(original, context_dir=app.dir)
    mounted = dockopt.rewrite(original, context_dir=app.dir, cache_mounts=True)
    assert not [s for s in mounted.skips if s.guard], mounted.skips
    # Every example app installs with pip or uv: it gets a mount, or the rule says why not (an
    # install the user keeps cache-free with --no-cache-dir is theirs to change).
    declined = [s for s in mounted.skips if s.rule == "DO008" and "--no-cache-dir" in s.message]
    assert "--mount=type=cache" in mounted.text or declined, mounted.skips
    assert "# syntax" not in mounted.text
    if mounted.text == plain.text:
        assert app.rewrite == "unchanged" or "--mount=type=cache" in original or declined, mounted.skips
        return
    without = build_and_measure(engine, f"{app.name}-plain", plain.text, app.dir, smoke=app.smoke, cold=False)
    with_mounts = build_and_measure(engine, f"{app.name}-mounts", mounted.text, app.dir, smoke=app.smoke, cold=False)
    assert without.smoke is not None and with_mounts.smoke is not None
    assert app.smoke.matches(without.smoke), without.smoke
    assert app.smoke.matches(with_mounts.smoke), f"{with_mounts.smoke}\n{mounted.text}"
    # An install left in the final stage (DO002 declined, e.g. poetry-own-venv) may add what reading
    # the mounted cache writes (MOUNT_SIDE_EFFECTS); in a builder stage it never reaches the image.
    allowance = MOUNT_SIDE_EFFECTS if len(dockopt.parse(mounted.text).stages) == 1 else 0
    assert with_mounts.size_bytes <= without.size_bytes + allowance, (without.size_bytes, with_mounts.size_bytes)


SINGLE_STAGE = """\
FROM python:3.12-slim
WORKDIR /app
RUN pip install uv
COPY requirements.txt .
RUN uv pip install --system -r requirements.txt
COPY . .
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "app:app"]
"""

#: What a cache-mounted RUN may still add to an image: the mount points, and the bytecode of
#: stdlib modules pip imports to read its HTTP cache (_strptime: 24 kB), which the official
#: images ship without.
MOUNT_SIDE_EFFECTS = 64_000  # measured: 24,141 bytes


def test_cache_mounts_keep_the_cache_out_of_a_single_stage_image(engine: Engine) -> None:
    app = next(a for a in APPS if a.name == "flask-gunicorn")
    options = {"select": ["cache-mounts", "run-cleanup"], "context_dir": app.dir}
    mounted = dockopt.rewrite(SINGLE_STAGE, cache_mounts=True, **options).text  # type: ignore[arg-type]
    flagged = dockopt.rewrite(SINGLE_STAGE, **options).text  # type: ignore[arg-type]
    assert mounted.count("--mount=type=cache") == 2 and "--no-cache" not in mounted
    assert "--no-cache-dir" in flagged and "--no-cache " in flagged
    # Negative control: the same mounts on a folder uv does not use leave its cache in the layer.
    elsewhere = mounted.replace("target=/root/.cache/uv", f"target=/tmp/not-uv-{uuid.uuid4().hex[:8]}")
    sizes = {}
    for label, text in (("mounted", mounted), ("flagged", flagged), ("control", elsewhere)):
        figures = build_and_measure(engine, f"single-{label}", text, app.dir, smoke=app.smoke, cold=False)
        assert figures.smoke is not None and app.smoke.matches(figures.smoke), (label, figures.smoke)
        sizes[label] = figures.size_bytes
    # The size check sees a cache in the image (uv's for flask and gunicorn: about 0.5 MB).
    assert sizes["control"] > sizes["flagged"] + 4 * MOUNT_SIDE_EFFECTS, sizes
    assert sizes["mounted"] <= sizes["flagged"] + MOUNT_SIDE_EFFECTS, sizes


APT_BUILDER = """\
FROM python:3.12 AS builder
RUN apt-get update && apt-get install -y --no-install-recommends jq
RUN jq --version > /jq-version

FROM python:3.12-slim
COPY --from=builder /jq-version /jq-version
CMD ["cat", "/jq-version"]
"""


def _apt_downloads(build: BuildResult) -> str:
    found = re.findall(r"Need to get (\S+ \S*B)", build.log)
    assert found, "apt-get printed no download summary"
    return found[-1]


@pytest.mark.parametrize("keep_cache", [True, False], ids=["keep-cache", "control-docker-clean"])
def test_apt_cache_mounts_serve_the_second_build(engine: Engine, keep_cache: bool) -> None:
    """From an empty cache apt downloads; after the RUN is invalidated, the .debs come from the mount.

    The control drops the keep-cache step: the base's docker-clean hook then deletes the
    downloads, and the second build downloads again, so the check can fail.
    """
    text = dockopt.rewrite(APT_BUILDER, select=["cache-mounts"], cache_mounts=True).text
    assert text.count("sharing=locked") == 2 and "rm -f /etc/apt/apt.conf.d/docker-clean" in text
    if not keep_cache:
        text = "\n".join(line for line in text.split("\n") if "docker-clean" not in line)
    run = uuid.uuid4().hex[:10]  # cache ids of this run's own: the first build starts from nothing
    text = text.replace(
        "target=/var/cache/apt,sharing=locked", f"target=/var/cache/apt,sharing=locked,id=dockopt-craft-{run}-debs"
    ).replace(
        "target=/var/lib/apt/lists,sharing=locked",
        f"target=/var/lib/apt/lists,sharing=locked,id=dockopt-craft-{run}-lists",
    )
    tags = []
    try:
        tag, first = _build(engine, text, Path(FIXTURES / "apps" / "flask-gunicorn"), "apt-cold")
        tags.append(tag)
        assert _apt_downloads(first) != "0 B"
        again = text.replace("apt-get update", f"true {uuid.uuid4().hex} && apt-get update", 1)
        tag, second = _build(engine, again, Path(FIXTURES / "apps" / "flask-gunicorn"), "apt-warm")
        tags.append(tag)
        step = second.find_step("apt-get update")
        assert step is not None and not step.cached
        assert engine.run(tag).stdout.strip().startswith("jq-")
        if keep_cache:
            assert _apt_downloads(second) == "0 B", "the second build downloaded again"
        else:
            assert _apt_downloads(second) != "0 B", "the control kept its downloads: the check cannot fail"
    finally:
        for tag in tags:
            engine.remove_image(tag)


# -- DO009 large files ------------------------------------------------------------------------------------


def test_large_file_advice_followed_on_a_real_build(engine: Engine, tmp_path: Path) -> None:
    app = next(a for a in APPS if a.name == "models-dir")
    ctx = tmp_path / "models-dir"
    shutil.copytree(app.dir, ctx)
    weights = ctx / "models" / "weights.safetensors"
    with weights.open("wb") as fh:  # 150 MB, sparse, with a unique tail so no cached layer holds it
        fh.truncate(150 * MB - 32)
        fh.seek(0, os.SEEK_END)
        fh.write(uuid.uuid4().hex.encode())
    result = dockopt.rewrite(read_exact(app.dockerfile), context_dir=ctx)
    (advice,) = [s for s in result.skips if s.rule == "DO009"]
    assert advice.actionable
    assert "models/weights.safetensors (150.0 MB, safetensors weights)" in advice.message
    assert "list `models/` in .dockerignore" in advice.message
    mount = re.search(r"-v \./(\S+):(\S+) IMAGE", advice.message)
    assert mount is not None and mount.groups() == ("models", "/app/models"), advice.message

    tags = []
    try:
        heavy, _ = _build(engine, result.text, ctx, "weights-in")
        tags.append(heavy)
        (ctx / ".dockerignore").write_text("models/\n")  # the advice, followed
        light, _ = _build(engine, result.text, ctx, "weights-out")
        tags.append(light)
        assert engine.image_size(heavy) - engine.image_size(light) >= 150 * MB
        host, container = mount.groups()
        served = engine.run(light, app.smoke.args, volumes=[(ctx / host, container)])
        assert app.smoke.matches(served), served
        # Negative control: without the volume the model is not in the image any more.
        bare = engine.run(light, app.smoke.args)
        assert not app.smoke.matches(bare), "the image still holds the model: the .dockerignore did nothing"
    finally:
        for tag in tags:
            engine.remove_image(tag)


# -- DO010 dockerignore --------------------------------------------------------------------------------


def _context_bytes(build: BuildResult) -> float:
    """What the build sent as its context (BuildKit's `transferring context: 3.05MB`), in bytes."""
    found = re.findall(r"transferring context: ([\d.]+)([kMG]?B)", build.log)
    assert found, "no context transfer in the build log"
    value, unit = found[-1]
    return float(value) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]


def test_created_dockerignore_builds_the_same_with_a_smaller_context(engine: Engine, tmp_path: Path) -> None:
    app = next(a for a in APPS if a.name == "flask-gunicorn")
    copies = {}
    for label in ("ignored", "control"):
        ctx = tmp_path / label
        shutil.copytree(app.dir, ctx)
        venv = ctx / ".venv"
        (venv / "lib").mkdir(parents=True)
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
        (venv / "lib" / "blob.so").write_bytes(os.urandom(4 * MB))  # random: no compression hides it
        (ctx / "__pycache__").mkdir()
        (ctx / "__pycache__" / "app.cpython-312.pyc").write_bytes(os.urandom(200_000))
        copies[label] = ctx
    ignored = copies["ignored"]
    run = CliRunner().invoke(cli, ["rewrite", "--write", "--isolated", str(ignored / "Dockerfile")])
    assert run.exit_code == 0, run.output
    assert (ignored / ".dockerignore").is_file() and not (copies["control"] / ".dockerignore").exists()
    text = (ignored / "Dockerfile").read_text()

    tags = []
    try:
        results = {}
        for label, ctx in copies.items():
            tag, build = _build(engine, text, ctx, f"dockerignore-{label}")
            tags.append(tag)
            smoke = engine.smoke(tag, app.smoke)
            assert app.smoke.matches(smoke), (label, smoke)
            listing = engine.run(tag, ["ls", "-a", "/app"]).stdout.split()
            results[label] = (_context_bytes(build), engine.image_size(tag), listing)
        (ctx_in, size_in, files_in), (ctx_out, size_out, files_out) = results["ignored"], results["control"]
        assert ".venv" in files_out and "__pycache__" in files_out  # the control carries what was planted
        assert ".venv" not in files_in and "__pycache__" not in files_in
        assert ctx_in <= ctx_out - 4 * MB, (ctx_in, ctx_out)
        assert size_in <= size_out - 4 * MB, (size_in, size_out)
    finally:
        for tag in tags:
            engine.remove_image(tag)
