"""Golden before/after pairs and the invariants every rewrite must keep.

A case is ``fixtures/passes/<rule-name>/<case>.before.Dockerfile`` with its
``<case>.after.Dockerfile`` (identical content when the rule must leave the
file alone) and, optionally, ``<case>.options.toml`` holding keyword
arguments for :func:`dockopt.rewrite` (``unsafe = true``, ``layout = "user"``,
``select = [...]``; by default only the folder's rule is selected). A
``<case>.context/`` folder next to them is the build context the rewrite
reads (``context_dir``), for rules that look at the manifests.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dockopt
from dockopt.model.image import runtime_config
from dockopt.pipeline import RewriteResult
from tests.buildchecks import new_warnings
from tests.conftest import FIXTURES, read_exact
from tests.syntax.test_buildkit_agreement import agreement

PASS_FIXTURES = FIXTURES / "passes"


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    before: Path
    after: Path
    options: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.name}"


def cases(rule: str | None = None) -> list[Case]:
    out = []
    for before in sorted(PASS_FIXTURES.glob("*/*.before.Dockerfile")):
        folder = before.parent.name
        if rule is not None and folder != rule:
            continue
        name = before.name.removesuffix(".before.Dockerfile")
        opts_file = before.with_name(f"{name}.options.toml")
        options: dict[str, Any] = {"select": [folder]}
        if opts_file.exists():
            options.update(tomllib.loads(opts_file.read_text()))
        context_dir = before.with_name(f"{name}.context")
        if context_dir.is_dir():
            options["context_dir"] = context_dir
        out.append(Case(folder, name, before, before.with_name(f"{name}.after.Dockerfile"), options))
    return out


def run(case: Case) -> RewriteResult:
    return dockopt.rewrite(read_exact(case.before), **case.options)


def check_invariants(original: str, rewritten: str, *, result: RewriteResult | None = None, **options: Any) -> None:
    """BuildKit's parser reads the output as dockopt does, no rewrite was dropped by the pipeline's
    guard (that is a bug in a rule), a second run changes nothing, the image runs the same, and the
    text dockopt wrote trips none of BuildKit's build checks (``docker build --check``)."""
    agreement(rewritten)  # raises AssertionError where BuildKit reads the output otherwise than dockopt
    added = new_warnings(original, rewritten)
    assert not added, "the rewrite adds build-check warnings:\n" + "\n".join(map(str, added))
    if result is not None:
        dropped = [s for s in result.skips if s.guard]
        assert not dropped, f"the pipeline's guard dropped a rewrite: {dropped}"
    again = dockopt.rewrite(rewritten, **options)
    assert again.text == rewritten, "not idempotent: a second run changed the output"
    before = runtime_config(dockopt.parse(original))
    after = runtime_config(dockopt.parse(rewritten))
    assert before.differences(after) == []
