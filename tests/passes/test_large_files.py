"""DO009 large-files: the advice on an app folder made here, with a generated 150 MB weights file.

The big files are sparse (``truncate``): they read as their full size, as the
builder would send them, and cost no disk. Nothing here is committed.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

import dockopt
from dockopt.model import context as context_module
from dockopt.passes import large_files
from dockopt.passes.base import Skip

RULE = large_files.RULE
MB = 1_000_000
APP = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "serve.py"]\n'


def sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.truncate(size)
    return path


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An app folder with a 150 MB weights file, a small model file and code."""
    (tmp_path / "serve.py").write_text("print('ok')\n")
    sparse(tmp_path / "models" / "model.safetensors", 150 * MB)
    sparse(tmp_path / "models" / "labels.pkl", 2_000)  # negative control: weights by name, but small
    sparse(tmp_path / "data" / "table.csv", 5 * MB)  # negative control: neither weights nor over the threshold
    return tmp_path


def advice(text: str, context: Path | None, **options: object) -> list[Skip]:
    result = dockopt.rewrite(text, context_dir=context, select=["large-files"], **options)  # type: ignore[arg-type]
    assert result.text == text, "an advice rule never changes the file"
    assert not result.changes
    return [s for s in result.skips if s.rule == "DO009"]


def test_documented_example_is_real_output(tmp_path: Path) -> None:
    sparse(tmp_path / "models" / "model.safetensors", 150 * MB)
    (skip,) = advice(RULE.before, tmp_path)
    printed = textwrap.wrap(
        f"DO009 [skipped] {skip.message}", 78, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False
    )
    shown = "\n# with models/model.safetensors (150 MB) in the build context:\n" + "".join(f"# {x}\n" for x in printed)
    assert RULE.after == RULE.before + shown


def test_metadata() -> None:
    assert (RULE.id, RULE.name, RULE.safety, RULE.kind) == ("DO009", "large-files", "safe", "tree")
    assert RULE.notes and "Advice only" in RULE.notes


def test_weights_file_is_reported_with_size_and_advice(app: Path) -> None:
    (skip,) = advice(APP, app)
    assert skip.actionable and skip.line == 3
    assert "models/model.safetensors (150.0 MB, safetensors weights)" in skip.message
    assert "list `models/` in .dockerignore" in skip.message
    assert "`docker run -v ./models:/app/models IMAGE`" in skip.message
    assert "labels.pkl" not in skip.message and "table.csv" not in skip.message


def test_an_ignored_big_file_is_not_reported(app: Path) -> None:
    (app / ".dockerignore").write_text("models/model.safetensors\n")
    assert advice(APP, app) == []


def test_an_ignored_folder_is_not_walked(app: Path) -> None:
    (app / ".dockerignore").write_text("models\n")
    assert advice(APP, app) == []


def test_an_exception_brings_a_file_back(app: Path) -> None:
    (app / ".dockerignore").write_text("models\n!models/model.safetensors\n")
    (skip,) = advice(APP, app)
    assert "models/model.safetensors" in skip.message


def test_small_files_only_means_no_advice(tmp_path: Path) -> None:
    (tmp_path / "serve.py").write_text("print('ok')\n")
    sparse(tmp_path / "models" / "tiny.pt", 500_000)
    assert advice(APP, tmp_path) == []


def test_threshold_option(app: Path) -> None:
    (skip,) = advice(APP, app, large_file_threshold=4 * MB)
    assert "data/table.csv (5.0 MB, over the 4 MB threshold)" in skip.message
    assert advice(APP, app, large_file_threshold=200 * MB)[0].message.count("large file") == 1  # weights still


def test_any_big_file_over_the_threshold(tmp_path: Path) -> None:
    sparse(tmp_path / "assets" / "video.mp4", 120 * MB)
    (skip,) = advice(APP, tmp_path)
    assert "assets/video.mp4 (120.0 MB, over the 100 MB threshold)" in skip.message


def test_destination_resolved_against_workdir(app: Path) -> None:
    text = "FROM python:3.12-slim\nWORKDIR /srv\nWORKDIR svc\nCOPY models ./weights/\n"
    (skip,) = advice(text, app)
    assert "-v ./models:/srv/svc/weights " in skip.message
    assert "drop what this COPY copies from there" in skip.message  # excluding models/ would break this COPY


def test_single_file_copy_mounts_the_file(app: Path) -> None:
    text = "FROM python:3.12-slim\nCOPY models/model.safetensors /opt/m.st\n"
    (skip,) = advice(text, app)
    assert "-v ./models/model.safetensors:/opt/m.st " in skip.message


def test_folder_copied_among_other_files_mounts_files_not_the_folder(app: Path) -> None:
    text = "FROM python:3.12-slim\nWORKDIR /app\nCOPY models serve.py /app/\n"
    (skip,) = advice(text, app)
    assert "-v ./models/model.safetensors:/app/model.safetensors " in skip.message  # a volume on /app would hide serve.py


def test_wildcards_match_as_buildkit_does(app: Path) -> None:
    text = "FROM python:3.12-slim\nCOPY models/*.safetensors /w/\nCOPY *.py /app/\n"
    skips = advice(text, app)
    assert [s.line for s in skips] == [2]


def test_files_in_a_host_virtualenv_or_git_get_only_the_ignore_advice(tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    sparse(tmp_path / ".venv" / "lib" / "libtorch.so", 300 * MB)
    sparse(tmp_path / ".git" / "objects" / "pack" / "pack-1.pack", 200 * MB)
    (skip,) = advice(APP, tmp_path)
    assert "list `.venv/` `.git/` in .dockerignore" in skip.message
    assert "docker run" not in skip.message


def test_only_the_final_image_and_context_copies(app: Path) -> None:
    text = (
        "FROM python:3.12 AS build\nCOPY models /models\n"
        "FROM python:3.12-slim\nCOPY --from=build /models /models\nADD https://example.com/x.bin /x.bin\n"
    )
    assert advice(text, app) == []


def test_stage_the_final_one_is_built_from_counts(app: Path) -> None:
    text = "FROM python:3.12-slim AS base\nCOPY models /models\nFROM base\nCMD ['x']\n"
    assert [s.line for s in advice(text, app)] == [2]


def test_no_context_no_advice() -> None:
    assert advice(APP, None) == []


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    sparse(outside / "huge.bin", 500 * MB)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    os.symlink(outside, ctx / "models")
    os.symlink(outside / "huge.bin", ctx / "weights.bin")
    assert advice(APP, ctx) == []


def test_bounded_walk_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context_module, "MAX_ENTRIES", 20)
    for i in range(30):
        (tmp_path / f"f{i:02}.txt").write_text("x")
    skips = advice(APP, tmp_path)
    assert len(skips) == 1 and not skips[0].actionable and "looked for large files among those only" in skips[0].message


def test_inline_suppression(app: Path) -> None:
    text = "FROM python:3.12-slim\nWORKDIR /app\n# dockopt: ignore=large-files\nCOPY . .\n"
    assert advice(text, app) == []


def test_reported_in_every_rewrite_with_all_rules(app: Path) -> None:
    (app / "requirements.txt").write_text("flask\n")
    naive = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python serve.py\n"
    result = dockopt.rewrite(naive, context_dir=app)
    assert result.changed
    assert [s for s in result.skips if s.rule == "DO009" and "model.safetensors" in s.message]
