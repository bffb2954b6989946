"""A generated fleet of git repositories for the batch tests and the benchmark.

Built from the naive and reference Dockerfiles (and their build contexts) of
fixtures/apps. Each repository is made with three git commands (init, add,
commit) and a fixed identity and date, so the whole fleet takes a second or
two. :data:`EXPECTED` says, per repository, what the batch must find.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "fixtures" / "apps"

IDENTITY = {
    "GIT_AUTHOR_NAME": "Fleet Owner",
    "GIT_AUTHOR_EMAIL": "owner@example.com",
    "GIT_COMMITTER_NAME": "Fleet Owner",
    "GIT_COMMITTER_EMAIL": "owner@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}
BRANCH = "dockopt/optimise"

#: A Dockerfile BuildKit cannot parse: the error is at line 2, column 1.
SYNTAX_ERROR = "FROM python:3.12\nRUN <<EOF\necho never closed\n"
SYNTAX_ERROR_TEXT = "broken/Dockerfile:2:1: unterminated heredoc"


def naive_apps() -> list[str]:
    """The apps whose Dockerfile dockopt rewrites (app.toml's [expect] rewrite is "smaller", the default)."""
    from dockopt.engine import load_apps

    return sorted(a.name for a in load_apps(APPS) if a.rewrite == "smaller")


def all_apps() -> list[str]:
    return sorted(p.parent.name for p in APPS.glob("*/Dockerfile"))


def git(repo: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(IDENTITY)
    env["GIT_OPTIONAL_LOCKS"] = "0"
    proc = subprocess.run(["git", *args], cwd=repo, env=env, input=input, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {repo}: {proc.stderr.decode()}")
    return proc.stdout


@dataclass
class Expect:
    """What a repository holds: counts per outcome in a --git-branch run, and its state."""

    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0
    status: str = "done"  # done, skipped (no commits), error (a branch not dockopt's)
    dirty: bool = False
    nested_in: str | None = None
    notes: list[str] = field(default_factory=list)


EXPECTED: dict[str, Expect] = {}


def optimal(app: str) -> bytes:
    """An app's already-optimal Dockerfile: its hand-written reference as dockopt leaves it.

    The references are the yardstick a careful engineer writes; dockopt may
    still improve them (a runtime venv without pip), so the fleet's optimal
    files are their fixpoint, which a second run leaves alone by idempotency.
    """
    import dockopt

    text = (APPS / app / "reference.Dockerfile").read_bytes().decode("utf-8", "surrogateescape")
    return dockopt.rewrite(text, context_dir=APPS / app).text.encode("utf-8", "surrogateescape")


def _copy_app(app: str, dest: Path, *, dockerfile: str = "Dockerfile", reference: bool = False) -> None:
    """The app's build context into dest, with its naive (or optimal) Dockerfile named ``dockerfile``."""
    src = APPS / app
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.name in ("Dockerfile", "reference.Dockerfile", "app.toml"):
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name)
        else:
            shutil.copy2(item, dest / item.name)
    if reference:
        (dest / dockerfile).write_bytes(optimal(app))
        _optimal_dockerignore(dest, dockerfile)
    else:
        shutil.copy2(src / "Dockerfile", dest / dockerfile)


def _optimal_dockerignore(context: Path, dockerfile: str) -> None:
    """The .dockerignore dockopt would create (DO010), so an optimal repository has nothing left to change."""
    from dockopt.model.context import BuildContext
    from dockopt.passes import dockerignore
    from dockopt.syntax import parse

    if (context / dockerignore.NAME).exists():
        return
    text = (context / dockerfile).read_bytes().decode("utf-8", "surrogateescape")
    plan = dockerignore.plan(parse(text), BuildContext(context), dockerfile=context / dockerfile, shown=dockerignore.NAME)
    if plan.content is not None:
        (context / dockerignore.NAME).write_text(plan.content)


def _commit(repo: Path, message: str = "initial") -> None:
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def build(root: Path, *, copies: int = 1) -> list[str]:
    """Make the fleet under ``root``; returns the repository identifiers. ``copies`` repeats the naive part."""
    EXPECTED.clear()
    root.mkdir(parents=True, exist_ok=True)
    naive = naive_apps()

    # Naive services, one Dockerfile each: every one is rewritten.
    for n in range(copies):
        team = "naive" if n == 0 else f"naive-{n}"
        for app in naive:
            repo = root / team / app
            _copy_app(app, repo)
            _commit(repo)
            EXPECTED[f"{team}/{app}"] = Expect(changed=1)

    # Already-optimal services: the references as dockopt leaves them, left alone.
    for app in all_apps():
        repo = root / "optimal" / app
        _copy_app(app, repo, reference=True)
        _commit(repo)
        EXPECTED[f"optimal/{app}"] = Expect(unchanged=1)

    # Several Dockerfiles per repository: a naive one at the top, a naive worker, a reference one, a .dev one.
    for n, app in enumerate(naive):
        repo = root / "multi" / f"mono-{n:02d}"
        _copy_app(app, repo)
        other = naive[(n + 5) % len(naive)]
        _copy_app(other, repo / "worker")
        _copy_app(all_apps()[n % len(all_apps())], repo / "deploy", dockerfile="prod.Dockerfile", reference=True)
        (repo / "Dockerfile.dev").write_bytes(optimal(app))
        _commit(repo)
        EXPECTED[f"multi/mono-{n:02d}"] = Expect(changed=2, unchanged=2)

    _special(root)
    return sorted(EXPECTED)


def _special(root: Path) -> None:
    special = root / "special"

    # A syntax error next to a good file: the error is reported, the other file is still rewritten.
    repo = special / "syntax-error"
    _copy_app("flask-gunicorn", repo)
    (repo / "broken").mkdir()
    (repo / "broken" / "Dockerfile").write_text(SYNTAX_ERROR)
    _commit(repo)
    EXPECTED["special/syntax-error"] = Expect(changed=1, errors=1)

    # A binary file named Dockerfile, a huge one, and a symlink leaving the repository.
    repo = special / "bad-files"
    _copy_app("cli-click", repo)
    (repo / "assets").mkdir()
    (repo / "assets" / "Dockerfile").write_bytes(b"\x7fELF\x00\x01\x02binary\x00" * 64)
    (repo / "generated").mkdir()
    (repo / "generated" / "Dockerfile").write_text("FROM python:3.12\n" + "# padding\n" * 120_000)
    (repo / "ext").mkdir()
    os.symlink("../../../outside/Dockerfile", repo / "ext" / "Dockerfile")
    os.symlink("Dockerfile", repo / "alias.Dockerfile")  # inside the repository: skipped, the target is rewritten
    _commit(repo)
    EXPECTED["special/bad-files"] = Expect(changed=1, skipped=4)

    # Vendored and ignored Dockerfiles are not the repository's: node_modules is skipped, .gitignore'd is untracked.
    repo = special / "vendored"
    _copy_app("fastapi-uvicorn", repo)
    (repo / "node_modules" / "tool").mkdir(parents=True)
    shutil.copy2(APPS / "flask-gunicorn" / "Dockerfile", repo / "node_modules" / "tool" / "Dockerfile")
    (repo / "build").mkdir()
    shutil.copy2(APPS / "flask-gunicorn" / "Dockerfile", repo / "build" / "Dockerfile")
    (repo / ".gitignore").write_text("build/\n")
    _commit(repo)
    EXPECTED["special/vendored"] = Expect(changed=1)

    # Nested repositories: one ignored by the outer one, one the outer one records as a gitlink.
    outer = special / "outer"
    _copy_app("poetry-app", outer)
    (outer / ".gitignore").write_text("services/\n")
    _commit(outer)
    inner = outer / "services" / "inner"
    _copy_app("pipenv-app", inner)
    _commit(inner)
    EXPECTED["special/outer"] = Expect(changed=1)
    EXPECTED["special/outer/services/inner"] = Expect(changed=1, nested_in="special/outer")
    host = special / "host"
    _copy_app("runtime-tool", host)
    embedded = host / "vendor" / "embedded"
    _copy_app("models-dir", embedded)
    _commit(embedded)
    _commit(host)  # git add records vendor/embedded as a gitlink, not its files
    EXPECTED["special/host"] = Expect(changed=1)
    EXPECTED["special/host/vendor/embedded"] = Expect(changed=1, nested_in="special/host")

    # Uncommitted work: the branch is made from HEAD and the work stays exactly as it was.
    repo = special / "dirty"
    _copy_app("flask-gunicorn", repo)
    _copy_app("uv-app", repo / "svc")
    _commit(repo)
    with open(repo / "Dockerfile", "a") as fh:
        fh.write("# work in progress\n")
    (repo / "requirements.txt").unlink()  # deleted, not committed: the branch still sees HEAD's
    (repo / "svc" / "app.py").write_text("print('staged edit')\n")
    git(repo, "add", "svc/app.py")
    (repo / "svc" / "app.py").write_text("print('staged, then edited again')\n")
    (repo / "notes.txt").write_text("untracked\n")
    (repo / "svc" / ".dockopt.toml").write_text('select = ["DO006"]\n')  # untracked config: not HEAD's
    EXPECTED["special/dirty"] = Expect(changed=2, dirty=True)

    # No commits yet (a file is staged): --git-branch has nothing to branch from.
    repo = special / "no-commits"
    _copy_app("cli-click", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "Dockerfile")
    EXPECTED["special/no-commits"] = Expect(status="skipped")

    # The branch exists already: made by an earlier dockopt run before HEAD moved (made again from HEAD) ...
    repo = special / "stale-branch"
    _copy_app("healthcheck-curl", repo)
    _commit(repo)
    old = git(repo, "rev-parse", "HEAD").decode().strip()
    tree = git(repo, "rev-parse", "HEAD^{tree}").decode().strip()
    stale = git(repo, "commit-tree", tree, "-p", old, input=b"dockopt: old\n\nDockopt-Batch: 0.0.1\n").decode().strip()
    git(repo, "update-ref", f"refs/heads/{BRANCH}", stale)
    (repo / "CHANGELOG").write_text("moved on\n")
    _commit(repo, "HEAD moves on")
    EXPECTED["special/stale-branch"] = Expect(changed=1, notes=["updated"])

    # ... or someone's own branch of that name: left alone, the repository reports why.
    repo = special / "foreign-branch"
    _copy_app("models-dir", repo)
    _commit(repo)
    git(repo, "branch", BRANCH)
    EXPECTED["special/foreign-branch"] = Expect(changed=1, status="error")

    # Settings: a .dockopt.toml limiting the rules, a pyproject [tool.dockopt] excluding a folder.
    repo = special / "config-select"
    _copy_app("flask-gunicorn", repo)
    (repo / ".dockopt.toml").write_text('select = ["run-cleanup"]\n')
    _commit(repo)
    EXPECTED["special/config-select"] = Expect(changed=1, notes=["only DO006"])
    repo = special / "config-exclude"
    _copy_app("cli-click", repo)
    _copy_app("arg-base", repo / "legacy")
    (repo / "pyproject.toml").write_text('[tool.dockopt]\nexclude = ["legacy"]\n')
    _commit(repo)
    EXPECTED["special/config-exclude"] = Expect(changed=1, skipped=1)

    # A commit with CRLF line endings and a file marked skip-file.
    repo = special / "crlf"
    _copy_app("fastapi-uvicorn", repo)
    text = (repo / "Dockerfile").read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    (repo / "Dockerfile").write_bytes(text)
    (repo / "tools").mkdir()
    (repo / "tools" / "Dockerfile").write_text(
        "# dockopt: skip-file\n" + (APPS / "flask-gunicorn" / "Dockerfile").read_text()
    )
    _commit(repo)
    EXPECTED["special/crlf"] = Expect(changed=1, skipped=1)

    # Bytes that are not UTF-8 (a Latin-1 comment) survive the rewrite untouched.
    repo = special / "latin1"
    _copy_app("arg-base", repo)
    (repo / "Dockerfile").write_bytes(b"# caf\xe9 \xa9 2024\n" + (repo / "Dockerfile").read_bytes())
    _commit(repo)
    EXPECTED["special/latin1"] = Expect(changed=1)


def dockerfile_count(ids: Sequence[str]) -> int:
    e = [EXPECTED[i] for i in ids]
    return sum(x.changed + x.unchanged + x.skipped + x.errors for x in e if x.status != "skipped")
