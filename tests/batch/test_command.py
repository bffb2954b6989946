"""The command line: exit status 0/1/2, usage errors, discovery, the progress bar, the Markdown summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dockopt.batch import progress
from dockopt.batch.discover import DiscoveryError, find_repositories, read_repos_file
from dockopt.batch.records import FileRecord, RepoRecord, RepoResult
from tests.batch import fleet
from tests.batch.conftest import Fleet, branch_tip, checkout_state, run_batch


def test_exit_0_when_every_file_is_processed(fleet_template: Fleet, tmp_path: Path) -> None:
    run = run_batch("naive", "optimal", "multi", cwd=fleet_template.root, report=tmp_path / "r.json")
    assert run.exit_code == 0, run.stderr
    assert run.stderr.splitlines() == [
        f"dockopt batch: {len(run.report['repositories'])} repositories, "  # type: ignore[index]
        f"{run.report['totals']['files']} Dockerfiles: "  # type: ignore[index]
        f"{run.report['totals']['changed']} would be rewritten, {run.report['totals']['unchanged']} unchanged."  # type: ignore[index]
    ]


def test_exit_1_when_some_files_end_in_error(fleet_template: Fleet, tmp_path: Path) -> None:
    run = run_batch("special/syntax-error", "naive", cwd=fleet_template.root, report=tmp_path / "r.json")
    assert run.exit_code == 1
    # all the others are still processed: every naive app's Dockerfile (plus the syntax error's good neighbour)
    assert run.report is not None and run.report["totals"]["changed"] == len(fleet.naive_apps()) + 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no repositories: give ROOT folders or --repos-file"),
        (("naive", "--write", "--git-branch", "x"), "--write and --git-branch contradict"),
        (("naive", "--git-branch", "a..b"), "not a valid branch name"),
        (("naive", "--git-branch", "@{-1}"), "not a valid branch name"),
        (("naive", "--git-branch=-x"), "cannot start with -"),
        (("naive", "--shard", "0/2"), "use --shard auto/2"),
        (("naive", "--report", "-", "--markdown", "-"), "only one of --report and --markdown"),
        (("missing-folder",), "missing-folder: no such folder"),
        (("naive", "--resume", "naive/uv-app/uv.lock"), "uv.lock: not JSON"),
        (("naive", "--jobs", "0"), "--jobs"),
    ],
)
def test_exit_2_when_the_batch_cannot_run(fleet_template: Fleet, args: tuple[str, ...], message: str) -> None:
    run = run_batch(*args, cwd=fleet_template.root)
    assert run.exit_code == 2
    assert message in run.stderr


def test_exit_2_when_no_repository_is_found(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "Dockerfile").write_text("FROM python:3.12\n")
    run = run_batch("empty", cwd=tmp_path)
    assert run.exit_code == 2
    assert "no git repositories found in empty" in run.stderr


def test_a_shard_with_nothing_to_do_is_not_an_error(fleet_template: Fleet, tmp_path: Path) -> None:
    shards = [run_batch("special/dirty", "--shard", f"{k}/2", cwd=fleet_template.root) for k in (1, 2)]
    assert [s.exit_code for s in shards] == [0, 0]
    assert sorted(s.stderr.splitlines()[-1] for s in shards)[0].startswith("dockopt batch: 0 repositories")


def test_list_prints_the_shards_repositories(fleet_template: Fleet) -> None:
    whole = run_batch(".", "--list", cwd=fleet_template.root)
    assert whole.exit_code == 0 and whole.stdout.splitlines() == fleet_template.ids
    parts = [
        run_batch(".", "--list", "--shard", f"{k}/4", cwd=fleet_template.root).stdout.split() for k in (1, 2, 3, 4)
    ]
    assert sorted(repo for part in parts for repo in part) == fleet_template.ids
    listing = fleet_template.root.parent / "fleet.txt"
    listing.write_text("org/not-cloned-yet\n")  # a repos file may name repositories that are not there yet
    assert run_batch("--repos-file", str(listing), "--list", cwd=fleet_template.root).stdout == "org/not-cloned-yet\n"


def test_resume_from_a_report_not_written_yet(fleet_template: Fleet, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    run = run_batch("naive", "--resume", str(report), cwd=fleet_template.root, report=report)
    assert run.exit_code == 0
    assert "no report yet; nothing to resume" in run.stderr
    assert run.report is not None and not any(r["resumed"] for r in run.report["repositories"])


def test_report_and_markdown_to_stdout(fleet_template: Fleet) -> None:
    import json

    as_json = run_batch("naive/flask-gunicorn", "--report", "-", cwd=fleet_template.root)
    assert json.loads(as_json.stdout)["totals"]["changed"] == 1
    as_md = run_batch("naive/flask-gunicorn", "--markdown", "-", cwd=fleet_template.root)
    assert as_md.stdout.startswith("# dockopt batch: 1 repository, 1 Dockerfile\n")


def test_a_root_that_is_a_repository_is_one_unit(fleet_template: Fleet, tmp_path: Path) -> None:
    run = run_batch("naive/flask-gunicorn", cwd=fleet_template.root, report=tmp_path / "r.json")
    assert run.report is not None
    assert [r["repository"] for r in run.report["repositories"]] == ["flask-gunicorn"]


def test_repos_file_lists_repositories_and_a_missing_one_is_an_error(fleet_template: Fleet, tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("# fleet\n./naive/flask-gunicorn/\n\nnaive//uv-app\ngone/away\noptimal\n")
    run = run_batch("--repos-file", str(listing), cwd=fleet_template.root, report=tmp_path / "r.json")
    assert run.report is not None
    records = {r["repository"]: r for r in run.report["repositories"]}
    assert set(records) == {"naive/flask-gunicorn", "naive/uv-app", "gone/away", "optimal"}
    assert records["gone/away"]["status"] == "error" and records["gone/away"]["reason"] == "no such folder"
    assert records["optimal"]["reason"] == "not a git repository (no .git here)"
    assert run.exit_code == 1
    assert "gone/away: no such folder" in run.stderr


def test_discovery(tmp_path: Path) -> None:
    for name in ("a", "b/c", "b/c/d", "node_modules/e"):
        (tmp_path / name / ".git").mkdir(parents=True)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / ".git").write_text("gitdir: /elsewhere\n")  # a worktree or submodule checkout
    found = find_repositories([tmp_path])
    assert [r.id for r in found] == ["a", "b/c", "b/c/d", "w"]
    assert [r.id for r in find_repositories([tmp_path / "a"])] == ["a"]
    (tmp_path / "other" / "a" / ".git").mkdir(parents=True)
    (tmp_path / "more" / "a" / ".git").mkdir(parents=True)
    # Several ROOTs: each identifier starts with its ROOT's name.
    assert [r.id for r in find_repositories([tmp_path / "other", tmp_path / "more"])] == ["more/a", "other/a"]
    assert [r.id for r in find_repositories([tmp_path / "a", tmp_path / "w"])] == ["a", "w"]
    (tmp_path / "x" / "other" / "a" / ".git").mkdir(parents=True)
    with pytest.raises(DiscoveryError, match="two repositories have the identifier 'other/a'"):
        find_repositories([tmp_path / "other", tmp_path / "x" / "other"])
    listing = tmp_path / "list"
    listing.write_text("./a\na/\n")
    assert [r.id for r in read_repos_file(listing)] == ["a"]


def test_a_checked_out_branch_is_never_moved(fleet_copy: Fleet, tmp_path: Path) -> None:
    repo = fleet_copy.repo("naive/flask-gunicorn")
    fleet.git(repo, "checkout", "-q", "-b", fleet.BRANCH)
    before = checkout_state(repo, ignore_ref="none")
    run = run_batch("naive/flask-gunicorn", "--git-branch", fleet.BRANCH, cwd=fleet_copy.root,
                    report=tmp_path / "r.json")  # fmt: skip
    assert run.exit_code == 1
    assert "is checked out" in run.stderr
    assert checkout_state(repo, ignore_ref="none") == before
    worktree_repo = fleet_copy.repo("naive/uv-app")
    fleet.git(worktree_repo, "worktree", "add", "-q", "-b", fleet.BRANCH, str(tmp_path / "wt"))
    tip = branch_tip(worktree_repo)
    run = run_batch("naive/uv-app", "--git-branch", fleet.BRANCH, cwd=fleet_copy.root)
    assert "is checked out" in run.stderr and branch_tip(worktree_repo) == tip


def test_nothing_to_change_makes_no_branch(fleet_copy: Fleet, tmp_path: Path) -> None:
    run = run_batch("optimal", "--git-branch", fleet.BRANCH, cwd=fleet_copy.root, report=tmp_path / "r.json")
    assert run.exit_code == 0
    assert run.report is not None
    assert {r["branch_action"] for r in run.report["repositories"]} == {"none"}
    assert all(branch_tip(fleet_copy.repo(i)) is None for i in fleet_copy.ids if i.startswith("optimal/"))


def test_commits_are_made_without_a_configured_identity(fleet_copy: Fleet, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env: dict[str, str | None] = {"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(home / "x")}
    env |= {k: None for k in fleet.IDENTITY} | {"EMAIL": None}
    run = run_batch("naive/flask-gunicorn", "--git-branch", fleet.BRANCH, cwd=fleet_copy.root, env=env)  # type: ignore[arg-type]
    assert run.exit_code == 0, run.stderr
    author = fleet.git(fleet_copy.repo("naive/flask-gunicorn"), "log", "-1", "--format=%an <%ae>", fleet.BRANCH)
    assert author.decode().strip() == "dockopt batch <dockopt@localhost>"


def test_the_progress_bar_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(progress.for_stream(io.StringIO()), progress.Quiet)
    bar = progress.for_stream(Tty())
    assert isinstance(bar, progress.Bar)
    bar.start(2)
    record = RepoRecord("r", "r", head=None, status="error", mode="dry-run")
    bar.update(RepoResult(record, [FileRecord("r", "Dockerfile", "changed"), FileRecord("r", "x", "error")]))
    bar.stop()
    assert (bar.files, bar.changes, bar.errors) == (2, 1, 2)
    assert "repositories" in capsys.readouterr().err


def test_markdown_summary(fleet_template: Fleet, tmp_path: Path) -> None:
    run_batch(".", "--markdown", str(tmp_path / "s.md"), cwd=fleet_template.root)
    text = (tmp_path / "s.md").read_text()
    assert text.startswith(f"# dockopt batch: {len(fleet_template.ids)} repositories, ")
    assert "| Dockerfiles would be rewritten |" in text
    assert "| DO006 run-cleanup |" in text
    assert "## Errors\n\n- `special/syntax-error`: broken/Dockerfile:2:1: unterminated heredoc" in text
    assert "## Skipped files" in text and "binary data" in text
    assert "other repositories had nothing to change." in text
