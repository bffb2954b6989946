"""DO006 run-cleanup: what it adds, where, and every reason it declines."""

from __future__ import annotations

import pytest

import dockopt
from dockopt.passes import run_cleanup
from dockopt.passes.base import Context
from dockopt.syntax import parse
from tests.passes.harness import check_invariants

RULE = run_cleanup.RULE


def apply(text: str) -> tuple[str, Context]:
    doc = parse(text)
    ctx = Context()
    new = RULE.apply(doc, ctx)
    if new.to_source() == text:
        assert new is doc, "a pass that changes nothing returns the same tree"
    return new.to_source(), ctx


def run_line(text: str) -> str:
    """The rewritten text of a one-RUN file, without its FROM line."""
    out, _ = apply("FROM debian:12\n" + text + "\n")
    return out.removeprefix("FROM debian:12\n").removesuffix("\n")


# -- documentation ---------------------------------------------------------------


def test_documented_example_is_real_output() -> None:
    result = dockopt.rewrite(RULE.before, select=[RULE.name])
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, select=[RULE.name])


def test_metadata() -> None:
    assert (RULE.id, RULE.name, RULE.safety) == ("DO006", "run-cleanup", "safe")
    assert "TODO" not in RULE.why and RULE.notes


# -- (b) pip, (e) uv ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("RUN pip install x", "RUN pip install --no-cache-dir x"),
        ("RUN pip3 install -r r.txt", "RUN pip3 install --no-cache-dir -r r.txt"),
        ("RUN python3 -m pip install -U pip", "RUN python3 -m pip install --no-cache-dir -U pip"),
        ("RUN /opt/venv/bin/pip install .", "RUN /opt/venv/bin/pip install --no-cache-dir ."),
        (
            "RUN pip --disable-pip-version-check install x",
            "RUN pip --disable-pip-version-check install --no-cache-dir x",
        ),
        ("RUN sudo -H pip install x", "RUN sudo -H pip install --no-cache-dir x"),
        ('RUN pip "install" x', 'RUN pip "install" --no-cache-dir x'),
        ("RUN pip install \\\n    x", "RUN pip install --no-cache-dir \\\n    x"),
        ("RUN uv pip install --system x", "RUN uv pip install --no-cache --system x"),
        ("RUN apk add curl", "RUN apk add --no-cache curl"),
        ("RUN apk update && apk add curl", "RUN apk update && apk add --no-cache curl"),
    ],
)
def test_flag_inserted_after_the_verb(before: str, after: str) -> None:
    assert run_line(before) == after
    assert run_line(after) == after  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "RUN pip install --no-cache-dir x",
        "RUN pip install --no-cache x",  # pip accepts unambiguous abbreviations
        "RUN pip install --cache-dir /c x",
        "RUN PIP_NO_CACHE_DIR=1 pip install x",
        "RUN --mount=type=cache,target=/root/.cache/pip pip install x",
        "RUN --mount=type=cache,target=/root/.cache pip install x",
        "RUN --mount=type=cache,dst=/home/app/.cache/pip pip install x",
        "RUN --mount=type=cache,target=/pipcache PIP_CACHE_DIR=/pipcache pip install x",
        "RUN --mount=type=cache,target=/root/.cache/uv uv pip install x",
        "RUN pip download x",
        "RUN pip uninstall -y x",
        "RUN pip wheel -w /w x",
        "RUN uv pip install -n x",
        "RUN uv pip install --no-cache-dir x",  # uv's alias of --no-cache; both together is an error
        "RUN uv sync --locked",
        "RUN poetry install --no-root",
        "RUN pipenv install --system --deploy",
        "RUN apk --no-cache add x",
        "RUN apk add x && rm -rf /var/cache/apk/*",
        "RUN --mount=type=cache,target=/var/cache/apk apk add x",
        "RUN apk update",
        "RUN yum install -y x && yum clean all",
        "RUN dnf install -y x && rm -rf /var/cache/dnf",
        "RUN --mount=type=cache,target=/var/cache/dnf dnf install -y x",
    ],
)
def test_left_alone(text: str) -> None:
    out, ctx = apply("FROM debian:12\n" + text + "\n")
    assert out == "FROM debian:12\n" + text + "\n"
    assert not ctx.changes and not ctx.skips


def test_pip_no_cache_dir_env_in_stage_or_parent() -> None:
    for text in (
        "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x\n",
        "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR 1\nFROM base\nRUN pip install x\n",
        "FROM python:3.12\nARG PIP_NO_CACHE_DIR=1\nRUN pip install x\n",
        "FROM python:3.12\nENV PIP_CACHE_DIR=/c\nRUN --mount=type=cache,target=/c pip install x\n",
    ):
        assert apply(text)[0] == text


def test_change_messages() -> None:
    _, ctx = apply("FROM python:3.12\nRUN pip install x && python -m pip install y\n")
    assert [c.message for c in ctx.changes] == [
        "added --no-cache-dir to `pip install` in RUN at line 2",
        "added --no-cache-dir to `python -m pip install` in RUN at line 2",
    ]


# -- (a) apt lists ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "RUN apt-get update && apt-get install -y curl",
            "RUN apt-get update && apt-get install -y curl && \\\n    rm -rf /var/lib/apt/lists/*",
        ),
        (
            "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y install curl",
            "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y install curl && \\\n"
            "    rm -rf /var/lib/apt/lists/*",
        ),
        (
            "RUN set -eux; apt-get update; apt-get install -y --yes -q x;",
            "RUN set -eux; apt-get update; apt-get install -y --yes -q x && \\\n    rm -rf /var/lib/apt/lists/*",
        ),
        (
            "RUN sudo apt-get update && sudo apt-get install -y x",
            "RUN sudo apt-get update && sudo apt-get install -y x && \\\n    sudo rm -rf /var/lib/apt/lists/*",
        ),
        (
            "RUN apt-get update && apt-get install -y x || true",
            "RUN apt-get update && apt-get install -y x || true && \\\n    rm -rf /var/lib/apt/lists/*",
        ),
        (  # an update after the removal downloads the lists again
            "RUN apt-get update && rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x",
            "RUN apt-get update && rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x && \\\n"
            "    rm -rf /var/lib/apt/lists/*",
        ),
        (  # an install after the removal is the file's own problem; the removal still goes last
            "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* && apt-get install -y z",
            "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* && apt-get install -y z && \\\n"
            "    rm -rf /var/lib/apt/lists/*",
        ),
        (
            "RUN apt update && apt install -y x && echo done",
            "RUN apt update && apt install -y x && echo done && \\\n    rm -rf /var/lib/apt/lists/*",
        ),
    ],
)
def test_apt_lists_removed(before: str, after: str) -> None:
    assert run_line(before) == after
    assert run_line(after) == after


@pytest.mark.parametrize(
    "text",
    [
        "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*",
        "RUN apt-get update && apt-get install -y x && apt-get clean && rm -rf /var/lib/apt/lists/*",
        "RUN apt-get update && apt-get install -y x && rm -r /var/lib/apt/lists",
        "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* /tmp/*",
        "RUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y x",
        "RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y x",
        "RUN apt-get install -y x",  # no update in the stage: no lists of ours
        "RUN apt-get update",  # nothing installed here; the lists are for later
        "RUN apt-get update && apt-get purge -y x",
        # removed already; what follows the removal (clean, list, autoremove) downloads no lists
        "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* && apt-get clean",
        "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* && apt list --installed",
        "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*; apt-get autoremove -y",
    ],
)
def test_apt_left_alone(text: str) -> None:
    out, ctx = apply("FROM debian:12\n" + text + "\n")
    assert out == "FROM debian:12\n" + text + "\n"
    assert not ctx.changes and not ctx.skips


def test_update_in_earlier_run_counts() -> None:
    out, _ = apply("FROM debian:12\nRUN apt-get update\nRUN apt-get install -y x\n")
    assert (
        out == "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y x && \\\n    rm -rf /var/lib/apt/lists/*\n"
    )


def test_later_install_without_update_blocks_removal() -> None:
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN echo hi\nRUN apt-get install -y b\n"
    out, ctx = apply(text)
    assert out == (
        "FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN echo hi\n"
        "RUN apt-get install -y b && \\\n    rm -rf /var/lib/apt/lists/*\n"
    )
    assert [(s.line, s.message) for s in ctx.skips] == [
        (
            2,
            "not removing /var/lib/apt/lists in RUN at line 2: the RUN at line 4 still runs "
            "apt-get install without its own apt-get update",
        )
    ]


def test_later_install_with_own_update_does_not_block() -> None:
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN apt-get update && apt-get install -y b\n"
    out, _ = apply(text)
    assert out.count("rm -rf /var/lib/apt/lists/*") == 2


def test_child_stage_and_onbuild_block_removal() -> None:
    child = "FROM debian:12 AS base\nRUN apt-get update && apt-get install -y a\nFROM base\nRUN apt-get install -y b\n"
    out, ctx = apply(child)
    assert "rm -rf" not in out
    assert ctx.skips[0].message.endswith("the RUN at line 4 still runs apt-get install without its own apt-get update")
    onbuild = "FROM debian:12\nRUN apt-get update && apt-get install -y a\nONBUILD RUN apt-get install -y b\n"
    out, ctx = apply(onbuild)
    assert out == onbuild
    assert "an ONBUILD trigger at line 3" in ctx.skips[0].message
    unrelated = (
        "FROM debian:12 AS base\nRUN apt-get update && apt-get install -y a\nFROM debian:12\nRUN apt-get install -y b\n"
    )
    assert apply(unrelated)[0].count("rm -rf") == 1


def test_later_heredoc_or_exec_install_blocks_removal() -> None:
    for later in ('RUN ["apt-get", "install", "-y", "b"]', "RUN <<EOT\napt-get update\napt-get install -y b\nEOT"):
        text = f"FROM debian:12\nRUN apt-get update && apt-get install -y a\n{later}\n"
        out, ctx = apply(text)
        assert out == text
        assert any("not removing /var/lib/apt/lists in RUN at line 2" in s.message for s in ctx.skips)


def test_later_cache_mounted_install_does_not_block() -> None:
    text = (
        "FROM debian:12\nRUN apt-get update && apt-get install -y a\n"
        "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get install -y b\n"
    )
    assert apply(text)[0].count("rm -rf") == 1


# -- (d) yum/dnf -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("RUN yum install -y x", "RUN yum install -y x && \\\n    yum clean all"),
        ("RUN dnf -y install x;", "RUN dnf -y install x && \\\n    dnf clean all"),
        ("RUN microdnf install x", "RUN microdnf install x && \\\n    microdnf clean all"),
        ("RUN sudo yum install -y x", "RUN sudo yum install -y x && \\\n    sudo yum clean all"),
    ],
)
def test_yum_clean_all(before: str, after: str) -> None:
    assert run_line(before) == after
    assert run_line(after) == after


# -- complex text, heredocs, shells ---------------------------------------------------------


def test_compound_text_gets_flags_but_no_appended_command() -> None:
    text = 'FROM debian:12\nRUN if [ -n "$X" ]; then apt-get update && apt-get install -y x && pip install y; fi\n'
    out, ctx = apply(text)
    assert out == text.replace("pip install y", "pip install --no-cache-dir y")
    assert [s.message for s in ctx.skips] == [
        "RUN at line 2 is a compound shell command (if/for/case, subshell or similar); dockopt cannot tell "
        "where a cleanup command would run; not adding `rm -rf /var/lib/apt/lists/*`"
    ]


def test_ambiguous_command_skipped() -> None:
    text = "FROM python:3.12\nRUN pip install $(cat a; cat b)\n"
    out, ctx = apply(text)
    assert out == text
    assert ctx.skips[0].message == (
        "RUN at line 2 runs `pip install` inside shell text dockopt cannot read unambiguously; add --no-cache-dir by hand"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("RUN apt-get update && apt-get install -y x # tools", "ends with a shell comment"),
        ("RUN apt-get update && apt-get install -y x &", "runs a command in the background"),
    ],
)
def test_nothing_appended_after_comment_or_background(text: str, reason: str) -> None:
    out, ctx = apply("FROM debian:12\n" + text + "\n")
    assert out == "FROM debian:12\n" + text + "\n"
    assert reason in ctx.skips[0].message


def test_heredoc_never_edited() -> None:
    text = "FROM python:3.12\nRUN <<EOT\npip install x\nEOT\nRUN <<EOT python3\nprint('hi')\nEOT\n"
    out, ctx = apply(text)
    assert out == text
    assert [(s.line, s.message) for s in ctx.skips] == [
        (
            2,
            "RUN at line 2 runs its commands from a heredoc, whose body dockopt never edits; "
            "add the package-manager cleanup by hand",
        )
    ]


def test_exec_form_skipped() -> None:
    text = 'FROM python:3.12\nRUN ["pip", "install", "x"]\n'
    out, ctx = apply(text)
    assert out == text
    assert ctx.skips[0].message == "RUN at line 2 is in exec (JSON) form; add the package-manager cleanup by hand"


def test_non_posix_shell_and_windows() -> None:
    text = 'FROM python:3.12\nSHELL ["powershell", "-Command"]\nRUN pip install x\n'
    out, ctx = apply(text)
    assert out == text and ctx.skips[0].line == 2
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN pip install x\n"
    assert apply(text)[0] == text


def test_suppression() -> None:
    text = "FROM python:3.12\n# dockopt: ignore=DO006\nRUN pip install x\n"
    out, ctx = apply(text)
    assert out == text and not ctx.skips


def test_crlf_and_backtick() -> None:
    out, _ = apply("# escape=`\r\nFROM debian:12\r\nRUN apt-get update && `\r\n  apt-get install -y x\r\n")
    assert out == (
        "# escape=`\r\nFROM debian:12\r\nRUN apt-get update && `\r\n  apt-get install -y x && `\r\n"
        "  rm -rf /var/lib/apt/lists/*\r\n"
    )


def test_inner_comment_lines_kept() -> None:
    text = "FROM debian:12\nRUN apt-get update && \\\n    # the client\n    apt-get install -y curl\n"
    out, _ = apply(text)
    assert out == (
        "FROM debian:12\nRUN apt-get update && \\\n    # the client\n    apt-get install -y curl && \\\n"
        "    rm -rf /var/lib/apt/lists/*\n"
    )
