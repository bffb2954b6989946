"""DO008 cache-mounts: where the mounts go, what run-cleanup does then, and every reason it declines."""

from __future__ import annotations

import pytest
from hypothesis import given

import dockopt
from dockopt.passes import cache_mounts, run_cleanup
from dockopt.syntax import parse
from tests.passes.harness import check_invariants
from tests.passes.test_properties import FUZZ, _check, dockerfiles, naive_python_dockerfiles

RULE = cache_mounts.RULE
ON = {"select": ["cache-mounts", "run-cleanup"], "cache_mounts": True}
PIP = "--mount=type=cache,target=/root/.cache/pip"


def rewrite(text: str, **options: object) -> dockopt.RewriteResult:
    return dockopt.rewrite(text, **{**ON, **options})  # type: ignore[arg-type]


# -- documentation ---------------------------------------------------------------------------------


def test_documented_example_is_real_output() -> None:
    result = dockopt.rewrite(RULE.before, select=[RULE.name], cache_mounts=True)
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, result=result, select=[RULE.name], cache_mounts=True)


def test_metadata() -> None:
    assert (RULE.id, RULE.name, RULE.safety, RULE.kind) == ("DO008", "cache-mounts", "safe", "tree")
    assert "--cache-mounts" in RULE.option and "cache_mounts" in RULE.option
    assert "# syntax=" in RULE.notes and "offline" in RULE.notes
    assert "Off by default" in RULE.explain()


def test_never_adds_a_syntax_line() -> None:
    result = rewrite(RULE.before, select=["ALL"])
    assert result.changed and "syntax" not in result.text
    assert not parse(result.text).parsed_directives


# -- the option ---------------------------------------------------------------------------------------


def test_off_by_default_and_run_cleanup_works_as_before() -> None:
    text = "FROM python:3.12\nRUN pip install flask\n"
    assert dockopt.rewrite(text, select=["cache-mounts"]).text == text
    off = dockopt.rewrite(text, select=["cache-mounts", "run-cleanup"])
    assert off.text == "FROM python:3.12\nRUN pip install --no-cache-dir flask\n"
    assert not [s for s in off.skips if s.rule == "DO008"]


def test_with_the_option_run_cleanup_adds_no_cache_flags_where_the_cache_is_mounted() -> None:
    text = "FROM python:3.12\nRUN pip install flask\nRUN uv pip install --system rich\n"
    result = rewrite(text)
    assert "--no-cache" not in result.text
    assert result.text.count("--mount=type=cache") == 2
    assert {c.rule for c in result.changes} == {"DO008"}


def test_run_cleanup_still_cleans_what_gets_no_mount() -> None:
    text = "FROM python:3.12\nUSER app\nRUN pip install flask\n"
    result = rewrite(text)
    assert result.text == "FROM python:3.12\nUSER app\nRUN pip install --no-cache-dir flask\n"


def test_removing_the_option_later_changes_nothing() -> None:
    once = rewrite(RULE.before, select=["ALL"]).text
    assert dockopt.rewrite(once).text == once
    assert rewrite(once, select=["ALL"]).text == once


# -- pip and uv ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "target"),
    [
        ("pip install flask", "/root/.cache/pip"),
        ("pip3 install -r requirements.txt", "/root/.cache/pip"),
        ("/opt/venv/bin/pip install .", "/root/.cache/pip"),
        ("python3 -m pip wheel -w /w flask", "/root/.cache/pip"),
        ("pip download -d /d flask", "/root/.cache/pip"),
        ("uv pip install --system flask", "/root/.cache/uv"),
        ("uv sync --locked", "/root/.cache/uv"),
        ("uv tool install ruff", "/root/.cache/uv"),
    ],
)
def test_mount_target_per_tool(run: str, target: str) -> None:
    result = rewrite(f"FROM python:3.12\nRUN {run}\n", select=["cache-mounts"])
    assert result.text == f"FROM python:3.12\nRUN --mount=type=cache,target={target} \\\n    {run}\n"


def test_pip_and_uv_in_one_run_get_both_mounts() -> None:
    result = rewrite("FROM python:3.12\nRUN pip install uv && uv pip install --system flask\n")
    assert result.text == (
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip \\\n"
        "    --mount=type=cache,target=/root/.cache/uv \\\n"
        "    pip install uv && uv pip install --system flask\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "FROM python:3.12\nRUN pip uninstall -y flask\n",
        "FROM python:3.12\nRUN pip freeze\n",
        "FROM python:3.12\nRUN poetry install\n",
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n",
        "FROM python:3.12\nRUN --mount=type=cache,target=/root pip install flask\n",
    ],
)
def test_left_alone_without_a_word(text: str) -> None:
    result = rewrite(text, select=["cache-mounts"])
    assert result.text == text and not result.skips


def test_existing_no_cache_dir_is_kept_and_reported() -> None:
    text = "FROM python:3.12\nRUN pip install --no-cache-dir flask\n"
    result = rewrite(text)
    assert result.text == text
    (skip,) = result.skips
    assert skip.actionable and "--no-cache-dir" in skip.message and "left as written" in skip.message


def test_a_run_with_one_opted_out_call_still_gets_the_mount_for_the_other() -> None:
    result = rewrite("FROM python:3.12\nRUN pip install --no-cache-dir a && pip install b\n")
    assert result.text.startswith(f"FROM python:3.12\nRUN {PIP} \\\n")
    assert [s.line for s in result.skips] == [2]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("FROM python:3.12\nUSER app\nRUN pip install x\n", "USER app"),
        ("FROM python:3.12 AS a\nUSER 1000\nFROM a\nRUN pip install x\n", "USER 1000"),
        ("FROM python:3.12\nUSER ${U}\nRUN pip install x\n", "USER ${U}"),
        ("FROM company/py\nRUN pip install x\n", "company/py"),
        ("FROM $BASE\nRUN pip install x\n", "may set its own USER"),
        ("FROM python:3.12\nENV PIP_CACHE_DIR=/c\nRUN pip install x\n", "PIP_CACHE_DIR"),
        ("FROM python:3.12\nENV HOME=/home/x\nRUN pip install x\n", "HOME"),
        ("FROM python:3.12\nARG XDG_CACHE_HOME\nRUN pip install x\n", "XDG_CACHE_HOME"),
        ("FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install x\n", "PIP_NO_CACHE_DIR"),
        ("FROM python:3.12\nRUN env PIP_CONFIG_FILE=/p pip install x\n", "PIP_CONFIG_FILE"),
        ("FROM python:3.12\nENV UV_NO_CACHE=1\nRUN uv pip install --system x\n", "UV_NO_CACHE"),
        ("FROM python:3.12\nCOPY pip.conf /etc/\nRUN pip install x\n", "pip.conf"),
        ("FROM python:3.12\nCOPY conf/uv.toml /etc/uv/uv.toml\nRUN uv sync\n", "uv.toml"),
        ("FROM python:3.12\nRUN sudo -H pip install x\n", "`sudo`"),
        ("FROM python:3.12\nRUN sudo -u app pip install x\n", "`sudo`"),
    ],
)
def test_declines_when_the_cache_may_be_elsewhere(text: str, reason: str) -> None:
    result = rewrite(text, select=["cache-mounts"])
    assert result.text == text
    (skip,) = result.skips
    assert reason in skip.message and not skip.actionable, skip.message


def test_uv_cache_dir_in_the_project_config(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.uv]\ncache-dir = "/uvcache"\n')
    text = "FROM python:3.12\nCOPY . .\nRUN uv sync\nRUN pip install x\n"
    result = rewrite(text, select=["cache-mounts"], context_dir=root)
    assert "target=/root/.cache/uv" not in result.text and PIP in result.text
    assert any("cache-dir" in s.message for s in result.skips)


def test_heredoc_asks_for_the_mount_by_hand() -> None:
    text = "FROM python:3.12\nRUN <<EOF\npip install x\nEOF\n"
    result = rewrite(text, select=["cache-mounts"])
    assert result.text == text
    (skip,) = result.skips
    assert skip.actionable and PIP in skip.message


def test_windows_or_odd_shell_is_declined() -> None:
    text = 'FROM python:3.12\nSHELL ["pwsh", "-c"]\nRUN pip install x\n'
    result = rewrite(text, select=["cache-mounts"])
    assert result.text == text and "no cache mounts added" in result.skips[0].message


def test_inline_suppression() -> None:
    text = "FROM python:3.12\n# dockopt: ignore=DO008\nRUN pip install x\n"
    assert rewrite(text, select=["cache-mounts"]).text == text


def test_existing_flags_stay_and_the_mount_follows_them() -> None:
    text = "FROM python:3.12\nRUN --network=host pip install x\n"
    result = rewrite(text, select=["cache-mounts"])
    assert result.text == f"FROM python:3.12\nRUN --network=host {PIP} \\\n    pip install x\n"
    assert [f.raw for f in parse(result.text).instructions[1].flags] == ["--network=host", PIP]


# -- apt ---------------------------------------------------------------------------------------------------

BUILDER = "FROM python:3.12 AS builder\n{body}\nFROM python:3.12-slim\nCOPY --from=builder /opt/venv /opt/venv\n"


def test_apt_in_a_builder_gets_the_keep_cache_step_once() -> None:
    body = "RUN apt-get update && apt-get install -y gcc\nRUN apt-get update && apt-get install -y make\n"
    result = rewrite(BUILDER.format(body=body), select=["cache-mounts"])
    assert result.text.count("rm -f /etc/apt/apt.conf.d/docker-clean") == 1
    assert result.text.count("--mount=type=cache,target=/var/cache/apt,sharing=locked") == 2
    assert result.text.count("--mount=type=cache,target=/var/lib/apt/lists,sharing=locked") == 2
    keep = result.text.index("rm -f /etc/apt")
    assert keep < result.text.index("apt-get update")


def test_apt_keeps_extended_states_in_the_image() -> None:
    """Only the lists are mounted, never all of /var/lib/apt (auto-installed marks stay in the image)."""
    result = rewrite(BUILDER.format(body="RUN apt-get update && apt-get install -y gcc\n"), select=["cache-mounts"])
    targets = [f.value for ins in parse(result.text).instructions for f in ins.flags if f.name == "mount"]
    assert targets and all("target=/var/lib/apt," not in (t or "") for t in targets)


def test_apt_in_the_final_stage_is_left_alone() -> None:
    text = "FROM python:3.12\nRUN apt-get update && apt-get install -y curl\n"
    result = rewrite(text, select=["cache-mounts"])
    assert result.text == text
    (skip,) = result.skips
    assert "final" in skip.message and not skip.actionable


def test_run_cleanup_does_not_remove_mounted_lists() -> None:
    result = rewrite(BUILDER.format(body="RUN apt-get update && apt-get install -y gcc\n"))
    assert "rm -rf /var/lib/apt/lists" not in result.text


def test_apt_and_pip_in_one_run() -> None:
    body = "RUN apt-get update && apt-get install -y gcc && pip install psycopg2\n"
    result = rewrite(BUILDER.format(body=body), select=["cache-mounts"])
    flags = [f.raw for f in parse(result.text).instructions[2].flags]
    assert flags == [PIP, *cache_mounts.apt_flags()]


def test_keep_cache_step_takes_the_blank_lines_and_leaves_the_comment() -> None:
    body = "\n\n# compilers\nRUN apt-get update && apt-get install -y gcc\n"
    result = rewrite(BUILDER.format(body=body), select=["cache-mounts"])
    assert result.text.startswith(
        "FROM python:3.12 AS builder\n\n\n# keep downloaded packages in the apt cache mounts below "
    )
    assert "keep-cache\n# compilers\nRUN --mount=type=cache,target=/var/cache/apt" in result.text


# -- invariants over generated files --------------------------------------------------------------------


@FUZZ
@given(naive_python_dockerfiles())
def test_naive_service_files_with_cache_mounts(text: str) -> None:
    _check(text, cache_mounts=True)


@FUZZ
@given(dockerfiles())
def test_odd_syntax_with_cache_mounts(text: str) -> None:
    _check(text, cache_mounts=True)


def test_run_cleanup_rule_page_still_true() -> None:
    assert "cache" in run_cleanup.RULE.notes
