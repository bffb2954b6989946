"""Helpers for the command-line tests: a CliRunner with the fake rules, and real subprocess runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dockopt.cli import cli
from tests.cli import fakes

Invoke = Callable[..., Result]


@pytest.fixture
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the fake rules exist for this test."""
    fakes.install(monkeypatch)


@pytest.fixture
def invoke(fake_rules: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Invoke:
    """Run ``dockopt ARGS`` in-process (cwd = tmp_path, no colour env, fake rules)."""
    monkeypatch.chdir(tmp_path)
    for var in ("NO_COLOR", "FORCE_COLOR", "DOCKOPT_DEBUG"):
        monkeypatch.delenv(var, raising=False)

    def run(*args: str, input: bytes | str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)

    return run


def dockopt_command() -> list[str]:
    """The installed console script when it is on PATH (or next to python), else ``python -m dockopt``."""
    script = shutil.which("dockopt") or shutil.which("dockopt", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "dockopt"]


def run_real(
    args: Sequence[str], *, input: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the real ``dockopt`` in a subprocess (real rules, real stdin/stdout bytes)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "DOCKOPT_DEBUG")}
    full_env.update(env or {})
    return subprocess.run(
        [*dockopt_command(), *args], input=input, cwd=cwd, env=full_env, capture_output=True, timeout=120, check=False
    )


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape"))
    return path


SMALL_REWRITE_INPUT = b"FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"


def rewrites_importing_tomllib(cwd: Path, cache: Path, runs: int) -> tuple[list[bool], list[bytes]]:
    """``dockopt rewrite -`` on a small file ``runs`` times in fresh processes (in ``cwd``, with
    ``XDG_CACHE_HOME=cache``): whether each one imported tomllib, and each one's output."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    code = (
        "import sys\nfrom dockopt.entry import main\nsys.argv = ['dockopt', 'rewrite', '-']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('tomllib' in sys.modules, file=sys.stderr)"
    )
    done = [
        subprocess.run(
            [sys.executable, "-c", code], input=SMALL_REWRITE_INPUT, capture_output=True, env=env, cwd=cwd, check=True
        )
        for _ in range(runs)
    ]
    return [r.stderr.split()[-1] == b"True" for r in done], [r.stdout for r in done]
