"""DO011 lean-venv: the page's example is the real output, and the rule reads pip use at run time."""

from __future__ import annotations

from pathlib import Path

import dockopt
from dockopt.passes.lean_venv import RULE
from tests.passes.harness import check_invariants


def test_rule_example_is_the_real_output() -> None:
    result = dockopt.rewrite(RULE.before, select=[RULE.name])
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, select=[RULE.name])


def test_an_entrypoint_script_that_runs_pip_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "entrypoint.sh").write_text("#!/bin/sh\npip install -r /extra.txt\nexec \"$@\"\n")
    text = RULE.before.replace('CMD ["python", "-m", "app"]', 'ENTRYPOINT ["/app/entrypoint.sh"]\nCMD ["python", "-m", "app"]')
    result = dockopt.rewrite(text, select=[RULE.name], context_dir=tmp_path)
    assert result.text == text
    assert "runs pip" in result.skips[0].message
    (tmp_path / "entrypoint.sh").write_text("#!/bin/sh\nexec \"$@\"\n")  # negative control
    assert dockopt.rewrite(text, select=[RULE.name], context_dir=tmp_path).changed


NAIVE = "FROM python:{v}\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py\n"


def test_the_full_pipeline_makes_the_split_lean() -> None:
    out = dockopt.rewrite(NAIVE.format(v="3.12")).text
    builder, runtime = out.split("\n\nFROM ", 1)
    assert "RUN python -m venv --without-pip /opt/venv\nENV PIP_PYTHON=/opt/venv/bin/python\n" in builder
    assert "uninstall" not in out and "PIP_PYTHON" not in runtime
    # negative control: Python 3.11's venv brings setuptools too, so pip is made and removed as before
    old = dockopt.rewrite(NAIVE.format(v="3.11")).text
    assert "--without-pip" not in old and "PIP_PYTHON" not in old
    assert old.split("\n\nFROM ", 1)[0].rstrip().endswith("RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel")


BUILDER = """\
FROM {image} AS builder
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN {install}

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
CMD ["python", "-m", "app"]
"""


def _lean(image: str = "python:3.12", install: str = "pip install -r requirements.txt", extra: str = "") -> str:
    text = BUILDER.format(image=image, install=install).replace("\nFROM python:3.12-slim", extra + "\nFROM python:3.12-slim")
    result = dockopt.rewrite(text, select=[RULE.name])
    assert len(result.changes) == 1, result.changes
    out = result.text
    if "--without-pip" in out and "uninstall" in out:
        assert "PIP_PYTHON=/opt/venv/bin/python" in out
        assert out.split("\n\nFROM", 1)[0].rstrip().endswith("RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel")
        return "without-pip, pip removed"
    if "--without-pip" in out:
        assert "PIP_PYTHON=/opt/venv/bin/python" in out
        return "without-pip"
    assert "RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel" in out and "PIP_PYTHON" not in out
    return "uninstall"


def test_made_without_pip_when_only_the_base_pip_installs() -> None:
    assert _lean() == "without-pip"
    assert _lean(install="pip3 install -r requirements.txt && pip check && rm -rf /tmp/x") == "without-pip"
    assert _lean(install="apt-get update && apt-get install -y gcc && pip install -r requirements.txt") == "without-pip"
    assert _lean(image="python:3.13-slim") == "without-pip"
    # the most common real-world shape: the base's pip installs the newest pip into it, which then installs
    upgrade = "pip install --upgrade pip && pip install -r requirements.txt"
    assert _lean(install=upgrade) == "without-pip, pip removed"
    assert _lean(install="pip3 install -U pip setuptools wheel && pip3 install -r requirements.txt") == "without-pip, pip removed"
    reader = """python -c "import tomllib; print(*tomllib.load(open('p.toml', 'rb'))['x'])" > r.txt && pip install -r r.txt"""
    assert _lean(install=reader) == "without-pip"  # dockopt's own pyproject reader (DO001)


def test_a_requirements_file_that_lists_pip_installs_it_into_the_virtualenv(tmp_path: Path) -> None:
    """`pip==24.0` in requirements.txt (or a file it includes) puts pip into the pip-less virtualenv: removed at the end."""
    text = BUILDER.format(image="python:3.12", install="pip install -r requirements.txt")
    (tmp_path / "base.txt").write_text("flask==3.0.0\npip==24.0\n")
    (tmp_path / "requirements.txt").write_text("-r base.txt\nrequests==2.32.3\n")
    out = dockopt.rewrite(text, select=[RULE.name], context_dir=tmp_path)
    builder = out.text.split("\n\nFROM", 1)[0]
    assert "--without-pip" in builder and "PIP_PYTHON=/opt/venv/bin/python" in builder
    assert builder.rstrip().endswith("RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel")
    assert "the pip that RUN at line 5 installs into it is removed" in out.changes[0].message
    check_invariants(text, out.text, result=out, select=[RULE.name], context_dir=tmp_path)
    # negative controls: pip-tools is not pip, and without pip in the files nothing puts it there
    (tmp_path / "base.txt").write_text("flask==3.0.0\npip-tools==7.4.1\n")
    out = dockopt.rewrite(text, select=[RULE.name], context_dir=tmp_path)
    assert "--without-pip" in out.text and "uninstall" not in out.text


def test_pip_is_kept_until_the_end_where_something_may_need_it_inside_the_virtualenv() -> None:
    assert _lean(image="python:3.11") == "uninstall"  # its venv brings setuptools
    assert _lean(image="python:3") == "uninstall"  # no version in the tag
    assert _lean(image="ghcr.io/acme/python:3.12") == "uninstall"  # not the official image
    assert _lean(install="python -m pip install -r requirements.txt") == "uninstall"
    assert _lean(install="/opt/venv/bin/pip install -r requirements.txt") == "uninstall"
    assert _lean(install="pip install -r requirements.txt && python -m spacy download en_core_web_sm") == "uninstall"
    assert _lean(install="poetry install") == "uninstall"
    assert _lean(install="""python -c "import subprocess; subprocess.run(['pip', 'list'])" """) == "uninstall"
    assert _lean(install="""python -c "__import__('os').system('python -m pip list')" """) == "uninstall"
    assert _lean(install="./build.sh") == "uninstall"
    assert _lean(install="pip install --user -r requirements.txt") == "uninstall"
    assert _lean(extra="\nFROM builder AS test\nRUN pip install pytest\n") == "uninstall"
    made = BUILDER.replace("python -m venv /opt/venv", "python -m venv --copies /opt/venv")
    assert "--without-pip" not in dockopt.rewrite(made, select=[RULE.name]).text


def test_a_base_tag_from_a_build_argument_keeps_pip() -> None:
    """`FROM python:${PY}` builds whatever `--build-arg PY=...` says: 3.8's pip may not know PIP_PYTHON
    (the virtualenv would stay empty) and 3.11's virtualenv needs setuptools, so the default 3.12 proves nothing."""
    from dockopt.model.analysis import analyse
    from dockopt.model.venv_pip import why_pip_stays

    for image in ("python:${PY}", "python:${PY}-slim", "docker.io/library/python:$PY"):
        text = "ARG PY=3.12\n" + BUILDER.format(image=image, install="pip install -r requirements.txt")
        out = dockopt.rewrite(text, select=[RULE.name]).text
        assert "--without-pip" not in out and "PIP_PYTHON" not in out, image
        assert out.split("\n\nFROM", 1)[0].rstrip().endswith("RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel")
        model = analyse(dockopt.parse(text))
        ins, reason = why_pip_stays(model, model.venv_copies[0]) or (None, "")
        assert ins is not None and ins.line == 3 and "build argument" in reason and "python:3.12" in reason
    # through a stage built FROM it too
    text = "ARG PY=3.12\nFROM python:${PY} AS base\n" + BUILDER.format(image="base", install="pip install -r requirements.txt")
    assert "--without-pip" not in dockopt.rewrite(text, select=[RULE.name]).text
    # negative control: the same default written into the FROM line is made without pip
    text = "ARG PY=3.12\n" + BUILDER.format(image="python:3.12", install="pip install -r requirements.txt")
    assert "--without-pip" in dockopt.rewrite(text, select=[RULE.name]).text


def test_why_pip_stays_names_the_instruction_and_the_reason() -> None:
    from dockopt.model.analysis import analyse
    from dockopt.model.venv_pip import why_pip_stays

    text = BUILDER.format(image="python:3.12", install="python -m spacy download en_core_web_sm")
    model = analyse(dockopt.parse(text))
    (found,) = model.venv_copies
    ins, reason = why_pip_stays(model, found) or (None, "")
    assert ins is not None and ins.line == 5 and "`python`" in reason
    text = BUILDER.format(image="python:3.12", install="pip install -r requirements.txt")
    model = analyse(dockopt.parse(text))
    assert why_pip_stays(model, model.venv_copies[0]) is None
