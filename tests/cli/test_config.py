"""Config discovery (.dockopt.toml, [tool.dockopt]), precedence, validation, exclude."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.config import Config, ConfigError, Resolver, discover, load
from tests.cli.conftest import Invoke, write

NAIVE = "FROM a\nRUN echo old risky\n"


def changed_rules(result_stderr: str) -> set[str]:
    return {line.split()[1] for line in result_stderr.splitlines() if "[changed]" in line}


def test_no_config_means_defaults(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    assert changed_rules(invoke("rewrite", "Dockerfile").stderr) == {"DO901"}


def test_dockopt_toml_in_a_parent_folder(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / ".dockopt.toml", 'unsafe = true\nignore = ["fake-rename"]\n')
    write(tmp_path / "svc" / "deep" / "Dockerfile", NAIVE)
    result = invoke("rewrite", "svc/deep/Dockerfile")
    assert changed_rules(result.stderr) == {"DO902"}


def test_pyproject_table(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.dockopt]\nselect = ["DO902"]\nunsafe = true\n')
    write(tmp_path / "Dockerfile", NAIVE)
    assert changed_rules(invoke("rewrite", "Dockerfile").stderr) == {"DO902"}


def test_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path / ".dockopt.toml", "unsafe = true\n")
    write(tmp_path / "svc" / "pyproject.toml", '[project]\nname = "svc"\n[tool.ruff]\nline-length = 100\n')
    assert discover(tmp_path / "svc") == tmp_path / ".dockopt.toml"


def test_dockopt_toml_beats_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dockopt]\nunsafe = true\n")
    write(tmp_path / ".dockopt.toml", 'layout = "user"\n')
    assert discover(tmp_path) == tmp_path / ".dockopt.toml"
    assert load(tmp_path / ".dockopt.toml").unsafe is False


def test_nearest_config_wins(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / ".dockopt.toml", "unsafe = true\n")
    write(tmp_path / "svc" / "pyproject.toml", "[tool.dockopt]\nignore = ['DO902']\n")
    write(tmp_path / "svc" / "Dockerfile", NAIVE)
    write(tmp_path / "other" / "Dockerfile", NAIVE)
    result = invoke("rewrite", "--check", "svc/Dockerfile", "other/Dockerfile")
    lines = result.stderr.splitlines()
    assert any(line.startswith("svc/Dockerfile:2: DO901") for line in lines)
    assert not any(line.startswith("svc/Dockerfile:2: DO902") for line in lines)  # nearest: no unsafe there
    assert any(line.startswith("other/Dockerfile:2: DO902") for line in lines)


def test_command_line_overrides_config(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / ".dockopt.toml", 'select = ["fake-rename"]\nunsafe = true\n')
    write(tmp_path / "Dockerfile", NAIVE)
    assert changed_rules(invoke("rewrite", "--select", "DO902", "Dockerfile").stderr) == {"DO902"}
    assert changed_rules(invoke("rewrite", "--select", "DO902", "--no-unsafe", "Dockerfile").stderr) == set()


def test_isolated_ignores_config(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / ".dockopt.toml", "bogus = 1\n")
    write(tmp_path / "Dockerfile", NAIVE)
    assert invoke("rewrite", "Dockerfile").exit_code == 2
    assert changed_rules(invoke("rewrite", "--isolated", "Dockerfile").stderr) == {"DO901"}


def test_explicit_config_file(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / ".dockopt.toml", "unsafe = false\n")
    write(tmp_path / "ci" / "pyproject.toml", "[tool.dockopt]\nunsafe = true\nignore = ['DO901']\n")
    write(tmp_path / "Dockerfile", NAIVE)
    assert changed_rules(invoke("rewrite", "--config", "ci/pyproject.toml", "Dockerfile").stderr) == {"DO902"}


def test_stdin_filename_finds_the_config(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "svc" / ".dockopt.toml", "ignore = ['DO901']\n")
    result = invoke("rewrite", "--stdin-filename", "svc/Dockerfile", "-", input=NAIVE)
    assert result.stdout == NAIVE


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("selct = ['DO901']\n", "unknown key 'selct'; known keys: select, ignore, unsafe, layout, installer, exclude"),
        ("unsafe = 'yes'\n", "unsafe must be true or false"),
        ("layout = 'conda'\n", "layout must be one of 'venv', 'user'"),
        ("select = 3\n", "select must be a list of strings"),
        ("select = ['DO999']\n", "unknown rule 'DO999'"),
        ("select = [\n", "invalid TOML"),
    ],
)
def test_bad_config_exits_2_before_touching_files(invoke: Invoke, tmp_path: Path, content: str, message: str) -> None:
    write(tmp_path / ".dockopt.toml", content)
    target = write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "--write", "Dockerfile")
    assert result.exit_code == 2
    assert message in result.stderr
    assert ".dockopt.toml" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_text() == NAIVE


def test_unknown_key_in_pyproject_names_the_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dockopt]\nexclud = []\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.dockopt\]: unknown key 'exclud'"):
        Resolver().for_folder(tmp_path)


def test_exclude_patterns(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / ".dockopt.toml", 'exclude = ["legacy", "svc/*.Dockerfile", "*.old"]\n')
    for name in ["Dockerfile", "legacy/Dockerfile", "svc/api.Dockerfile", "svc/Dockerfile", "x/Dockerfile.old"]:
        write(tmp_path / name, NAIVE)
    result = invoke("rewrite", "--check", ".")
    touched = sorted(line.split(":")[0] for line in result.stderr.splitlines() if "[changed]" in line)
    assert touched == ["Dockerfile", "svc/Dockerfile"]
    # Named on the command line (as pre-commit does), an excluded file is still excluded.
    direct = invoke("rewrite", "--check", "--verbose", "legacy/Dockerfile")
    assert direct.exit_code == 0
    assert "legacy/Dockerfile: excluded" in direct.stderr
    # And through stdin it comes back unchanged.
    piped = invoke("rewrite", "--stdin-filename", "legacy/Dockerfile", "-", input=NAIVE)
    assert piped.stdout == NAIVE


def test_override_keeps_sources() -> None:
    cfg = Config(select=("DO901",), sources={"select": "x.toml"}).override(select=["DO902"], layout="user")
    assert cfg.select == ("DO902",)
    assert cfg.layout == "user"
    assert cfg.sources["select"] == "--select"
