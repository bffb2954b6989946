"""DO001 deps-first: which files get copied first, when the rule declines, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

import dockopt
from dockopt.passes import deps_first
from dockopt.passes.deps_first import DockerIgnore
from dockopt.pipeline import RewriteResult
from tests.conftest import FIXTURES
from tests.passes.harness import check_invariants

APPS = FIXTURES / "apps"


def rewrite(text: str, **options: object) -> RewriteResult:
    return dockopt.rewrite(text, select=["deps-first"], **options)


def skip_messages(result: RewriteResult) -> list[str]:
    return [s.message for s in result.skips if s.rule == "DO001"]


def declined(text: str, fragment: str, **options: object) -> None:
    result = rewrite(text, **options)
    assert not result.changed, result.text
    messages = skip_messages(result)
    assert any(fragment in m for m in messages), messages


def context(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return tmp_path


def stage(body: str) -> str:
    return f'FROM python:3.12\nWORKDIR /app\n{body}CMD ["python", "app.py"]\n'


PIP = stage("COPY . .\nRUN pip install -r requirements.txt\n")


# -- the documentation example -----------------------------------------------------------


def test_rule_example_is_real_output() -> None:
    rule = deps_first.RULE
    assert rule.id == "DO001" and rule.name == "deps-first" and rule.safety == "safe"
    assert rewrite(rule.before).text == rule.after
    assert "Before" in rule.explain()


# -- the example apps, read with their build context ------------------------------------------

APP_RESULTS = {
    "arg-base": ["COPY requirements.txt .\n"],
    "django-collectstatic": ["COPY requirements.txt .\n"],
    "fastapi-uvicorn": ["COPY requirements.txt /code/\n"],
    "flask-gunicorn": ["COPY requirements.txt .\n"],
    "healthcheck-curl": ["COPY requirements.txt /app/\n"],
    "models-dir": ["COPY requirements.txt .\n"],
    "nonroot-entrypoint": ["COPY requirements.txt /app/\n"],
    "pipenv-app": ["COPY Pipfile Pipfile.lock ./\n"],
    "poetry-app": ["COPY pyproject.toml poetry.lock ./\n"],
    "psycopg2-source": ["COPY requirements.txt /app/\n"],
    "requirements-with-constraints": ["COPY requirements.txt constraints.txt ./\n"],
    "runtime-tool": ["COPY requirements.txt .\n"],
    # uv-app has no [build-system]: uv never installs the project, so one step is enough;
    # .python-version picks the interpreter and is in the context.
    "uv-app": ["COPY pyproject.toml uv.lock .python-version ./\n", "RUN uv sync --locked\n"],
}


@pytest.mark.parametrize("app", sorted(APP_RESULTS))
def test_app_with_context(app: str) -> None:
    folder = APPS / app
    original = (folder / "Dockerfile").read_text()
    result = rewrite(original, context_dir=folder)
    assert result.changed, skip_messages(result)
    for fragment in APP_RESULTS[app]:
        assert fragment in result.text
    # The code COPY now comes after every dependency install.
    lines = result.text.splitlines()
    code_copy = max(i for i, line in enumerate(lines) if line.startswith(("COPY . ", "ADD . ")))
    installs = [i for i, line in enumerate(lines) if " install" in line and line.startswith("RUN")]
    assert all(i < code_copy for i in installs if "requirements" in lines[i] or "pipenv" in lines[i])
    assert skip_messages(result) == []
    check_invariants(original, result.text, select=["deps-first"], context_dir=folder)


def test_console_script_is_skipped_with_reason() -> None:
    folder = APPS / "console-script"
    declined((folder / "Dockerfile").read_text(), "installs the project itself (`pip install .`)", context_dir=folder)


@pytest.mark.parametrize("app", ["already-multistage", "cli-click"])
def test_apps_with_nothing_to_do(app: str) -> None:
    folder = APPS / app
    result = rewrite((folder / "Dockerfile").read_text(), context_dir=folder)
    assert not result.changed and skip_messages(result) == []


def test_collectstatic_stays_after_the_code() -> None:
    folder = APPS / "django-collectstatic"
    text = rewrite((folder / "Dockerfile").read_text(), context_dir=folder).text
    assert text.index("RUN pip install") < text.index("COPY . .") < text.index("RUN python manage.py collectstatic")


def test_chmod_of_the_entrypoint_stays_after_the_code() -> None:
    folder = APPS / "nonroot-entrypoint"
    text = rewrite((folder / "Dockerfile").read_text(), context_dir=folder).text
    assert text.index("RUN pip install") < text.index("COPY . /app") < text.index("RUN chmod +x /app/entrypoint.sh")


def test_change_message_names_the_files() -> None:
    result = rewrite(PIP)
    (change,) = result.changes
    assert change.rule == "DO001" and change.line == 3
    assert "copy `requirements.txt`" in change.message
    assert "-r includes inside the requirement files were not checked" in change.message
    folder = APPS / "flask-gunicorn"
    (change,) = rewrite((folder / "Dockerfile").read_text(), context_dir=folder).changes
    assert "not checked" not in change.message


# -- requirement files read in the context ---------------------------------------------------------


def test_includes_are_followed(tmp_path: Path) -> None:
    ctx = context(
        tmp_path,
        {
            "requirements/prod.txt": "-r base.txt\n--constraint=../constraints.txt\nflask  # web\n",
            "requirements/base.txt": "requests \\\n  >=2\n-rextra.txt\n",
            "requirements/extra.txt": "click\n",
            "requirements/dev.txt": "pytest\n",
            "constraints.txt": "requests==2.32.3\n",
        },
    )
    result = rewrite(stage("COPY . .\nRUN pip install -r requirements/prod.txt\n"), context_dir=ctx)
    assert "COPY requirements/prod.txt requirements/base.txt requirements/extra.txt requirements/\n" in result.text
    assert "COPY constraints.txt .\n" in result.text
    assert "dev.txt" not in result.text


def test_nested_file_without_context_copies_its_directory() -> None:
    result = rewrite(stage("COPY . .\nRUN pip install -r requirements/prod.txt\n"))
    assert "COPY requirements/ requirements/\n" in result.text


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("-e .\n", "installs from the source tree"),
        ("--editable ./lib\n", "installs from the source tree"),
        ("./vendor/pkg\n", "installs a local path"),
        ("mypkg @ file:///app/vendor/mypkg\n", "installs a local path"),
        ("wheels/foo-1.0-py3-none-any.whl\n", "installs a local path"),
        ("--find-links ./wheels\nfoo\n", "installs from the source tree"),
        ("-r ../outside.txt\n", "outside the copied directory"),
        ("-r missing.txt\n", "not in the build context"),
    ],
)
def test_requirement_file_needing_the_tree(tmp_path: Path, content: str, fragment: str) -> None:
    ctx = context(tmp_path, {"requirements.txt": content})
    declined(PIP, fragment, context_dir=ctx)


def test_vcs_requirements_are_fine(tmp_path: Path) -> None:
    ctx = context(
        tmp_path, {"requirements.txt": "-e git+https://github.com/a/b.git#egg=b\n-r https://example.com/r.txt\n"}
    )
    assert rewrite(PIP, context_dir=ctx).changed


def test_missing_manifest(tmp_path: Path) -> None:
    declined(PIP, "`requirements.txt`, which is not in the build context", context_dir=context(tmp_path, {}))


@pytest.mark.parametrize(
    ("ignore", "changed"),
    [
        ("requirements.txt\n", False),
        ("*.txt\n", False),
        ("*\n!requirements.txt\n", True),
        ("**/*.pyc\n.git\n", True),
        ("# requirements.txt\n", True),
    ],
)
def test_dockerignore(tmp_path: Path, ignore: str, changed: bool) -> None:
    ctx = context(tmp_path, {"requirements.txt": "flask\n", ".dockerignore": ignore})
    result = rewrite(PIP, context_dir=ctx)
    assert result.changed is changed
    if not changed:
        assert any("excluded by .dockerignore" in m for m in skip_messages(result))


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        (".git\n", ".git/config", True),
        ("*.txt\n", "requirements.txt", True),
        ("*.txt\n", "requirements/prod.txt", False),
        ("**/*.txt\n", "requirements/prod.txt", True),
        ("requirements/\n", "requirements/prod.txt", True),
        ("/build\n", "build/x", True),
        ("docs/**\n", "docs/a/b.md", True),
        ("*\n!src\n", "src/app.py", False),
        ("req?.txt\n", "req1.txt", True),
        ("[a-c].txt\n", "b.txt", True),
        ("[!a-c].txt\n", "b.txt", False),
    ],
)
def test_dockerignore_matcher(patterns: str, path: str, ignored: bool) -> None:
    assert DockerIgnore(patterns).ignored(path) is ignored


# -- project-based installers --------------------------------------------------------------------


POETRY = stage("COPY . .\nRUN poetry install --no-interaction\n")
UV = stage("COPY . .\nRUN uv sync --locked\n")


def test_poetry_two_step_without_context() -> None:
    text = rewrite(POETRY).text
    assert (
        "COPY pyproject.toml poetry.lock* ./\nRUN poetry install --no-interaction --no-root\nCOPY . .\nRUN poetry install --no-interaction\n"
        in text
    )


def test_poetry_package_mode_off_is_one_step(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"pyproject.toml": "[tool.poetry]\npackage-mode = false\n", "poetry.lock": ""})
    text = rewrite(POETRY, context_dir=ctx).text
    assert "COPY pyproject.toml poetry.lock ./\nRUN poetry install --no-interaction\nCOPY . .\n" in text


def test_poetry_local_config_is_copied_when_present(tmp_path: Path) -> None:
    ctx = context(
        tmp_path, {"pyproject.toml": "[tool.poetry]\nname = 'x'\n", "poetry.toml": "[virtualenvs]\nin-project = true\n"}
    )
    text = rewrite(POETRY, context_dir=ctx).text
    assert "COPY pyproject.toml poetry.toml ./\n" in text  # no lock in the context: none copied


def test_poetry_path_dependency(tmp_path: Path) -> None:
    ctx = context(
        tmp_path,
        {"pyproject.toml": "[tool.poetry.group.dev.dependencies]\nlib = { path = 'libs/lib', develop = true }\n"},
    )
    declined(POETRY, "takes `lib` from a local path", context_dir=ctx)


def test_poetry_only_root() -> None:
    declined(stage("COPY . .\nRUN poetry install --only-root\n"), "installs only the project itself")


def test_poetry_install_chained_is_not_split() -> None:
    declined(stage("COPY . .\nRUN pip install poetry && poetry install\n"), "only command of its RUN")


def test_poetry_already_split_is_left_alone() -> None:
    text = stage("COPY pyproject.toml poetry.lock ./\nRUN poetry install --no-root\nCOPY . .\nRUN poetry install\n")
    result = rewrite(text)
    assert not result.changed and result.skips == []


def test_uv_package_is_two_step(tmp_path: Path) -> None:
    ctx = context(
        tmp_path,
        {"pyproject.toml": "[project]\nname = 'x'\n[build-system]\nrequires = ['hatchling']\n", "uv.lock": ""},
    )
    text = rewrite(UV, context_dir=ctx).text
    assert (
        "COPY pyproject.toml uv.lock ./\nRUN uv sync --locked --no-install-project\nCOPY . .\nRUN uv sync --locked\n"
        in text
    )


def test_uv_package_flag_wins(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n[tool.uv]\npackage = true\n", "uv.lock": ""})
    assert "--no-install-project" in rewrite(UV, context_dir=ctx).text


def test_uv_without_lock_flag_globs_the_lock() -> None:
    text = rewrite(stage("COPY . .\nRUN uv sync\n")).text
    assert "COPY pyproject.toml uv.lock* ./\n" in text


@pytest.mark.parametrize(
    ("pyproject", "fragment"),
    [
        ("[tool.uv.workspace]\nmembers = ['packages/*']\n", "declares a uv workspace"),
        ("[tool.uv.sources]\nlib = { path = 'lib' }\n", "takes `lib` from a local path or workspace"),
        ("[project]\ndependencies = ['lib @ file:///app/lib']\n", "depends on a local path"),
        ("[project\n", "is not valid TOML"),
    ],
)
def test_uv_project_needing_the_tree(tmp_path: Path, pyproject: str, fragment: str) -> None:
    ctx = context(tmp_path, {"pyproject.toml": pyproject, "uv.lock": ""})
    declined(UV, fragment, context_dir=ctx)


def test_uv_export_must_leave_out_the_project() -> None:
    text = stage("COPY . .\nRUN uv export --frozen -o requirements.txt\nRUN pip install -r requirements.txt\n")
    declined(text, "exports the project itself")
    fixed = text.replace("--frozen", "--frozen --no-emit-project")
    result = rewrite(fixed)
    assert "COPY pyproject.toml uv.lock ./\n" in result.text


def test_export_by_redirect() -> None:
    text = stage("COPY . .\nRUN pipenv requirements > requirements.txt && pip install -r requirements.txt\n")
    result = rewrite(text)
    assert "COPY Pipfile Pipfile.lock ./\n" in result.text


def test_export_overwritten_by_the_context(tmp_path: Path) -> None:
    text = stage("COPY . .\nRUN poetry export -o requirements.txt\nRUN pip install -r requirements.txt\n")
    ctx = context(tmp_path, {"pyproject.toml": "", "poetry.lock": "", "requirements.txt": "stale\n"})
    declined(text, "has its own `requirements.txt`", context_dir=ctx)
    (tmp_path / ".dockerignore").write_text("requirements.txt\n")
    assert rewrite(text, context_dir=ctx).changed


def test_pipfile_path_entry(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"Pipfile": '[packages]\nme = {path = ".", editable = true}\n', "Pipfile.lock": "{}"})
    declined(stage("COPY . .\nRUN pipenv install --system --deploy\n"), "from a local path", context_dir=ctx)


def test_pipenv_install_of_named_packages() -> None:
    declined(stage("COPY . .\nRUN pipenv install requests\n"), "adds packages to the Pipfile")


def test_pipenv_lock_optional_without_deploy() -> None:
    assert "COPY Pipfile Pipfile.lock* ./\n" in rewrite(stage("COPY . .\nRUN pipenv install\n")).text


# -- what may sit between the code COPY and the install --------------------------------------------


def test_neutral_instructions_keep_their_order() -> None:
    text = stage(
        "COPY . .\nENV PIP_NO_CACHE_DIR=1\nLABEL a=b\nUSER root\n"
        "RUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*\n"
        "RUN pip install --upgrade pip\nRUN useradd app && mkdir -p /var/cache/app\n"
        "RUN pip install -r requirements.txt\nEXPOSE 80\n"
    )
    result = rewrite(text)
    expected = text.replace("COPY . .\n", "COPY requirements.txt .\n").replace(
        "RUN pip install -r requirements.txt\n", "RUN pip install -r requirements.txt\nCOPY . .\n"
    )
    assert result.text == expected


def test_two_installs_reading_different_files() -> None:
    text = stage("COPY . .\nRUN pip install -r requirements.txt\nRUN pip install -r requirements-dev.txt\n")
    assert "COPY requirements.txt requirements-dev.txt ./\n" in rewrite(text).text


@pytest.mark.parametrize(
    ("between", "fragment"),
    [
        ("RUN python setup.py build_ext\n", "`python` (line 4) may use the copied code"),
        ("RUN chmod +x entrypoint.sh\n", "may touch the copied code"),
        ("RUN chown -R app /app\n", "may touch the copied code"),
        ("RUN ./configure\n", "may use the copied code"),
        ("RUN echo build > version.txt\n", "writes `version.txt`, where the code goes"),
        ("RUN cat extra.txt > /tmp/x\n", "`cat` (line 4) may use the copied code"),
        ("RUN apt-get install -y $(cat apt.txt)\n", "command substitution"),
        ("RUN if [ -f x ]; then echo; fi\n", "shell construct"),
        ('RUN ["python", "gen.py"]\n', "exec-form RUN"),
        ("VOLUME /data\n", "the VOLUME on line 4"),
        ('SHELL ["powershell", "-Command"]\n', "the SHELL on line 4"),
        ("COPY config.ini ./\n", "writes to `./`"),
        ("RUN apt-get install -y ./local.deb\n", "installs local package files"),
    ],
)
def test_code_used_between_copy_and_install(between: str, fragment: str) -> None:
    text = stage(f"COPY . .\n{between}RUN pip install -r requirements.txt\n")
    result = rewrite(text)
    assert not result.changed
    (message,) = skip_messages(result)
    assert fragment in message
    assert "cannot move below the install" in message


def test_copy_elsewhere_between_is_fine() -> None:
    text = stage("COPY . .\nCOPY --from=builder /opt/venv /opt/venv\nRUN pip install -r requirements.txt\n")
    assert rewrite(text).changed


def test_workdir_between_with_relative_destination() -> None:
    text = "FROM python:3.12\nWORKDIR /src\nCOPY . .\nWORKDIR /src/app\nRUN pip install -r ../requirements.txt\n"
    declined(text, "changes where the destination `.`")


def test_workdir_between_with_absolute_destination() -> None:
    text = "FROM python:3.12\nCOPY . /src\nWORKDIR /src/app\nRUN pip install -r ../requirements.txt\n"
    assert "COPY requirements.txt /src/\n" in rewrite(text).text


def test_variable_destination_and_env_between() -> None:
    text = (
        "FROM python:3.12\nARG APP=/app\nCOPY . $APP\nENV APP=/srv\nWORKDIR /app\nRUN pip install -r requirements.txt\n"
    )
    declined(text, "may change a variable the COPY on line 3 uses")


def test_code_after_the_install_is_untouched() -> None:
    text = stage("COPY . .\nRUN pip install -r requirements.txt\nRUN python -m compileall .\n")
    result = rewrite(text)
    assert result.text.endswith(
        'RUN pip install -r requirements.txt\nCOPY . .\nRUN python -m compileall .\nCMD ["python", "app.py"]\n'
    )


def test_cd_in_the_install_run() -> None:
    text = "FROM python:3.12\nCOPY . /src\nRUN cd /src && pip install -r requirements.txt\n"
    assert "COPY requirements.txt /src/\n" in rewrite(text).text


# -- other declines --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (stage("COPY . .\nRUN pip install .\n"), "installs the project itself (`pip install .`)"),
        (stage("COPY . .\nRUN pip install -e .[dev]\n"), "installs the project itself"),
        (stage("COPY . .\nRUN pip install -r requirements.txt && python setup.py develop\n"), "also runs `python`"),
        (stage("COPY . .\nRUN pip install -r requirements.txt -f ./wheels\n"), "uses -f ./wheels"),
        (stage("COPY . .\nRUN pip install --target ./lib -r requirements.txt\n"), "uses --target ./lib"),
        (stage("COPY . .\nRUN pip install -r /tmp/requirements.txt\n"), "outside the directory"),
        (stage("COPY . .\nRUN PIP_CONSTRAINT=c.txt pip install -r requirements.txt\n"), "PIP_CONSTRAINT"),
        (
            "FROM python:3.12\nENV PIP_FIND_LINKS=/app/wheels\nWORKDIR /app\nCOPY . .\nRUN pip install -r r.txt\n",
            "PIP_FIND_LINKS",
        ),
        (stage("COPY . .\nRUN <<EOF\npip install -r requirements.txt\nEOF\n"), "heredoc"),
        (stage("COPY --from=src . .\nRUN pip install -r requirements.txt\n"), "`--from=src`"),
        (stage("COPY --exclude=*.md . .\nRUN pip install -r requirements.txt\n"), "--exclude=*.md"),
        (stage("ONBUILD COPY . .\nONBUILD RUN pip install -r requirements.txt\n"), "ONBUILD"),
        (stage("COPY . .\nRUN pip install -r $REQS\n"), "names its requirement file `$REQS` with a variable"),
        (stage("COPY . .\nRUN uv sync --project backend\n"), "names another project directory"),
    ],
)
def test_declines(text: str, fragment: str) -> None:
    declined(text, fragment)


def test_project_after_its_dependencies_is_not_reported() -> None:
    text = stage(
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nRUN pip install --no-deps .\n"
    )
    result = rewrite(text)
    assert not result.changed and result.skips == []


def test_suppression_on_the_install() -> None:
    text = stage("COPY . .\n# dockopt: ignore=DO001\nRUN pip install -r requirements.txt\n")
    result = rewrite(text)
    assert not result.changed and result.skips == []


def test_copy_without_install_is_silent() -> None:
    result = rewrite(stage("COPY . .\nRUN python -m compileall .\n"))
    assert not result.changed and result.skips == []


def test_every_stage_is_handled() -> None:
    text = (
        "FROM python:3.12 AS builder\nWORKDIR /build\nCOPY . .\nRUN pip wheel -r requirements.txt -w /wheels\n\n"
        'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["python", "app.py"]\n'
    )
    result = rewrite(text)
    assert result.text.count("COPY requirements.txt .\n") == 2
    assert len(result.changes) == 2
    check_invariants(text, result.text, select=["deps-first"])


def test_the_moved_copy_keeps_its_flags_and_json_form() -> None:
    text = stage('COPY --chown=1000:1000 --chmod=644 [".", "/app/"]\nRUN pip install -r requirements.txt\n')
    result = rewrite(text)
    assert "COPY --chown=1000:1000 --chmod=644 requirements.txt /app/\n" in result.text
    assert 'RUN pip install -r requirements.txt\nCOPY --chown=1000:1000 --chmod=644 [".", "/app/"]\n' in result.text


def test_bash_shell_is_fine() -> None:
    text = stage(
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCOPY . .\nSHELL ["/bin/sh", "-c"]\nRUN pip install -r requirements.txt\n'
    )
    assert "COPY requirements.txt .\n" in rewrite(text).text


def test_powershell_stage_is_left_alone() -> None:
    text = stage('SHELL ["powershell", "-Command"]\nCOPY . .\nRUN pip install -r requirements.txt\n')
    result = rewrite(text)
    assert not result.changed and result.skips == []
