"""DO003 path-env: which COPYs bring an environment, where ENV PATH goes, and why it declines."""

from __future__ import annotations

import pytest

import dockopt
from dockopt.passes.path_env import RULE, copied_env_dir, plan_path
from tests.passes.harness import check_invariants


def run(text: str) -> dockopt.pipeline.RewriteResult:
    return dockopt.rewrite(text, select=["path-env"])


def body(text: str, stage: int = -1) -> tuple[dockopt.syntax.Instruction, ...]:
    return dockopt.parse(text).stages[stage].instructions


def test_rule_example_is_the_real_output() -> None:
    assert run(RULE.before).text == RULE.after
    check_invariants(RULE.before, RULE.after, select=["path-env"])
    assert "DO003 path-env" in RULE.explain()


@pytest.mark.parametrize(
    ("copy", "workdir", "expected"),
    [
        ("COPY --from=builder /opt/venv /opt/venv", "/", "/opt/venv"),
        ("COPY --from=builder /opt/venv/ /opt/venv/", "/", "/opt/venv"),
        ("COPY --from=builder /venv /venv", "/", "/venv"),
        ("COPY --from=builder /app/.venv .venv", "/app", "/app/.venv"),
        ("COPY --from=builder /app/.venv ./.venv/", "/app", "/app/.venv"),
        ("COPY --from=builder /srv/app-venv /srv/app-venv", "/", "/srv/app-venv"),
        ("COPY --from=builder /root/.local /root/.local", "/", "/root/.local"),
        ("COPY --from=builder /home/app/.local /home/app/.local", "/", "/home/app/.local"),
        ("COPY --from=builder --chown=app /opt/venv /opt/venv", "/", "/opt/venv"),
        ("COPY --from=builder /install /usr/local", "/", None),
        ("COPY --from=builder /opt/venv/lib /opt/venv/lib", "/", None),
        ("COPY /opt/venv /opt/venv", "/", None),
        ("COPY --from=builder /a /b /opt/venv/", "/", None),
        ("COPY --from=builder $VENV $VENV", "/", None),
        ("COPY --from=builder /app/.venv .venv", None, None),
        ("ADD venv.tar /opt/venv", "/", None),
    ],
)
def test_copied_env_dir(copy: str, workdir: str | None, expected: str | None) -> None:
    (ins,) = body(f"FROM python:3.12-slim\n{copy}\n")
    assert copied_env_dir(ins, workdir) == expected


def test_plan_inserts_after_the_copy() -> None:
    b = body("FROM python:3.12-slim\nWORKDIR /app\nCOPY --from=b /opt/venv /opt/venv\nCMD x\n")
    plan = plan_path(b, 1, "/opt/venv/bin")
    assert (plan.present, plan.insert_at, plan.reason) == (False, 2, None)


def test_plan_sees_an_existing_entry_anywhere_in_the_stage() -> None:
    b = body('FROM python:3.12-slim\nENV PATH="/opt/venv/bin:${PATH}"\nCOPY --from=b /opt/venv /opt/venv\n')
    assert plan_path(b, 1, "/opt/venv/bin").present
    b = body("FROM python:3.12-slim\nCOPY --from=b /opt/venv /opt/venv\nENV PATH /opt/venv/bin/:$PATH\n")
    assert plan_path(b, 0, "/opt/venv/bin").present  # legacy form, trailing slash


def test_plan_resolves_variables() -> None:
    text = "FROM python:3.12-slim\nARG VENV=/opt/venv\nENV PATH=${VENV}/bin:$PATH\nCOPY --from=b /opt/venv /opt/venv\n"
    assert plan_path(body(text), 2, "/opt/venv/bin").present


def test_plan_uses_global_args_only_when_redeclared() -> None:
    doc = dockopt.parse(
        "ARG VENV=/opt/venv\nFROM python:3.12-slim\nENV PATH=$VENV/bin:$PATH\nCOPY --from=b /opt/venv /opt/venv\n"
    )
    plan = plan_path(doc.stages[0].instructions, 1, "/opt/venv/bin", (), doc.global_args)
    assert plan.reason is not None  # not redeclared: empty in the stage, as BuildKit has it
    doc = dockopt.parse(
        "ARG VENV=/opt/venv\nFROM python:3.12-slim\nARG VENV\nENV PATH=$VENV/bin:$PATH\nCOPY --from=b /opt/venv /opt/venv\n"
    )
    assert plan_path(doc.stages[0].instructions, 2, "/opt/venv/bin", (), doc.global_args).present


def test_plan_goes_above_an_earlier_path_env() -> None:
    b = body("FROM python:3.12-slim\nENV A=1\nENV PATH=/app/bin:$PATH\nCOPY --from=b /opt/venv /opt/venv\n")
    assert plan_path(b, 2, "/opt/venv/bin").insert_at == 1


def test_plan_stays_after_the_copy_when_a_later_env_sets_path() -> None:
    b = body("FROM python:3.12-slim\nENV PATH=/a:$PATH\nCOPY --from=b /opt/venv /opt/venv\nENV PATH=/b:$PATH\n")
    assert plan_path(b, 1, "/opt/venv/bin").insert_at == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("FROM python:3.12-slim\nENV PATH=/usr/bin:/bin\nCOPY --from=b /opt/venv /opt/venv\n", "fixed value"),
        ("FROM python:3.12-slim\nCOPY --from=b /opt/venv /opt/venv\nENV PATH=/usr/bin:/bin\n", "fixed value"),
        ("FROM python:3.12-slim\nENV PATH=${X:-/x}:$PATH\nCOPY --from=b /opt/venv /opt/venv\n", "can't resolve"),
        ("FROM python:3.12-slim\nENV PATH=$HOME/bin:$PATH\nCOPY --from=b /opt/venv /opt/venv\n", "can't resolve"),
        (
            'FROM python:3.12-slim\nCOPY --from=b /opt/venv /opt/venv\nENTRYPOINT ["env", "PATH=/opt/venv/bin", "app"]\n',
            "exec-form",
        ),
        (
            "FROM python:3.12-slim AS base\nENV PATH=/x/bin:$PATH\nFROM base\nCOPY --from=b /opt/venv /opt/venv\n",
            "stage this one is built from",
        ),
    ],
)
def test_skip_reasons(text: str, reason: str) -> None:
    result = run(text)
    assert result.text == text
    (skip,) = result.skips
    assert reason in skip.message
    assert skip.rule == "DO003"


def test_one_env_per_directory_and_stage() -> None:
    text = "FROM python:3.12-slim\nCOPY --from=a /opt/venv /opt/venv\nCOPY --from=b /opt/venv /opt/venv\n"
    result = run(text)
    assert result.text.count("ENV PATH=/opt/venv/bin:$PATH") == 1
    assert len(result.changes) == 1


def test_every_stage_gets_its_own_env() -> None:
    text = (
        "FROM python:3.12 AS builder\nRUN python -m venv /opt/venv\n"
        "FROM python:3.12-slim AS test\nCOPY --from=builder /opt/venv /opt/venv\nRUN pytest\n"
        "FROM python:3.12-slim\nCOPY --from=builder /opt/venv /opt/venv\nCMD app\n"
    )
    result = run(text)
    assert result.text.count("ENV PATH=/opt/venv/bin:$PATH") == 2
    assert dockopt.rewrite(result.text, select=["path-env"]).text == result.text


def test_two_directories_in_one_stage() -> None:
    text = (
        "FROM python:3.12-slim\nCOPY --from=a /opt/venv /opt/venv\nCOPY --from=a /root/.local /root/.local\nCMD app\n"
    )
    after = run(text).text
    assert "COPY --from=a /opt/venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\n" in after
    assert "COPY --from=a /root/.local /root/.local\nENV PATH=/root/.local/bin:$PATH\n" in after
    check_invariants(text, after, select=["path-env"])


def test_copy_at_end_of_file_without_newline() -> None:
    text = "FROM python:3.12-slim\nCOPY --from=b /opt/venv /opt/venv"
    after = run(text).text
    assert after == "FROM python:3.12-slim\nCOPY --from=b /opt/venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\n"


def test_lowercase_keywords() -> None:
    text = "from python:3.12-slim\ncopy --from=b /opt/venv /opt/venv\ncmd app\n"
    assert (
        run(text).text
        == "from python:3.12-slim\ncopy --from=b /opt/venv /opt/venv\nenv PATH=/opt/venv/bin:$PATH\ncmd app\n"
    )


def test_change_message_and_line() -> None:
    text = "FROM python:3.12-slim\n\nCOPY --from=b /opt/venv /opt/venv\n"
    (change,) = run(text).changes
    assert change.line == 3
    assert change.message == "added ENV PATH=/opt/venv/bin:$PATH so the executables copied into /opt/venv are found"


def test_suppression_on_the_copy_only() -> None:
    text = "FROM python:3.12-slim\n# dockopt: ignore=DO003\nCOPY --from=b /opt/venv /opt/venv\n"
    result = run(text)
    assert result.text == text and result.skips == []
