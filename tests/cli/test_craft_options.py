"""--cache-mounts and --large-file-threshold, and their config keys, reach the rules (real rules here)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dockopt.cli import cli
from dockopt.config import DEFAULT_LARGE_FILE_THRESHOLD, Config, ConfigError, load, parse_size

NAIVE = "FROM python:3.12\nRUN pip install flask\n"
MOUNT = "--mount=type=cache,target=/root/.cache/pip"


def run(tmp_path: Path, *args: str) -> Result:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.mark.parametrize(
    ("value", "size"),
    [(150_000_000, 150_000_000), ("150MB", 150_000_000), ("1.5GB", 1_500_000_000), ("200MiB", 200 * 2**20),
     ("512 kB", 512_000), ("100M", 100_000_000), ("7", 7), ("2 GiB", 2 * 2**30)],
)
def test_parse_size(value: object, size: int) -> None:
    assert parse_size(value, "x") == size


@pytest.mark.parametrize("value", ["", "big", "-5MB", "10 XB", 0, -1, True, 1.5, ["1MB"]])
def test_bad_sizes(value: object) -> None:
    with pytest.raises(ConfigError, match="x must be"):
        parse_size(value, "x")


def test_config_keys(tmp_path: Path) -> None:
    (tmp_path / ".dockopt.toml").write_text('cache_mounts = true\nlarge_file_threshold = "20MB"\n')
    cfg = load(tmp_path / ".dockopt.toml")
    assert cfg.cache_mounts is True and cfg.large_file_threshold == 20_000_000
    assert cfg.rewrite_options()["cache_mounts"] is True
    assert Config().large_file_threshold == DEFAULT_LARGE_FILE_THRESHOLD == 100_000_000
    assert cfg.override(cache_mounts=False, large_file_threshold=5).rewrite_options()["large_file_threshold"] == 5
    (tmp_path / ".dockopt.toml").write_text('cache_mounts = "yes"\n')
    with pytest.raises(ConfigError, match="cache_mounts must be true or false"):
        load(tmp_path / ".dockopt.toml")
    (tmp_path / ".dockopt.toml").write_text('large_file_threshold = "huge"\n')
    with pytest.raises(ConfigError, match="large_file_threshold must be a size"):
        load(tmp_path / ".dockopt.toml")


def test_cache_mounts_flag_and_config(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(NAIVE)
    base = ("rewrite", "--diff", "--select", "cache-mounts,run-cleanup", "Dockerfile")
    assert MOUNT not in run(tmp_path, *base, "--isolated").stdout
    assert MOUNT in run(tmp_path, *base, "--isolated", "--cache-mounts").stdout
    (tmp_path / "pyproject.toml").write_text("[tool.dockopt]\ncache_mounts = true\n")
    assert MOUNT in run(tmp_path, *base).stdout
    assert MOUNT not in run(tmp_path, *base, "--no-cache-mounts").stdout


def test_large_file_threshold_flag_and_config(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /app\n")
    (tmp_path / "data.csv").write_bytes(b"x" * 3_000)
    base = ("rewrite", "--check", "--select", "large-files", "--ignore", "dockerignore", "Dockerfile")
    assert "DO009" not in run(tmp_path, *base, "--isolated").stderr
    assert "data.csv (3.0 kB, over the 2 kB threshold)" in run(tmp_path, *base, "--isolated", "--large-file-threshold", "2kB").stderr
    (tmp_path / ".dockopt.toml").write_text("large_file_threshold = 1000\n")
    assert "data.csv (3.0 kB" in run(tmp_path, *base).stderr
    bad = run(tmp_path, *base, "--large-file-threshold", "lots")
    assert bad.exit_code == 2 and "--large-file-threshold" in bad.stderr


def test_findings_in_json_and_sarif(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n")
    with (tmp_path / "model.onnx").open("wb") as fh:
        fh.truncate(5_000_000)
    doc = json.loads(run(tmp_path, "rewrite", "--format", "json", "--isolated", "Dockerfile").stdout)
    skips = doc["files"][0]["skips"]
    assert any(s["rule"] == "DO009" and s["name"] == "large-files" and s["actionable"] for s in skips)
    sarif = json.loads(run(tmp_path, "rewrite", "--format", "sarif", "--isolated", "Dockerfile").stdout)
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "DO009" and "model.onnx" in r["message"]["text"] for r in results)


def test_rules_json_lists_kind_and_option() -> None:
    rows = {r["id"]: r for r in json.loads(CliRunner().invoke(cli, ["rules", "--format", "json"]).output)["rules"]}
    assert rows["DO008"]["option"] and rows["DO008"]["kind"] == "tree"
    assert rows["DO010"]["kind"] == "context" and rows["DO001"]["option"] is None
    page = CliRunner().invoke(cli, ["explain", "DO008"]).output
    assert "Off by default: runs with --cache-mounts" in page
