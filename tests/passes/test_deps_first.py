"""DO001 deps-first: which files get copied first, when the rule declines, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

import dockopt
from dockopt.model import project
from dockopt.model.context import DockerIgnore
from dockopt.passes import deps_first
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


def test_console_script_installs_its_dependencies_first() -> None:
    folder = APPS / "console-script"
    original = (folder / "Dockerfile").read_text()
    result = rewrite(original, context_dir=folder)
    reader = project.dependency_reader("pyproject.toml")
    assert result.text == (
        "FROM python:3.12\nWORKDIR /usr/src/wordstat\nCOPY pyproject.toml .\n"
        f'RUN python -c "{reader}" > /tmp/dockopt-requirements.txt && pip install -r /tmp/dockopt-requirements.txt\n'
        "COPY . .\nRUN pip install --no-deps .\n"
        'CMD ["wordstat", "--top", "3", "data/sample.txt"]\n'
    )
    assert skip_messages(result) == []
    check_invariants(original, result.text, select=["deps-first"], context_dir=folder)


def test_cli_click_moves_its_code_file_below_the_install() -> None:
    folder = APPS / "cli-click"
    original = (folder / "Dockerfile").read_text()
    result = rewrite(original, context_dir=folder)
    assert result.text.index("    -r requirements.txt\n") < result.text.index("COPY cli.py cli.py\n")
    check_invariants(original, result.text, select=["deps-first"], context_dir=folder)


@pytest.mark.parametrize("app", ["already-multistage"])
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


@pytest.mark.parametrize(
    ("files", "included"),
    [
        ({"requirements-dev.txt": "-r requirements.txt\nsix\n", "requirements.txt": "tabulate\n"}, "requirements.txt"),
        ({"requirements-dev.txt": "-c requirements.txt\nsix\n", "requirements.txt": "tabulate<1\n"}, "requirements.txt"),
        # nested: dev includes base, which includes the copied file
        (
            {"requirements-dev.txt": "-r base.txt\n", "base.txt": "-r requirements.txt\n", "requirements.txt": "tabulate\n"},
            "requirements.txt",
        ),
    ],
)
def test_a_copy_of_an_included_file_stays_before_the_install(tmp_path: Path, files: dict[str, str], included: str) -> None:
    """fastapi-tdd: `COPY ./requirements.txt .` is read through requirements-dev.txt's `-r`; moving it below
    the install broke the build."""
    ctx = context(tmp_path, {**files, "app.py": ""})
    copies = "".join(f"COPY ./{name} .\n" for name in files if name != "requirements-dev.txt")
    text = "FROM python:3.12\nWORKDIR /usr/src/app\n" + copies + "COPY ./requirements-dev.txt .\nRUN pip install -r requirements-dev.txt\nCOPY . .\n"
    result = rewrite(text, context_dir=ctx)
    assert not result.changed, result.text
    # negative control: a COPY of a file no requirements file includes still moves below the install
    other = text.replace(f"COPY ./{included} .\n", f"COPY ./{included} .\nCOPY ./app.py .\n")
    moved = rewrite(other, context_dir=ctx)
    assert moved.text.index("RUN pip install") < moved.text.index("COPY ./app.py ."), moved.text
    assert moved.text.index(f"COPY ./{included} .") < moved.text.index("RUN pip install")


def test_nested_file_without_context_copies_its_directory() -> None:
    result = rewrite(stage("COPY . .\nRUN pip install -r requirements/prod.txt\n"))
    assert "COPY requirements/ requirements/\n" in result.text


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
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
        # Go's filepath.Match has no [!...] negation (only [^...]): BuildKit ignores b.txt and !.txt here
        # and keeps d.txt, checked with a real build (tests/e2e/test_dockerignore_engine.py).
        ("[!a-c].txt\n", "b.txt", True),
        ("[!a-c].txt\n", "d.txt", False),
        ("[^a-c].txt\n", "b.txt", False),
        ("[^a-c].txt\n", "d.txt", True),
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


def test_poetry_install_chained_is_split() -> None:
    text = rewrite(stage("COPY . .\nRUN pip install poetry && poetry install\n")).text
    assert "RUN pip install poetry && poetry install --no-root\nCOPY . .\nRUN poetry install\n" in text


def test_poetry_install_after_an_or_is_not_split() -> None:
    declined(stage("COPY . .\nRUN pip install poetry || poetry install\n"), "joins it to the other commands")


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


# -- parts of the project copied as directories (or files) ---------------------------------------


def test_directory_copies_move_below_the_install_in_order() -> None:
    text = stage("COPY requirements.txt .\nCOPY src/ src/\nCOPY templates/ ./templates/\nRUN pip install -r requirements.txt\n")
    result = rewrite(text)
    assert "RUN pip install -r requirements.txt\nCOPY src/ src/\nCOPY templates/ ./templates/\nCMD" in result.text
    (change,) = result.changes
    assert change.line == 4 and "`COPY src/ src/` (line 4) and `COPY templates/ ./templates/` (line 5)" in change.message


def test_a_directory_holding_a_manifest_stays() -> None:
    text = stage("COPY requirements/ requirements/\nCOPY src/ src/\nRUN pip install -r requirements/prod.txt\n")
    result = rewrite(text)
    assert "COPY requirements/ requirements/\nRUN pip install -r requirements/prod.txt\nCOPY src/ src/\n" in result.text
    first_holds = stage("COPY requirements/ requirements/\nRUN pip install -r requirements/prod.txt\n")
    assert not rewrite(first_holds).changed


def test_directory_copy_with_a_whole_context_copy() -> None:
    text = stage("COPY . .\nCOPY assets/ static/\nRUN pip install -r requirements.txt\n")
    result = rewrite(text)
    assert "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCOPY assets/ static/\n" in result.text


@pytest.mark.parametrize(
    "copy",
    [
        "COPY certs/ /usr/local/share/ca-certificates/\n",  # outside the working directory: may change the install
        "COPY pip.conf /etc/pip.conf\n",
        "COPY --from=build /dist dist/\n",  # not from the build context
        "COPY src/ .\n",  # its contents land beside the manifests
        "COPY *.py ./\n",  # a glob may bring anything
        "COPY app.py .\n",  # without the context, app.py may be a directory
    ],
)
def test_copies_that_are_not_moved(copy: str) -> None:
    result = rewrite(stage(f"COPY requirements.txt .\n{copy}RUN pip install -r requirements.txt\n"))
    assert not result.changed, result.text


@pytest.mark.parametrize("base", ["python:3.12", "mycorp/base"])  # the unknown image's WORKDIR may be / too
def test_directory_copy_in_the_root_directory_is_not_moved(base: str) -> None:
    result = rewrite(f"FROM {base}\nCOPY requirements.txt .\nCOPY etc/ etc/\nRUN pip install -r requirements.txt\n")
    assert not result.changed
    below_it = f"FROM {base}\nWORKDIR app\nCOPY requirements.txt .\nCOPY etc/ etc/\nRUN pip install -r requirements.txt\n"
    assert rewrite(below_it).changed


def test_a_file_copy_moves_when_the_context_shows_it_is_a_file(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"requirements.txt": "flask\n", "app.py": "print()\n"})
    text = stage("COPY requirements.txt .\nCOPY app.py .\nRUN pip install -r requirements.txt\n")
    assert "RUN pip install -r requirements.txt\nCOPY app.py .\n" in rewrite(text, context_dir=ctx).text


def test_code_directory_before_the_manifest_copy_needs_the_context(tmp_path: Path) -> None:
    text = stage("COPY src/ src/\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n")
    (skip,) = [s for s in rewrite(text).skips if s.rule == "DO001"]  # requirements.txt could be a directory
    assert "writes to `.`, where the code COPY also writes" in skip.message
    ctx = context(tmp_path, {"requirements.txt": "flask\n", "src/app.py": ""})
    result = rewrite(text, context_dir=ctx)
    assert "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY src/ src/\n" in result.text


def test_instructions_that_touch_a_moved_directory_stop_it() -> None:
    text = stage("COPY requirements.txt .\nCOPY src/ src/\nRUN chmod +x /app/src/run.sh\nRUN pip install -r requirements.txt\n")
    declined(text, "`chmod /app/src/run.sh` (line 5) may touch the copied code; it runs between the code COPY on line 4")


def test_directory_copies_check_the_manifests_in_place(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"requirements.txt": "flask\nmypkg @ file:///app/vendor/mypkg\n", "src/app.py": ""})
    text = stage("COPY requirements.txt .\nCOPY src/ src/\nRUN pip install -r requirements.txt\n")
    declined(text, "installs a local path", context_dir=ctx)


# -- pip install . from pyproject.toml ---------------------------------------------------------------

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "shop"
version = "1.0"
dependencies = ["flask==3.0.3"]

[project.optional-dependencies]
web = ["gunicorn==23.0.0"]
all = ["shop[web]"]
"""
READER_STEP = "> /tmp/dockopt-requirements.txt && pip install -r /tmp/dockopt-requirements.txt"


@pytest.mark.parametrize(
    ("install", "first", "second"),
    [
        ("pip install .", f'python -c "{project.dependency_reader()}" {READER_STEP}', "pip install --no-deps ."),
        (
            "pip install --no-cache-dir -e .",
            f'python -c "{project.dependency_reader()}" > /tmp/dockopt-requirements.txt && pip install --no-cache-dir -r /tmp/dockopt-requirements.txt',
            "pip install --no-deps --no-cache-dir -e .",
        ),
        (
            "pip install '.[web]'",
            f'python -c "{project.dependency_reader("pyproject.toml", ("web",))}" {READER_STEP}',
            "pip install --no-deps '.[web]'",
        ),
        ("pip install /app", f'python -c "{project.dependency_reader("/app/pyproject.toml")}" {READER_STEP}', "pip install --no-deps /app"),
        (
            "/opt/venv/bin/pip3 install .",
            f'/opt/venv/bin/python3 -c "{project.dependency_reader()}" > /tmp/dockopt-requirements.txt && /opt/venv/bin/pip3 install -r /tmp/dockopt-requirements.txt',
            "/opt/venv/bin/pip3 install --no-deps .",
        ),
        (
            "python3.12 -m pip install . gunicorn",
            f'python3.12 -c "{project.dependency_reader()}" > /tmp/dockopt-requirements.txt && python3.12 -m pip install -r /tmp/dockopt-requirements.txt gunicorn',
            "python3.12 -m pip install --no-deps . gunicorn",
        ),
    ],
)
def test_pip_install_dot_in_two_steps(tmp_path: Path, install: str, first: str, second: str) -> None:
    ctx = context(tmp_path, {"pyproject.toml": PYPROJECT})
    text = stage(f"COPY . .\nRUN {install}\n")
    result = rewrite(text, context_dir=ctx)
    assert f"COPY pyproject.toml .\nRUN {first}\nCOPY . .\nRUN {second}\n" in result.text
    assert skip_messages(result) == []
    check_invariants(text, result.text, select=["deps-first"], context_dir=ctx)


def test_the_reader_prints_the_dependencies(tmp_path: Path) -> None:
    """The code written into the Dockerfile, run by the Python here (tomllib: 3.11+)."""
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    code = project.dependency_reader("pyproject.toml", ("web",))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["flask==3.0.3", "gunicorn==23.0.0"]


def test_the_two_step_form_is_recognised(tmp_path: Path) -> None:
    """Its reader RUN may sit after a code COPY (another tool's output): it reads only pyproject.toml."""
    ctx = context(tmp_path, {"pyproject.toml": PYPROJECT})
    reader = f'RUN python -c "{project.dependency_reader()}" {READER_STEP}\n'
    text = stage(f"COPY . .\n{reader}RUN pip install --no-deps .\n")
    result = rewrite(text, context_dir=ctx)
    assert result.text == stage(f"COPY pyproject.toml .\n{reader}COPY . .\nRUN pip install --no-deps .\n")


@pytest.mark.parametrize(
    ("files", "base", "install", "fragment"),
    [
        ({"pyproject.toml": PYPROJECT}, "python:3.10", "pip install .", "`python:3.10` has Python 3.10"),
        ({"pyproject.toml": PYPROJECT}, "python:3-slim", "pip install .", "cannot tell which Python `python:3-slim` has"),
        ({"pyproject.toml": PYPROJECT}, "mycorp/python", "pip install .", "cannot tell which Python"),
        ({"pyproject.toml": PYPROJECT}, "python:3.12", "pip install '.[all]'", "`shop[web]` names the project itself"),
        (
            {"pyproject.toml": "[project]\nname = 'x'\ndynamic = ['dependencies']\n"},
            "python:3.12",
            "pip install .",
            "declares its dependencies dynamic",
        ),
        ({"pyproject.toml": "[tool.poetry]\nname = 'x'\n"}, "python:3.12", "pip install .", "has no [project] table"),
        ({"setup.py": "from setuptools import setup\n"}, "python:3.12", "pip install .", "`setup.py` computes its dependencies"),
        ({"pyproject.toml": PYPROJECT}, "python:3.12", "pip install . ./plugins/x", "more than one local project"),
        ({"pyproject.toml": PYPROJECT}, "python:3.12", "uv pip install --system .", "only for pip"),
        (
            {"pyproject.toml": "[project]\nname = 'x'\ndependencies = ['lib @ file:///app/lib']\n"},
            "python:3.12",
            "pip install .",
            "depends on a local path",
        ),
    ],
)
def test_pip_install_dot_declines(tmp_path: Path, files: dict[str, str], base: str, install: str, fragment: str) -> None:
    ctx = context(tmp_path, files)
    text = f"FROM {base}\nWORKDIR /app\nCOPY . .\nRUN {install}\n"
    declined(text, fragment, context_dir=ctx)


def test_pip_install_dot_without_dependencies_is_left_alone_quietly(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\nversion = '1'\n"})
    result = rewrite(stage("COPY . .\nRUN pip install .\n"), context_dir=ctx)
    assert not result.changed and result.skips == []


def test_pip_install_dot_needs_the_context() -> None:
    declined(stage("COPY . .\nRUN pip install .\n"), "from pyproject.toml in the build context, and none was given")


# -- poetry and uv sharing their RUN with other commands ---------------------------------------------


@pytest.mark.parametrize(
    ("run", "first", "second"),
    [
        (
            "pip install poetry && poetry config virtualenvs.create false && poetry install --only main",
            "pip install poetry && poetry config virtualenvs.create false && poetry install --only main --no-root",
            "poetry install --only main",
        ),
        (
            "curl -sSL https://install.python-poetry.org | python3 - && POETRY_VIRTUALENVS_CREATE=false poetry install",
            "curl -sSL https://install.python-poetry.org | python3 - && POETRY_VIRTUALENVS_CREATE=false poetry install --no-root",
            "POETRY_VIRTUALENVS_CREATE=false poetry install",
        ),
        (
            "pipx install poetry; export PATH=/root/.local/bin:$PATH; poetry install > /dev/null",
            "pipx install poetry; export PATH=/root/.local/bin:$PATH; poetry install --no-root > /dev/null",
            "export PATH=/root/.local/bin:$PATH \\\n    && poetry install > /dev/null",
        ),
        (
            "pip install poetry && poetry install && rm -rf /root/.cache/pypoetry",
            "pip install poetry && poetry install --no-root && rm -rf /root/.cache/pypoetry",
            "poetry install \\\n    && rm -rf /root/.cache/pypoetry",
        ),
        (
            "pip install uv && cd /app && uv sync --locked",
            "pip install uv && cd /app && uv sync --locked --no-install-project",
            "cd /app \\\n    && uv sync --locked",
        ),
    ],
)
def test_project_install_sharing_its_run(tmp_path: Path, run: str, first: str, second: str) -> None:
    ctx = context(
        tmp_path,
        {"pyproject.toml": "[project]\nname = 'x'\n[build-system]\nrequires = ['hatchling']\n", "uv.lock": "", "poetry.lock": ""},
    )
    text = stage(f"COPY . .\nRUN --mount=type=cache,target=/root/.cache {run}\n")
    result = rewrite(text, context_dir=ctx)
    flags = "--mount=type=cache,target=/root/.cache"
    assert f"RUN {flags} {first}\nCOPY . .\nRUN {flags} {second}\n" in result.text, result.text
    check_invariants(text, result.text, select=["deps-first"], context_dir=ctx)


@pytest.mark.parametrize(
    ("run", "fragment"),
    [
        ("curl -sSL https://example.com/install.sh | sh && poetry install", "also runs `curl`"),
        ("wget https://install.python-poetry.org && poetry install", "also runs `wget`"),
        ("poetry install && poetry install --with dev", "installs the project in more than one command"),
        ("poetry install || true", "joins it to the other commands"),
    ],
)
def test_project_install_sharing_its_run_declines(run: str, fragment: str) -> None:
    declined(stage(f"COPY . .\nRUN {run}\n"), fragment)


# -- requirement files that also install the project (-e .) ----------------------------------------------

FILTER_STEP = "> /tmp/dockopt-requirements.txt && pip install -r /tmp/dockopt-requirements.txt"


@pytest.mark.parametrize("local", ["-e .", "--editable ./lib", "./vendor/pkg", "-e.[dev]", "/opt/src/tool"])
def test_requirements_with_a_local_line_in_two_steps(tmp_path: Path, local: str) -> None:
    ctx = context(tmp_path, {"requirements.txt": f"flask==3.0.3\n{local}  # the project\n"})
    result = rewrite(PIP, context_dir=ctx)
    first = f"RUN {project.local_filter('requirements.txt')} {FILTER_STEP}"
    assert f"COPY requirements.txt .\n{first}\nCOPY . .\nRUN pip install -r requirements.txt\n" in result.text
    assert "without its lines that install from the source tree" in result.changes[0].message
    check_invariants(PIP, result.text, select=["deps-first"], context_dir=ctx)


def test_the_filter_drops_exactly_the_lines_dockopt_expects(tmp_path: Path) -> None:
    """The sed program written into the Dockerfile, run here, against the Python twin of its patterns."""
    import shutil
    import subprocess

    sed = shutil.which("sed")
    if sed is None:
        pytest.skip("no sed on this machine")
    lines = [
        "-e .", "--editable=./lib", "-e./x", "  ./vendor/pkg", "/abs/path", ".[dev]", "flask==3", "-e git+https://x/y.git#egg=y",
        "# -e .", "requests  # ./x", "-r base.txt", "-c ./c.txt", "--extra-index-url https://x", "pkg @ https://x/p.whl",
    ]  # fmt: skip
    (tmp_path / "requirements.txt").write_text("\n".join(lines) + "\n")
    command = project.local_filter("requirements.txt").split(" ", 1)[1]
    import shlex

    out = subprocess.run([sed, *shlex.split(command)], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [x for x in lines if not project.filtered_local_line(x)]
    assert len(out.stdout.splitlines()) == 8  # the check can fail: six lines are dropped
    failing = subprocess.run([sed, *shlex.split(command.replace("requirements.txt", "missing.txt"))], cwd=tmp_path, capture_output=True)
    assert failing.returncode != 0  # a missing file fails the RUN


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"requirements.txt": "-r base.txt\n", "base.txt": "flask\n-e .\n"}, "`base.txt`, which `requirements.txt` includes, has `-e .`"),
        ({"requirements.txt": "flask\n-e .\n-r base.txt\n", "base.txt": "click\n"}, "where that include would not be found"),
        ({"requirements.txt": "flask\n-e . \\\n  --config-settings editable_mode=compat\n"}, "on the next line"),
        ({"requirements.txt": "flask\n-e file:.\n"}, "`requirements.txt` has `-e file:.`, which installs from the source tree"),
    ],
)
def test_requirements_with_local_lines_decline(tmp_path: Path, files: dict[str, str], fragment: str) -> None:
    declined(PIP, fragment, context_dir=context(tmp_path, files))


def test_two_files_with_local_lines_decline(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"a.txt": "-e .\n", "b.txt": "-e ./lib\n"})
    declined(stage("COPY . .\nRUN pip install -r a.txt -r b.txt\n"), "more than one requirements file", context_dir=ctx)


# -- a COPY that brings the manifest with the code, split in two ----------------------------------

APP_FILES = {"app.py": "print('hi')\n", "requirements.txt": "six\n", "settings.py": "X = 1\n"}


def test_multi_source_copy_is_split(tmp_path: Path) -> None:
    text = stage("COPY app.py requirements.txt ./\nRUN pip install -r requirements.txt\n")
    result = rewrite(text, context_dir=context(tmp_path, APP_FILES))
    assert result.text == stage("COPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY app.py ./\n")
    (change,) = result.changes
    assert change.message == (
        "split `COPY app.py requirements.txt ./` (line 3) in two: `COPY requirements.txt ./` before the install, "
        "`COPY app.py ./` after it, so code edits keep the install layer cached"
    )
    check_invariants(text, result.text, result=result, select=["deps-first"], context_dir=tmp_path)


def test_without_the_context_a_multi_source_copy_stays(tmp_path: Path) -> None:
    """Without the context dockopt can't tell a file from a directory whose contents land beside the manifest."""
    text = stage("COPY app.py requirements.txt ./\nRUN pip install -r requirements.txt\n")
    assert not rewrite(text).changed
    assert rewrite(text, context_dir=context(tmp_path, APP_FILES)).changed  # the control


@pytest.mark.parametrize(
    "copy",
    [
        "COPY requirements.txt constraints.txt ./",  # all manifests: nothing to move
        "ADD app.py requirements.txt ./",  # ADD unpacks archives: left alone
        "COPY src/ requirements.txt ./",  # src/'s contents land beside requirements.txt
    ],
)
def test_multi_source_copies_left_alone(tmp_path: Path, copy: str) -> None:
    files = {**APP_FILES, "constraints.txt": "six<2\n", "src/app.py": "print('hi')\n"}
    text = stage(f"{copy}\nRUN pip install -r requirements.txt -c constraints.txt\n")
    result = rewrite(text, context_dir=context(tmp_path, files))
    assert not result.changed and skip_messages(result) == []


@pytest.mark.parametrize(
    ("copy", "install", "fragment"),
    [
        # with one source, `src` could be a file: the original's second source goes into a directory only if
        # src already is one
        ("COPY app.py requirements.txt src", "-r src/requirements.txt", "write `src/` and dockopt can split it"),
        ("COPY --parents app.py requirements.txt ./", "-r requirements.txt", "has --parents, which dockopt does not"),
    ],
)
def test_multi_source_copy_declined(tmp_path: Path, copy: str, install: str, fragment: str) -> None:
    declined(stage(f"{copy}\nRUN pip install {install}\n"), fragment, context_dir=context(tmp_path, APP_FILES))


def test_split_keeps_the_flags_on_both_halves(tmp_path: Path) -> None:
    text = stage("COPY --chown=app:app --chmod=644 app.py requirements.txt ./\nRUN pip install -r requirements.txt\n")
    out = rewrite(text, context_dir=context(tmp_path, APP_FILES)).text
    assert "COPY --chown=app:app --chmod=644 requirements.txt ./\nRUN pip" in out
    assert "install -r requirements.txt\nCOPY --chown=app:app --chmod=644 app.py ./\n" in out


def test_a_requirements_include_stays_with_the_manifest(tmp_path: Path) -> None:
    files = {**APP_FILES, "requirements.txt": "-r base.txt\nsix\n", "base.txt": "idna\n"}
    text = stage("COPY base.txt app.py requirements.txt ./\nRUN pip install -r requirements.txt\n")
    out = rewrite(text, context_dir=context(tmp_path, files)).text
    assert "COPY base.txt requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY app.py ./\n" in out
    # the control: a base.txt nothing includes is code as far as the install goes
    files["requirements.txt"] = "six\n"
    out = rewrite(text, context_dir=context(tmp_path, files)).text
    assert "COPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY base.txt app.py ./\n" in out


def test_the_split_copy_keeps_its_comments_and_blank_lines(tmp_path: Path) -> None:
    text = stage("\n# the app\nCOPY app.py requirements.txt settings.py ./\nRUN pip install -r requirements.txt\n\n")
    out = rewrite(text, context_dir=context(tmp_path, APP_FILES)).text
    assert out == stage(
        "\n# the app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY app.py settings.py ./\n\n"
    )


def test_a_later_code_copy_moves_with_the_split_one(tmp_path: Path) -> None:
    files = {**APP_FILES, "templates/index.html": "<p>hi</p>\n"}
    text = stage("COPY app.py requirements.txt ./\nCOPY templates/ templates/\nRUN pip install -r requirements.txt\n")
    result = rewrite(text, context_dir=context(tmp_path, files))
    assert result.text == stage(
        "COPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY app.py ./\nCOPY templates/ templates/\n"
    )
    (change,) = result.changes
    assert "; `COPY templates/ templates/` (line 4) moves below the install too" in change.message


def test_the_whole_pipeline_on_a_slim_single_stage(tmp_path: Path) -> None:
    """The shape of bench/realworld simple-time-service: already slim, so only the order changes (and pip's cache)."""
    text = (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY app.py requirements.txt ./\nRUN pip install -r requirements.txt\n"
        'EXPOSE 5000\nCMD ["python", "app.py"]\n'
    )
    result = dockopt.rewrite(text, context_dir=context(tmp_path, APP_FILES))
    assert result.text == (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt ./\n"
        "RUN pip install --no-cache-dir -r requirements.txt\nCOPY app.py ./\n"
        'EXPOSE 5000\nCMD ["python", "app.py"]\n'
    )


def test_code_and_manifest_copy_app() -> None:
    """The example app (bench/realworld simple-time-service's shape): the code moves below the install."""
    folder = APPS / "code-and-manifest-copy"
    original = (folder / "Dockerfile").read_text()
    result = rewrite(original, context_dir=folder)
    assert "COPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY app.py clock.py ./\n" in result.text
    assert skip_messages(result) == []
    check_invariants(original, result.text, select=["deps-first"], context_dir=folder)
