"""``--verify`` with an injected fake verifier (no Docker): only proven rewrites are applied, bytes are totalled."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.batch import verifying
from tests.batch import fakes, fleet
from tests.batch.conftest import Fleet, branch_tip, checkout_state, run_batch, show

REPOS = [
    "naive/flask-gunicorn",
    "naive/fastapi-uvicorn",
    "naive/psycopg2-source",  # the fake says: different (psycopg2 no longer imports)
    "optimal/flask-gunicorn",  # nothing to change: never verified
    "multi/mono-00",
    "special/dirty",  # requirements.txt deleted in the working tree, committed in HEAD
]


@pytest.fixture
def fake_verifier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifying, "load_verifier", lambda: fakes.fake_verify)


def _repos_file(tmp_path: Path, ids: list[str]) -> Path:
    listing = tmp_path / "repos.txt"
    listing.write_text("# the verified part of the fleet\n" + "\n".join(ids) + "\n")
    return listing


def test_only_proven_rewrites_are_committed(fleet_copy: Fleet, tmp_path: Path, fake_verifier: None) -> None:
    log = tmp_path / "verify.log"
    before = {i: checkout_state(fleet_copy.repo(i)) for i in REPOS}
    run = run_batch(
        "--repos-file", str(_repos_file(tmp_path, REPOS)), "--git-branch", fleet.BRANCH, "--verify", "--jobs", "2",
        cwd=fleet_copy.root, report=tmp_path / "r.json", env={fakes.LOG_VARIABLE: str(log)},
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert run.report is not None
    psycopg = run.files("naive/psycopg2-source")[0]
    assert psycopg["outcome"] == "unproven"
    assert psycopg["reason"] == "imports: 1 module imports differently"
    assert psycopg["verification"]["status"] == "different"
    assert psycopg["diff"]  # the proposed rewrite is still shown
    assert branch_tip(fleet_copy.repo("naive/psycopg2-source")) is None  # nothing proven: no branch
    for repo_id in ("naive/flask-gunicorn", "naive/fastapi-uvicorn", "multi/mono-00", "special/dirty"):
        repo = fleet_copy.repo(repo_id)
        for f in run.files(repo_id):
            if f["outcome"] == "changed":
                assert f["verification"]["status"] == "equivalent"
                assert show(repo, fleet.BRANCH, f["path"]) != show(repo, "HEAD", f["path"])
    assert run.files("optimal/flask-gunicorn")[0]["verification"] is None
    # A new .dockerignore (DO010) is not part of what verify proves: it is neither made nor committed, and the
    # skip says so. (Without --verify the same repositories' branches hold one: tests/batch/test_fleet.py.)
    for repo_id in ("naive/flask-gunicorn", "multi/mono-00"):  # (fastapi-uvicorn has a .dockerignore of its own)
        f = next(f for f in run.files(repo_id) if f["outcome"] == "changed")
        assert f["new_files"] == [] and "DO010" not in f["rules"]
        assert any(n["rule"] == "DO010" and "not created: --verify" in n["message"] for n in f["skips"])
        assert ".dockerignore" not in (f["diff"] or "")
        paths = fleet.git(fleet_copy.repo(repo_id), "ls-tree", "-r", "--name-only", fleet.BRANCH).decode().split()
        assert ".dockerignore" not in paths
    for repo_id in REPOS:
        assert checkout_state(fleet_copy.repo(repo_id)) == before[repo_id]
    # Each changed file was verified once, in a real folder holding HEAD's files: for special/dirty that is a
    # snapshot with the requirements.txt the working tree has deleted, not the checkout.
    calls = [line.split("\t") for line in log.read_text().splitlines()]
    assert len(calls) == 7
    dirty = [names for context, names in calls if "'svc'" in names]
    assert len(dirty) == 1 and "'requirements.txt'" in dirty[0]
    assert not any(context.startswith(str(fleet_copy.root)) for context, _names in calls)


def test_totals_count_image_bytes_and_shared_layers_once(
    fleet_copy: Fleet, tmp_path: Path, fake_verifier: None
) -> None:
    run = run_batch(
        "--repos-file", str(_repos_file(tmp_path, REPOS)), "--verify", "--jobs", "1",
        cwd=fleet_copy.root, report=tmp_path / "r.json",
    )  # fmt: skip
    assert run.report is not None
    images = run.report["totals"]["images"]
    full, slim, app = fakes.FULL_BASE[1], fakes.SLIM_BASE[1], fakes.APP_LAYER
    assert images["verified_files"] == 7 and images["equivalent"] == 6
    assert images["image_bytes_before"] == 7 * (full + app)
    proofs = [f["verification"] for f in run.report["files"] if f["verification"]]
    on_slim = sum(p["status"] == "equivalent" and p["after"]["layers"][0][0] == fakes.SLIM_BASE[0] for p in proofs)
    assert on_slim == 5  # uv-app's rewrite keeps the full base; the unproven psycopg2 app keeps its original
    assert images["image_bytes_after"] == on_slim * (slim + app) + (7 - on_slim) * (full + app)
    assert images["registry_bytes_before"] == full + 7 * app  # one full base for seven images, not seven
    assert images["registry_bytes_after"] == slim + full + 7 * app
    assert "registry storage" in run.stderr


def test_a_verifier_that_fails_leaves_the_rewrite_unproven(
    fleet_copy: Fleet, tmp_path: Path, fake_verifier: None
) -> None:
    repo = fleet_copy.repo("naive/cli-click")
    (repo / "Dockerfile").write_text((repo / "Dockerfile").read_text() + "# RAISE\n")
    fleet.git(repo, "commit", "-q", "-am", "a file the fake verifier chokes on")
    run = run_batch(
        "--repos-file", str(_repos_file(tmp_path, ["naive/cli-click"])), "--write", "--verify",
        cwd=fleet_copy.root, report=tmp_path / "r.json",
    )  # fmt: skip
    record = run.files("naive/cli-click")[0]
    assert record["outcome"] == "unproven"
    assert record["reason"] == "verify failed: RuntimeError: the engine went away"
    assert not record["written"]
    assert (repo / "Dockerfile").read_text().endswith("# RAISE\n")  # not written
    assert run.exit_code == 0


def test_verify_without_its_module_exits_2(fleet_copy: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise ImportError("No module named 'dockopt.verify'")

    monkeypatch.setattr(verifying, "_module", missing)
    run = run_batch("naive", "--verify", cwd=fleet_copy.root)
    assert run.exit_code == 2
    assert "--verify needs the dockopt.verify module" in run.stderr


def test_verify_without_an_engine_exits_2(fleet_copy: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    from dockopt import engine

    monkeypatch.setattr(verifying, "_module", lambda: object())
    monkeypatch.setattr(engine, "check_engine", lambda: engine.EngineStatus(None, "no docker here"))
    run = run_batch("naive", "--verify", cwd=fleet_copy.root)
    assert run.exit_code == 2
    assert "--verify needs a Docker engine, and none answers: no docker here" in run.stderr


def test_workers_see_the_environment_of_their_run(fleet_template: Fleet, tmp_path: Path, fake_verifier: None) -> None:
    """Workers fork from a server an earlier run may have started; they must still get this run's environment."""
    run_batch("optimal", "--jobs", "2", cwd=fleet_template.root)
    log = tmp_path / "verify.log"
    run = run_batch("naive", "--verify", "--jobs", "2", cwd=fleet_template.root, env={fakes.LOG_VARIABLE: str(log)})
    assert run.exit_code == 0
    assert len(log.read_text().splitlines()) == len([i for i in fleet_template.ids if i.startswith("naive/")])
