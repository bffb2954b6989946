"""DO010 dockerignore through the command line: created with --write, shown in --diff, reported by --check.

The contexts are made here from ``fixtures/dockerignore/<case>/tree.txt``
(with real rules, not the fake ones the other CLI tests install).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dockopt import fileio
from dockopt.cli import cli
from dockopt.fileio import FileError, create_new_atomic
from dockopt.passes import dockerignore
from tests.conftest import FIXTURES

CASES = sorted(p for p in (FIXTURES / "dockerignore").iterdir() if p.is_dir())
RULE = dockerignore.RULE


def make_context(case: Path, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(case / "Dockerfile", root / "Dockerfile")
    for line in (case / "tree.txt").read_text().splitlines():
        if not line.strip():
            continue
        rel, _, content = line.partition(":")
        path = root / rel.strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content.strip().replace("\\n", "\n") + "\n")
    return root


def dockopt(*args: str, cwd: Path, input: str | None = None) -> Result:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    finally:
        os.chdir(old)


def skips(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if " DO010 [" in line]


# -- golden cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_case(case: Path, tmp_path: Path) -> None:
    root = make_context(case, tmp_path / "ctx")
    result = dockopt("rewrite", "--write", "--isolated", "-v", "Dockerfile", cwd=root)
    assert result.exit_code == 0, result.output
    created = root / ".dockerignore"
    expected = case / "expected.dockerignore"
    if os.environ.get("DOCKOPT_REGENERATE"):
        if created.exists():
            shutil.copyfile(created, expected)
        elif expected.exists():
            expected.unlink()
    if expected.exists():
        assert created.read_text() == expected.read_text()
        assert ".dockerignore: created" in result.stderr
    else:
        assert not created.exists()
    wanted = case / "expected-skips.txt"
    if wanted.exists():
        messages = "\n".join(skips(result))
        for text in wanted.read_text().splitlines():
            assert text in messages, (text, messages)
    # The next run finds nothing to add: the new file holds every entry the context needs.
    again = dockopt("rewrite", "--check", "--isolated", "Dockerfile", cwd=root)
    assert again.exit_code == 0, again.stderr
    assert not [line for line in skips(again) if "has no entry" in line]


def test_documented_example_is_real_output(tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    root.mkdir()
    (root / "Dockerfile").write_text(RULE.before.split("\n", 1)[1])
    (root / "app.py").write_text("print(1)\n")
    (root / "requirements.txt").write_text("flask\n")
    (root / ".git").mkdir()
    (root / ".venv").mkdir()
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert dockopt("rewrite", "--write", "--isolated", "Dockerfile", cwd=root).exit_code == 0
    assert (root / ".dockerignore").read_text() == RULE.after


def test_metadata_and_listing() -> None:
    assert (RULE.id, RULE.name, RULE.safety, RULE.kind) == ("DO010", "dockerignore", "safe", "context")
    listed = CliRunner().invoke(cli, ["rules"]).output
    assert "DO010  dockerignore" in listed and "DO008  cache-mounts" in listed and "DO009  large-files" in listed
    page = CliRunner().invoke(cli, ["explain", "dockerignore"]).output
    assert "Runs on the build context after the rewrite" in page and ".env" in page


# -- the modes -----------------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_context(FIXTURES / "dockerignore" / "basic", tmp_path / "svc")


def test_diff_shows_the_new_file_as_a_second_file_that_git_applies(app: Path, tmp_path: Path) -> None:
    result = dockopt("rewrite", "--diff", "--isolated", "svc/Dockerfile", cwd=tmp_path)
    assert result.exit_code == 1
    diff = result.stdout
    assert "--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n" in diff
    assert "--- /dev/null\n+++ b/svc/.dockerignore\n@@ -0,0 +1," in diff
    assert diff.index("b/svc/Dockerfile") < diff.index("b/svc/.dockerignore")
    assert not (app / ".dockerignore").exists()
    # The patch is real: git applies it, and gives what --write writes.
    copy = tmp_path / "copy"
    shutil.copytree(app, copy / "svc")
    subprocess.run(["git", "apply", "-"], input=diff.encode(), cwd=copy, check=True)
    dockopt("rewrite", "--write", "--isolated", "svc/Dockerfile", cwd=tmp_path)
    assert (copy / "svc" / ".dockerignore").read_bytes() == (app / ".dockerignore").read_bytes()
    assert (copy / "svc" / "Dockerfile").read_bytes() == (app / "Dockerfile").read_bytes()


def test_check_reports_a_missing_dockerignore_alone(app: Path) -> None:
    dockopt("rewrite", "--write", "--isolated", "--ignore", "DO010", "Dockerfile", cwd=app)
    assert not (app / ".dockerignore").exists()
    result = dockopt("rewrite", "--check", "--isolated", "Dockerfile", cwd=app)
    assert result.exit_code == 1  # the Dockerfile is done, the .dockerignore is not
    assert "0 files would be rewritten, 1 unchanged, 1 .dockerignore would be created." in result.stderr
    assert any("DO010 [changed] new .dockerignore with" in line for line in skips(result))
    assert result.stdout == ""


def test_stdin_never_writes(app: Path) -> None:
    text = (app / "Dockerfile").read_text()
    result = dockopt("rewrite", "--stdin-filename", "Dockerfile", "-", cwd=app, input=text)
    assert result.exit_code == 0
    assert not (app / ".dockerignore").exists()
    assert not skips(result)


def test_ignore_and_select_turn_it_off(app: Path) -> None:
    for flags in (["--ignore", "DO010"], ["--select", "DO001,DO002"], ["--ignore", "dockerignore"]):
        dockopt("rewrite", "--write", "--isolated", *flags, "Dockerfile", cwd=app)
        assert not (app / ".dockerignore").exists(), flags
    (app / ".dockopt.toml").write_text('ignore = ["DO010"]\n')
    dockopt("rewrite", "--write", "Dockerfile", cwd=app)
    assert not (app / ".dockerignore").exists()


def test_skip_file_comment_leaves_the_context_alone(app: Path) -> None:
    (app / "Dockerfile").write_text("# dockopt: skip-file\n" + (app / "Dockerfile").read_text())
    dockopt("rewrite", "--write", "--isolated", "Dockerfile", cwd=app)
    assert not (app / ".dockerignore").exists()


def test_an_existing_dockerignore_is_never_changed_and_missing_entries_are_reported(app: Path) -> None:
    original = b"# mine\n__pycache__/\n*.pyc\n"
    (app / ".dockerignore").write_bytes(original)
    result = dockopt("rewrite", "--write", "--isolated", "Dockerfile", cwd=app)
    assert (app / ".dockerignore").read_bytes() == original
    (line,) = [x for x in skips(result) if "has no entry" in x]
    assert "[skipped]" in line  # actionable: shown without -v
    for entry in ("`.git` (", "`.venv` (", "`**/__pycache__` (pkg/__pycache__", "`.pytest_cache` ("):
        assert entry in line, line
    assert "never edits an existing .dockerignore" in line


def test_existing_dockerignore_covering_everything_says_nothing(app: Path) -> None:
    (app / ".dockerignore").write_text(".git\n.venv\n**/__pycache__\n.pytest_cache\n")
    result = dockopt("rewrite", "--check", "--isolated", "Dockerfile", cwd=app)
    assert not skips(result)


def test_never_overwrites_a_file_that_appears_meanwhile(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = fileio.create_new_atomic

    def racing(path: Path, data: bytes) -> None:
        path.write_text("theirs\n")  # someone else created it after dockopt looked
        real(path, data)

    monkeypatch.setattr(fileio, "create_new_atomic", racing)
    result = dockopt("rewrite", "--write", "--isolated", "Dockerfile", cwd=app)
    assert result.exit_code == 2
    assert (app / ".dockerignore").read_text() == "theirs\n"
    assert "already exists; not overwritten" in result.stderr


def test_create_new_atomic(tmp_path: Path) -> None:
    target = tmp_path / ".dockerignore"
    create_new_atomic(target, b"a\n")
    assert target.read_bytes() == b"a\n"
    with pytest.raises(FileError, match="already exists"):
        create_new_atomic(target, b"b\n")
    assert target.read_bytes() == b"a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dockerignore"]  # no temporary file left


def test_context_option_and_dockerfile_outside_it(tmp_path: Path) -> None:
    ctx = make_context(FIXTURES / "dockerignore" / "basic", tmp_path / "ctx")
    elsewhere = tmp_path / "docker" / "app.Dockerfile"
    elsewhere.parent.mkdir()
    (ctx / "Dockerfile").rename(elsewhere)
    result = dockopt("rewrite", "--write", "--isolated", "--context", "ctx", "docker/app.Dockerfile", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    text = (ctx / ".dockerignore").read_text()
    assert "Dockerfile" not in text.replace("# the Dockerfile", "") and text.endswith(".dockerignore\n")
    assert "new ctx/.dockerignore with" in result.stderr


def test_two_dockerfiles_one_context_create_one_file(app: Path) -> None:
    shutil.copyfile(app / "Dockerfile", app / "Dockerfile.dev")
    result = dockopt("rewrite", "--diff", "--isolated", "-v", "Dockerfile", "Dockerfile.dev", cwd=app)
    assert result.stdout.count("+++ b/.dockerignore") == 1
    assert "planned for another Dockerfile already" in result.stderr


def test_json_and_sarif_carry_the_new_file(app: Path) -> None:
    data = json.loads(dockopt("rewrite", "--format", "json", "--isolated", "Dockerfile", cwd=app).stdout)
    (f,) = data["files"]
    assert f["new_files"] == [{"path": ".dockerignore", "written": False}]
    assert data["summary"]["new_files"] == 1
    assert any(c["rule"] == "DO010" and c["name"] == "dockerignore" for c in f["changes"])
    assert "+++ b/.dockerignore" in f["diff"]
    sarif = json.loads(dockopt("rewrite", "--format", "sarif", "--isolated", "Dockerfile", cwd=app).stdout)
    run = sarif["runs"][0]
    assert any(r["id"] == "DO010" for r in run["tool"]["driver"]["rules"])
    assert any(r["ruleId"] == "DO010" for r in run["results"])


def test_plan_is_linear_in_the_context_size(tmp_path: Path) -> None:
    """No quadratic corner: a context four times as big costs less than eight times as much (CPU time)."""
    import time

    from dockopt.model.context import BuildContext
    from dockopt.syntax import parse

    def make(n: int) -> Path:
        root = tmp_path / f"ctx{n}"
        for d in range(n // 50):
            cache = root / f"pkg{d}" / "__pycache__"
            cache.mkdir(parents=True)
            for f in range(25):
                (root / f"pkg{d}" / f"m{f}.py").write_text("")
                (cache / f"m{f}.pyc").write_text("")
        (root / "requirements.txt").write_text("flask\n")
        return root

    doc = parse("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n")

    def cpu(root: Path) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            dockerignore.plan(doc, BuildContext(root))
            best = min(best, time.process_time() - start)
        return best

    small, large = make(2000), make(8000)
    cpu(small)
    ratio = cpu(large) / max(cpu(small), 1e-6)
    assert ratio < 8, ratio
