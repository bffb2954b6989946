"""DO002 multi-stage: apt package tables, skip reasons, messages and edge cases.

The golden pairs in fixtures/passes/multi-stage/ cover whole files; these
tests pin the pieces: how an apt package is classified, which runtime
library a -dev package maps to, why a file is declined, and what the change
says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dockopt
from dockopt.model.debian import table
from dockopt.passes import multi_stage, path_env
from dockopt.passes.multi_stage import RULE, classify_run, split_apt_packages
from tests.conftest import FIXTURES, read_exact
from tests.passes.harness import check_invariants

APPS = FIXTURES / "apps"
GOLDEN = FIXTURES / "passes" / "multi-stage"


def split(text: str, **options: object) -> dockopt.pipeline.RewriteResult:
    return dockopt.rewrite(text, select=["multi-stage"], **options)


def skip_messages(text: str, **options: object) -> list[str]:
    result = split(text, **options)
    assert result.text == text, "a declined file must come out unchanged"
    assert result.changes == []
    return [s.message for s in result.skips]


# ---------------------------------------------------------------------------
# apt package classification
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "kind"),
    [
        ("gcc", "toolchain"),
        ("g++", "toolchain"),
        ("build-essential", "toolchain"),
        ("make", "toolchain"),
        ("gcc-12", "toolchain"),
        ("clang-14", "toolchain"),
        ("pkg-config", "toolchain"),
        ("cargo", "toolchain"),
        ("git", "build-only"),
        ("python3-dev", "build-only"),
        ("python3.11-dev", "build-only"),
        ("libc6-dev", "build-only"),
        ("linux-headers-amd64", "build-only"),
        ("libpq-dev", "dev"),
        ("libpq-dev=15.10-0+deb12u1", "dev"),
        ("libxml2-dev:amd64", "dev"),
        ("libsomething-unknown-dev", "dev"),
        ("curl", "runtime"),
        ("jq", "runtime"),
        ("ffmpeg", "runtime"),
        ("libpq5", "runtime"),
        ("ca-certificates", "runtime"),
        ("tini", "runtime"),
    ],
)
def test_apt_package_kind(package: str, kind: str) -> None:
    assert table().role(package) == kind


@pytest.mark.parametrize(
    ("dev", "runtime"),
    [
        ("libpq-dev", ("libpq5",)),
        ("libxml2-dev", ("libxml2",)),
        ("libxslt1-dev", ("libxslt1.1",)),
        ("libjpeg-dev", ("libjpeg62-turbo",)),
        ("libjpeg62-turbo-dev", ("libjpeg62-turbo",)),
        ("libffi-dev", ("libffi8",)),
        ("libssl-dev", ("libssl3",)),
        ("default-libmysqlclient-dev", ("libmariadb3",)),
        ("libyaml-dev", ("libyaml-0-2",)),
        ("zlib1g-dev", ("zlib1g",)),
        ("libpng-dev", ("libpng16-16",)),
        ("libgeos-dev", ("libgeos-c1v5",)),
        ("libpq-dev=15.*", ("libpq5",)),
    ],
)
def test_runtime_library_mapping(dev: str, runtime: tuple[str, ...]) -> None:
    assert table().runtime_libraries(dev) == runtime


def test_unknown_dev_package_has_no_mapping() -> None:
    assert table().runtime_libraries("libsomething-unknown-dev") is None
    assert table().runtime_libraries("gcc") is None


def test_split_build_only_and_dev_packages() -> None:
    result = split_apt_packages(["gcc", "libpq-dev", "libxml2-dev", "curl", "git", "libfoo-dev"])
    assert result.builder == ("gcc", "libpq-dev", "libxml2-dev", "git", "libfoo-dev")
    # curl is not known to be build-only, so it stays; libfoo-dev has no known
    # runtime library, so it stays whole
    assert result.runtime == ("libpq5", "libxml2", "curl", "libfoo-dev")
    assert result.libraries == ("libpq5", "libxml2")


def test_split_keeps_build_tools_the_app_calls() -> None:
    result = split_apt_packages(["git", "gcc"], runtime_commands={"git"})
    assert result.builder == ("git", "gcc")
    assert result.runtime == ("git",)


def test_split_puts_runtime_tools_in_the_builder_only_when_it_calls_them() -> None:
    assert split_apt_packages(["curl"]).builder == ()
    assert split_apt_packages(["curl"], builder_commands={"curl"}).builder == ("curl",)
    assert split_apt_packages(["jq"]) == multi_stage.AptSplit(builder=(), runtime=("jq",))


def test_split_does_not_repeat_shared_libraries() -> None:
    result = split_apt_packages(["libjpeg-dev", "libjpeg62-turbo-dev"])
    assert result.runtime == ("libjpeg62-turbo",)


def test_split_installs_no_library_slim_already_has() -> None:
    """libffi8 is in python:*-slim: code built against libffi-dev needs nothing more at run time."""
    result = split_apt_packages(["gcc", "libffi-dev", "unixodbc-dev"])
    assert result.builder == ("gcc", "libffi-dev", "unixodbc-dev")
    assert result.runtime == ("libodbc2",)


# ---------------------------------------------------------------------------
# RUN classification
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "kind"),
    [
        ("RUN pip install -r requirements.txt", "install"),
        ("RUN python -m pip install --no-cache-dir .", "install"),
        ("RUN pip install poetry==2.1.1", "tool"),
        ("RUN pip install --upgrade pip pipenv", "tool"),
        ("RUN pip install --upgrade pip", "install"),
        ("RUN curl -sSL https://install.python-poetry.org | python3 -", "tool"),
        ("RUN poetry config virtualenvs.create false", "helper"),
        ("RUN poetry export -f requirements.txt -o requirements.txt", "helper"),
        ("RUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*", "system"),
        ("RUN useradd -m app", "generic"),
        ("RUN python manage.py collectstatic --noinput", "generic"),
        ('RUN ["pip", "install", "-r", "requirements.txt"]', "install"),
    ],
)
def test_classify_run(run: str, kind: str) -> None:
    (ins,) = dockopt.parse(f"FROM python:3.12\n{run}\n").stages[0].instructions
    assert classify_run(ins).kind == kind


# ---------------------------------------------------------------------------
# The rule's own documentation and messages
# ---------------------------------------------------------------------------


def test_rule_example_is_the_real_output() -> None:
    result = split(RULE.before)
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, select=["multi-stage"])
    assert "DO002 multi-stage" in RULE.explain()
    assert RULE.safety == "safe"


def test_change_message_names_the_split_and_the_packages() -> None:
    text = read_exact(GOLDEN / "psycopg2-source.before.Dockerfile")
    (change,) = split(text).changes
    assert change.rule == "DO002"
    assert change.line == 1
    assert change.message.startswith("split into a builder stage (installs into /opt/venv) and a runtime stage")
    assert "libpq-dev, gcc" in change.message
    assert "the runtime stage installs libpq5" in change.message


def test_second_run_changes_nothing_and_says_nothing() -> None:
    for before in sorted(GOLDEN.glob("*.before.Dockerfile")):
        after = read_exact(before.with_name(before.name.replace(".before.", ".after.")))
        if after == read_exact(before):
            continue
        again = split(after)
        assert again.text == after, before.name
        assert again.skips == [], before.name


def test_path_env_accepts_the_split() -> None:
    """DO003 runs right after DO002: the ENV line DO002 writes must satisfy it."""
    for before in sorted(GOLDEN.glob("*.before.Dockerfile")):
        after = read_exact(before.with_name(before.name.replace(".before.", ".after.")))
        result = dockopt.rewrite(after, select=["path-env"])
        assert result.text == after, before.name
        assert result.skips == [], before.name


# ---------------------------------------------------------------------------
# Every fixture app has a golden case, and a build context changes nothing
# ---------------------------------------------------------------------------

APP_NAMES = sorted(p.parent.name for p in APPS.glob("*/app.toml"))


@pytest.mark.parametrize("app", APP_NAMES)
def test_every_app_has_a_golden_case(app: str) -> None:
    assert (GOLDEN / f"{app}.before.Dockerfile").is_file()
    assert (GOLDEN / f"{app}.after.Dockerfile").is_file()


#: Apps whose split must be declined, and why (a fragment of the reason).
DECLINED = {
    "already-slim": "shed nothing",  # the docker-init shape: a split would only add a venv
    "system-setup-heavy": "in both stages",  # setup work before the install would run twice
    "slim-split-grows": "shed nothing",  # bench/realworld: such splits grew pgslot-notify-bot & co.
    "poetry-own-venv": "virtualenv of its own",  # bench/realworld treadbook-users: run with `poetry run`
}


@pytest.mark.parametrize("app", APP_NAMES)
def test_app_golden_with_its_build_context(app: str) -> None:
    """The CLI passes the Dockerfile's folder as context: reading the manifests there must agree."""
    before = read_exact(GOLDEN / f"{app}.before.Dockerfile")
    result = split(before, context_dir=APPS / app)
    assert result.text == read_exact(GOLDEN / f"{app}.after.Dockerfile")
    if app in DECLINED:
        assert [s for s in result.skips if DECLINED[app] in s.message], result.skips
    else:
        assert result.skips == []


def test_full_pipeline_splits_every_app_that_installs() -> None:
    """deps-first → multi-stage → ... on the naive files: every app but the optimized one is split."""
    for app in APP_NAMES:
        text = read_exact(APPS / app / "Dockerfile")
        result = dockopt.rewrite(text, context_dir=APPS / app)
        ours = [c for c in result.changes if c.rule == "DO002"]
        if app == "already-multistage" or app in DECLINED:
            assert ours == []
            continue
        assert len(ours) == 1, app
        assert [s for s in result.skips if s.rule == "DO002"] == [], app
        doc = dockopt.parse(result.text)
        assert len(doc.stages) == 2, app
        runtime = doc.stages[-1]
        assert any(
            i.keyword == "COPY" and i.flag("from") is not None and "venv" in i.args for i in runtime.instructions
        ), app


# ---------------------------------------------------------------------------
# Skip reasons
# ---------------------------------------------------------------------------

BASE = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (BASE + "RUN pip install -e .\nCMD python app.py\n", "editable mode"),
        (BASE + "RUN pip install --target /deps -r requirements.txt\n", "--target/--prefix/--root"),
        (BASE + "RUN pip install --prefix=/install -r requirements.txt\n", "--target/--prefix/--root"),
        (BASE + "RUN /usr/local/bin/pip install -r requirements.txt\n", "by its path"),
        (BASE + "RUN pip install -r requirements.txt && python -m spacy download en\n", "also runs `python`"),
        (BASE + "RUN if [ -f requirements.txt ]; then pip install -r requirements.txt; fi\n", "shell syntax"),
        (BASE + "RUN poetry install --no-root && pip install poetry\n", "build tool (poetry/pipenv/uv) after"),
        (BASE + 'RUN pip install -r requirements.txt\nCMD ["/app/.venv/bin/python", "app.py"]\n', ".venv"),
        (BASE + "RUN python -m venv /venv && /venv/bin/pip install -r requirements.txt\n", "own virtualenv"),
        (
            BASE + "RUN pip install -r requirements.txt\nRUN pip install poetry\nRUN poetry install --no-root\n",
            "after the first dependency install",
        ),
        (BASE + "ENV PIP_TARGET=/deps\nRUN pip install -r requirements.txt\n", "ENV PIP_TARGET"),
        (BASE + "ENV VIRTUAL_ENV=/venv\nRUN pip install -r requirements.txt\n", "ENV VIRTUAL_ENV"),
        (BASE + "USER nobody\nRUN pip install -r requirements.txt\n", "USER nobody"),
        (BASE + "RUN --mount=type=ssh pip install -r requirements.txt\n", "secret or an SSH agent"),
        (
            BASE + "RUN pip install --index-url https://user:$TOKEN@pypi.example.com/simple -r requirements.txt\n",
            "credentials",
        ),
        (BASE + "RUN pip install -r requirements.txt\nRUN gcc -o x x.c\n", "calls `gcc`"),
        (BASE + "RUN pip install -r requirements.txt\nRUN python setup.py build_ext\n", "setup.py"),
        (BASE + "RUN pip install -r requirements.txt\nCMD su app -c 'python app.py'\n", "`su` resets PATH"),
        (
            BASE
            + "RUN pip install -r requirements.txt\nRUN sed -i s/a/b/ /usr/local/lib/python3.12/site-packages/x.py\n",
            "/usr/local",
        ),
        (
            BASE + 'RUN pip install -r requirements.txt\nCMD ["/usr/local/bin/python", "app.py"]\n',
            "/usr/local/bin/python",
        ),
        (BASE + "RUN apt-get install -y $BUILD_DEPS && pip install -r requirements.txt\n", "from a variable"),
        (BASE + "RUN yum install -y gcc\nRUN pip install -r requirements.txt\n", "yum packages"),
        (
            BASE + "RUN pip install --user -r requirements.txt\nRUN pip install gunicorn\n",
            "some installs use `pip --user`",
        ),
        (BASE + "RUN pip install -r requirements.txt\nENV PATH=/usr/local/bin:/usr/bin:/bin\n", "fixed value"),
        (
            BASE + 'RUN pipenv install --system\nRUN pip install -r requirements.txt\nCMD ["uv", "run", "app.py"]\n',
            "`uv` is used",
        ),
        ("FROM $BASE\nRUN pip install flask\n", "build argument without a default"),
        ("FROM tiangolo/uvicorn-gunicorn:python3.11\nRUN pip install flask\n", "isn't the official python image"),
        ("FROM python:3.12 AS base\nENV POETRY_VIRTUALENVS_CREATE=false\nRUN poetry install\nCMD python app.py\n", "editable mode"),
        (
            "FROM python:3.12\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\nRUN uv sync\nWORKDIR /srv\nCOPY . .\n",
            "editable mode",
        ),
    ],
)
def test_skip_reasons(text: str, reason: str) -> None:
    messages = skip_messages(text)
    assert len(messages) == 1, messages
    assert reason in messages[0]


def test_skip_points_at_the_line() -> None:
    result = split(BASE + "RUN pip install -r requirements.txt\n\nRUN make\n")
    (skip,) = result.skips
    assert skip.line == 6


def test_nothing_to_do_is_not_a_skip() -> None:
    for text in (
        "FROM python:3.12-slim\nCOPY app.py .\nCMD python app.py\n",
        "FROM debian:12\nRUN apt-get update\n",
    ):  # (a file of ARGs alone is an error now: BuildKit has no stage to build, tests/syntax/test_buildable.py)
        result = split(text)
        assert result.text == text
        assert result.skips == [] and result.changes == []


def test_suppression_anywhere_in_the_stage() -> None:
    text = "# dockopt: ignore=DO002\nFROM python:3.12\nRUN pip install flask\nCMD flask run\n"
    result = split(text)
    assert result.text == text
    assert result.skips == []


# ---------------------------------------------------------------------------
# Edge cases
# ---------------------------------------------------------------------------


def test_builder_name_avoids_existing_names_and_images() -> None:
    text = "FROM python:3.12 AS builder\nCOPY --from=build /a /a\nRUN --mount=type=bind,from=deps,target=/x pip install flask\n"
    after = split(text).text
    assert "AS python-builder" in after
    assert "COPY --from=python-builder /opt/venv /opt/venv" in after
    assert after.count("FROM python:3.12 AS builder") == 1  # the runtime stage keeps its name


@pytest.mark.parametrize(
    ("first", "builder"),
    [
        # BuildKit's FromAsCasing: the builder's line is dockopt's, so its AS follows FROM's case;
        # the user's own line (the runtime stage's) keeps what they wrote.
        ("FROM python:3.12 as app", "FROM python:3.12 AS builder"),
        ("from python:3.12 AS app", "from python:3.12 as builder"),
        ("From python:3.12 as app", "From python:3.12 as builder"),  # a mixed-case FROM is not checked
        ("FROM python:3.12 \\\n  as \\\n  app", "FROM python:3.12 \\\n  AS \\\n  builder"),
        ("FROM python:3.12 AS app", "FROM python:3.12 AS builder"),  # control: nothing to recase
    ],
)
def test_builder_from_cases_as_like_from(first: str, builder: str) -> None:
    text = first + "\nWORKDIR /app\nCOPY . .\nRUN pip install flask\nCMD python app.py\n"
    after = split(text).text
    assert after.startswith(builder + "\n")
    assert "\n" + first + "\n" in after  # the runtime stage keeps the user's line as it was


@pytest.mark.parametrize("gap", ["\n", ""])
def test_the_venv_copy_goes_above_the_code_copies_whatever_the_blank_lines(gap: str) -> None:
    # Found by scripts/fuzz.sh (metamorphic): a COPY that took the blank line of the dropped
    # `RUN apt-get update` was a copy the model did not know, and the venv's COPY stopped below it.
    text = f"FROM python:3.12\nWORKDIR /app\n{gap}RUN apt-get update\nCOPY . .\nCOPY . .\nRUN pip install flask\nCMD python app.py\n"
    runtime = split(text).text.split("\n\nFROM ", 1)[1]
    assert runtime.index("COPY --from=builder") < runtime.index("COPY . .")


def test_build_tool_in_the_install_run_uses_the_system_pip() -> None:
    text = BASE + "RUN python -m pip install pipenv && pipenv install --system --deploy\nCOPY . .\nCMD python app.py\n"
    result = split(text)
    assert "RUN /usr/local/bin/python -m pip install pipenv && pipenv install --system --deploy" in result.text
    (change,) = result.changes
    assert "stays out of /opt/venv" in change.message


def test_uv_pip_system_flag_is_dropped_in_the_builder() -> None:
    text = BASE + "RUN uv pip install --system -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    after = split(text).text
    assert "RUN uv pip install -r requirements.txt" in after
    assert "--system" not in after


def test_versioned_pip_creates_the_venv_with_that_interpreter() -> None:
    text = "FROM python:3.11\nRUN pip3.11 install flask\nCMD flask run\n"
    assert "RUN python3.11 -m venv /opt/venv" in split(text).text


def test_user_layout_adds_user_flag() -> None:
    text = BASE + "RUN python -m pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    result = split(text, layout="user")
    assert "RUN python -m pip install --user -r requirements.txt" in result.text
    assert "COPY --from=builder /root/.local /root/.local\nENV PATH=/root/.local/bin:$PATH\n" in result.text
    assert "/opt/venv" not in result.text


def test_user_layout_falls_back_for_poetry() -> None:
    text = BASE.replace("requirements.txt", "pyproject.toml poetry.lock") + "RUN poetry install --no-root\n"
    text = text.replace("WORKDIR /app\n", "RUN pip install poetry && poetry config virtualenvs.create false\nWORKDIR /app\n")
    result = split(text, layout="user")
    (change,) = result.changes
    assert "/opt/venv" in result.text
    assert "layout=user needs plain pip installs" in change.message


def test_user_layout_falls_back_for_exec_form() -> None:
    text = BASE + 'RUN ["pip", "install", "-r", "requirements.txt"]\nCMD python app.py\n'
    (change,) = split(text, layout="user").changes
    assert "exec-form install can't take --user" in change.message


def test_apt_lists_kept_when_a_later_runtime_install_needs_them() -> None:
    text = (
        "FROM python:3.12\n"
        "RUN apt-get update\n"
        "RUN apt-get install -y libpq-dev\n"
        "COPY requirements.txt .\n"
        "RUN pip install -r requirements.txt\n"
        "RUN apt-get install -y jq\n"
        'CMD ["python", "app.py"]\n'
    )
    after = split(text).text
    runtime = after.split("\nFROM ")[-1]
    assert "apt-get install -y --no-install-recommends libpq5" in runtime
    assert "rm -rf /var/lib/apt/lists/*" not in runtime  # the jq install below still needs them
    assert "RUN apt-get update\n" in runtime.split("libpq5")[1] or "RUN apt-get update" in runtime


def test_purged_packages_are_not_installed_at_run_time() -> None:
    text = (
        BASE
        + "RUN apt-get update && apt-get install -y gcc libpq-dev curl && pip install -r requirements.txt && apt-get purge -y curl\n"
    )
    runtime = split(text).text.split("\nFROM ")[-1]
    assert "libpq5" in runtime and "curl" not in runtime


def test_runtime_keeps_recommends_for_kept_packages_installed_with_them() -> None:
    text = (
        "FROM python:3.12\nRUN apt-get update && apt-get install -y gcc ffmpeg\nRUN pip install av\nCMD python app.py\n"
    )
    runtime = split(text).text.split("\nFROM ")[-1]
    assert "apt-get install -y ffmpeg" in runtime


def test_manifest_copy_stays_when_no_later_copy_brings_it() -> None:
    text = "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY app.py .\nCMD python app.py\n"
    runtime = split(text).text.split("\nFROM ")[-1]
    assert "COPY requirements.txt ." in runtime


def test_poetry_root_package_with_package_mode_off(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.poetry]\npackage-mode = false\n")
    text = (
        "FROM python:3.12\nENV POETRY_VIRTUALENVS_CREATE=false\nRUN pip install poetry\nWORKDIR /app\n"
        "COPY pyproject.toml poetry.lock ./\nRUN poetry install\nCMD python app.py\n"
    )
    assert skip_messages(text) and "editable mode" in skip_messages(text)[0]
    result = split(text, context_dir=tmp_path)
    assert result.changes and not result.skips


def test_uv_virtual_project_with_context(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    text = "FROM python:3.12\nRUN pip install uv\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --locked\nCMD python app.py\n"
    assert "editable mode" in skip_messages(text)[0]  # without the context: could be a package
    assert split(text, context_dir=tmp_path).changes


def test_editable_requirement_in_context(tmp_path: Path) -> None:
    """`-e ./libs/shared` links into the source tree: split only when the runtime stage has the code at the same path."""
    (tmp_path / "requirements.txt").write_text("flask==3.1\n-e ./libs/shared\n")
    same = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python app.py\n"
    after = split(same, context_dir=tmp_path).text
    runtime = after.split("\n\nFROM ", 1)[1]
    assert "COPY . ." in runtime and "WORKDIR /app" in runtime
    elsewhere = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nWORKDIR /srv\nCMD python app.py\n"
    assert split(elsewhere, context_dir=tmp_path).changes  # the code stays at /app in both stages
    moved = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nCOPY libs libs\nRUN pip install -r requirements.txt\nCOPY . /srv\nCMD python app.py\n"
    assert "editable mode" in skip_messages(moved, context_dir=tmp_path)[0]


def test_nested_requirements_in_context_are_manifests(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r base.txt\nflask\n")
    (tmp_path / "base.txt").write_text("requests\n")
    text = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt base.txt ./\nCOPY app.py .\nRUN pip install -r requirements.txt\nCMD python app.py\n"
    after = split(text, context_dir=tmp_path).text
    builder = after.split("\nFROM ")[0]
    assert "COPY requirements.txt base.txt ./" in builder
    assert "COPY app.py ." not in builder  # a code file the install doesn't read stays out of the builder


def test_local_path_requirement_copies_the_tree_to_the_builder(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("./libs/shared\n")
    text = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nCOPY libs libs\nRUN pip install -r requirements.txt\nCMD python app.py\n"
    builder = split(text, context_dir=tmp_path).text.split("\nFROM ")[0]
    assert "COPY libs libs" in builder


def test_shebang_of_the_started_script_is_checked(tmp_path: Path) -> None:
    (tmp_path / "run.py").write_text("#!/usr/local/bin/python\nimport flask\n")
    text = BASE + 'RUN pip install -r requirements.txt\nCOPY . .\nCMD ["./run.py"]\n'
    assert split(text).changes
    assert "/usr/local/bin/python" in skip_messages(text, context_dir=tmp_path)[0]


def test_entrypoint_script_keeps_build_tools_it_calls(tmp_path: Path) -> None:
    (tmp_path / "entrypoint.sh").write_text('#!/bin/sh\ngit rev-parse HEAD > /tmp/rev\nexec "$@"\n')
    text = 'FROM python:3.12\nRUN apt-get update && apt-get install -y git libpq-dev\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nENTRYPOINT ["./entrypoint.sh"]\n'
    runtime = split(text, context_dir=tmp_path).text.split("\nFROM ")[-1]
    assert "git" in runtime and "libpq5" in runtime
    runtime_without_context = split(text).text.split("\nFROM ")[-1]
    assert " git" not in runtime_without_context


def test_chown_copy_in_builder_brings_the_user_along() -> None:
    text = "FROM python:3.12\nRUN useradd app\nCOPY --chown=app requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    builder = split(text).text.split("\nFROM ")[0]
    assert "RUN useradd app" in builder


def test_path_plan_is_shared_with_path_env() -> None:
    """multi-stage places its ENV with path_env.plan_path: same answer for the same stage."""
    doc = dockopt.parse("FROM python:3.12-slim\nENV PATH=/app/bin:$PATH\nCOPY --from=b /opt/venv /opt/venv\n")
    plan = path_env.plan_path(doc.stages[0].instructions, 1, "/opt/venv/bin")
    assert plan.insert_at == 0
    assert multi_stage.VENV_DIR == "/opt/venv"


# ---------------------------------------------------------------------------
# A split must pay for itself, and be right about where things go
# ---------------------------------------------------------------------------

DOCKER_INIT = """\
FROM python:3.12-slim
ARG UID=10001
RUN adduser --disabled-password --gecos "" --uid "${UID}" appuser
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/pip --mount=type=bind,source=requirements.txt,target=requirements.txt python -m pip install -r requirements.txt
USER appuser
COPY . .
CMD ["python", "app.py"]
"""


def test_a_split_that_sheds_nothing_is_declined() -> None:
    """The docker-init shape: already slim, nothing build-only. A split would only add a venv (bigger image)."""
    result = split(DOCKER_INIT)
    assert result.text == DOCKER_INIT
    (skip,) = result.skips
    assert "shed nothing" in skip.message and "already the slim variant" in skip.message
    assert skip.actionable is False


def test_a_slim_base_with_build_only_packages_still_splits() -> None:
    """Negative control: on slim, gcc and libpq-dev for a source build are worth leaving in a builder."""
    text = (
        "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev\n"
        "WORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    )
    (change,) = split(text).changes
    assert "build-only apt packages stay in the builder (gcc, libpq-dev)" in change.message


def test_real_setup_work_before_the_install_is_not_duplicated() -> None:
    text = (
        "FROM python:3.12\nRUN curl -fsSL https://example.com/install.sh | sh\nWORKDIR /app\n"
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    )
    (message,) = skip_messages(text)
    assert "would run it in both stages" in message and "move it below the install" in message
    moved = text.replace("RUN curl -fsSL https://example.com/install.sh | sh\n", "") + "RUN curl -fsSL https://example.com/install.sh | sh\n"
    assert split(moved).changes  # after the install it only runs at run time


def test_a_file_download_before_the_install_goes_to_the_runtime_stage_only() -> None:
    text = read_exact(GOLDEN / "generic-setup-run.before.Dockerfile")
    after = split(text).text
    builder, runtime = after.split("\n\nFROM ", 1)
    assert "tini" not in builder and "tini" in runtime


def test_the_venv_stays_out_of_the_apps_directory() -> None:
    text = "FROM python:3.12\nWORKDIR /opt\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    result = split(text)
    assert "python -m venv /venv" in result.text and "/opt/venv" not in result.text
    assert "/opt/venv would be inside the app's own directories" in result.changes[0].message


def test_the_venv_stays_out_of_what_the_context_copies(tmp_path: Path) -> None:
    """WORKDIR / with a context that has its own opt/ folder: COPY . . would land on /opt/venv."""
    (tmp_path / "opt").mkdir()
    (tmp_path / "requirements.txt").write_text("flask\n")
    text = "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    assert "/opt/venv" in split(text).text  # without the context: nothing says /opt is taken
    assert "/opt/venv" not in split(text, context_dir=tmp_path).text


def test_an_unknown_app_directory_declines() -> None:
    text = "FROM python:3.12\nWORKDIR $APP\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCMD python app.py\n"
    assert "can't be told from the file" in skip_messages(text)[0]


def test_an_install_keeps_the_update_it_relies_on() -> None:
    """apt-get update for curl (run time) and gcc's install (build only) in separate RUNs."""
    text = (
        "FROM python:3.12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y gcc\n"
        "WORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"
    )
    after = split(text).text
    builder, runtime = after.split("\n\nFROM ", 1)
    assert builder.index("RUN apt-get update") < builder.index("apt-get install -y gcc")
    assert "apt-get update && apt-get install -y curl" in runtime and "gcc" not in runtime
    from dockopt.model import apt

    for stage in dockopt.parse(after).stages:  # nothing installs without lists, in either stage
        assert apt.first_unmet([i for i in stage.instructions if i.keyword == "RUN"], "absent")[1] is None


def test_uv_run_at_run_time_gets_the_uv_binary() -> None:
    text = (
        "FROM python:3.12\nWORKDIR /app\nRUN pip install uv\nCOPY pyproject.toml uv.lock ./\n"
        "RUN uv sync --locked --no-install-project\nCOPY . .\nCMD [\"uv\", \"run\", \"python\", \"app.py\"]\n"
    )
    result = split(text)
    runtime = result.text.split("\n\nFROM ", 1)[1]
    assert "COPY --from=builder /usr/local/bin/uv /usr/local/bin/uv" in runtime
    # `uv run` finds the project's own .venv, copied to the same path: no ENV for it
    assert "COPY --from=builder /app/.venv /app/.venv" in runtime
    assert "ENV" not in runtime
    assert "gets the uv binary from the builder" in result.changes[0].message


def test_uv_at_run_time_without_a_pip_installed_uv_declines() -> None:
    """Negative control: uv from elsewhere (the official image's binary) is not copied; the rule declines."""
    text = (
        "FROM python:3.12\nWORKDIR /app\nCOPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/uv\nCOPY pyproject.toml uv.lock ./\n"
        "RUN uv sync --locked --no-install-project\nCOPY . .\nCMD [\"uv\", \"run\", \"python\", \"app.py\"]\n"
    )
    assert "`uv` is used after the install" in skip_messages(text)[0]


def test_a_suppressed_slim_base_means_the_split_does_not_pay() -> None:
    """`# dockopt: ignore=DO004` above the FROM keeps the full image, so a split would shed nothing."""
    text = "# dockopt: ignore=DO004\nFROM python:3.12\nRUN pip install flask\nCMD [\"flask\"]\n"
    result = dockopt.rewrite(text)
    assert "FROM python:3.12-slim" not in result.text
    assert not [c for c in result.changes if c.rule == "DO002"]
    assert any("shed nothing" in s.message and "ignore" in s.message for s in result.skips)


def test_a_suppression_above_the_from_goes_with_the_runtime_stage(tmp_path: Path) -> None:
    """When the split pays anyway (build-only packages), the comment still keeps the runtime stage's base."""
    text = (
        "# dockopt: ignore=slim-base\nFROM python:3.12\nRUN apt-get update && apt-get install -y gcc\n"
        "RUN pip install psutil\nCMD [\"python\"]\n"
    )
    out = dockopt.rewrite(text).text
    assert "AS builder" in out and "-slim" not in out
    assert out.count("# dockopt: ignore=slim-base") == 2, out


# ---------------------------------------------------------------------------
# What the installed Python packages need from the full image at run time
# ---------------------------------------------------------------------------

_REQS_APP = (
    "FROM python:3.12\n{apt}WORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    'COPY . .\nCMD ["python", "app.py"]\n'
)


def _app(tmp_path: Path, requirements: str, apt: str = "", head: str = "") -> tuple[str, Path]:
    (tmp_path / "requirements.txt").write_text(requirements)
    return head + _REQS_APP.format(apt=apt), tmp_path


def _runtime_stage(text: str) -> str:
    return text[text.index("\nFROM ") :]


def test_lightgbm_gets_libgomp1_right_after_the_runtime_from(tmp_path: Path) -> None:
    text, ctx = _app(tmp_path, "lightgbm==4.5.0\nnumpy\n")
    result = split(text, context_dir=ctx)
    assert _runtime_stage(result.text).startswith(
        "\nFROM python:3.12\n"
        "# libgomp1: lightgbm loads libgomp.so.1\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y --no-install-recommends libgomp1 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "WORKDIR /app\n"
    )
    (change,) = result.changes
    assert change.message.endswith(
        "; the runtime stage installs libgomp1, which the full image has and slim lacks (lightgbm loads libgomp.so.1)"
    )
    check_invariants(text, result.text, result=result, select=["multi-stage"], context_dir=ctx)


@pytest.mark.parametrize(
    "requirements",
    [
        "xgboost==2.1.3\nscikit-learn==1.5.2\n",  # their wheels vendor libgomp
        "psycopg2-binary\npsycopg[binary]>=3\n",  # vendored libpq
        "flask\nrequests\n",  # not in the table
        "# lightgbm would need libgomp1\n",  # a comment names it, nothing installs it
    ],
)
def test_distributions_that_need_nothing_add_nothing(tmp_path: Path, requirements: str) -> None:
    text, ctx = _app(tmp_path, requirements)
    out = split(text, context_dir=ctx).text
    assert "AS builder" in out
    assert "apt-get" not in out


def test_without_a_context_the_requirements_are_unknown_and_nothing_is_added(tmp_path: Path) -> None:
    text, ctx = _app(tmp_path, "lightgbm\n")
    assert "libgomp1" in split(text, context_dir=ctx).text
    assert "apt-get" not in split(text).text


def test_install_arguments_are_read_without_a_context() -> None:
    text = 'FROM python:3.12\nRUN pip install "GitPython==3.1.43" flask\nCOPY . /app\nCMD ["python", "/app/app.py"]\n'
    out = split(text).text
    assert "# git: gitpython runs git\nRUN apt-get update" in out


def test_a_runtime_stage_that_keeps_the_full_image_gets_nothing(tmp_path: Path) -> None:
    """The full image has libgomp1: when the runtime stage can't move to slim, nothing is added."""
    text, ctx = _app(tmp_path, "lightgbm\n", apt="RUN apt-get update && apt-get install -y gcc\n")
    kept = text.replace('CMD ["python", "app.py"]', 'CMD ["make", "run"]')  # make: full image only
    out = split(kept, context_dir=ctx)
    assert "AS builder" in out.text, out.skips
    assert "libgomp1" not in out.text
    assert "libgomp1" in split(text, context_dir=ctx).text  # the control: with a CMD slim can run
    suppressed = "# dockopt: ignore=DO004\n" + text
    out = split(suppressed, context_dir=ctx)
    assert "AS builder" in out.text and "libgomp1" not in out.text


def test_already_slim_base_gets_nothing(tmp_path: Path) -> None:
    """On python:3.12-slim the original lacks libgomp1 too: dockopt restores what the full image had, no more."""
    text, ctx = _app(tmp_path, "lightgbm\n", apt="RUN apt-get update && apt-get install -y gcc\n")
    slim = text.replace("FROM python:3.12\n", "FROM python:3.12-slim\n")
    out = split(slim, context_dir=ctx).text
    assert "AS builder" in out and "libgomp1" not in out


def test_needs_fold_into_the_runtime_stages_own_apt_install(tmp_path: Path) -> None:
    text, ctx = _app(tmp_path, "psycopg2\nlightgbm\n", apt="RUN apt-get update && apt-get install -y gcc libpq-dev jq\n")
    result = split(text, context_dir=ctx)
    runtime = _runtime_stage(result.text)
    assert runtime.count("apt-get update") == 1
    assert "apt-get install -y jq \\\n    && apt-get install -y --no-install-recommends libpq5 libgomp1 \\\n" in runtime
    assert "# libgomp1: lightgbm loads libgomp.so.1\n" in runtime  # libpq5 came from libpq-dev already
    (change,) = result.changes
    assert "; it also installs libgomp1, which the full image has and slim lacks (lightgbm" in change.message


def test_a_build_only_package_a_distribution_runs_stays_at_run_time(tmp_path: Path) -> None:
    text, ctx = _app(tmp_path, "GitPython\n", apt="RUN apt-get update && apt-get install -y git gcc\n")
    result = split(text, context_dir=ctx)
    runtime = _runtime_stage(result.text)
    assert "apt-get install -y git \\\n" in runtime
    assert "gcc" not in runtime
    assert "--no-install-recommends" not in runtime  # the user's own git keeps its recommends
    (change,) = result.changes
    assert "(git stays in the runtime stage too: gitpython runs git)" in change.message
    # negative control: without GitPython, git is build-only and goes to the builder alone
    text, ctx = _app(tmp_path, "flask\n", apt="RUN apt-get update && apt-get install -y git gcc\n")
    assert "git" not in _runtime_stage(split(text, context_dir=ctx).text)


def test_lock_files_list_the_transitive_distributions(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "app"\npackage-mode = false\n')
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "my-model"\n\n[[package]]\nname = "LightGBM"\n')
    text = (
        "FROM python:3.12\nWORKDIR /app\nRUN pip install poetry && poetry config virtualenvs.create false\n"
        'COPY pyproject.toml poetry.lock ./\nRUN poetry install --no-root\nCOPY . .\nCMD ["python", "app.py"]\n'
    )
    assert "# libgomp1: lightgbm loads libgomp.so.1\n" in split(text, context_dir=tmp_path).text


def test_install_needs_declines_on_a_base_without_apt() -> None:
    """The runtime stage must be able to run apt-get: on Alpine (another package table) it declines."""
    from dockopt.model.distributions import RuntimeNeed
    from dockopt.passes.base import Context, Decline
    from dockopt.passes.multi_stage.apt_plan import install_needs
    from dockopt.passes.multi_stage.job import Job

    doc = dockopt.parse("FROM python:3.12-alpine AS builder\nRUN pip install lightgbm\nFROM python:3.12-alpine\n")
    job = Job(doc, doc.stages[0], Context(), dockopt.model.analysis.analyse(doc))
    need = RuntimeNeed("libgomp1", "lightgbm loads libgomp.so.1")
    expected = "libgomp1: lightgbm loads libgomp.so.1, but its base image `python:3.12-alpine` is not Debian"
    with pytest.raises(Decline, match=re.escape(expected)):
        install_needs(job, doc, [need])
    debian_doc = dockopt.parse("FROM python:3.12 AS builder\nRUN pip install lightgbm\nFROM python:3.12\n")
    assert "libgomp1" in install_needs(job, debian_doc, [need]).to_source()


def test_alpine_base_is_split_without_debian_packages(tmp_path: Path) -> None:
    text, ctx = _app(tmp_path, "lightgbm\n")
    out = split(text.replace("FROM python:3.12\n", "FROM python:3.12-alpine\n"), context_dir=ctx)
    assert "libgomp1" not in out.text and "apt-get" not in out.text


# ---------------------------------------------------------------------------
# Where the environment lives (bench/realworld: schedo-uv, treadbook-users)
# ---------------------------------------------------------------------------

UV = "FROM python:3.12\nWORKDIR /app\nRUN pip install uv\nCOPY pyproject.toml uv.lock ./\n"


def _runtime(text: str) -> str:
    return text.split("\n\nFROM ", 1)[1]


def test_uv_sync_keeps_its_venv_where_it_is_and_off_path() -> None:
    """schedo-uv: `uv sync` into /app/.venv, not on PATH, run as `.venv/bin/python app.py`."""
    text = UV + "RUN uv sync --locked --no-install-project\nCOPY . .\n"
    result = split(text)
    runtime = _runtime(result.text)
    assert "COPY --from=builder /app/.venv /app/.venv" in runtime
    assert "/opt/venv" not in result.text and "UV_PROJECT_ENVIRONMENT" not in result.text
    assert "ENV" not in runtime  # PATH and VIRTUAL_ENV stay as the original had them
    assert "# dockopt: ignore=DO003" in runtime
    assert "stays off PATH, as in the original" in result.changes[0].message
    # the whole pipeline: path-env (DO003) must not put it on PATH either
    full = dockopt.rewrite(text)
    assert "ENV" not in _runtime(full.text), full.text
    assert not [c for c in full.changes if c.rule == "DO003"]


def test_uv_sync_venv_on_path_stays_on_path() -> None:
    text = UV + "RUN uv sync --locked --no-install-project\nCOPY . .\nENV PATH=/app/.venv/bin:$PATH\nCMD python app.py\n"
    result = split(text)
    runtime = _runtime(result.text)
    assert "COPY --from=builder /app/.venv /app/.venv" in runtime
    assert "ignore=DO003" not in runtime
    assert runtime.count("ENV") == 1 and "ENV PATH=/app/.venv/bin:$PATH" in runtime
    assert "it is on PATH, as in the original" in result.changes[0].message


def test_plain_pip_still_gets_dockopts_venv_on_path() -> None:
    """Negative control for the above: an install into the interpreter moves to /opt/venv, put on PATH."""
    result = split(BASE + "RUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n")
    runtime = _runtime(result.text)
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime
    assert "ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH" in runtime
    assert "ignore=DO003" not in runtime


def test_uv_project_environment_is_followed() -> None:
    text = UV.replace("RUN pip install uv\n", "RUN pip install uv\nENV UV_PROJECT_ENVIRONMENT=/opt/env PATH=/opt/env/bin:$PATH\n")
    result = split(text + "RUN uv sync --locked --no-install-project\nCOPY . .\nCMD python app.py\n")
    runtime = _runtime(result.text)
    assert "COPY --from=builder /opt/env /opt/env" in runtime
    assert "ENV UV_PROJECT_ENVIRONMENT=/opt/env PATH=/opt/env/bin:$PATH" in runtime  # the file's own line
    assert "ignore=DO003" not in runtime


def test_uv_project_environment_in_the_system_prefix_declines() -> None:
    text = UV.replace("RUN pip install uv\n", "RUN pip install uv\nENV UV_PROJECT_ENVIRONMENT=/usr/local\n")
    (message,) = skip_messages(text + "RUN uv sync --locked --no-install-project\nCOPY . .\n")
    assert "the image's own Python (/usr/local)" in message


def test_uv_venv_copy_stays_below_a_copy_that_may_fill_it() -> None:
    """`COPY . .` before `uv sync` writes into /app (a .venv of the context too): the environment is copied after it."""
    text = "FROM python:3.12\nWORKDIR /app\nRUN pip install uv\nCOPY . .\nRUN uv sync --locked --no-editable\nCMD [\".venv/bin/python\", \"app.py\"]\n"
    runtime = _runtime(split(text).text)
    assert runtime.index("COPY . .") < runtime.index("COPY --from=builder /app/.venv /app/.venv")


def test_runtime_reaching_usr_local_uv_declines_when_the_venv_is_kept() -> None:
    text = UV + "RUN uv sync --locked --no-install-project\nCOPY . .\nCMD [\"/usr/local/bin/uv\", \"run\", \"app.py\"]\n"
    (message,) = skip_messages(text)
    assert "/usr/local/bin/uv" in message


def test_installs_into_two_places_decline() -> None:
    text = UV + "RUN uv sync --locked --no-install-project\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    (message,) = skip_messages(text)
    assert "2 places (/app/.venv, the interpreter)" in message


POETRY = "FROM python:3.12\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\n"


def test_poetry_own_venv_declines() -> None:
    """treadbook-users: poetry's default virtualenv under ~/.cache/pypoetry, reached with `poetry run`."""
    (message,) = skip_messages(POETRY + "RUN pip install poetry && poetry install --no-root\nCOPY . .\nCMD python app.py\n")
    assert "virtualenv of its own" in message and "poetry run" in message
    assert "POETRY_VIRTUALENVS_CREATE=false" in message


@pytest.mark.parametrize(
    "setting",
    [
        "RUN pip install poetry && poetry config virtualenvs.create false && poetry install --no-root\n",
        "ENV POETRY_VIRTUALENVS_CREATE=false\nRUN pip install poetry && poetry install --no-root\n",
    ],
)
def test_poetry_without_its_own_venv_is_split(setting: str) -> None:
    """Negative control: virtualenvs.create false installs into the interpreter, which dockopt's venv replaces."""
    result = split(POETRY + setting + "COPY . .\nCMD python app.py\n")
    assert result.changes and not result.skips
    assert "COPY --from=builder /opt/venv /opt/venv" in _runtime(result.text)


def test_poetry_in_project_venv_is_kept() -> None:
    text = POETRY + "ENV POETRY_VIRTUALENVS_IN_PROJECT=true\nRUN pip install poetry && poetry install --no-root\nCOPY . .\nCMD [\".venv/bin/python\", \"app.py\"]\n"
    result = split(text)
    runtime = _runtime(result.text)
    assert "COPY --from=builder /app/.venv /app/.venv" in runtime and "/opt/venv" not in result.text
    assert "/usr/local/bin/pip" not in result.text  # no venv of dockopt's is active: pip installs poetry outside it anyway
    assert "ignore=DO003" in runtime


def test_poetry_in_project_from_poetry_toml(tmp_path: Path) -> None:
    (tmp_path / "poetry.toml").write_text("[virtualenvs]\nin-project = true\n")
    (tmp_path / "pyproject.toml").write_text("[tool.poetry]\npackage-mode = false\n")
    text = "FROM python:3.12\nWORKDIR /app\nRUN pip install poetry\nCOPY pyproject.toml poetry.lock poetry.toml ./\nRUN poetry install\nCOPY . .\n"
    assert "COPY --from=builder /app/.venv /app/.venv" in _runtime(split(text, context_dir=tmp_path).text)


def test_pipenv_in_project_venv_is_kept_and_its_own_declined() -> None:
    base = "FROM python:3.12\nWORKDIR /app\nRUN pip install pipenv\nCOPY Pipfile Pipfile.lock ./\n"
    kept = split(base + "ENV PIPENV_VENV_IN_PROJECT=1\nRUN pipenv install --deploy\nCOPY . .\n")
    assert "COPY --from=builder /app/.venv /app/.venv" in _runtime(kept.text)
    (message,) = skip_messages(base + "RUN pipenv install --deploy\nCOPY . .\n")
    assert "virtualenv of its own" in message and "pipenv run" in message


# ---------------------------------------------------------------------------
# Requirements files that include others (bench/realworld: fastapi-tdd)
# ---------------------------------------------------------------------------

INCLUDE = "FROM python:3.12\nWORKDIR /usr/src/app\nCOPY ./requirements.txt .\nCOPY ./requirements-dev.txt .\nCOPY app.py .\nRUN pip install -r requirements-dev.txt\nCOPY . .\nCMD python app.py\n"


def _builder(text: str) -> str:
    return text.split("\n\nFROM ", 1)[0]


@pytest.mark.parametrize("context", [False, True])
def test_included_requirements_file_is_copied_in_the_builder(tmp_path: Path, context: bool) -> None:
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\nsix\n")
    (tmp_path / "requirements.txt").write_text("tabulate\n")
    (tmp_path / "app.py").write_text("")
    result = split(INCLUDE, context_dir=tmp_path if context else None)
    builder = _builder(result.text)
    assert "COPY ./requirements.txt ." in builder and "COPY ./requirements-dev.txt ." in builder
    assert "COPY app.py ." not in builder  # negative control: code the install doesn't read stays at run time


def test_nested_includes_and_constraints_with_the_whole_pipeline(tmp_path: Path) -> None:
    """deps-first (DO001) and multi-stage together keep every file of the closure before the install."""
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "dev.txt").write_text("-r base.txt\n-c ../constraints.txt\npytest\n")
    (tmp_path / "requirements" / "base.txt").write_text("-r core.txt\nflask\n")
    (tmp_path / "requirements" / "core.txt").write_text("click\n")
    (tmp_path / "constraints.txt").write_text("click<9\n")
    (tmp_path / "app.py").write_text("")
    text = (
        "FROM python:3.12\nWORKDIR /app\nCOPY requirements/core.txt requirements/\nCOPY requirements/base.txt requirements/\n"
        "COPY constraints.txt .\nCOPY app.py .\nCOPY requirements/dev.txt requirements/\n"
        "RUN pip install -r requirements/dev.txt\nCMD python app.py\n"
    )
    result = dockopt.rewrite(text, context_dir=tmp_path)
    builder = _builder(result.text)
    for copy in ("COPY requirements/core.txt", "COPY requirements/base.txt", "COPY constraints.txt", "COPY requirements/dev.txt"):
        assert copy in builder, result.text
    assert "COPY app.py ." not in builder  # negative control: DO001 moves the code below the install
    assert "below the dependency install" in " ".join(c.message for c in result.changes if c.rule == "DO001")


def test_virtual_env_naming_uvs_project_environment_is_kept() -> None:
    """The uv docs' shape: ENV VIRTUAL_ENV/PATH naming /app/.venv, which `uv sync` fills (it ignores VIRTUAL_ENV)."""
    env = "ENV VIRTUAL_ENV=/app/.venv PATH=/app/.venv/bin:$PATH\n"
    result = split(UV.replace("RUN pip install uv\n", "RUN pip install uv\n" + env) + "RUN uv sync --locked --no-install-project\nCOPY . .\n")
    assert "COPY --from=builder /app/.venv /app/.venv" in _runtime(result.text)
    # negative controls: another directory, or pip (which would install into the interpreter)
    other = UV.replace("RUN pip install uv\n", "RUN pip install uv\nENV VIRTUAL_ENV=/venv\n")
    assert "ENV VIRTUAL_ENV" in skip_messages(other + "RUN uv sync --locked --no-install-project\n")[0]
    assert "ENV VIRTUAL_ENV" in skip_messages(BASE + env + "RUN pip install -r requirements.txt\n")[0]


# ---------------------------------------------------------------------------
# Python installers dockopt does not model (found by the widened real-world scan)
# ---------------------------------------------------------------------------

UNMODELLED = [
    # pdm into __pypackages__ (the shape of ponbac/qatar-time-backend): the split moved `pip install pdm`
    # to the builder and left `pdm install` in the slim runtime stage, without the compilers
    ("RUN pip install pdm", "RUN pdm install --prod --no-lock", "pdm install"),
    ("RUN pip install pdm", "RUN python -m pdm sync", "pdm sync"),
    ("RUN pip install pip-tools", "RUN pip-sync requirements.txt", "pip-sync"),
    ("RUN pip install conda", "RUN conda env update -f environment.yml", "conda env"),
    ("RUN pip install hatch", "RUN hatch env create", "hatch env"),
]


@pytest.mark.parametrize(("tool", "install", "shown"), UNMODELLED)
def test_unmodelled_python_installer_declines_the_split(tool: str, install: str, shown: str) -> None:
    text = f"FROM python:3.11\n{tool}\nCOPY pyproject.toml /app/\nWORKDIR /app\n{install}\nCOPY . .\nCMD [\"python\", \"-m\", \"app\"]\n"
    messages = skip_messages(text)
    assert any(f"`{shown}`" in m and "does not model" in m for m in messages), messages


@pytest.mark.parametrize(
    "command",
    ["RUN pdm --version", "RUN pdm run python -m app", "RUN conda list", "RUN hatch build", "RUN pipx --version"],
)
def test_unmodelled_tool_that_installs_nothing_still_splits(command: str) -> None:
    # negative control: the same tools, called for something other than an install
    text = f"FROM python:3.11\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n{command}\nCOPY . .\n"
    assert split(text).changed, skip_messages(text)
