"""The installed ``dockopt`` script, run for real: bytes on stdin/stdout, exit codes, start-up imports.

These use the real rules, but only run-merge on ``RUN a`` / ``RUN b``, so they
do not depend on what the other passes do.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import run_real, write


def test_version() -> None:
    proc = run_real(["--version"])
    assert proc.returncode == 0
    assert proc.stdout.startswith(b"dockopt ")


def test_python_dash_m() -> None:
    proc = subprocess.run([sys.executable, "-m", "dockopt", "--version"], capture_output=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith(b"dockopt ")


def test_stdin_round_trip_is_byte_identical() -> None:
    data = b'\xef\xbb\xbfFROM python:3.12\r\n# caf\xe9\r\nRUN pip install flask\r\nCMD ["flask", "run"]'
    proc = run_real(["rewrite", "--select", "run-merge", "-"], input=data)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == data


def test_run_merge_diff_check_write(tmp_path: Path) -> None:
    original = b"FROM python:3.12\r\nRUN a\r\nRUN b\r\n"
    target = write(tmp_path / "Dockerfile", original)
    target.chmod(0o600)
    diff = run_real(["rewrite", "--select", "run-merge", "Dockerfile"], cwd=tmp_path)
    assert diff.returncode == 1, diff.stderr
    assert diff.stdout.startswith(b"--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert b"-RUN a\r\n" in diff.stdout
    assert b"Dockerfile:2: DO005 [changed]" in diff.stderr
    assert b"\x1b[" not in diff.stdout  # not a terminal: no colour
    check = run_real(["rewrite", "--select", "run-merge", "--check", "Dockerfile"], cwd=tmp_path)
    assert check.returncode == 1
    assert check.stdout == b""
    wrote = run_real(["rewrite", "--select", "run-merge", "--write", "Dockerfile"], cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    after = target.read_bytes()
    assert after != original
    assert b"\n" not in after.replace(b"\r\n", b"")  # CRLF kept on every line
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]
    again = run_real(["rewrite", "--select", "run-merge", "--check", "Dockerfile"], cwd=tmp_path)
    assert again.returncode == 0


def test_parse_error_exit_2_without_traceback(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", 'FROM a\nRUN ["a", 1]\n')
    proc = run_real(["rewrite", "Dockerfile"], cwd=tmp_path)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.startswith("Dockerfile:2:1: ")
    assert "\n  ^" in err
    assert "Traceback" not in err


def test_missing_file_exit_2(tmp_path: Path) -> None:
    proc = run_real(["rewrite", "nope"], cwd=tmp_path)
    assert proc.returncode == 2
    assert b"nope: no such file" in proc.stderr


def test_parse_command_reads_stdin() -> None:
    proc = run_real(["parse", "-"], input=b"FROM a AS b\nRUN x\n")
    assert proc.returncode == 0
    assert b"stage 0  name=b  base=a" in proc.stdout


def test_cli_module_imports_nothing_heavy() -> None:
    """Start-up time: importing the CLI loads click, not the parser, the rules, rich or json."""
    heavy = (
        "lark",
        "rich",
        "json",
        "dockopt.syntax",
        "dockopt.passes",
        "dockopt.pipeline",
        "difflib",
        "tomllib",
        "tempfile",
    )
    code = f"import sys, dockopt.cli; print([m for m in {heavy!r} if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
