"""Golden before/after pairs and the invariants every rewrite must keep.

A case is ``fixtures/passes/<rule-name>/<case>.before.Dockerfile`` with its
``<case>.after.Dockerfile`` (identical content when the rule must leave the
file alone) and, optionally, ``<case>.options.toml`` holding keyword
arguments for :func:`dockopt.rewrite` (``unsafe = true``, ``layout = "user"``,
``select = [...]``; by default only the folder's rule is selected).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dockerfile

import dockopt
from dockopt.model.image import runtime_config
from dockopt.pipeline import RewriteResult
from tests.conftest import FIXTURES, read_exact

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
        out.append(Case(folder, name, before, before.with_name(f"{name}.after.Dockerfile"), options))
    return out


def run(case: Case) -> RewriteResult:
    return dockopt.rewrite(read_exact(case.before), **case.options)


def check_invariants(original: str, rewritten: str, **options: Any) -> None:
    """Output parses with BuildKit's parser, a second run changes nothing, and the image runs the same."""
    dockerfile.parse_string(rewritten)  # raises GoParseError if BuildKit refuses it
    again = dockopt.rewrite(rewritten, **options)
    assert again.text == rewritten, "not idempotent: a second run changed the output"
    before = runtime_config(dockopt.parse(original))
    after = runtime_config(dockopt.parse(rewritten))
    assert before.differences(after) == []
