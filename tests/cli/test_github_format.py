"""``--format github``: GitHub Actions workflow commands, escaped as GitHub's toolkit escapes them.

The tests read the lines back the way the Actions runner does (split at
``::``, properties at ``,`` and ``=``, then percent-decoding), so a value the
escaping got wrong comes back different, or splits into the wrong parts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.passes.base import Change, Skip
from dockopt.report import FileReport, github_annotations, github_escape
from tests.cli.conftest import Invoke, write

NAIVE = "FROM a\nRUN echo old\nRUN echo keep\n"


def _unescape(value: str, *, prop: bool) -> str:
    """The runner's decoding (ActionCommand): %3A and %2C in properties, then CR, LF and %."""
    if prop:
        value = value.replace("%3A", ":").replace("%2C", ",")
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _read(line: str) -> tuple[str, dict[str, str], str]:
    """One workflow command as the runner reads it: ``::name key=value,...::message``."""
    assert line.startswith("::")
    head, sep, message = line[2:].partition("::")
    assert sep, line
    name, _, props = head.partition(" ")
    fields = {}
    for item in props.split(","):
        key, eq, value = item.partition("=")
        assert eq, item
        fields[key] = _unescape(value, prop=True)
    return name, fields, _unescape(message, prop=False)


def test_changes_skips_and_errors(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "a" / "Dockerfile", NAIVE)
    write(tmp_path / "b" / "Dockerfile", "FROM a\nENV X\n")
    result = invoke("rewrite", "--format", "github", "a/Dockerfile", "b/Dockerfile", env={"GITHUB_WORKSPACE": ""})
    assert result.exit_code == 2  # the worst: b does not parse
    lines = [_read(x) for x in result.stdout.splitlines()]
    assert lines == [
        ("warning", {"file": "a/Dockerfile", "line": "2", "title": "DO901"}, "replaced old with new"),
        ("notice", {"file": "a/Dockerfile", "line": "3", "title": "DO901"}, "skipped: the RUN says keep"),
        (
            "error",
            {"file": "b/Dockerfile", "line": "2", "col": "1", "title": "dockopt parse error"},
            "ENV must have two arguments",
        ),
    ]
    assert "b/Dockerfile:2:1: ENV must have two arguments" in result.stderr  # messages stay on stderr
    assert "[changed]" not in result.stdout


def test_exit_codes_follow_the_mode(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    assert invoke("rewrite", "--format", "github", "Dockerfile").exit_code == 1
    assert invoke("rewrite", "--format", "github", "--check", "Dockerfile").exit_code == 1
    clean = write(tmp_path / "clean" / "Dockerfile", "FROM a\nRUN echo fine\n")
    result = invoke("rewrite", "--format", "github", str(clean))
    assert result.exit_code == 0 and result.stdout == ""


def test_written_changes_are_notices(invoke: Invoke, tmp_path: Path) -> None:
    target = write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "--write", "--format", "github", "Dockerfile")
    assert result.exit_code == 0
    assert _read(result.stdout.splitlines()[0])[0] == "notice"
    assert "echo new" in target.read_text()


def test_paths_are_relative_to_the_workspace(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "services" / "api" / "Dockerfile", NAIVE)
    monkeypatch.chdir(tmp_path / "services")
    result = invoke("rewrite", "--format", "github", "api/Dockerfile", env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert _read(result.stdout.splitlines()[0])[1]["file"] == "services/api/Dockerfile"


def test_stdin_without_a_name_has_no_file(invoke: Invoke) -> None:
    result = invoke("rewrite", "--format", "github", "-", input=NAIVE)
    name, fields, _ = _read(result.stdout.splitlines()[0])
    assert name == "warning" and "file" not in fields and "line" not in fields
    named = invoke("rewrite", "--format", "github", "--stdin-filename", "docker/Dockerfile", "-", input=NAIVE)
    assert _read(named.stdout.splitlines()[0])[1]["file"] == "docker/Dockerfile"


@pytest.mark.parametrize(
    "value",
    ["plain", "50% off", "a,b", "key: value", "two\nlines", "crlf\r\nend", "%0A literally", "::not a command::", "%2C%3A"],
)
def test_escaping_survives_the_runners_decoding(value: str) -> None:
    report = FileReport(f"dir {value}/Dockerfile")
    report.changes = [Change("DO001", 3, value)]
    report.skips = [Skip("DO002", None, value)]
    text = github_annotations([report], cwd=Path("/nonexistent"))
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 3  # one physical line per command, whatever the value holds
    name, fields, message = _read(lines[0])
    assert (name, fields["file"], fields["line"], message) == ("warning", f"dir {value}/Dockerfile", "3", value)
    name, fields, message = _read(lines[1])
    assert name == "notice" and "line" not in fields and message == f"skipped: {value}"


def test_escape_rules() -> None:
    assert github_escape("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert github_escape("a%b\r\nc:d,e", prop=True) == "a%25b%0D%0Ac%3Ad%2Ce"
