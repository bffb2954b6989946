"""The rule registry (``dockopt.passes.RULES``) lists each rule without importing its module.

Each entry's id, name, safety and kind must be the rule's own (a mismatch
is an error when the rule is loaded, and here for every rule); a rule left
out by its ``when`` test must be one whose ``apply`` changes nothing under
those options; and a default rewrite must import no module of a rule it
cannot run.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from dockopt import rewrite
from dockopt.passes import RULES
from dockopt.passes.base import Context, Rule, RuleRef
from dockopt.syntax import parse
from tests.conftest import FIXTURES, all_dockerfiles


@pytest.mark.parametrize("ref", RULES, ids=lambda r: r.id)
def test_entry_matches_the_rule_in_its_module(ref: RuleRef) -> None:
    rule = importlib.import_module(f"dockopt.passes.{ref.module}").RULE
    assert isinstance(rule, Rule)
    assert (rule.id, rule.name, rule.safety, rule.kind) == (ref.id, ref.name, ref.safety, ref.kind)
    assert ref.rule is rule
    assert (ref.title, ref.why, ref.before, ref.after, ref.notes, ref.option) == (
        rule.title, rule.why, rule.before, rule.after, rule.notes, rule.option,
    )
    assert ref.apply is rule.apply and ref.explain() == rule.explain()


def test_a_wrong_entry_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not DO003"):
        _ = RuleRef("DO003", "path-env", "unsafe", "path_env").rule  # the rule is safe
    assert RuleRef("DO003", "path-env", "safe", "path_env").rule.id == "DO003"  # negative control


def _options() -> list[Context]:
    return [
        Context(),
        Context(unsafe=True),
        Context(installer="uv"),
        Context(cache_mounts=True),
        Context(unsafe=True, installer="uv", cache_mounts=True, layout="user"),
        Context(context_dir=FIXTURES / "apps" / "flask-gunicorn"),  # DO009 needs a context to look at
    ]


@pytest.mark.parametrize("ref", [r for r in RULES if r.when is not None], ids=lambda r: r.id)
def test_a_rule_left_out_by_when_changes_nothing(ref: RuleRef) -> None:
    """Where ``when`` says no, ``apply`` returns the tree itself and records nothing, on every fixture."""
    said_no = said_yes = 0
    for path in all_dockerfiles():
        try:
            doc = parse(path.read_text(encoding="utf-8"))
        except Exception:
            continue
        for ctx in _options():
            if ref.may_apply(ctx):
                said_yes += 1
                continue
            said_no += 1
            assert ref.apply(doc, ctx) is doc, path
            assert ctx.changes == [] and ctx.skips == [], path
    assert said_no and said_yes  # the test saw both answers


def test_when_matters_somewhere(tmp_path: Path) -> None:
    """Negative control: the rules ``when`` leaves out do act on fixtures once their option (or a context) is there.

    DO009 only advises (skips, never changes), on a context holding a large file.
    """
    with (tmp_path / "model.safetensors").open("wb") as fh:
        fh.truncate(200_000_000)  # sparse: no disk used
    acted = {r.id: False for r in RULES if r.when is not None}
    for path in all_dockerfiles():
        text = path.read_text(encoding="utf-8")
        try:
            result = rewrite(text, installer="uv", cache_mounts=True, context_dir=tmp_path)
        except Exception:
            continue
        for c in [*result.changes, *(s for s in result.skips if s.rule == "DO009")]:
            if c.rule in acted:
                acted[c.rule] = True
    assert all(acted.values()), acted


def test_a_default_rewrite_imports_only_the_rules_it_can_run() -> None:
    code = (
        "import sys; from dockopt import rewrite\n"
        "rewrite('FROM python:3.12\\nRUN apt-get install -y curl\\nCOPY . .\\nRUN pip install -r requirements.txt\\n')\n"
        "print(sorted(m.rsplit('.', 1)[-1] for m in sys.modules if m.startswith('dockopt.passes.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    loaded = eval(out)  # a list literal printed by the child
    for module in ("apt_no_recommends", "cache_mounts", "uv_installer", "dockerignore", "large_files"):
        assert module not in loaded
    for module in ("deps_first", "multi_stage", "run_cleanup"):  # negative control: the rules it runs are there
        assert module in loaded
