"""`dockopt parse` answered without click prints exactly what the click command prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockopt.cli import cli
from tests.conftest import FIXTURES

CASES = [
    FIXTURES / "syntax" / "heredocs.Dockerfile",
    FIXTURES / "syntax" / "crlf.Dockerfile",
    FIXTURES / "apps" / "flask-gunicorn" / "Dockerfile",
]


def _script(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from dockopt.entry import main; sys.argv[0] = 'dockopt'; main()", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
@pytest.mark.parametrize("extra", [[], ["--json"]], ids=["text", "json"])
def test_fast_path_matches_click(path: Path, extra: list[str]) -> None:
    expected = CliRunner().invoke(cli, ["parse", str(path), *extra])
    got = _script("parse", str(path), *extra)
    assert got.returncode == expected.exit_code == 0
    assert got.stdout.decode() == expected.stdout


def test_fast_path_stdin_and_errors(tmp_path: Path) -> None:
    bad = b"FROM a\nENV FOO\n"
    expected = CliRunner().invoke(cli, ["parse", "-"], input=bad)
    got = _script("parse", "-", stdin=bad)
    assert got.returncode == expected.exit_code == 2
    assert got.stderr.decode() == expected.stderr
    missing = _script("parse", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert missing.stderr.decode() == CliRunner().invoke(cli, ["parse", str(tmp_path / "nope")]).stderr


def test_fast_path_imports_neither_click_nor_lark(tmp_path: Path) -> None:
    code = (
        "import sys; from dockopt.entry import main; sys.argv = ['dockopt', 'parse', '-']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('click', 'lark', 'dataclasses', 'typing', 'pathlib') if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], input=b"FROM a\n", capture_output=True, check=True)
    assert out.stderr.decode().strip() == "[]"


def test_other_arguments_go_to_click() -> None:
    out = _script("parse", "--help")
    assert out.returncode == 0 and b"Usage:" in out.stdout
