"""The in-image probe run by a real interpreter (this one), the command-line helpers, the CLI without an engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockopt.cli import cli
from dockopt.verify.imagefs import candidate_commands, is_python, shell_command_word
from dockopt.verify.probe import PROBE, parse_output, result_from_json
from dockopt.verify.result import Check, ImageFacts, Verification
from tests.conftest import FIXTURES

APP = FIXTURES / "apps" / "psycopg2-source"


def run_probe_here(*modules: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", PROBE, "30", *modules], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = parse_output(proc.stdout)
    assert data is not None, proc.stdout
    return data


def test_probe_lists_distributions_with_top_level_modules_and_imports() -> None:
    result = result_from_json(run_probe_here("click", "lark", "dockopt_no_such_module"))
    assert result.version == ".".join(map(str, sys.version_info[:3]))
    click_dist = result.distributions["click"]
    assert click_dist.top_level == ("click",)
    assert result.imports["click"] is None and result.imports["lark"] is None
    assert "ModuleNotFoundError" in (result.imports["dockopt_no_such_module"] or "")


def test_probe_ignores_arguments_that_are_not_module_names() -> None:
    data = run_probe_here("os; import sys", "click")
    assert list(data["imports"]) == ["click"]  # type: ignore[call-overload]


def test_command_candidates() -> None:
    assert candidate_commands(None, ["gunicorn", "app:app"]) == ["gunicorn"]
    assert candidate_commands(["./boot.sh"], ["gunicorn", "-b", ":80"]) == ["./boot.sh", "gunicorn"]
    assert candidate_commands(["python"], ["--port", "80"]) == ["python"]
    assert candidate_commands(None, ["/bin/sh", "-c", "exec uvicorn main:app"]) == ["/bin/sh", "uvicorn"]
    assert candidate_commands(None, None) == []
    assert shell_command_word("FOO=1 poetry run x && y") == "poetry"
    assert shell_command_word("$CMD --x") is None
    assert is_python("/opt/venv/bin/python3.12") and not is_python("/usr/bin/python-config")


def test_verification_json_and_exit_codes() -> None:
    facts = ImageFacts("t", 100, (("sha256:a", 100),), 1.0, True)
    ok = Verification("equivalent", (Check("builds", True, "both build"),), None, facts, facts, True)
    assert ok.exit_code == 0
    doc = json.loads(json.dumps(ok.to_json()))
    assert doc["checks"][0] == {"name": "builds", "ok": True, "detail": "both build", "differences": []}
    assert doc["size_reduction"] == 0.0
    assert Verification("different", (), None, None, None, None).exit_code == 1
    assert Verification("cannot-verify", (), "no engine", None, None, None).exit_code == 2


def test_no_engine_is_exit_2_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKOPT_DOCKER", "/nonexistent/docker")
    result = CliRunner().invoke(cli, ["verify", str(APP / "Dockerfile")])
    assert result.exit_code == 2, result.output
    assert "cannot verify: no Docker engine: docker client /nonexistent/docker not found" in result.output


def test_no_engine_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKOPT_DOCKER", "/nonexistent/docker")
    result = CliRunner().invoke(cli, ["verify", str(APP / "Dockerfile"), "--format", "json"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["changed"] is True and doc["verification"]["status"] == "cannot-verify"


def test_usage_errors_and_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["verify", "--before", str(APP / "Dockerfile")]).exit_code == 2
    both = runner.invoke(cli, ["verify", str(APP / "Dockerfile"), "--before", str(APP / "Dockerfile"), "--after", str(APP / "Dockerfile")])
    assert both.exit_code == 2
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.12\nRUN [\"unterminated\n")
    (tmp_path / "ok").write_text("FROM python:3.12\n")
    result = runner.invoke(cli, ["verify", "--before", str(bad), "--after", str(tmp_path / "ok")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    missing = runner.invoke(cli, ["verify", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_unchanged_file_has_nothing_to_verify(tmp_path: Path) -> None:
    already = FIXTURES / "apps" / "already-multistage" / "Dockerfile"
    result = CliRunner().invoke(cli, ["verify", str(already), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verification"] is None
