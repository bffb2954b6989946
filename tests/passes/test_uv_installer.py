"""DO012 uv-installer: opt-in, its page's example is the real output, and it reads what uv would ignore."""

from __future__ import annotations

import dockopt
from dockopt.passes.uv_installer import RULE, UV_OPTIONS
from tests.passes.harness import check_invariants


def test_rule_example_is_the_real_output() -> None:
    result = dockopt.rewrite(RULE.before, select=[RULE.name], installer="uv")
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, select=[RULE.name], installer="uv")


def test_off_unless_asked() -> None:
    assert not dockopt.rewrite(RULE.before, select=[RULE.name]).changed


def test_the_whole_pipeline_with_uv_has_no_pip_in_the_runtime_venv() -> None:
    naive = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    out = dockopt.rewrite(naive, installer="uv").text
    builder, runtime = out.split("\n\nFROM ", 1)
    assert "uv venv /opt/venv" in builder and "uv pip install" in builder
    assert "pip uninstall" not in builder  # lean-venv: uv venv puts no pip there to remove
    assert "uv" not in runtime.replace("/opt/venv", "")  # uv itself stays in the builder


def test_options_uv_lacks_are_not_in_the_allowed_list() -> None:
    """Checked against uv 0.13.9's `uv pip install`: these are rejected there ('unexpected argument')."""
    for option in ("--prefer-binary", "--no-warn-script-location", "--root-user-action", "--timeout", "--retries", "--use-pep517", "--src", "--ignore-installed", "--exists-action"):
        assert option not in UV_OPTIONS


_BUILDER = """\
FROM python:3.12 AS builder
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install -r requirements.txt
{builder_extra}
FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY . /app
{runtime_extra}CMD {cmd}
"""


def _file(builder_extra: str = "", runtime_extra: str = "", cmd: str = '["python", "/app/app.py"]') -> str:
    return _BUILDER.format(builder_extra=builder_extra, runtime_extra=runtime_extra, cmd=cmd)


def test_the_virtualenvs_pip_by_its_path_becomes_uv_pip() -> None:
    """The already-multistage app removes pip with /opt/venv/bin/python -m pip: a uv venv has no pip to run it."""
    text = _file(builder_extra="RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel\nRUN /opt/venv/bin/pip list\n")
    result = dockopt.rewrite(text, select=[RULE.name], installer="uv")
    assert "RUN uv pip list\n" in result.text
    assert "pip uninstall" not in result.text  # about pip itself: dropped, a uv venv has none
    assert "/opt/venv/bin/python -m pip" not in result.text
    check_invariants(text, result.text, select=[RULE.name], installer="uv")


def test_calls_about_pip_itself_are_dropped() -> None:
    """`uv pip install --upgrade pip` would put pip into the uv venv (12 MB shipped, found by bench/size_bench.py --uv)."""
    alone = _file(builder_extra="RUN pip install --upgrade pip setuptools wheel\n")
    out = dockopt.rewrite(alone, select=[RULE.name], installer="uv").text
    assert "upgrade" not in out
    check_invariants(alone, out, select=[RULE.name], installer="uv")
    chained = _file(builder_extra="RUN pip install -U pip && pip install -r requirements.txt\n")
    out = dockopt.rewrite(chained, select=[RULE.name], installer="uv").text
    assert "RUN uv pip install -r requirements.txt\n" in out and "-U pip" not in out
    last = _file(builder_extra="RUN pip install gunicorn; python -m pip install --upgrade 'pip>=24'\n")
    out = dockopt.rewrite(last, select=[RULE.name], installer="uv").text
    assert "RUN uv pip install gunicorn\n" in out
    # negative controls: pip among other packages is a real install; `||` would change what runs
    mixed = _file(builder_extra="RUN pip install --upgrade pip requests\n")
    assert "RUN uv pip install --upgrade pip requests\n" in dockopt.rewrite(mixed, select=[RULE.name], installer="uv").text
    guarded = _file(builder_extra="RUN pip install -U pip || true\n")
    result = dockopt.rewrite(guarded, select=[RULE.name], installer="uv")
    assert not result.changed
    assert any("upgrades pip" in s.message for s in result.skips)


def test_declines_when_nothing_calls_pip() -> None:
    """A stage that installs with `uv sync` already: a uv venv and uv's env variables would buy nothing."""
    text = _file().replace("RUN pip install -r requirements.txt", "RUN pip install uv && uv sync --locked")
    text = text.replace("RUN pip install uv && uv sync", "RUN /usr/local/bin/pip install uv && uv sync")
    result = dockopt.rewrite(text, select=[RULE.name], installer="uv")
    assert not result.changed
    skip = next(s for s in result.skips if "nothing for uv to install" in s.message)
    assert not skip.actionable


def test_another_interpreters_pip_by_its_path_stays_pip() -> None:
    text = _file(builder_extra="RUN /usr/local/bin/pip install --no-cache-dir poetry\n")
    result = dockopt.rewrite(text, select=[RULE.name], installer="uv")
    assert result.changed
    assert "RUN /usr/local/bin/pip install --no-cache-dir poetry\n" in result.text


def test_declines_when_the_image_runs_pip() -> None:
    """`uv venv` puts no pip in the virtualenv: a runtime `pip install` would reach the system interpreter instead."""
    cases = {
        "runtime RUN": _file(runtime_extra="RUN pip install gunicorn\n"),
        "CMD": _file(cmd="pip list && python /app/app.py"),
        "HEALTHCHECK": _file(runtime_extra="HEALTHCHECK CMD python -m pip check\n"),
    }
    for what, text in cases.items():
        result = dockopt.rewrite(text, select=[RULE.name], installer="uv")
        assert not result.changed, what
        reasons = [s.message for s in result.skips if s.rule in (RULE.id, RULE.name)]
        assert any("the image runs pip" in r for r in reasons), (what, reasons)
    # negative control: the same file without the pip call is rewritten
    assert dockopt.rewrite(_file(), select=[RULE.name], installer="uv").changed


def test_declines_when_the_entrypoint_script_runs_pip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "start.sh").write_text("#!/bin/sh\npip install -r /app/extra.txt\nexec python /app/app.py\n")
    text = _file(cmd='["/app/start.sh"]')
    assert not dockopt.rewrite(text, select=[RULE.name], installer="uv", context_dir=tmp_path).changed
    (tmp_path / "start.sh").write_text("#!/bin/sh\nexec python /app/app.py\n")
    assert dockopt.rewrite(text, select=[RULE.name], installer="uv", context_dir=tmp_path).changed


def test_pip_no_cache_dir_becomes_uv_pip_without_a_second_no_cache() -> None:
    """uv reads pip's --no-cache-dir as its own --no-cache and refuses both (requirements-utf16 app)."""
    text = (
        "FROM python:3.12\nCOPY . /app\nWORKDIR /app\nRUN pip install --no-cache-dir -r requirements.txt\n"
        "CMD python app.py\n"
    )
    out = dockopt.rewrite(text, installer="uv").text
    assert "uv pip install --no-cache-dir -r requirements.txt" in out
    assert "--no-cache " not in out
    # negative control: without the pip flag, run-cleanup adds uv's own
    assert "uv pip install --no-cache -r" in dockopt.rewrite(text.replace("--no-cache-dir ", ""), installer="uv").text
