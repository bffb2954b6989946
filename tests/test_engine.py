"""Tests for dockopt.engine: log parsing and app loading always run; the
parts that talk to a daemon skip, saying why, when none answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockopt.engine import (
    App,
    BuildError,
    Engine,
    RunResult,
    SmokeSpec,
    check_engine,
    find_engine,
    find_engine_reason,
    load_app,
    load_apps,
    parse_build_steps,
)

APPS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
SLIM = "python:3.12-slim"

PLAIN_LOG = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:0123abcd
#1 transferring dockerfile: 312B done
#1 DONE 0.0s

#2 [internal] load .dockerignore
#2 DONE 0.0s

#5 [builder 2/4] RUN python -m venv /opt/venv
#5 CACHED

#6 [builder 3/4] COPY requirements.txt /tmp/requirements.txt
#6 CACHED

#7 [builder 4/4] RUN pip install -r /tmp/requirements.txt
#7 0.912 Collecting flask==3.1.0
#7 DONE 5.1s

#8 [stage-1 3/3] COPY . .
#8 DONE 0.1s

#7 [builder 4/4] RUN pip install -r /tmp/requirements.txt
#7 5.3 done

#9 exporting to image
#9 exporting layers 0.2s done
#9 DONE 0.2s
"""


# -- pure ------------------------------------------------------------------


def test_parse_build_steps_titles_and_cache_flags() -> None:
    steps = {s.number: s for s in parse_build_steps(PLAIN_LOG)}
    assert steps[5].name == "[builder 2/4] RUN python -m venv /opt/venv"
    assert steps[5].cached and steps[6].cached
    assert not steps[7].cached
    assert steps[7].name == "[builder 4/4] RUN pip install -r /tmp/requirements.txt"
    assert not steps[1].is_instruction and not steps[9].is_instruction
    assert steps[8].is_instruction and steps[7].is_instruction


def test_parse_build_steps_error_and_unnumbered_stage() -> None:
    log = '#4 [2/2] RUN false\n#4 ERROR: process "/bin/sh -c false" did not complete successfully\n'
    (step,) = parse_build_steps(log)
    assert step.error and not step.cached and step.is_instruction


def test_find_step_uses_instruction_titles() -> None:
    from dockopt.engine import BuildResult

    result = BuildResult(tag="t", image_id="sha256:x", seconds=1.0, log=PLAIN_LOG, steps=parse_build_steps(PLAIN_LOG))
    step = result.find_step("pip install")
    assert step is not None and step.number == 7 and not step.cached
    assert result.find_step("no such thing") is None
    assert [s.number for s in result.instruction_steps] == [5, 6, 7, 8]


def test_smoke_spec_matching_strips_but_needs_exit_zero() -> None:
    spec = SmokeSpec(mode="run", expect="hello\nworld")
    assert spec.matches(RunResult("hello\nworld\n", "", 0))
    assert not spec.matches(RunResult("hello\nworld\n", "", 1))
    assert not spec.matches(RunResult("hello", "", 0))


def test_all_fixture_apps_load() -> None:
    apps = load_apps(APPS_DIR)
    assert len(apps) >= 13
    for app in apps:
        assert app.dockerfile.is_file() and app.reference.is_file() and app.edit_file.is_file()
        assert app.smoke.expect.strip(), app.name
        if app.smoke.mode == "serve":
            assert app.smoke.exec, app.name
        assert app.edit_file.suffix == ".py", f"{app.name}: edit file must be code"


def test_load_app_rejects_bad_schema(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    (tmp_path / "reference.Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "app.toml").write_text('[smoke]\nmode = "serve"\nexpect = "x"\n[edit]\nfile = "app.py"\n')
    with pytest.raises(ValueError, match="exec"):
        load_app(tmp_path)
    (tmp_path / "app.toml").write_text('[smoke]\nmode = "walk"\nexpect = "x"\n[edit]\nfile = "app.py"\n')
    with pytest.raises(ValueError, match="mode"):
        load_app(tmp_path)
    (tmp_path / "app.toml").write_text('[smoke]\nmode = "run"\nexpect = "x"\n[edit]\nfile = "nope.py"\n')
    with pytest.raises(ValueError, match=r"nope\.py"):
        load_app(tmp_path)
    (tmp_path / "app.toml").write_text('[smoke]\nmode = "run"\nargs = ["a"]\nexpect = "x"\n[edit]\nfile = "app.py"\n')
    app = load_app(tmp_path / "app.toml")
    assert isinstance(app, App) and app.smoke.args == ("a",) and app.name == tmp_path.name


def test_missing_client_gives_reason(tmp_path: Path) -> None:
    status = check_engine(docker=str(tmp_path / "no-docker"))
    assert status.engine is None and "not found" in status.reason


# -- needs a daemon ----------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Engine:
    found = find_engine()
    if found is None:
        pytest.skip(f"no docker engine: {find_engine_reason()}")
    if not found.image_exists(SLIM):
        pytest.skip(f"base image {SLIM} missing: run scripts/stand-in-images.sh")
    return found


@pytest.fixture
def tag(engine: Engine) -> Iterator[str]:
    name = f"dockopt-test-engine:{uuid.uuid4().hex[:10]}"
    yield name
    engine.remove_image(name)


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "keep.txt").write_text("kept\n")
    (ctx / "secret.txt").write_text("ignored\n")
    (ctx / ".dockerignore").write_text("secret.txt\n")
    return ctx


@pytest.mark.docker
def test_build_from_text_applies_dockerignore_and_reports_cache(engine: Engine, tmp_path: Path, tag: str) -> None:
    ctx = _context(tmp_path)
    text = f'FROM {SLIM}\nWORKDIR /w\nRUN echo {uuid.uuid4().hex} > /marker\nCOPY . .\nCMD ["sh", "-c", "ls /w"]\n'
    lines: list[str] = []
    first = engine.build(text, ctx, tag, progress=lines.append)
    assert first.image_id.startswith("sha256:")
    assert lines and first.seconds > 0
    step = first.find_step("RUN echo")
    assert step is not None and not step.cached
    listing = engine.run(tag, [], timeout=60)
    assert listing.ok, listing.stderr
    assert listing.stdout.split() == ["keep.txt"]  # .dockerignore itself and secret.txt excluded

    (ctx / "keep.txt").write_text("changed\n")
    second = engine.build(text, ctx, tag)
    if second.image_id != first.image_id:
        engine.remove_image(first.image_id)  # untagged by the rebuild: not removed by the fixture
    run_step, copy_step = second.find_step("RUN echo"), second.find_step("COPY . .")
    assert run_step is not None and run_step.cached
    assert copy_step is not None and not copy_step.cached
    assert engine.image_size(tag) > 0
    assert engine.layer_count(tag) >= 2


@pytest.mark.docker
def test_build_from_path_outside_context(engine: Engine, tmp_path: Path, tag: str) -> None:
    ctx = _context(tmp_path)
    dockerfile = tmp_path / "elsewhere.Dockerfile"
    dockerfile.write_text(f"FROM {SLIM}\nCOPY . /w\nRUN test ! -e /w/secret.txt && test -e /w/keep.txt\n")
    result = engine.build(dockerfile, ctx, tag)
    assert engine.image_exists(tag) and result.image_id


@pytest.mark.docker
def test_build_failure_raises_with_log_tail(engine: Engine, tmp_path: Path, tag: str) -> None:
    ctx = _context(tmp_path)
    with pytest.raises(BuildError) as info:
        engine.build(f"FROM {SLIM}\nRUN echo about-to-fail && false\n", ctx, tag)
    assert "about-to-fail" in info.value.log_tail
    assert info.value.returncode not in (None, 0)


@pytest.mark.docker
def test_run_timeout_kills_container(engine: Engine) -> None:
    result = engine.run(SLIM, ["sleep", "60"], timeout=3)
    assert result.code == 124


@pytest.mark.docker
def test_serve_and_exec_retries_until_ready(engine: Engine, tmp_path: Path, tag: str) -> None:
    # The "server" creates its readiness file only after 2 s: exec must retry.
    text = f'FROM {SLIM}\nCMD ["sh", "-c", "sleep 2; echo ready > /tmp/ready; sleep 60"]\n'
    engine.build(text, _context(tmp_path), tag)
    result = engine.serve_and_exec(tag, ["cat", "/tmp/ready"], timeout=30)
    assert result.ok and result.stdout.strip() == "ready"


@pytest.mark.docker
def test_serve_and_exec_reports_early_exit(engine: Engine, tmp_path: Path, tag: str) -> None:
    engine.build(f'FROM {SLIM}\nCMD ["sh", "-c", "echo boom; sleep 1; exit 3"]\n', _context(tmp_path), tag)
    result = engine.serve_and_exec(tag, ["false"], timeout=20)
    assert not result.ok
    assert "exited early" in result.stderr and "boom" in result.stderr
