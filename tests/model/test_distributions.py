"""Which Python distributions a stage installs (model/distributions.py), and what they need at run time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dockopt
from dockopt.model.context import BuildContext
from dockopt.model.distributions import RuntimeNeed, runtime_needs, stage_distributions, unmet


def names(dockerfile: str, context: Path | None = None) -> list[str]:
    doc = dockopt.parse(dockerfile)
    return [d.name for d in stage_distributions(doc.stages[-1], BuildContext(context))]


def needs(dockerfile: str, context: Path | None = None) -> list[str]:
    doc = dockopt.parse(dockerfile)
    return [n.message for n in runtime_needs(stage_distributions(doc.stages[-1], BuildContext(context)))]


# -- what the stage installs ------------------------------------------------------------------------


def test_install_arguments_pep503_and_extras() -> None:
    text = "FROM python:3.12\nRUN pip install GitPython==3.1.43 'Python_Magic>=0.4' 'lightgbm[dask]' ./local\n"
    assert names(text) == ["gitpython", "python-magic", "lightgbm"]
    doc = dockopt.parse(text)
    (_, _, lgbm) = stage_distributions(doc.stages[0], BuildContext(None))
    assert lgbm.extras == {"dask"} and lgbm.source == "the install's arguments"


@pytest.mark.parametrize(
    "run",
    [
        "python -m pip install --no-cache-dir lightgbm",
        "pip3 install -U lightgbm",
        "uv pip install --system lightgbm",
        "/opt/venv/bin/pip install lightgbm==4.5.0",
        "poetry add lightgbm",
        "uv add lightgbm",
        "pip install lightgbm-4.5.0-py3-none-manylinux_2_28_x86_64.whl",
        "pip install 'lightgbm @ https://example.com/lightgbm-4.5.0.tar.gz'",
        "pip install 'git+https://example.com/lightgbm.git#egg=lightgbm'",
    ],
)
def test_every_installer_spelling(run: str) -> None:
    assert names(f"FROM python:3.12\nRUN {run}\n") == ["lightgbm"]


@pytest.mark.parametrize(
    "run",
    [
        "pip download lightgbm",  # downloads, installs nothing
        "pip uninstall -y lightgbm",
        "echo lightgbm",
        "apt-get install -y lightgbm",  # not a Python installer
        "pip install https://example.com/pkg.whl",  # a URL without a name
    ],
)
def test_what_is_not_an_install(run: str) -> None:
    assert names(f"FROM python:3.12\nRUN {run}\n") == []


def test_requirements_file_and_what_it_includes(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text(
        "# comment naming lightgbm\nflask>=3 ; python_version >= '3.8'\n-e git+https://x/y.git#egg=GitPython\n"
    )
    (tmp_path / "requirements" / "prod.txt").write_text(
        "-r base.txt\n--index-url https://pypi.org/simple\nPsycopg[binary]==3.2.3 \\\n    --hash=sha256:abc\n"
    )
    text = "FROM python:3.12\nCOPY requirements/ /tmp/req/\nRUN pip install -r requirements/prod.txt\n"
    doc = dockopt.parse(text)
    found = stage_distributions(doc.stages[0], BuildContext(tmp_path))
    assert [(d.name, sorted(d.extras), d.source) for d in found] == [
        ("psycopg", ["binary"], "prod.txt"),
        ("flask", [], "base.txt"),
        ("gitpython", [], "base.txt"),
    ]
    # the image path is read by its base name when the context has no such folder
    (tmp_path / "requirements.txt").write_text("lightgbm\n")
    assert names("FROM python:3.12\nRUN pip install -r /tmp/requirements.txt\n", tmp_path) == ["lightgbm"]


def test_no_context_no_file_no_names(tmp_path: Path) -> None:
    text = "FROM python:3.12\nRUN pip install -r requirements.txt\n"
    assert names(text) == []
    assert names(text, tmp_path) == []


def test_a_project_install_reads_its_declared_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["LightGBM>=4", "numpy"]\n')
    assert names("FROM python:3.12\nCOPY . /app\nRUN pip install /app\n", tmp_path) == ["lightgbm", "numpy"]
    (tmp_path / "requirements.txt").write_text("-e .\n")
    assert names("FROM python:3.12\nRUN pip install -r requirements.txt\n", tmp_path) == ["lightgbm", "numpy"]


def test_poetry_and_uv_lock_files_list_the_transitive_distributions(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^3.12"\nmy-model = "*"\n')
    assert names("FROM python:3.12\nRUN poetry install\n", tmp_path) == ["my-model"]  # no lock: what it declares
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "my-model"\n\n[[package]]\nname = "LightGBM"\n')
    assert names("FROM python:3.12\nRUN poetry install --no-root\n", tmp_path) == ["my-model", "lightgbm"]
    (tmp_path / "uv.lock").write_text('version = 1\n[[package]]\nname = "gitpython"\nversion = "3.1.43"\n')
    assert names("FROM python:3.12\nRUN uv sync --locked\n", tmp_path) == ["gitpython"]


def test_pipenv_lock_default_and_develop(tmp_path: Path) -> None:
    lock = {"_meta": {}, "default": {"lightgbm": {"version": "==4.5.0"}}, "develop": {"gitpython": {}}}
    (tmp_path / "Pipfile.lock").write_text(json.dumps(lock))
    assert names("FROM python:3.12\nRUN pipenv install --system --deploy\n", tmp_path) == ["lightgbm"]
    assert names("FROM python:3.12\nRUN pipenv install --system --dev\n", tmp_path) == ["lightgbm", "gitpython"]
    (tmp_path / "Pipfile.lock").unlink()
    (tmp_path / "Pipfile").write_text('[packages]\npsycopg = {version = "*", extras = ["binary"]}\n')
    assert needs("FROM python:3.12\nRUN pipenv install --system\n", tmp_path) == []  # psycopg[binary] vendors libpq


def test_only_the_stage_asked_about() -> None:
    text = "FROM python:3.12 AS builder\nRUN pip install lightgbm\nFROM python:3.12\nRUN pip install flask\n"
    assert names(text) == ["flask"]


# -- what they need -------------------------------------------------------------------------------------


def test_needs_from_the_table() -> None:
    text = "FROM python:3.12\nRUN pip install lightgbm GitPython psycopg2 mysqlclient python-magic psycopg flask\n"
    assert needs(text) == [
        "libgomp1: lightgbm loads libgomp.so.1",
        "git: gitpython runs git",
        "libpq5: psycopg2 loads libpq.so.5, psycopg loads libpq.so.5",
        "libmariadb3: mysqlclient loads libmariadb.so.3",
        "libmagic1: python-magic loads libmagic.so.1",
    ]


@pytest.mark.parametrize(
    "install",
    [
        "xgboost scikit-learn torch",  # vendor their own libgomp
        "psycopg2-binary",
        "'psycopg[binary]'",
        "psycopg psycopg-binary",
        "flask numpy",
    ],
)
def test_distributions_that_need_nothing(install: str) -> None:
    assert needs(f"FROM python:3.12\nRUN pip install {install}\n") == []


def test_psycopg_c_needs_libpq_too() -> None:
    assert needs("FROM python:3.12\nRUN pip install 'psycopg[c]'\n") == ["libpq5: psycopg loads libpq.so.5"]


def test_unmet_counts_packages_that_bring_the_library() -> None:
    need = [RuntimeNeed("libpq5", "psycopg2 loads libpq.so.5"), RuntimeNeed("libmariadb3", "x", ("libmysqlclient21",))]
    assert unmet(need, []) == need
    assert unmet(need, ["libpq5=15.*", "libmysqlclient21"]) == []
    assert unmet(need, ["libpq-dev"]) == need[1:]  # libpq-dev depends on libpq5
    assert unmet(need, ["default-libmysqlclient-dev"]) == need[:1]


# -- files saved by other editors, and dependencies the file does not name ----------------------------

_REQS = "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
def test_requirements_saved_with_a_byte_order_mark_are_read_as_pip_reads_them(tmp_path: Path, encoding: str) -> None:
    """Windows editors save requirements.txt as UTF-16 (bench/realworld: automl-streamlit); pip honours the mark."""
    (tmp_path / "requirements.txt").write_bytes("lightgbm==4.5.0\r\nFlask==2.3.2\r\n".encode(encoding))
    if encoding == "utf-16-be":  # Python writes no mark for an explicit byte order
        (tmp_path / "requirements.txt").write_bytes(b"\xfe\xff" + "lightgbm==4.5.0\r\nFlask==2.3.2\r\n".encode(encoding))
    assert names(_REQS, tmp_path) == ["lightgbm", "flask"]
    # negative control: without lightgbm, nothing is needed
    (tmp_path / "requirements.txt").write_bytes("Flask==2.3.2\r\n".encode("utf-16"))
    assert names(_REQS, tmp_path) == ["flask"] and needs(_REQS, tmp_path) == []


def test_decode_text_like_pip() -> None:
    from dockopt.model.context import decode_text

    assert decode_text(b"lightgbm\n") == "lightgbm\n"
    assert decode_text("# -*- coding: latin-1 -*-\nna\xefve\n".encode("latin-1")) == "# -*- coding: latin-1 -*-\nna\xefve\n"
    assert decode_text(b"# coding: no-such-codec\nflask\n") == "# coding: no-such-codec\nflask\n"
    assert decode_text(b"flask\xff\n") == "flask\ufffd\n"  # bad bytes never stop the analysis
    assert decode_text(b"\xff\xfe\x00\x00" + "x\n".encode("utf-32-le")) == "x\n"  # UTF-32-LE, not UTF-16-LE


def test_a_well_known_distribution_brings_the_entry_it_depends_on(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("Pycaret==3.0\nstreamlit==1.25.0\n")
    assert needs(_REQS, tmp_path) == [
        "libgomp1: lightgbm loads libgomp.so.1 (a dependency of pycaret)",
        "git: gitpython runs git (a dependency of streamlit)",
    ]
    # named as well: the file's own line speaks for it
    (tmp_path / "requirements.txt").write_text("pycaret\nlightgbm\n")
    assert needs(_REQS, tmp_path) == ["libgomp1: lightgbm loads libgomp.so.1"]
    # negative control: a distribution that is not in [requires] brings nothing
    (tmp_path / "requirements.txt").write_text("mlflow==2.16.0\nscikit-learn\n")
    assert needs(_REQS, tmp_path) == []
