"""``--format json`` and ``--format sarif``: one document on stdout, with the right shape."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Invoke, write

NAIVE = "FROM a\nRUN echo old\nRUN echo keep\n"


def test_json_document(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "a" / "Dockerfile", NAIVE)
    write(tmp_path / "b" / "Dockerfile", "FROM a\nENV X\n")
    result = invoke("rewrite", "--format", "json", "a/Dockerfile", "b/Dockerfile")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert set(doc) == {"version", "files", "summary"}
    a, b = doc["files"]
    assert a["path"] == "a/Dockerfile"
    assert a["changed"] is True
    assert a["written"] is False
    assert a["changes"] == [{"rule": "DO901", "name": "fake-rename", "line": 2, "message": "replaced old with new"}]
    assert a["skips"] == [
        {"rule": "DO901", "name": "fake-rename", "line": 3, "message": "the RUN says keep", "actionable": True}
    ]
    assert a["diff"].startswith("--- a/a/Dockerfile\n+++ b/a/Dockerfile\n")
    assert a["error"] is None
    assert b["changed"] is False
    assert b["error"] == {
        "kind": "parse",
        "message": "ENV must have two arguments",
        "line": 2,
        "column": 1,
        "rule": None,
    }
    assert doc["summary"] == {"files": 2, "changed": 1, "errors": 1, "changes": 1, "skips": 1, "new_files": 0}
    # stdout is only the document; messages stay on stderr
    assert "[changed]" not in result.stdout
    assert "b/Dockerfile:2:1: ENV must have two arguments" in result.stderr


def test_json_with_write_reports_written(invoke: Invoke, tmp_path: Path) -> None:
    target = write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "--write", "--format", "json", "Dockerfile")
    assert result.exit_code == 0
    (entry,) = json.loads(result.stdout)["files"]
    assert entry["written"] is True
    assert "echo new" in target.read_text()


def test_json_for_stdin_replaces_the_file_output(invoke: Invoke) -> None:
    result = invoke("rewrite", "--format", "json", "-", input=NAIVE)
    (entry,) = json.loads(result.stdout)["files"]
    assert entry["path"] == "<stdin>"
    assert entry["changed"] is True


def test_sarif_document(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "svc" / "Dockerfile", NAIVE)
    write(tmp_path / "bad" / "Dockerfile", "FROM a\nENV X\n")
    result = invoke("rewrite", "--format", "sarif", "svc/Dockerfile", "bad/Dockerfile")
    assert result.exit_code == 2
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dockopt"
    assert isinstance(driver["version"], str)
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["DO901", "DO902", "DO903", "DO904"]
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"].startswith(rule["id"])
        assert rule["properties"]["safety"] in ("safe", "unsafe")
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("DO901", "warning"), ("DO901", "note")]
    for r in results:
        assert r["message"]["text"]
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        (loc,) = r["locations"]
        artifact = loc["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": "svc/Dockerfile", "uriBaseId": "%SRCROOT%"}
        assert loc["physicalLocation"]["region"]["startLine"] >= 1
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}
    assert results[1]["message"]["text"] == "skipped: the RUN says keep"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == "ENV must have two arguments"
    region = note["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 1}


def test_sarif_when_all_is_well(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM a\nRUN echo new\n")
    result = invoke("rewrite", "--format", "sarif", "Dockerfile")
    assert result.exit_code == 0
    run = json.loads(result.stdout)["runs"][0]
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is True
