"""Real builds for DO011's virtualenv made ``--without-pip``: the base image's pip installs into it.

The rewrite of console-script (a project with a console script, ``pip install .``)
makes ``/opt/venv`` without pip and sets ``PIP_PYTHON``. Its image must run the
console script from the virtualenv (its shebang names the virtualenv's Python),
import the app's code from it, and hold no pip. The negative control builds the
same rewrite without the ``PIP_PYTHON`` line: it still builds, but pip installs
into the base's own site-packages, so the runtime stage gets an empty virtualenv
and the console script is missing, which the same checks must see.

The common shape ``pip install --upgrade pip && pip install -r ...`` (cli-click's
context): the newest pip goes into the virtualenv and is removed at the end; the
control without the removal shows an image with pip.

Images are built with --no-cache, tagged uniquely and removed; the source gets a fresh uuid file per
run, so no build cache can answer for a check.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

import dockopt
from dockopt.engine import Engine, load_apps
from tests.conftest import FIXTURES, read_exact

pytestmark = pytest.mark.docker

APP = next(a for a in load_apps(FIXTURES / "apps") if a.name == "console-script")
CHECK = (
    "import importlib.util, pathlib, sys; "
    "print('pip', importlib.util.find_spec('pip') is not None); "
    "print('script', pathlib.Path('/opt/venv/bin/wordstat').is_file() "
    "and pathlib.Path('/opt/venv/bin/wordstat').read_text().splitlines()[0]); "
    "print('prefix', sys.prefix)"
)


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    shutil.copytree(APP.dir, ctx)
    (ctx / f"run-{uuid.uuid4().hex}.txt").write_text(uuid.uuid4().hex)  # new per run: no cached COPY . .
    return ctx


def _build_and_check(engine: Engine, text: str, ctx: Path, code: str = CHECK) -> str:
    """Build ``text`` on ``ctx`` and print what ``python -c code`` says in the image."""
    tag = f"dockopt-leanvenv/check:{uuid.uuid4().hex[:10]}"
    try:
        engine.build(text, ctx, tag, no_cache=True)  # no layer of an earlier run answers for the check
        return engine.run(tag, ["-c", code], entrypoint="python").stdout
    finally:
        engine.remove_image(tag)


def test_a_virtualenv_made_without_pip_gets_the_install_and_no_pip(engine: Engine, tmp_path: Path) -> None:
    text = dockopt.rewrite(read_exact(APP.dockerfile), context_dir=APP.dir).text
    assert "RUN python -m venv --without-pip /opt/venv\nENV PIP_PYTHON=/opt/venv/bin/python\n" in text
    assert "uninstall" not in text
    ctx = _context(tmp_path)
    out = _build_and_check(engine, text, ctx)
    assert "pip False" in out and "script #!/opt/venv/bin/python" in out and "prefix /opt/venv" in out, out

    # negative control: without PIP_PYTHON the base's pip installs beside the virtualenv, not into it
    control = text.replace("ENV PIP_PYTHON=/opt/venv/bin/python\n", "")
    assert control != text
    out = _build_and_check(engine, control, ctx)
    assert "script False" in out, out


UPGRADES_PIP = """\
FROM python:3.12
WORKDIR /cli
COPY requirements.txt .
RUN pip install --upgrade pip && pip install -r requirements.txt
COPY cli.py .
ENTRYPOINT ["python", "/cli/cli.py"]
"""
CLICK_CHECK = (
    "import importlib.util, click; "
    "print('pip', importlib.util.find_spec('pip') is not None); print('click', click.__file__)"
)


def test_a_pip_upgraded_into_the_virtualenv_is_removed_at_the_end(engine: Engine, tmp_path: Path) -> None:
    """The common shape ``pip install --upgrade pip && pip install -r ...``: the newest pip goes into the
    virtualenv and installs there; it is removed at the end. Control: without that removal the image has pip."""
    app = next(a for a in load_apps(FIXTURES / "apps") if a.name == "cli-click")
    ctx = tmp_path / "ctx"
    shutil.copytree(app.dir, ctx)
    (ctx / "cli.py").write_text((ctx / "cli.py").read_text() + f"\n# {uuid.uuid4().hex}\n")
    text = dockopt.rewrite(UPGRADES_PIP, context_dir=ctx).text
    assert "--without-pip" in text and "ENV PIP_PYTHON=/opt/venv/bin/python" in text
    removal = "RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel\n"
    assert removal in text
    out = _build_and_check(engine, text, ctx, CLICK_CHECK)
    assert "pip False" in out and "click /opt/venv/lib/python3.12/site-packages/click/" in out, out
    out = _build_and_check(engine, text.replace(removal, ""), ctx, CLICK_CHECK)  # negative control
    assert "pip True" in out, out
