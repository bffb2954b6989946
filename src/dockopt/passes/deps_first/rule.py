"""The DO001 rule page and its ``apply``: one plan per stage, written into the tree."""

from __future__ import annotations

from ...syntax import Dockerfile, Instruction
from ..base import Context, Decline, Rule
from .plan import plan_stage
from .rewrite import rewrite


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    def allowed(ins: Instruction) -> bool:
        return ctx.allowed(RULE, ins)

    out = doc
    for stage in doc.stages:
        try:
            plan = plan_stage(doc, stage, ctx, allowed)
        except Decline as exc:
            ctx.decline(RULE, exc)
            continue
        if plan is None:
            continue
        out = rewrite(out, plan)
        ctx.change(RULE, plan.copies[0].ins, plan.message)
    return out


_EXAMPLE_BEFORE = """\
FROM python:3.12
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "app.py"]
"""

_EXAMPLE_AFTER = """\
FROM python:3.12
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["python", "app.py"]
"""

RULE = Rule(
    id="DO001",
    name="deps-first",
    title="Copy dependency manifests and install before copying the code",
    why="""
Docker reuses a layer only while everything it was built from is unchanged.
With `COPY . .` before `RUN pip install -r requirements.txt`, editing any
source file changes the COPY layer, so the install runs again on every build:
minutes of downloads and compiles for a one-line code change. Copying first
only the files the install reads, installing, and then copying the rest keeps
the install layer cached until the dependencies themselves change. The image
holds the same files: the full COPY still happens, after the install.

The manifests come from the install command: the -r/-c files of pip (and the
files they include, when the build context is known), pyproject.toml and
poetry.lock for poetry, Pipfile and Pipfile.lock for pipenv, pyproject.toml
and uv.lock for uv. The manifest COPY keeps the --chown/--chmod/--link of the
original.

Parts of the project copied into the working directory before the install
(`COPY src/ src/`, `COPY templates/ templates/`, and `COPY app.py .` when the
build context shows app.py is a file) move below it as written, in their
order, when the install reads none of their files. A COPY that brings code
together with a manifest (`COPY app.py requirements.txt ./`) is split in
two: the manifests stay in its place and the code moves below the install,
both halves with the original's flags. Only when the context shows every
source is a file and the destination is a directory either way (ending in
`/`, or the working directory); otherwise it is left whole, with the reason.

An install that also installs the project itself runs in two steps, the
dependencies before the code and the project after it:
- `poetry install` / `uv sync`: with `--no-root` / `--no-install-project`
  first, as their documentation recommends for Docker, and as written after
  the code. When the RUN also installs or configures the tool (`pip install
  poetry && poetry config virtualenvs.create false && poetry install`), the
  whole RUN runs first and only the install (with its `cd`/`export`) again.
- `pip install .` (also `-e .`, `/app`, `".[web]"`) from a pyproject.toml
  whose `[project]` dependencies are static: pyproject.toml is copied first
  and a step reads the dependencies (and those of the extras) at build time,
  `python -c "import tomllib; ..." > /tmp/dockopt-requirements.txt && pip
  install -r /tmp/dockopt-requirements.txt`, with the original's options;
  after the code, the original runs with `--no-deps`.
- a requirements file with `-e .` or a local path line: the first step
  installs it without those lines (`sed` drops them at build time, so an edit
  of the file still re-runs it), the original `pip install -r` after the code
  installs the project; everything else is already there.
Both first steps leave their list in /tmp/dockopt-requirements.txt, the one
file the rewritten image has that the original does not.
""",
    safety="safe",
    before=_EXAMPLE_BEFORE,
    after=_EXAMPLE_AFTER,
    apply=apply,
    notes="""
The code COPY is moved only past instructions known not to use the code:
package installs whose input files are known, ENV/ARG/LABEL/USER/EXPOSE and the
like, and a few commands (useradd, mkdir/rm/chmod of paths outside the code
directory, the official poetry/uv installers, pipx install ...). Left alone,
with the reason: an install that is a shell construct or shares its RUN with
commands that may read the code, a RUN between the COPY and the install that
may use the code (`python setup.py`, `chmod +x entrypoint.sh`), a manifest
outside the copied directory or missing from (or ignored in) the build
context, path or workspace dependencies in pyproject/Pipfile, a COPY with
--from or other flags, a context copied twice, variables such as
PIP_CONSTRAINT naming files, and ONBUILD instructions. `pip install .` is
split only when the build context shows a pyproject.toml with static
`[project]` dependencies that do not name the project itself (not for
setup.py, dynamic metadata or poetry-only projects) and the base image's tag
names Python 3.11 or newer (the reader uses tomllib). A requirements file is
filtered only when its local lines are `-e`/`--editable` of a path or a bare
path in the file the install names (not in files it includes, which is
declined), and when that file includes no other file by a relative path.
RUNs after the install that use the code stay after the code COPY.
""",
)
