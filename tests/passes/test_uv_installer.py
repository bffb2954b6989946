"""DO012 uv-installer: opt-in, its page's example is the real output, and it reads what uv would ignore."""

from __future__ import annotations

import dockopt
from dockopt.passes.uv_installer import RULE, UV_OPTIONS
from tests.passes.harness import check_invariants


def test_rule_example_is_the_real_output() -> None:
    result = dockopt.rewrite(RULE.before, select=[RULE.name], installer="uv")
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, select=[RULE.name], installer="uv")


def test_off_unless_asked() -> None:
    assert not dockopt.rewrite(RULE.before, select=[RULE.name]).changed


def test_the_whole_pipeline_with_uv_has_no_pip_in_the_runtime_venv() -> None:
    naive = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    out = dockopt.rewrite(naive, installer="uv").text
    builder, runtime = out.split("\n\nFROM ", 1)
    assert "uv venv /opt/venv" in builder and "uv pip install" in builder
    assert "pip uninstall" not in builder  # lean-venv: uv venv puts no pip there to remove
    assert "uv" not in runtime.replace("/opt/venv", "")  # uv itself stays in the builder


def test_options_uv_lacks_are_not_in_the_allowed_list() -> None:
    """Checked against uv 0.13.9's `uv pip install`: these are rejected there ('unexpected argument')."""
    for option in ("--prefer-binary", "--no-warn-script-location", "--root-user-action", "--timeout", "--retries", "--use-pep517", "--src", "--ignore-installed", "--exists-action"):
        assert option not in UV_OPTIONS
