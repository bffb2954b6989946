"""``dockopt parse``, ``rules``, ``explain``, ``--version``, and the pre-commit hooks file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import dockopt
from dockopt.cli import cli
from tests.cli.conftest import Invoke, write
from tests.conftest import FIXTURES, ROOT, read_exact

MULTI = """\
# syntax=docker/dockerfile:1
ARG PY=3.12
FROM --platform=$BUILDPLATFORM python:${PY} AS build
RUN pip install \\
    flask
RUN <<EOF
echo hi
EOF
FROM python:${PY}-slim
COPY --from=build /x /x
CMD ["python", "app.py"]
"""


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"dockopt {dockopt.__version__}\n"


def test_parse_text(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", MULTI)
    result = invoke("parse", "Dockerfile")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "file: escape \\, line endings LF, BOM no"
    assert lines[1] == "directives: syntax=docker/dockerfile:1"
    assert "stage 0  name=build  base=python:${PY}  platform=$BUILDPLATFORM" in lines
    assert "stage 1  base=python:${PY}-slim" in lines
    assert '  4-5     RUN ["pip install     flask"] (shell form)' in lines
    assert '  6-8     RUN ["<<EOF"] (shell form) heredocs=EOF' in lines
    assert '  11      CMD ["python", "app.py"] (json form)' in lines
    assert '  10      COPY --from=build ["/x", "/x"]' in lines


def test_parse_json_stdin(invoke: Invoke) -> None:
    result = invoke("parse", "--json", "-", input=MULTI)
    assert result.exit_code == 0
    tree = json.loads(result.stdout)
    assert tree["directives"] == [{"name": "syntax", "value": "docker/dockerfile:1"}]
    assert [i["keyword"] for i in tree["global"]] == ["ARG"]
    build, final = tree["stages"]
    assert (build["index"], build["name"], build["base"], build["platform"]) == (
        0,
        "build",
        "python:${PY}",
        "$BUILDPLATFORM",
    )
    assert final["name"] is None
    heredoc_run = build["instructions"][2]
    assert heredoc_run["heredocs"] == [{"name": "EOF", "fd": 0, "chomp": False, "expand": True, "body": "echo hi\n"}]
    assert final["instructions"][-1] == {
        "line": 11,
        "end_line": 11,
        "keyword": "CMD",
        "sub_keyword": None,
        "flags": [],
        "value": ["python", "app.py"],
        "json": True,
        "heredocs": [],
        "original": 'CMD ["python", "app.py"]',
    }


def test_parse_json_agrees_with_buildkit() -> None:
    dockerfile = pytest.importorskip("dockerfile")
    path = FIXTURES / "apps" / "flask-gunicorn" / "Dockerfile"
    result = CliRunner().invoke(cli, ["parse", "--json", str(path)])
    tree = json.loads(result.stdout)
    ours = [i for stage in tree["stages"] for i in stage["instructions"]]
    theirs = dockerfile.parse_string(read_exact(path))
    assert [
        (i["keyword"], i["line"], i["end_line"], tuple(i["flags"]), tuple(i["value"]), i["json"]) for i in ours
    ] == [(c.cmd.upper(), c.start_line, c.end_line, c.flags, c.value, c.json) for c in theirs]


def test_parse_error(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM a\nLABEL x\n")
    result = invoke("parse", "Dockerfile")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["Dockerfile:2:1: LABEL must have two arguments", "  LABEL x", "  ^"]
    assert "Traceback" not in result.output


def test_parse_missing_file(invoke: Invoke) -> None:
    result = invoke("parse", "missing/Dockerfile")
    assert result.exit_code == 2
    assert result.stderr == "error: missing/Dockerfile: no such file\n"


def test_rules_table_lists_every_real_rule() -> None:
    from dockopt.passes import RULES

    result = CliRunner().invoke(cli, ["rules"])
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "SAFETY", "TITLE"]
    assert [row.split()[:3] for row in rows] == [[r.id, r.name, r.safety] for r in RULES]


def test_rules_json(invoke: Invoke) -> None:
    result = invoke("rules", "--format", "json")
    rules = json.loads(result.stdout)["rules"]
    assert [(r["id"], r["name"], r["safety"]) for r in rules] == [
        ("DO901", "fake-rename", "safe"),
        ("DO902", "fake-unsafe", "unsafe"),
        ("DO903", "fake-crash", "safe"),
        ("DO904", "fake-break", "safe"),
    ]
    assert rules[0]["before"] == "FROM a\nRUN echo old\n"


@pytest.mark.parametrize("key", ["DO901", "do901", "fake-rename"])
def test_explain(invoke: Invoke, key: str) -> None:
    result = invoke("explain", key)
    assert result.exit_code == 0
    assert result.stdout.startswith("DO901 fake-rename: Rename old to new in RUN\nFix safety: safe\n")
    assert "    RUN echo new" in result.stdout


@pytest.mark.parametrize("key", ["DO999", "ALL"])
def test_explain_unknown(invoke: Invoke, key: str) -> None:
    result = invoke("explain", key)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


def test_explain_every_real_rule() -> None:
    from dockopt.passes import RULES

    for rule in RULES:
        result = CliRunner().invoke(cli, ["explain", rule.name])
        assert result.exit_code == 0
        assert result.stdout == rule.explain()


def test_pre_commit_hooks_file() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    hooks: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("- id: "):
            current = {"id": line[6:]}
            hooks[current["id"]] = current
        elif line.startswith("  ") and ":" in line and current:
            key, _, value = line.strip().partition(": ")
            current[key] = value
    assert hooks["dockopt"]["entry"] == "dockopt rewrite --write"
    assert hooks["dockopt-check"]["entry"] == "dockopt rewrite --check"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types"] == "[dockerfile]"
