"""``dockopt batch --verify`` with the real verifier: real builds decide which rewrites reach the branch.

The fake-verifier tests (test_verify.py) show the bookkeeping; this one shows
the bridge to ``dockopt.verify`` works end to end on a real engine. Two copies
of the flask-gunicorn app: one rewritten as dockopt writes it (must be proven
equivalent and committed), and one whose rewrite the test breaks on its way to
the verifier (the runtime stage loses the virtualenv's PATH, so gunicorn and
flask are gone), the negative control: real builds must show the difference
and the batch must leave that repository without a branch. verify builds cold
(``--no-cache``), so no earlier build can answer for either.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from dockopt.batch import verifying
from dockopt.engine import Engine
from tests.batch import fleet
from tests.batch.conftest import branch_tip, run_batch, show

pytestmark = pytest.mark.docker

APP = fleet.APPS / "flask-gunicorn"
PLANT = "PLANTED-BREAK"  # a file in the repository that asks the verifier wrapper below to break the rewrite
PATH_LINE = "ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH\n"


def planting_verify(original: str, rewritten: str, context: Path) -> Any:
    """The real verifier; for a repository holding PLANT, on a rewrite with its runtime PATH line removed."""
    if (context / PLANT).exists():
        runtime = rewritten.rindex("\nFROM ")
        tail = rewritten[runtime:]
        assert PATH_LINE in tail, tail
        rewritten = rewritten[:runtime] + tail.replace(PATH_LINE, "")
    return verifying.verify_with_engine(original, rewritten, context)


def _repo(root: Path, name: str, *, plant: bool) -> Path:
    repo = root / name
    shutil.copytree(APP, repo, ignore=shutil.ignore_patterns("app.toml", "reference.Dockerfile"))
    if plant:
        (repo / PLANT).write_text("the batch test breaks this repository's rewrite before verify sees it\n")
    fleet.git(repo, "init", "-q", "-b", "main")
    fleet.git(repo, "add", "-A")
    fleet.git(repo, "commit", "-q", "-m", "initial")
    return repo


def test_batch_verify_commits_only_what_real_builds_prove(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = verifying.load_verifier()  # the real check: module present, engine answers
    assert real is verifying.verify_with_engine
    monkeypatch.setattr(verifying, "load_verifier", lambda: planting_verify)
    root = tmp_path / "fleet"
    good, broken = _repo(root, "svc-good", plant=False), _repo(root, "svc-broken", plant=True)
    listing = tmp_path / "repos.txt"
    listing.write_text("svc-good\nsvc-broken\n")

    run = run_batch(
        "--repos-file", str(listing), "--git-branch", fleet.BRANCH, "--verify", "--jobs", "1",
        cwd=root, report=tmp_path / "report.json",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    assert run.report is not None
    ok = run.files("svc-good")[0]
    assert ok["outcome"] == "changed", ok
    assert ok["verification"]["status"] == "equivalent", ok["verification"]
    before, after = ok["verification"]["before"]["size_bytes"], ok["verification"]["after"]["size_bytes"]
    assert after < 0.5 * before, (before, after)  # full python:3.12 → slim runtime
    assert branch_tip(good) is not None
    assert show(good, fleet.BRANCH, "Dockerfile") != show(good, "HEAD", "Dockerfile")

    bad = run.files("svc-broken")[0]
    assert bad["outcome"] == "unproven", bad
    assert bad["verification"]["status"] == "different", bad["verification"]
    failed = {c["name"] for c in bad["verification"]["checks"] if c["ok"] is False}
    assert failed, bad["verification"]["checks"]
    assert branch_tip(broken) is None  # nothing proven: no branch, the checkout untouched
