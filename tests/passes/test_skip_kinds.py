"""Which skips ask something of the user (shown by default) and which only inform (shown with -v).

The negative control of each pair: the same rule's skip that does ask for
something stays actionable.
"""

from __future__ import annotations

import pytest

import dockopt

CASES = [
    # (rule, Dockerfile, message fragment, actionable)
    (
        "multi-stage",
        "FROM python:3.12 AS build\nRUN true\nFROM python:3.12\nRUN pip install flask\n",
        "already multi-stage",
        False,
    ),
    ("multi-stage", "FROM python:3.12\nUSER app\nRUN pip install flask\n", "runs as USER app", True),
    ("slim-base", "FROM ubuntu:22.04\nCMD true\n", "not an official image", False),
    ("slim-base", "FROM python:3.12-alpine\nCMD true\n", "Alpine variant", False),
    ("slim-base", "FROM python:3.12-foo\nCMD true\n", "variant dockopt does not know", False),
    ("slim-base", "ARG V\nFROM python:${V}\nCMD true\n", "has no default", True),
    ("slim-base", "FROM a AS base\nFROM base\nCMD true\n", "built FROM stage", False),
    ("slim-base", "FROM python:3.12\nRUN pip install flask\n", "(DO002) moves them", False),
    ("slim-base", "FROM python:3.12\nRUN git clone x\n", "install it with apt", True),
    ("run-merge", "FROM python:3.12\nRUN cd /tmp\nRUN ls\n", "merging would change the directory", False),
]


@pytest.mark.parametrize(("rule", "text", "fragment", "actionable"), CASES)
def test_skip_kind(rule: str, text: str, fragment: str, actionable: bool) -> None:
    result = dockopt.rewrite(text, select=[rule])
    found = [s for s in result.skips if fragment in s.message]
    assert found, result.skips
    assert all(s.actionable is actionable for s in found)
