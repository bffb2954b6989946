"""tests/buildchecks.py: each rule says yes on its bad shape and no on its good one (the docs' examples)."""

from __future__ import annotations

import pytest

from tests.buildchecks import check, new_warnings, rules

#: rule -> (bad text, good text): the bad one must raise the rule, the good one (its negative control) must not.
CASES = {
    "StageNameCasing": ("FROM alpine AS Builder\n", "FROM alpine AS builder\n"),
    "FromAsCasing": ("FROM alpine as builder\n", "from alpine as builder\n"),
    "ConsistentInstructionCasing": (
        'From alpine\nRun echo hi\nENTRYPOINT ["cat"]\n',
        'from alpine\nrun echo hi\nentrypoint ["cat"]\n',
    ),
    "DuplicateStageName": ("FROM alpine AS a\nFROM alpine AS A\n", "FROM alpine AS a\nFROM alpine AS b\n"),
    "ReservedStageName": ("FROM alpine AS scratch\n", "FROM alpine AS scratchpad\n"),
    "JSONArgsRecommended": (
        "FROM alpine\nENTRYPOINT my-program start\n",
        'FROM alpine\nENTRYPOINT ["my-program", "start"]\n',
    ),
    "MaintainerDeprecated": (
        "FROM alpine\nMAINTAINER me\n",
        "FROM alpine\nLABEL org.opencontainers.image.authors=me\n",
    ),
    "LegacyKeyValueFormat": ("FROM alpine\nENV DEPS curl git\n", 'FROM alpine\nENV DEPS="curl git"\n'),
    "SecretsUsedInArgOrEnv": ("FROM alpine\nARG GITHUB_TOKEN\n", "FROM alpine\nARG PUBLIC_KEY\n"),
    "NoEmptyContinuation": ("FROM alpine\nEXPOSE \\\n\n80\n", "FROM alpine\nEXPOSE \\\n# port\n80\n"),
    "WorkdirRelativePath": (
        "FROM nginx AS web\nWORKDIR usr/share/html\n",
        "FROM nginx AS web\nWORKDIR /usr/share/html\n",
    ),
    "MultipleInstructionsDisallowed": (
        'FROM alpine\nENTRYPOINT ["echo", "a"]\nENTRYPOINT ["echo", "b"]\n',
        'FROM alpine\nHEALTHCHECK --interval=1s CMD ["true"]\nCMD ["python"]\n',
    ),
    "UndefinedVar": ("ARG V=1\nFROM alpine\nWORKDIR /app/$V\n", "ARG V=1\nFROM alpine\nARG V\nWORKDIR /app/$V\n"),
    "UndefinedArgInFrom": ("FROM node:22${VARIANT} AS js\n", "ARG VARIANT=-alpine\nFROM node:22${VARIANT} AS js\n"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_bad_shape_warns(rule: str) -> None:
    assert rule in rules(check(CASES[rule][0]))


@pytest.mark.parametrize("rule", sorted(CASES))
def test_good_shape_does_not(rule: str) -> None:
    assert rule not in rules(check(CASES[rule][1]))


def test_a_shell_or_a_stage_inherits() -> None:
    # JSONArgsRecommended is not raised once SHELL is set, in the stage or a stage it is built FROM;
    # WorkdirRelativePath only for the first WORKDIR of a chain.
    assert not check('FROM alpine AS a\nSHELL ["/bin/ash", "-c"]\nFROM a\nCMD run me\n')
    assert not check("FROM alpine AS a\nWORKDIR /app\nFROM a\nWORKDIR sub\n")
    assert rules(check("FROM alpine AS a\nWORKDIR /app\nFROM alpine\nWORKDIR sub\n")) == {"WorkdirRelativePath"}


def test_undefined_var_reads_what_was_set_before() -> None:
    assert rules(check("FROM alpine\nENV A=1 B=$A\n")) == {"UndefinedVar"}  # B takes the A from before
    assert not check("FROM alpine\nENV A=1\nENV B=$A\n")
    assert not check("FROM python:3.12\nENV PATH=/opt/venv/bin:$PATH LANG=$LANG\n")  # the image sets them
    assert not check("FROM alpine AS a\nENV X=1\nFROM a\nCOPY $X .\n")  # a stage inherits its parent's
    assert not check("FROM alpine\nLABEL a='$B'\n")  # single quotes are not expanded
    assert not check("FROM alpine\nRUN echo $UNSET\n")  # RUN is the shell's to expand


def test_platform_args_are_defined() -> None:
    assert not check("FROM --platform=$BUILDPLATFORM alpine\n")
    assert rules(check("FROM --platform=$PLATFORM alpine\n")) == {"UndefinedArgInFrom"}


def test_new_warnings_are_those_of_text_the_input_did_not_have() -> None:
    before = "FROM python:3.12 as base\nENV A 1\nCMD python app.py\n"
    copied = "FROM python:3.12 as base\nENV A 1\nCMD python app.py\nFROM base\nENV A 1\n"
    assert new_warnings(before, copied) == []  # the same lines again keep their own warnings
    edited = "FROM python:3.12-slim as base\nENV A 1\nCMD python app.py\n"
    assert new_warnings(before, edited) == []  # a user's line dockopt edited keeps the user's warning
    written = "FROM python:3.12 as builder\nFROM python:3.12-slim as base\nENV A 1\nCMD python app.py\n"
    assert [w.rule for w in new_warnings(before, written)] == ["FromAsCasing"]  # one more than the user had
    assert [w.rule for w in new_warnings(before, "FROM python:3.12 AS builder\n" + edited)] == []
