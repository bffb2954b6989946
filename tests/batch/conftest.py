"""Fixtures for the batch tests: the generated fleet, running ``dockopt batch``, a checkout's exact state."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockopt.cli import cli
from tests.batch import fleet


@dataclass
class Fleet:
    root: Path
    ids: list[str]
    expected: dict[str, fleet.Expect]

    def repo(self, repo_id: str) -> Path:
        return self.root / repo_id


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None

    def files(self, repo_id: str) -> list[dict[str, Any]]:
        assert self.report is not None
        return [f for f in self.report["files"] if f["repository"] == repo_id]

    def repository(self, repo_id: str) -> dict[str, Any]:
        assert self.report is not None
        return next(r for r in self.report["repositories"] if r["repository"] == repo_id)


RunBatch = Callable[..., Run]


@pytest.fixture(scope="session")
def fleet_template(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    root = tmp_path_factory.mktemp("fleet-template") / "fleet"
    ids = fleet.build(root)
    return Fleet(root, ids, dict(fleet.EXPECTED))


def copy_fleet(template: Fleet, dest: Path) -> Fleet:
    shutil.copytree(template.root, dest, symlinks=True)
    return Fleet(dest, list(template.ids), dict(template.expected))


@pytest.fixture
def fleet_copy(fleet_template: Fleet, tmp_path: Path) -> Fleet:
    """A fleet this test may change."""
    return copy_fleet(fleet_template, tmp_path / "fleet")


def run_batch(*args: str, cwd: Path, report: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """``dockopt batch ARGS`` in this process (workers, with --jobs above 1, are real processes)."""
    full = ["batch", *args]
    if report is not None:
        full += ["--report", str(report)]
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, full, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    data = json.loads(report.read_text()) if report is not None and report.exists() else None
    return Run(result.exit_code, result.stdout, result.stderr, data)


def checkout_state(repo: Path, *, ignore_ref: str = fleet.BRANCH) -> dict[str, Any]:
    """Everything a user sees of a checkout: HEAD, the index bytes, status, every file's bytes and mode, the refs.

    The index is read before ``git status`` runs (and status runs without
    optional locks), so this function itself never changes it.
    """
    git_dir = repo / ".git"
    index = git_dir / "index"
    state: dict[str, Any] = {
        "HEAD": (git_dir / "HEAD").read_bytes(),
        "index": index.read_bytes() if index.exists() else None,
    }
    state["head"] = fleet.git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False)
    state["status"] = fleet.git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored")
    refs = fleet.git(repo, "for-each-ref", "--format=%(refname) %(objectname)").decode().splitlines()
    state["refs"] = [r for r in refs if not r.startswith(f"refs/heads/{ignore_ref} ")]
    files: dict[str, tuple[int, bytes]] = {}
    for folder, dirs, names in os.walk(repo):
        # A nested repository is a unit of its own, with its own state.
        dirs[:] = [d for d in dirs if d != ".git" and not (Path(folder) / d / ".git").exists()]
        for name in names:
            path = Path(folder) / name
            st = path.lstat()
            body = os.readlink(path).encode() if stat.S_ISLNK(st.st_mode) else path.read_bytes()
            files[path.relative_to(repo).as_posix()] = (st.st_mode, body)
    state["files"] = files
    return state


def branch_tip(repo: Path, branch: str = fleet.BRANCH) -> str | None:
    out = fleet.git(repo, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False).decode().strip()
    return out or None


def show(repo: Path, rev: str, path: str) -> bytes:
    return fleet.git(repo, "cat-file", "blob", f"{rev}:{path}")


def rewrite_output(files: list[Path]) -> None:
    """Run the real ``dockopt rewrite --write`` (the oracle) over these files, in place."""
    result = CliRunner().invoke(cli, ["rewrite", "--write", "--quiet", *map(str, files)], catch_exceptions=False)
    assert result.exit_code in (0, 2), result.stderr


def export_head(repo: Path, dest: Path) -> Path:
    """HEAD's files (not the working tree) in ``dest``, via git archive."""
    import io
    import tarfile

    dest.mkdir(parents=True)
    data = fleet.git(repo, "archive", "--format=tar", "HEAD")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="tar")
    return dest
