"""The working-tree modes (dry run, --patch-dir, --write) and --resume, on the generated fleet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockopt.batch import runner
from tests.batch import fleet
from tests.batch.conftest import Fleet, checkout_state, copy_fleet, rewrite_output, run_batch


def _oracle(template: Fleet, dest: Path, paths: list[tuple[str, str]]) -> Fleet:
    """A second copy of the fleet with the real ``dockopt rewrite --write`` run on these files."""
    other = copy_fleet(template, dest)
    rewrite_output([other.repo(repo_id) / path for repo_id, path in paths])
    return other


def test_dry_run_changes_nothing_and_patches_apply(fleet_template: Fleet, fleet_copy: Fleet, tmp_path: Path) -> None:
    before = {i: checkout_state(fleet_copy.repo(i)) for i in fleet_copy.ids}
    patches = tmp_path / "patches"
    run = run_batch(".", "--patch-dir", str(patches), "--jobs", "2", cwd=fleet_copy.root, report=tmp_path / "r.json")
    assert run.exit_code == 1  # the syntax error
    for repo_id in fleet_copy.ids:
        assert checkout_state(fleet_copy.repo(repo_id)) == before[repo_id], repo_id
    assert run.report is not None
    changed = [(f["repository"], f["path"]) for f in run.report["files"] if f["outcome"] == "changed"]
    with_patch = {r["repository"]: r["patch"] for r in run.report["repositories"] if r["patch"]}
    assert set(with_patch) == {repo_id for repo_id, _p in changed}
    assert sorted(p.relative_to(patches).as_posix() for p in patches.rglob("*.patch")) == sorted(
        f"{i}.patch" for i in with_patch
    )
    # The dry run reads the working tree: the dirty repository's untracked svc/.dockopt.toml (DO006 only) applies.
    assert [f["rules"] for f in run.files("special/dirty") if f["path"] == "svc/Dockerfile"] == [["DO006"]]
    oracle = _oracle(fleet_template, tmp_path / "oracle", changed)
    for repo_id, patch in with_patch.items():
        repo = fleet_copy.repo(repo_id)
        fleet.git(repo, "apply", patch)
    for repo_id, path in changed:
        got = (fleet_copy.repo(repo_id) / path).read_bytes()
        assert got == (oracle.repo(repo_id) / path).read_bytes(), f"{repo_id}: {path}"
    # The patches create the .dockerignore files the report lists (DO010), as `dockopt rewrite --write` does.
    created = [(f["repository"], p) for f in run.report["files"] for p in f["new_files"]]
    assert len(created) > 20 and not any(r.startswith("optimal/") for r, _p in created)
    for repo_id, path in created:
        got = (fleet_copy.repo(repo_id) / path).read_bytes()
        assert got == (oracle.repo(repo_id) / path).read_bytes(), f"{repo_id}: {path}"


def test_write_rewrites_each_working_tree_in_place(fleet_template: Fleet, fleet_copy: Fleet, tmp_path: Path) -> None:
    before = {i: checkout_state(fleet_copy.repo(i)) for i in fleet_copy.ids}
    run = run_batch(".", "--write", "--jobs", "2", cwd=fleet_copy.root, report=tmp_path / "r.json")
    assert run.exit_code == 1
    assert run.report is not None
    files = run.report["files"]
    changed = [(f["repository"], f["path"]) for f in files if f["outcome"] == "changed"]
    assert all(f["written"] == (f["outcome"] == "changed") for f in files)
    assert run.report["totals"]["written"] == len(changed) > 40
    oracle = _oracle(fleet_template, tmp_path / "oracle", changed)
    created = {(f["repository"], p) for f in files for p in f["new_files"]}
    assert len(created) > 20 and not any(r.startswith("optimal/") for r, _p in created)
    for repo_id in fleet_copy.ids:
        after = checkout_state(fleet_copy.repo(repo_id))
        assert after["index"] == before[repo_id]["index"] and after["head"] == before[repo_id]["head"], repo_id
        assert after["refs"] == before[repo_id]["refs"]
        mine = {p for r, p in changed if r == repo_id}
        for path, (mode, body) in after["files"].items():
            if path in mine:
                assert body == (oracle.repo(repo_id) / path).read_bytes(), f"{repo_id}: {path}"
                assert mode == before[repo_id]["files"][path][0]
            elif (repo_id, path) in created:  # DO010's new .dockerignore, as `dockopt rewrite --write` makes it
                assert path not in before[repo_id]["files"]
                assert body == (oracle.repo(repo_id) / path).read_bytes(), f"{repo_id}: {path}"
            else:
                assert (mode, body) == before[repo_id]["files"][path], f"{repo_id}: {path}"
    dirty = (fleet_copy.repo("special/dirty") / "Dockerfile").read_text()
    assert "# work in progress" in dirty and "AS builder" in dirty  # the working tree's text, rewritten
    # The repository without commits has its staged Dockerfile in the index: --write rewrites it too.
    assert ("special/no-commits", "Dockerfile") in changed


def test_resume_skips_what_a_previous_report_finished(fleet_copy: Fleet, tmp_path: Path) -> None:
    first = run_batch(".", "--jobs", "2", cwd=fleet_copy.root, report=tmp_path / "first.json")
    moved = fleet_copy.repo("naive/cli-click")
    (moved / "NEWS").write_text("a new commit\n")
    fleet.git(moved, "add", "NEWS")
    fleet.git(moved, "commit", "-q", "-m", "HEAD moves")
    report = tmp_path / "resumed.json"
    resumed = run_batch(".", "--resume", str(tmp_path / "first.json"), cwd=fleet_copy.root, report=report)
    assert resumed.report is not None and first.report is not None
    again = {r["repository"] for r in resumed.report["repositories"] if not r["resumed"]}
    # HEAD moved; a file in error; no HEAD to compare: these run again, every other repository is taken as done.
    assert again == {"naive/cli-click", "special/syntax-error", "special/no-commits"}
    assert resumed.repository("naive/cli-click")["head"] != first.repository("naive/cli-click")["head"]
    fresh = run_batch(".", cwd=fleet_copy.root, report=tmp_path / "fresh.json")
    assert fresh.report is not None
    assert resumed.report["totals"] == fresh.report["totals"]
    assert resumed.report["files"] == fresh.report["files"]
    # Without --resume nothing is taken from an earlier report.
    assert not any(r["resumed"] for r in fresh.report["repositories"])


def test_resume_makes_a_deleted_branch_again(fleet_copy: Fleet, tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    ids = ["naive/flask-gunicorn", "naive/uv-app", "optimal/uv-app"]
    listing.write_text("\n".join(ids) + "\n")
    report = tmp_path / "r.json"
    args = ("--repos-file", str(listing), "--git-branch", fleet.BRANCH)
    run_batch(*args, cwd=fleet_copy.root, report=report)
    fleet.git(fleet_copy.repo("naive/uv-app"), "branch", "-D", fleet.BRANCH)
    second = run_batch(*args, "--resume", str(report), cwd=fleet_copy.root, report=report)  # same file: fine
    assert second.report is not None
    resumed = {r["repository"]: r["resumed"] for r in second.report["repositories"]}
    assert resumed == {"naive/flask-gunicorn": True, "naive/uv-app": False, "optimal/uv-app": True}
    assert second.repository("naive/uv-app")["branch_action"] == "created"


def test_an_interrupted_run_leaves_a_report_to_resume(
    fleet_template: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = runner.run

    def interrupted(repos, opts, **kwargs):  # type: ignore[no-untyped-def]
        real(repos[:5], opts, **kwargs)  # five repositories finish, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", interrupted)
    report = tmp_path / "partial.json"
    run = run_batch("naive", cwd=fleet_template.root, report=report)
    assert run.exit_code != 0
    partial = json.loads(report.read_text())
    assert partial["run"]["complete"] is False
    assert len(partial["repositories"]) == 5
    monkeypatch.setattr(runner, "run", real)
    rest = run_batch("naive", "--resume", str(report), cwd=fleet_template.root, report=tmp_path / "rest.json")
    assert rest.report is not None and rest.report["run"]["complete"] is True
    assert sum(r["resumed"] for r in rest.report["repositories"]) == 5
    assert len(rest.report["repositories"]) == len([i for i in fleet_template.ids if i.startswith("naive/")])
