"""DO005 run-merge: messages, skip reasons, and the shell semantics of `&&` merging."""

from __future__ import annotations

import functools
import itertools
import shutil
import subprocess

import pytest

import dockopt
from dockopt.model.shell import parse_command
from dockopt.passes import run_merge
from dockopt.passes.base import Context
from dockopt.syntax import parse
from tests.passes.harness import check_invariants

RULE = run_merge.RULE


def apply(text: str) -> tuple[str, Context]:
    doc = parse(text)
    ctx = Context()
    new = RULE.apply(doc, ctx)
    return new.to_source(), ctx


def skips(text: str) -> list[tuple[int | None, str]]:
    return [(s.line, s.message) for s in apply(text)[1].skips]


# -- documentation ---------------------------------------------------------------


def test_documented_example_is_real_output() -> None:
    result = dockopt.rewrite(RULE.before, select=[RULE.name])
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, select=[RULE.name])


def test_metadata() -> None:
    assert (RULE.id, RULE.name, RULE.safety) == ("DO005", "run-merge", "safe")
    assert "TODO" not in RULE.why and RULE.notes
    assert "Before" in RULE.explain()


# -- changes ---------------------------------------------------------------------


def test_change_message_names_every_line() -> None:
    text = "FROM alpine\nRUN echo a\nRUN echo b\n# c\nRUN echo c\n"
    out, ctx = apply(text)
    assert out == "FROM alpine\n# c\nRUN echo a && \\\n    echo b && \\\n    echo c\n"
    assert [(c.line, c.message) for c in ctx.changes] == [(2, "merged RUN at lines 2, 3 and 5 into one layer")]


def test_returns_same_object_when_nothing_changes() -> None:
    doc = parse("FROM alpine\nRUN echo a\nCOPY x /x\nRUN echo b\n")
    assert RULE.apply(doc, Context()) is doc


def test_blank_lines_above_later_runs_are_dropped_comments_kept() -> None:
    text = "FROM alpine\n\n# first\nRUN echo a\n\n# second\n\nRUN echo b\n"
    out, _ = apply(text)
    assert out == "FROM alpine\n\n# first\n# second\nRUN echo a && \\\n    echo b\n"


def test_trailing_semicolon_dropped_only_where_something_follows() -> None:
    out, _ = apply("FROM alpine\nRUN echo a;\nRUN echo b;\n")
    assert out == "FROM alpine\nRUN echo a && \\\n    echo b;\n"


def test_keeps_flags_as_written_and_file_indent() -> None:
    text = "FROM alpine\nRUN --network=none \\\n  echo a\nRUN --network=none echo b\n"
    out, _ = apply(text)
    assert out == "FROM alpine\nRUN --network=none \\\n  echo a && \\\n  echo b\n"


def test_lowercase_keyword_kept() -> None:
    out, _ = apply("from alpine\nrun echo a\nrun echo b\n")
    assert out == "from alpine\nrun echo a && \\\n    echo b\n"


def test_merges_last_instruction_without_newline() -> None:
    out, _ = apply("FROM alpine\nRUN echo a\nRUN echo b")
    assert out == "FROM alpine\nRUN echo a && \\\n    echo b"


def test_state_changing_run_can_end_a_merge() -> None:
    out, ctx = apply("FROM alpine\nRUN mkdir /x\nRUN cd /x && touch y\nRUN touch z\n")
    assert out == "FROM alpine\nRUN mkdir /x && \\\n    cd /x && touch y\nRUN touch z\n"
    assert [s.message for s in ctx.skips] == [
        "RUN at line 3 runs `cd /x`; merging would change the directory later commands run in"
    ]


def test_builder_stage_left_apart_but_lone_update_merged() -> None:
    text = (
        "FROM python:3.12 AS builder\nRUN python -m venv /v\nRUN /v/bin/pip install x\n"
        "RUN apt-get update\nRUN apt-get install -y gcc\n"
        "FROM python:3.12-slim\nCOPY --from=builder /v /v\n"
    )
    out, ctx = apply(text)
    assert "RUN python -m venv /v\nRUN /v/bin/pip install x\n" in out
    assert "RUN apt-get update && \\\n    apt-get install -y gcc\n" in out
    assert [c.message for c in ctx.changes] == ["merged RUN at lines 4 and 5 into one layer"]


# -- skips -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        ("RUN <<EOT\necho b\nEOT\n", "RUN at line 3 uses a heredoc; dockopt does not merge heredoc RUNs"),
        ('RUN ["echo", "b"]\n', "RUN at line 3 is in exec (JSON) form, which cannot be joined with `&&`"),
        ("RUN if true; then echo b; fi\n", "RUN at line 3 is a compound shell command"),
        ("RUN echo b # note\n", "RUN at line 3 ends with a shell comment"),
        ("RUN sleep 5 &\n", "RUN at line 3 runs a command in the background (`&`)"),
        ("RUN --network=none echo b\n", "RUN at line 3 has different flags from the RUN before it"),
        ("RUN echo b; echo c\n", "RUN at line 3 joins commands with `;`"),
        (
            "RUN --mount=type=tmpfs,target=/tmp echo b\n",
            "RUN at line 3 mounts a tmpfs at /tmp, which each RUN gets fresh",
        ),
        ("RUN echo b || echo c\n", "RUN at line 3 joins commands with `||`"),
        ("RUN echo b\\\\\n", "RUN at line 3 ends with a backslash"),
    ],
)
def test_skip_reasons(second: str, reason: str) -> None:
    text = "FROM alpine\nRUN echo a\n" + second
    out, ctx = apply(text)
    assert out == text
    assert len(ctx.skips) == 1
    assert ctx.skips[0].line == 3
    assert ctx.skips[0].message.startswith(reason)


@pytest.mark.parametrize(
    ("first", "effect"),
    [
        ("cd /tmp", "runs `cd /tmp`; merging would change the directory later commands run in"),
        ("export A=1", "runs `export A=1`; merging would change the environment of later commands"),
        (". /venv/bin/activate", "runs `. /venv/bin/activate`; merging would change the environment"),
        ("set -o pipefail", "runs `set -o pipefail`; merging would change the shell options"),
        ("umask 077", "runs `umask 077`; merging would change the permissions"),
        ("A=1", "runs `A=1`; merging would change the shell state"),
        ("exit 0", "runs `exit 0`; merging would change whether later commands run at all"),
    ],
)
def test_shell_state_is_never_leaked(first: str, effect: str) -> None:
    text = f"FROM alpine\nRUN {first}\nRUN echo b\n"
    out, ctx = apply(text)
    assert out == text
    assert ctx.skips[0].message.startswith(f"RUN at line 2 {effect}")


def test_windows_and_non_posix_shell_are_skipped_once() -> None:
    text = "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nRUN echo a\nRUN echo b\nRUN echo c\n"
    assert skips(text) == [
        (1, "the stage at line 1 is based on a Windows image, whose RUN does not run sh; RUNs not merged")
    ]
    text = 'FROM alpine\nSHELL ["/bin/zsh", "-c"]\nRUN echo a\nRUN echo b\n'
    assert skips(text) == [
        (
            2,
            "SHELL at line 2 runs RUN commands with `zsh`; dockopt only edits RUN text for sh, bash, dash and ash; RUNs not merged",
        )
    ]


def test_shell_inherited_from_parent_stage() -> None:
    text = 'FROM alpine AS base\nSHELL ["cmd", "/S", "/C"]\nFROM base\nRUN echo a\nRUN echo b\n'
    out, ctx = apply(text)
    assert out == text and ctx.skips[0].line == 2


def test_scratch_mounts_are_not_shared() -> None:
    for flag in ("--mount=type=tmpfs,target=/tmp", "--mount=target=/src,rw", "--mount=type=bind,target=/s,readwrite"):
        text = f"FROM alpine\nRUN {flag} echo a\nRUN {flag} echo b\n"
        out, ctx = apply(text)
        assert out == text and ctx.skips
    text = "FROM alpine\nRUN --mount=type=bind,target=/s echo a\nRUN --mount=type=bind,target=/s echo b\n"
    assert apply(text)[0] != text


def test_platform_windows() -> None:
    text = "FROM --platform=windows/amd64 example/img\nRUN echo a\nRUN echo b\n"
    assert apply(text)[0] == text


def test_windows_image_dockopt_does_not_know_by_name() -> None:
    # A Windows image from a private or community repository (`example/choco`) has no marker in
    # its name; what gives it away is a drive-letter path in the stage. Its RUNs run cmd.exe (or
    # PowerShell), where a program an earlier RUN installed is often not on PATH until a new
    # process starts: `choco install git` and `git clone` merged fail.
    windowsish = (
        "FROM example/choco\nWORKDIR C:\\src\nRUN choco install -y git\nRUN git --version\n",
        "# escape=`\nFROM example/choco\nRUN choco install -y git\nRUN git --version\nENV HOME c:/home\n",
        'FROM example/choco\nENV A=1 HOME="D:\\home"\nRUN choco install -y git\nRUN git --version\n',
    )
    for text in windowsish:
        out, ctx = apply(text)
        assert out == text, text
        assert len(ctx.skips) == 1 and "looks like a Windows one" in ctx.skips[0].message, ctx.skips
    # negative controls: Linux paths that merely hold a colon or a letter, and the backtick escape
    # directive alone (style, as the metamorphic tests require), are still merged
    for text in (
        "FROM example/img\nWORKDIR /srv/c:/x\nENV PATH=/opt/bin:$PATH\nRUN echo a\nRUN echo b\n",
        "# escape=`\nFROM example/img\nRUN echo a\nRUN echo b\n",
    ):
        assert apply(text)[0] != text, text


def test_suppression_on_either_run() -> None:
    for text in (
        "FROM alpine\n# dockopt: ignore=run-merge\nRUN echo a\nRUN echo b\n",
        "FROM alpine\nRUN echo a\n# dockopt: ignore=DO005\nRUN echo b\n",
        "FROM alpine\nRUN echo a\n# dockopt: ignore=all\nRUN echo b\n",
    ):
        out, ctx = apply(text)
        assert out == text and not ctx.skips


def test_onbuild_runs_are_not_merged() -> None:
    text = "FROM alpine\nONBUILD RUN echo a\nONBUILD RUN echo b\n"
    out, ctx = apply(text)
    assert out == text and not ctx.skips


def test_heredoc_body_never_touched_and_not_swallowed() -> None:
    text = "FROM alpine\nRUN echo a\nRUN echo b\nRUN <<EOT\necho c\nEOT\nRUN echo d\n"
    out, _ = apply(text)
    assert out == "FROM alpine\nRUN echo a && \\\n    echo b\nRUN <<EOT\necho c\nEOT\nRUN echo d\n"


def test_crlf_and_backtick_escape() -> None:
    out, _ = apply("# escape=`\r\nFROM alpine\r\nRUN echo a `\r\n  b\r\nRUN echo c\r\n")
    assert out == "# escape=`\r\nFROM alpine\r\nRUN echo a `\r\n  b && `\r\n  echo c\r\n"


# -- the shell reasoning, checked against a real shell ------------------------------------

ATOMS = ["true", "false", "echo x", "echo y | cat", "false | cat", "true || false"]


def _runs() -> list[str]:
    """RUN texts built from atoms with every operator the pass may meet."""
    out = list(ATOMS)
    for a, b in itertools.product(["true", "false"], ["false", "echo b"]):
        # Pipes only into readers (`echo a | true` races with SIGPIPE under pipefail).
        out += [f"{a} && {b}", f"{a} || {b}", f"{a}; {b}", f"true | {b}", f"{a}; {b};"]
    return out


@functools.cache
def _run(shell: tuple[str, ...], text: str) -> tuple[int, str]:
    proc = subprocess.run([*shell, text], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout


def _sequential(shell: tuple[str, ...], runs: list[str]) -> tuple[bool, str]:
    """What a build of separate RUNs does: stop at the first failing one."""
    output = ""
    for text in runs:
        code, out = _run(shell, text)
        output += out
        if code != 0:
            return False, output
    return True, output


@pytest.mark.parametrize("shell", [("/bin/sh", "-c"), ("/bin/bash", "-e", "-o", "pipefail", "-c")])
def test_merged_run_behaves_like_separate_runs(shell: tuple[str, ...]) -> None:
    if not shutil.which(shell[0]):
        pytest.skip(f"{shell[0]} not installed")
    checked = 0
    for a, b in itertools.product(_runs(), repeat=2):
        text = f"FROM alpine\nRUN {a}\nRUN {b}\n"
        doc = parse(text)
        new = RULE.apply(doc, Context())
        if new is doc:
            # Only RUNs with `;`/`||` after `&&` are refused here.
            assert any(op in ("||", ";") for op in parse_command(b).operators)
            continue
        (merged,) = [x for x in new.instructions if x.keyword == "RUN"]
        assert _sequential(shell, [merged.args]) == _sequential(shell, [a, b]), (a, b, merged.args)
        checked += 1
    assert checked > 300
