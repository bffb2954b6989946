"""DO004 slim-base: tag rules, safety checks, skip reasons and change messages."""

from __future__ import annotations

from pathlib import Path

import pytest

import dockopt
from dockopt.passes import slim_base
from dockopt.passes.slim_base import AUTO_INSTALL
from dockopt.pipeline import RewriteResult
from tests.conftest import FIXTURES
from tests.passes.harness import check_invariants

APPS = FIXTURES / "apps"


def rewrite(text: str, **options: object) -> RewriteResult:
    return dockopt.rewrite(text, select=["slim-base"], **options)


def skip_messages(result: RewriteResult) -> list[str]:
    return [s.message for s in result.skips if s.rule == "DO004"]


def assert_unchanged_with(text: str, fragment: str, **options: object) -> None:
    result = rewrite(text, **options)
    assert not result.changed, result.text
    messages = skip_messages(result)
    assert any(fragment in m for m in messages), messages


# -- the documentation example -----------------------------------------------------------


def test_rule_example_is_real_output() -> None:
    rule = slim_base.RULE
    assert rule.id == "DO004" and rule.name == "slim-base" and rule.safety == "safe"
    assert rewrite(rule.before).text == rule.after
    assert "slim" in rule.explain()


# -- tags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("python:3.12", "3.12-slim"),
        ("python:3.12-bookworm", "3.12-slim-bookworm"),
        ("python:3.13-trixie", "3.13-slim-trixie"),
        ("python:3.9-bullseye", "3.9-slim-bullseye"),
        ("python:3.7-buster", "3.7-slim-buster"),
        ("python:3.12.4", "3.12.4-slim"),
        ("python:3.14.0rc1", "3.14.0rc1-slim"),
        ("python:3", "3-slim"),
        ("docker.io/library/python:3.11", "3.11-slim"),
        ("library/python:3.11-bookworm", "3.11-slim-bookworm"),
        ("node:22", "22-slim"),
        ("node:22.11.0-bookworm", "22.11.0-bookworm-slim"),
        ("python", "slim"),
        ("python:latest", "slim"),
        ("python:bookworm", "slim-bookworm"),
        ("node", "slim"),
        ("node:bookworm", "bookworm-slim"),
    ],
)
def test_slim_tag(image: str, tag: str) -> None:
    plan = slim_base.plan_tag(image, {})
    assert plan.new_tag == tag, plan.reason


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        ("python:3.12@sha256:" + "a" * 64, "pinned by digest"),
        ("python@sha256:" + "a" * 64, "pinned by digest"),
        ("python:3.12-slim", "already the slim variant"),
        ("python:3.12-slim-bookworm", "already the slim variant"),
        ("node:22-bookworm-slim", "already the slim variant"),
        ("python:3.12-alpine", "Alpine"),
        ("python:3.12-alpine3.20", "Alpine"),
        ("python:3.12-windowsservercore-ltsc2022", "Windows"),
        ("python:3.12-nanoserver-1809", "Windows"),
        ("ubuntu:24.04", "not an official image"),
        ("mirror.example.com/library/python:3.12", "not an official image"),
        ("localhost:5000/python:3.12", "not an official image"),
        ("$BASE_IMAGE", "comes from a variable"),
        ("python:3.${MINOR}", "not a form dockopt understands"),
        ("python:${V:-3.12}", "not a form dockopt understands"),
        ("python:3.12-bookworm-extra", "variant dockopt does not know"),
        ("python:3.12-rc-bookworm", "variant dockopt does not know"),
    ],
)
def test_tags_left_alone(image: str, fragment: str) -> None:
    plan = slim_base.plan_tag(image, {})
    assert plan.new_tag is None
    assert plan.reason is not None and fragment in plan.reason


def test_scratch_is_silent() -> None:
    result = rewrite("FROM scratch\nCOPY app /app\n")
    assert not result.changed and result.skips == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("ARG PYTHON_VERSION=3.12\n", "FROM python:${PYTHON_VERSION}-slim\n"),
        ('ARG PYTHON_VERSION="3.12.4"\n', "FROM python:${PYTHON_VERSION}-slim\n"),
        ("ARG PYTHON_VERSION=3.11\nARG PYTHON_VERSION=3.12\n", "FROM python:${PYTHON_VERSION}-slim\n"),
    ],
)
def test_arg_tag_with_plain_default(args: str, expected: str) -> None:
    result = rewrite(args + "FROM python:${PYTHON_VERSION}\n")
    assert result.text == args + expected


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ("ARG PYTHON_VERSION=3.12-bookworm\n", "holds the Debian suite"),
        ("ARG PYTHON_VERSION=3.12-slim\n", "already selects the slim variant"),
        ("ARG PYTHON_VERSION\n", "has no default"),
        ("ARG PYTHON_VERSION=latest\n", "not a plain version"),
        ("", "no ARG before the first FROM declares"),
    ],
)
def test_arg_tag_left_alone(args: str, fragment: str) -> None:
    assert_unchanged_with(args + "FROM python:${PYTHON_VERSION}\n", fragment)


def test_suite_arg_message_says_how_to_fix() -> None:
    result = rewrite("ARG PYTHON_VERSION=3.12-bookworm\nFROM python:${PYTHON_VERSION}\n")
    (message,) = skip_messages(result)
    assert "ARG PYTHON_VERSION=3.12" in message
    assert "python:${PYTHON_VERSION}-bookworm" in message


# -- editing in place ------------------------------------------------------------------------


def test_only_the_tag_changes() -> None:
    # (a "#" after AS app would be three more FROM arguments, which BuildKit refuses: it goes on CMD)
    text = "FROM  --platform=linux/amd64   python:3.12-bookworm \\\n    AS   app  \nCMD python   # not a comment\n"
    result = rewrite(text)
    assert result.text == text.replace("3.12-bookworm", "3.12-slim-bookworm")


def test_lowercase_keyword_and_as() -> None:
    text = 'from python:3.12 as app\ncmd ["python"]\n'
    assert rewrite(text).text == 'from python:3.12-slim as app\ncmd ["python"]\n'


def test_change_message() -> None:
    result = rewrite("FROM python:3.12 AS runtime\nCMD python\n")
    (change,) = result.changes
    assert change.rule == "DO004" and change.line == 1
    assert "`python:3.12` → `python:3.12-slim`" in change.message
    assert "stage `runtime`" in change.message


# -- which stage ----------------------------------------------------------------------------


def test_builder_is_never_touched() -> None:
    text = (
        (APPS / "flask-gunicorn" / "reference.Dockerfile")
        .read_text()
        .replace("FROM python:3.12-slim", "FROM python:3.12")
    )
    result = rewrite(text)
    assert result.text.count("FROM python:3.12 AS builder") == 1
    assert result.text.count("FROM python:3.12-slim\n") == 1
    check_invariants(text, result.text, select=["slim-base"])


def test_only_the_final_stage() -> None:
    text = "FROM python:3.12 AS tools\nCMD python\n\nFROM python:3.12-slim\nCMD python\n"
    result = rewrite(text)
    assert not result.changed


def test_stage_reference_is_reported() -> None:
    assert_unchanged_with("FROM python:3.12 AS base\nFROM base\n", "built FROM stage `base`")


def test_stage_reference_by_index() -> None:
    assert_unchanged_with("FROM python:3.12\nFROM 0\n", "built FROM stage `0`")


# -- safety: packages installed in the stage ----------------------------------------------------


@pytest.mark.parametrize(
    "run",
    [
        "pip install flask",
        "pip3 install --no-cache-dir -r requirements.txt",
        "python -m pip install .",
        "uv pip install --system flask",
        "uv sync --locked",
        "poetry install --no-root",
        "pipenv install --system --deploy",
        "python setup.py install",
        "pip wheel -r requirements.txt -w /wheels",
    ],
)
def test_stage_installing_python_packages_is_skipped(run: str) -> None:
    text = f'FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN {run}\nCMD ["python", "app.py"]\n'
    result = rewrite(text)
    assert not result.changed
    (message,) = skip_messages(result)
    assert message.startswith("the final stage installs Python packages (line 4:")
    assert "may need the compilers of the full image" in message
    assert "multi-stage rule (DO002) moves them to a builder first" in message


def test_unsafe_swaps_a_stage_that_installs_packages() -> None:
    text = 'FROM python:3.12\nRUN pip install flask\nCMD ["flask", "run"]\n'
    result = rewrite(text, unsafe=True)
    assert result.text == text.replace("python:3.12\n", "python:3.12-slim\n")


def test_unsafe_still_refuses_missing_tools() -> None:
    text = "FROM python:3.12\nRUN pip install flask\nCMD git pull && python app.py\n"
    assert_unchanged_with(text, "uses `git`", unsafe=True)


def test_onbuild_install_counts() -> None:
    text = "FROM python:3.12\nONBUILD COPY . /app\nONBUILD RUN pip install -r /app/requirements.txt\n"
    assert_unchanged_with(text, "installs Python packages")


def test_node_installs() -> None:
    assert_unchanged_with("FROM node:22\nCOPY . .\nRUN yarn\nCMD node .\n", "installs packages (line 3: `yarn`)")
    assert_unchanged_with("FROM node:22\nCOPY . .\nRUN npm install --omit=dev\n", "installs packages")


def test_stdlib_only_stage_is_swapped() -> None:
    text = 'FROM python:3.12\nCOPY hello.py /\nCMD ["python", "/hello.py"]\n'
    assert rewrite(text).text == text.replace("python:3.12", "python:3.12-slim")


# -- safety: tools of the full image ---------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "tool"),
    [
        ("HEALTHCHECK CMD curl -fsS http://localhost:8080/ || exit 1", "curl"),
        ('HEALTHCHECK --interval=5s CMD ["wget", "-q", "-O-", "http://localhost/"]', "wget"),
        ('CMD ["sh", "-c", "git pull && python app.py"]', "git"),
        ('ENTRYPOINT ["/bin/bash", "-c", "ps aux; exec python app.py"]', "ps"),
        ("CMD timeout 5 wget http://x", "wget"),
        ("RUN echo $(git describe) > /VERSION", "git"),
        ("RUN gcc -O2 -o /usr/local/bin/helper helper.c", "gcc"),
        ("RUN make -C /src install", "make"),
        ("RUN ssh-keyscan github.com >> /root/.ssh/known_hosts", "ssh-keyscan"),
        ("ONBUILD RUN git clone https://example.com/x.git", "git"),
        ("RUN convert logo.png -resize 50% logo-small.png", "convert"),
    ],
)
def test_tool_of_the_full_image(line: str, tool: str) -> None:
    result = rewrite(f"FROM python:3.12\nWORKDIR /app\nCOPY . .\n{line}\n")
    if tool in AUTO_INSTALL:
        # A standalone tool is installed explicitly in the slim stage instead.
        assert result.text.startswith(
            "FROM python:3.12-slim\nRUN apt-get update \\\n"
            f"    && apt-get install -y --no-install-recommends {tool} \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n"
        ), result.text
        return
    assert not result.changed
    (message,) = skip_messages(result)
    assert f"uses `{tool}` (line 4)" in message
    assert "`python:3.12` has and `python:3.12-slim` lacks" in message


def test_tool_installed_with_apt_is_fine() -> None:
    text = (
        "FROM python:3.12\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n"
        "HEALTHCHECK CMD curl -f http://localhost/ || exit 1\n"
    )
    assert rewrite(text).text == text.replace("python:3.12\n", "python:3.12-slim\n")


def test_tool_used_before_apt_installs_it() -> None:
    text = "FROM python:3.12\nRUN git --version\nRUN apt-get update && apt-get install -y git\n"
    assert_unchanged_with(text, "uses `git` (line 2)")


def test_tool_name_as_plain_argument_is_not_a_use() -> None:
    text = 'FROM python:3.12\nCOPY . /app\nCMD ["python", "/app/main.py", "--format", "file", "make"]\n'
    assert rewrite(text).changed


# -- safety: libraries of what is copied from a builder -------------------------------------------


def _psycopg2_reference(final_extra: str = "") -> str:
    return (
        "FROM python:3.12 AS builder\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc\n"
        "RUN python -m venv /opt/venv && /opt/venv/bin/pip install psycopg2==2.9.10\n"
        "\n"
        "FROM python:3.12\n"
        f"{final_extra}"
        "COPY --from=builder /opt/venv /opt/venv\n"
        'CMD ["/opt/venv/bin/python", "-c", "import psycopg2"]\n'
    )


def test_builder_dev_library_without_runtime_library() -> None:
    # What the builder built against libpq-dev is unknown here (no context): its library is a problem.
    text = (
        "FROM python:3.12 AS builder\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc\n"
        "RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r requirements.txt\n"
        "\n"
        "FROM python:3.12\n"
        "COPY --from=builder /opt/venv /opt/venv\n"
    )
    result = rewrite(text)
    assert not result.changed
    (message,) = skip_messages(result)
    assert "built against libpq-dev (line 2)" in message
    assert "install libpq5 in this stage" in message


def test_builder_dev_library_with_a_known_distribution() -> None:
    # psycopg2 (no Linux wheel, built against libpq-dev) loads libpq.so.5: the table says so, libpq5 is installed.
    result = rewrite(_psycopg2_reference())
    assert "FROM python:3.12-slim\n# libpq5: psycopg2 loads libpq.so.5\nRUN apt-get update" in result.text
    assert "--no-install-recommends libpq5" in result.text
    check_invariants(_psycopg2_reference(), result.text, result=result, select=["slim-base"])


@pytest.mark.parametrize("package", ["libpq5", "libpq-dev"])
def test_builder_dev_library_with_runtime_library(package: str) -> None:
    text = _psycopg2_reference(f"RUN apt-get update && apt-get install -y {package}\n")
    result = rewrite(text)
    assert result.text.count("FROM python:3.12-slim\n") == 1
    assert "libpq5: psycopg2" not in result.text  # the stage already has it


def test_dev_library_that_slim_has() -> None:
    text = (
        "FROM python:3.12 AS builder\nRUN apt-get install -y libffi-dev libssl-dev zlib1g-dev\n"
        "RUN pip install --prefix=/install cffi\n"
        "FROM python:3.12\nCOPY --from=builder /install /usr/local\n"
    )
    assert rewrite(text).changed


def test_source_build_without_apt_gets_its_library() -> None:
    text = (
        "FROM python:3.12 AS builder\nRUN python -m venv /opt/venv && /opt/venv/bin/pip install psycopg2\n"
        "FROM python:3.12\nCOPY --from=builder /opt/venv /opt/venv\n"
    )
    result = rewrite(text)
    assert "FROM python:3.12-slim\n# libpq5: psycopg2 loads libpq.so.5\n" in result.text
    messages = [c.message for c in result.changes]
    assert any("psycopg2 loads libpq.so.5" in m and "installed explicitly" in m for m in messages), messages


def test_binary_wheel_is_fine() -> None:
    text = (
        "FROM python:3.12 AS builder\nRUN python -m venv /opt/venv && /opt/venv/bin/pip install psycopg2-binary\n"
        "FROM python:3.12\nCOPY --from=builder /opt/venv /opt/venv\n"
    )
    result = rewrite(text)
    assert result.changed
    assert "apt-get" not in result.text  # psycopg2-binary vendors libpq: nothing to add


def test_source_build_found_in_context_requirements() -> None:
    # The psycopg2-source app's requirements.txt pins psycopg2: only the context tells.
    text = (
        "FROM python:3.12 AS builder\nRUN python -m venv /opt/venv\n"
        "COPY requirements.txt /tmp/requirements.txt\nRUN /opt/venv/bin/pip install -r /tmp/requirements.txt\n"
        'FROM python:3.12\nCOPY --from=builder /opt/venv /opt/venv\nCOPY app.py .\nCMD ["/opt/venv/bin/python", "app.py"]\n'
    )
    without = rewrite(text)  # no context: the requirements file can't be read, nothing is known to be needed
    assert without.changed and "libpq5" not in without.text
    assert "libpq5" in rewrite(text, context_dir=APPS / "psycopg2-source").text
    with_lib = text.replace(
        "FROM python:3.12\nCOPY", "FROM python:3.12\nRUN apt-get update && apt-get install -y libpq5\nCOPY"
    )
    result = rewrite(with_lib, context_dir=APPS / "psycopg2-source")
    assert result.changed and result.text.count("libpq5") == 1


# -- safety: what the copied Python distributions need at run time -------------------------------


def _venv_from(builder_install: str, final: str = "") -> str:
    return (
        "FROM python:3.12 AS builder\n"
        "RUN python -m venv /opt/venv\n"
        f"RUN /opt/venv/bin/pip install {builder_install}\n"
        "\n"
        "FROM python:3.12\n"
        f"{final}"
        "COPY --from=builder /opt/venv /opt/venv\n"
        'CMD ["/opt/venv/bin/python", "app.py"]\n'
    )


def test_copied_lightgbm_gets_libgomp1() -> None:
    text = _venv_from("lightgbm==4.5.0 numpy")
    result = rewrite(text)
    assert result.text == text.replace(
        "FROM python:3.12\n",
        "FROM python:3.12-slim\n"
        "# libgomp1: lightgbm loads libgomp.so.1\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y --no-install-recommends libgomp1 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n",
    )
    (_, message) = [c.message for c in result.changes]
    assert message == (
        "the final stage's Python packages use libgomp1 (lightgbm loads libgomp.so.1), "
        "which `python:3.12` has and slim lacks: installed explicitly"
    )
    check_invariants(text, result.text, result=result, select=["slim-base"])


def test_copied_gitpython_gets_git_and_a_cmd_using_git_is_fine() -> None:
    text = _venv_from("GitPython==3.1.43", final="").replace(
        'CMD ["/opt/venv/bin/python", "app.py"]', 'CMD ["sh", "-c", "git --version && python app.py"]'
    )
    result = rewrite(text)
    assert "FROM python:3.12-slim\n# git: gitpython runs git\n" in result.text
    assert "--no-install-recommends git \\" in result.text


@pytest.mark.parametrize(
    "install",
    [
        "xgboost scikit-learn torch",  # their wheels vendor libgomp: not in the table
        "psycopg2-binary lxml pillow",  # vendored libpq, libxml2, libjpeg
        "'psycopg[binary]'",  # psycopg with its vendoring variant
        "psycopg psycopg-binary",
        "flask",  # not in the table at all
    ],
)
def test_distributions_that_need_nothing_add_nothing(install: str) -> None:
    text = _venv_from(install)
    result = rewrite(text)
    assert result.text == text.replace("FROM python:3.12\n", "FROM python:3.12-slim\n")


def test_what_the_final_stage_installs_already_counts() -> None:
    text = _venv_from("lightgbm", final="RUN apt-get update && apt-get install -y libgomp1\n")
    assert rewrite(text).text == text.replace("FROM python:3.12\n", "FROM python:3.12-slim\n")


def test_builder_lock_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "x"\npackage-mode = false\n')
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "LightGBM"\nversion = "4.5.0"\n')
    text = (
        "FROM python:3.12 AS builder\nRUN pip install poetry\nCOPY pyproject.toml poetry.lock ./\n"
        "RUN poetry install --no-root\n"
        "FROM python:3.12\nCOPY --from=builder /usr/local /usr/local\n"
    )
    assert "libgomp1" in rewrite(text, context_dir=tmp_path).text
    assert "libgomp1" not in rewrite(text).text  # without the lock file nothing is known


def test_unsafe_single_stage_gets_what_its_own_installs_need() -> None:
    text = 'FROM python:3.12\nRUN pip install lightgbm\nCMD ["python", "-c", "import lightgbm"]\n'
    assert not rewrite(text).changed  # a stage that installs is DO002's
    result = rewrite(text, unsafe=True)
    assert result.text.startswith("FROM python:3.12-slim\n# libgomp1: lightgbm loads libgomp.so.1\nRUN apt-get update")


def test_builder_stage_is_not_the_final_stage_and_keeps_its_image() -> None:
    text = _venv_from("lightgbm")
    result = rewrite(text)
    assert result.text.startswith("FROM python:3.12 AS builder\nRUN python -m venv")


# -- the example apps ---------------------------------------------------------------------------


@pytest.mark.parametrize("app", sorted(p.name for p in APPS.iterdir() if (p / "Dockerfile").is_file()))
def test_naive_app_dockerfiles_are_never_swapped(app: str) -> None:
    """Every naive app installs packages in its only stage (or is already slim): never swapped."""
    folder = APPS / app
    result = rewrite((folder / "Dockerfile").read_text(), context_dir=folder)
    assert not result.changed
    already_slim = "slim" in (dockopt.parse(result.text).stages[-1].base or "")
    assert already_slim or skip_messages(result), "a skipped stage must say why"


@pytest.mark.parametrize(
    "app",
    sorted(
        p.name
        for p in APPS.iterdir()
        if (p / "reference.Dockerfile").is_file() and len(dockopt.parse((p / "reference.Dockerfile").read_text()).stages) > 1
    ),
)
def test_reference_files_with_a_full_runtime_base(app: str) -> None:
    """The hand-written references, with the runtime stage put back on the full image, come back to slim."""
    folder = APPS / app
    reference = (folder / "reference.Dockerfile").read_text()
    full = reference.replace("-slim\n", "\n")
    result = rewrite(full, context_dir=folder)
    assert result.text == reference, skip_messages(result)


def test_tables_are_consistent() -> None:
    t = slim_base.tables()
    assert {"python", "node"} <= {f.key for f in t.images}
    assert "bookworm" in t.suites and "trixie" in t.suites
    assert Path(str(slim_base.__file__)).is_file()


@pytest.mark.parametrize(
    ("install", "shown"),
    [("RUN pdm install --prod", "pdm install"), ("RUN pip-sync requirements.txt", "pip-sync"),
     ("RUN micromamba install -y -f env.yaml", "micromamba install")],
)
def test_unmodelled_python_installer_keeps_the_full_image(install: str, shown: str) -> None:
    # found by the widened real-world scan: `pdm install` in the final stage went to -slim,
    # which lacks the compilers a source build needs
    text = f"FROM python:3.11\nCOPY . /app\nWORKDIR /app\n{install}\nCMD [\"python\", \"-m\", \"app\"]\n"
    assert_unchanged_with(text, shown)
