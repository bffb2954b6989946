"""The generated fleet (60-odd repositories, depending on the example apps) through ``dockopt batch --git-branch``, twice.

One module-scoped run answers most questions: the report's counts, the
branches' contents against ``dockopt rewrite``'s output, the checkouts byte
for byte, and a second run that commits nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.batch import fleet
from tests.batch.conftest import (
    Fleet,
    Run,
    branch_tip,
    checkout_state,
    copy_fleet,
    export_head,
    rewrite_output,
    run_batch,
    show,
)

BRANCH = fleet.BRANCH


@dataclass
class Branched:
    fleet: Fleet
    before: dict[str, dict[str, Any]]
    first: Run
    after_first: dict[str, dict[str, Any]]
    tips_first: dict[str, str | None]
    second: Run
    after_second: dict[str, dict[str, Any]]
    tips_second: dict[str, str | None]
    old_tips: dict[str, str | None]


@pytest.fixture(scope="module")
def branched(fleet_template: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Branched:
    work = tmp_path_factory.mktemp("branched")
    f = copy_fleet(fleet_template, work / "fleet")
    old_tips = {i: branch_tip(f.repo(i)) for i in f.ids}
    before = {i: checkout_state(f.repo(i)) for i in f.ids}
    first = run_batch(".", "--git-branch", BRANCH, "--jobs", "2", cwd=f.root, report=work / "first.json")
    after_first = {i: checkout_state(f.repo(i)) for i in f.ids}
    tips_first = {i: branch_tip(f.repo(i)) for i in f.ids}
    second = run_batch(".", "--git-branch", BRANCH, "--jobs", "2", cwd=f.root, report=work / "second.json")
    after_second = {i: checkout_state(f.repo(i)) for i in f.ids}
    tips_second = {i: branch_tip(f.repo(i)) for i in f.ids}
    return Branched(f, before, first, after_first, tips_first, second, after_second, tips_second, old_tips)


def test_the_fleet_is_big_enough(branched: Branched) -> None:
    assert len(branched.fleet.ids) >= 60
    kinds = {i.split("/")[0] for i in branched.fleet.ids}
    assert {"naive", "optimal", "multi", "special"} <= kinds


def test_report_counts_match_the_fleet(branched: Branched) -> None:
    run = branched.first
    assert run.report is not None
    assert {r["repository"] for r in run.report["repositories"]} == set(branched.fleet.ids)
    for repo_id, expect in branched.fleet.expected.items():
        outcomes = Counter(f["outcome"] for f in run.files(repo_id))
        got = (outcomes["changed"], outcomes["unchanged"], outcomes["skipped-file"], outcomes["error"])
        want = (expect.changed, expect.unchanged, expect.skipped, expect.errors)
        if expect.status == "skipped":
            want = (0, 0, 0, 0)
        assert got == want, repo_id
        assert run.repository(repo_id)["status"] == expect.status, repo_id
    totals = run.report["totals"]
    exp = branched.fleet.expected.values()
    assert totals["repositories"] == len(branched.fleet.ids)
    assert totals["files"] == fleet.dockerfile_count(branched.fleet.ids)
    assert totals["changed"] == sum(e.changed for e in exp if e.status != "skipped")
    assert totals["unchanged"] == sum(e.unchanged for e in exp)
    assert totals["skipped_files"] == sum(e.skipped for e in exp)
    assert totals["errors"] == 1
    assert totals["repository_errors"] == 1 and totals["repositories_skipped"] == 1
    with_commit = sum(1 for e in exp if e.changed and e.status == "done")
    assert totals["branches"] == {"created": with_commit - 1, "updated": 1, "unchanged": 0}


def test_exit_status_and_stderr_name_each_error(branched: Branched) -> None:
    run = branched.first
    assert run.exit_code == 1  # a syntax error and a branch that is not dockopt's; everything else processed
    assert f"special/syntax-error/{fleet.SYNTAX_ERROR_TEXT}" in run.stderr
    assert "special/foreign-branch: branch dockopt/optimise exists and dockopt batch did not make it" in run.stderr
    assert run.stdout == ""
    assert "\x1b[" not in run.stderr  # no progress bar when stderr is not a terminal
    assert run.stderr.splitlines()[-2].startswith(f"dockopt batch: {len(branched.fleet.ids)} repositories")


def test_every_bad_file_is_an_outcome_not_a_crash(branched: Branched) -> None:
    by_path = {f["path"]: f for f in branched.first.files("special/bad-files")}
    assert by_path["assets/Dockerfile"]["reason"].startswith("binary data")
    assert "over the 1048576 byte limit" in by_path["generated/Dockerfile"]["reason"]
    assert "outside the repository; not followed" in by_path["ext/Dockerfile"]["reason"]
    assert by_path["alias.Dockerfile"]["reason"].startswith("a symlink to Dockerfile;")
    assert by_path["Dockerfile"]["outcome"] == "changed"
    error = next(f for f in branched.first.files("special/syntax-error") if f["outcome"] == "error")
    assert error["error"]["text"].startswith(fleet.SYNTAX_ERROR_TEXT)
    assert (error["error"]["line"], error["error"]["column"]) == (2, 1)
    vendored = {f["path"] for f in branched.first.files("special/vendored")}
    assert vendored == {"Dockerfile"}  # node_modules/ (skipped folder) and build/ (.gitignore'd) are not read


def test_nested_repositories_are_their_own_units(branched: Branched) -> None:
    assert {f["path"] for f in branched.first.files("special/outer")} == {"Dockerfile"}
    assert {f["path"] for f in branched.first.files("special/outer/services/inner")} == {"Dockerfile"}
    assert {f["path"] for f in branched.first.files("special/host")} == {"Dockerfile"}
    assert {f["path"] for f in branched.first.files("special/host/vendor/embedded")} == {"Dockerfile"}


def test_each_branch_holds_exactly_dockopt_rewrites_output(branched: Branched, tmp_path: Path) -> None:
    """The oracle: HEAD exported with git archive, then the real ``dockopt rewrite --write`` on it."""
    run = branched.first
    checked = with_new_files = 0
    for n, repo_id in enumerate(branched.fleet.ids):
        record = run.repository(repo_id)
        if record["branch_action"] not in ("created", "updated"):
            continue
        repo = branched.fleet.repo(repo_id)
        export = export_head(repo, tmp_path / f"export-{n}")
        files = run.files(repo_id)
        rewritten = [f["path"] for f in files if f["outcome"] in ("changed", "unchanged")]
        rewrite_output([export / p for p in rewritten])
        head_paths = _blob_paths(repo, "HEAD")
        created = [p for f in files for p in f["new_files"]]  # DO010's new .dockerignore files
        assert sorted(_blob_paths(repo, BRANCH)) == sorted(head_paths + created), repo_id
        for path in head_paths:
            expected = (export / path).read_bytes() if path in rewritten else show(repo, "HEAD", path)
            assert show(repo, BRANCH, path) == expected, f"{repo_id}: {path}"
        for path in created:
            assert show(repo, BRANCH, path) == (export / path).read_bytes(), f"{repo_id}: {path}"
            with_new_files += 1
        for f in files:
            differs = show(repo, BRANCH, f["path"]) != show(repo, "HEAD", f["path"])
            assert differs == (f["outcome"] == "changed"), f"{repo_id}: {f['path']}"
        assert fleet.git(repo, "rev-parse", f"{BRANCH}^@").decode().split() == [record["head"]]
        checked += 1
    # every repository the fleet expects a commit for (a changed file, and a branch dockopt may write)
    assert checked == sum(1 for e in fleet.EXPECTED.values() if e.changed and e.status == "done")
    assert with_new_files > 20


def _blob_paths(repo: Path, rev: str) -> list[str]:
    out = fleet.git(repo, "ls-tree", "-r", "-z", "--name-only", rev).decode("utf-8", "surrogateescape")
    kinds = fleet.git(repo, "ls-tree", "-r", "-z", rev).decode("utf-8", "surrogateescape").split("\0")
    commits = {k.partition("\t")[2] for k in kinds if k.split(" ")[1:2] == ["commit"]}
    return [p for p in out.split("\0") if p and p not in commits]


def test_every_checkout_is_byte_for_byte_as_before(branched: Branched) -> None:
    for repo_id in branched.fleet.ids:
        assert branched.after_first[repo_id] == branched.before[repo_id], repo_id
        assert branched.after_second[repo_id] == branched.before[repo_id], repo_id
    dirty = branched.before["special/dirty"]
    assert dirty["status"]  # the uncommitted work is really there, and still is
    assert b"# work in progress" in dirty["files"]["Dockerfile"][1]


def test_the_checkout_state_sees_every_kind_of_change(fleet_copy: Fleet) -> None:
    """Negative control for the check above: each kind of change to a checkout shows."""
    repo = fleet_copy.repo("naive/flask-gunicorn")
    base = checkout_state(repo)
    (repo / "app.py").write_bytes((repo / "app.py").read_bytes() + b"\n")
    assert checkout_state(repo)["files"] != base["files"]
    fleet.git(repo, "add", "app.py")
    assert checkout_state(repo)["index"] != base["index"]
    fleet.git(repo, "commit", "-q", "-m", "x")
    assert checkout_state(repo)["head"] != base["head"]
    fleet.git(repo, "checkout", "-q", "-b", "other")
    assert checkout_state(repo)["HEAD"] != base["HEAD"]


def test_a_second_run_makes_no_commits(branched: Branched) -> None:
    assert branched.tips_second == branched.tips_first
    second = branched.second.report
    assert second is not None
    made = branched.first.report["totals"]["branches"]  # type: ignore[index]
    assert second["totals"]["branches"] == {
        "created": 0,
        "updated": 0,
        "unchanged": made["created"] + made["updated"],
    }
    assert second["totals"]["changed"] == branched.first.report["totals"]["changed"]  # type: ignore[index]


def test_an_existing_branch_is_made_again_from_head_only_if_dockopt_made_it(branched: Branched) -> None:
    stale = branched.fleet.repo("special/stale-branch")
    record = branched.first.repository("special/stale-branch")
    assert record["branch_action"] == "updated"
    assert branched.tips_first["special/stale-branch"] != branched.old_tips["special/stale-branch"]
    assert fleet.git(stale, "rev-parse", f"{BRANCH}^").decode().strip() == record["head"]
    foreign = branched.first.repository("special/foreign-branch")
    assert foreign["status"] == "error" and "did not make it" in foreign["reason"]
    assert branched.tips_first["special/foreign-branch"] == branched.old_tips["special/foreign-branch"]


def test_a_repository_without_commits_is_skipped(branched: Branched) -> None:
    record = branched.first.repository("special/no-commits")
    assert record["status"] == "skipped" and record["reason"].startswith("no commits")
    assert branched.tips_first["special/no-commits"] is None


def test_the_branch_is_made_from_head_not_from_uncommitted_work(branched: Branched) -> None:
    repo = branched.fleet.repo("special/dirty")
    files = {f["path"]: f for f in branched.first.files("special/dirty")}
    # requirements.txt is deleted in the working tree but committed: deps-first still applies.
    assert "DO001" in files["Dockerfile"]["rules"]
    # svc/.dockopt.toml (select DO006) is untracked: HEAD has no config, every rule applies.
    assert len(files["svc/Dockerfile"]["rules"]) > 1
    assert b"# work in progress" not in show(repo, BRANCH, "Dockerfile")


def test_settings_come_from_each_repository(branched: Branched) -> None:
    select = branched.first.files("special/config-select")
    assert [f["rules"] for f in select] == [["DO006"]]
    exclude = {f["path"]: f for f in branched.first.files("special/config-exclude")}
    assert exclude["legacy/Dockerfile"]["outcome"] == "skipped-file"
    assert "excluded" in exclude["legacy/Dockerfile"]["reason"]
    assert exclude["Dockerfile"]["outcome"] == "changed"


def test_the_commit_message_lists_the_rules(branched: Branched) -> None:
    repo = branched.fleet.repo("special/config-select")
    message = fleet.git(repo, "log", "-1", "--format=%B", BRANCH).decode()
    assert message.startswith("dockopt: rewrite 1 Dockerfile")
    assert "- DO006 run-cleanup: Dockerfile" in message
    assert "Dockopt-Batch:" in message
    assert ".dockerignore" not in message.splitlines()[0]  # its config selects DO006 only: no DO010
    # A repository whose commit adds a .dockerignore (DO010) says so, and which Dockerfile's context it is for.
    multi = fleet.git(branched.fleet.repo("multi/mono-00"), "log", "-1", "--format=%B", BRANCH).decode()
    assert multi.splitlines()[0].startswith("dockopt: rewrite 2 Dockerfiles and add 1 .dockerignore file for"), multi
    assert "- DO010 dockerignore: " in multi
