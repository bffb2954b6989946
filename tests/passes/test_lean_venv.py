"""DO011 lean-venv: the page's example is the real output, and the rule reads pip use at run time."""

from __future__ import annotations

from pathlib import Path

import dockopt
from dockopt.passes.lean_venv import RULE
from tests.passes.harness import check_invariants


def test_rule_example_is_the_real_output() -> None:
    result = dockopt.rewrite(RULE.before, select=[RULE.name])
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, select=[RULE.name])


def test_an_entrypoint_script_that_runs_pip_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "entrypoint.sh").write_text("#!/bin/sh\npip install -r /extra.txt\nexec \"$@\"\n")
    text = RULE.before.replace('CMD ["python", "-m", "app"]', 'ENTRYPOINT ["/app/entrypoint.sh"]\nCMD ["python", "-m", "app"]')
    result = dockopt.rewrite(text, select=[RULE.name], context_dir=tmp_path)
    assert result.text == text
    assert "runs pip" in result.skips[0].message
    (tmp_path / "entrypoint.sh").write_text("#!/bin/sh\nexec \"$@\"\n")  # negative control
    assert dockopt.rewrite(text, select=[RULE.name], context_dir=tmp_path).changed


def test_the_full_pipeline_makes_the_split_lean() -> None:
    naive = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    out = dockopt.rewrite(naive).text
    builder, runtime = out.split("\n\nFROM ", 1)
    assert builder.rstrip().endswith("RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel")
    assert "uninstall" not in runtime
