"""DO002 multi-stage: split dependency installation into a builder stage.

The rule page (``RULE``) and the order of the phases; each phase is a module:
:mod:`.classify` (what each RUN is), :mod:`.facts` (what the installs read),
:mod:`.checks` (when the split is not safe), :mod:`.placement` (which stage
gets what), :mod:`.apt_plan` (apt packages per stage), :mod:`.payoff` (whether
the split sheds anything), :mod:`.venv` (where the virtualenv goes) and
:mod:`.assemble` (writing the two stages).
"""

from __future__ import annotations

import posixpath

from ...model.distributions import RuntimeNeed
from ...syntax import Dockerfile, Instruction
from ..base import Context, Decline, Rule
from ..slim_base import slim_target
from .apt_plan import (
    AptPlan,
    distribution_needs,
    fold_needs,
    install_needs,
    kept_for_needs,
    moved_packages,
    needs_comment,
    needs_list,
    plan_apt,
)
from .assemble import Where, assemble
from .checks import check_base, check_runtime, check_shebangs, check_structure, check_virtual_env
from .classify import classify_run
from .facts import choose_layout, install_facts
from .job import USER_BASE, VENV_DIR, Job
from .payoff import check_duplicated_setup, sheds
from .placement import Placement, check_same_path, place
from .venv import Kept, choose_venv_dir, kept_environment


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    stages = doc.stages
    if not stages:
        return doc
    if len(stages) > 1:
        installs = [ins for ins in stages[-1].instructions if ins.keyword == "RUN" and classify_run(ins).kind == "install"]
        if installs and ctx.allowed(RULE, stages[-1].from_instruction, *installs):
            ctx.skip(RULE, installs[0], "already multi-stage; the rule only splits single-stage files", actionable=False)
        return doc
    stage = stages[0]
    if not ctx.allowed(RULE, *stage.all_instructions()):
        return doc
    try:
        new = split(Job(doc, stage, ctx, ctx.model(doc)))
    except Decline as exc:
        ctx.decline(RULE, exc, stage.from_instruction)
        return doc
    return doc if new is None else new


def split(job: Job) -> Dockerfile | None:
    """The split file, None when there is nothing to split, or Decline with the reason."""
    if not job.installs:
        return None
    for i in job.installs:
        problem = job.runs[i].problem
        if problem:
            raise Decline(job.body[i], problem)
    check_base(job)
    check_structure(job)
    facts = install_facts(job)
    kept = kept_environment(job, facts)
    check_virtual_env(job, kept)
    if kept is None:
        # dockopt's virtualenv is active in the builder: a build tool pip installs in the install RUN
        # must go to /usr/local, not into it
        facts.edits.extend(facts.tool_edits)
        facts.notes.extend(facts.tool_notes)
        layout, layout_edits, layout_notes = choose_layout(job, facts)
    else:
        layout, layout_edits = "project", []
        layout_notes = [_kept_note(kept)]
        if job.ctx.layout == "user":
            layout_notes.append(f"layout=user not used: {kept.tool} makes its own virtualenv, which stays at {kept.path}")
    facts.edits.extend(layout_edits)
    placement = place(job, facts)
    if facts.editable_project:
        check_same_path(job, placement, facts)
    script_words = check_shebangs(job, placement)
    runtime_cmds, builder_cmds = stage_commands(job, placement, script_words)
    copy_uv = _runtime_runs_uv(job, placement)
    check_runtime(job, placement, facts, uv_copied=copy_uv, kept=kept)
    check_duplicated_setup(job, placement)
    venv_dir = VENV_DIR
    if kept is not None:
        venv_dir = kept.path
    elif layout == "venv":
        venv_dir = choose_venv_dir(job)
    where = Where(layout, venv_dir, copy_uv, off_path=kept is not None and kept.on_path is not True)
    # What the installed distributions use from the full image (lightgbm: libgomp1) goes to the runtime
    # stage when it moves to slim; when it keeps the full image, that image has it already.
    needs = distribution_needs(job)
    plan = plan_apt(job, placement, runtime_cmds, builder_cmds, needs)
    rest = fold_needs(job, plan, needs)
    added = [n for step in plan.values() for n in step.needs] + rest
    new, assembly_notes = assemble(job, placement, plan, facts, where)
    tool = kept.tool if kept is not None else ""
    slim = slim_target(new, job.ctx)
    if needs and slim.image is None:
        needs, added = [], []
        plan = plan_apt(job, placement, runtime_cmds, builder_cmds)
        new, assembly_notes = assemble(job, placement, plan, facts, where)
    else:
        new = install_needs(job, new, rest)
    if not sheds(job, placement, plan, facts, slim.image):
        raise Decline(
            job.stage.from_instruction,
            "a split would shed nothing from the final image, only add a second stage and a virtualenv: "
            + (slim.reason or "the base is already slim")
            + ", and nothing build-only is installed",
            actionable=slim.actionable,
        )
    notes = [*facts.notes, *layout_notes, *assembly_notes]
    if layout == "venv" and venv_dir != VENV_DIR:
        notes.append(f"the virtualenv goes to {venv_dir}: {VENV_DIR} would be inside the app's own directories")
    if copy_uv:
        notes.append("the runtime stage runs `uv`, so it gets the uv binary from the builder")
    kept_needs = kept_for_needs(job, plan, needs)
    if kept_needs:
        notes.append(f"{needs_list(kept_needs)} stays in the runtime stage too: {needs_comment(kept_needs, short=True)}")
    job.ctx.change(RULE, job.stage.from_instruction, _message(job, plan, layout, venv_dir, notes, tool, added))
    return new


def stage_commands(job: Job, placement: Placement, script_words: set[str]) -> tuple[set[str], set[str]]:
    """The commands the runtime stage and the builder call (an over-approximation: every word's basename)."""
    runtime: set[str] = set(script_words)
    builder: set[str] = set()
    for i, ins in enumerate(job.body):
        run = job.runs.get(i)
        if run is not None and placement[i] == "apt":
            # the packages an apt step installs aren't commands the builder calls
            builder |= {w for c in run.items if c.kind != "system" for w in (c.cmd.name, *c.cmd.words) if w}
            continue
        if placement[i] in ("runtime", "both"):
            runtime |= _program_names(job, ins)
        if run is not None and placement[i] in ("builder", "both"):
            builder |= run.words
    return runtime, builder


def _program_names(job: Job, ins: Instruction) -> set[str]:
    if ins.keyword == "SHELL":
        return {posixpath.basename(w) for w in ins.value}
    if ins.keyword not in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"):
        return set()
    return set(job.model.script(ins).words)


def _runtime_runs_uv(job: Job, placement: Placement) -> bool:
    """The runtime stage calls uv (``uv run app``), and the builder installs it with pip (a static binary)."""
    runs_uv = any(
        placement[i] in ("runtime", "both") and {"uv", "uvx"} & set(job.model.script(ins).names)
        for i, ins in enumerate(job.body)
        if ins.keyword in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK")
    )
    if not runs_uv:
        return False
    # `pip install uv` in a tool RUN, or in the install RUN (which the builder runs with /usr/local/bin/pip):
    # either way uv lands in /usr/local/bin, outside the virtualenv.
    return any(
        c.kind == "tool" and c.pc is not None and "uv" in c.pc.package_names
        for run in job.runs.values()
        if run.kind in ("tool", "install")
        for c in run.items
    )


def _kept_note(kept: Kept) -> str:
    """Why the virtualenv stays where it is, and what PATH says of it."""
    if kept.on_path is True:
        state = "it is on PATH, as in the original"
    elif kept.on_path is False:
        state = "it stays off PATH, as in the original"
    else:
        state = "PATH stays as the file sets it"
    return f"{kept.how}; a virtualenv is bound to its path, so it is not moved, and {state}"


def _message(
    job: Job, plan: AptPlan, layout: str, venv_dir: str, notes: list[str], tool: str, added: list[RuntimeNeed]
) -> str:
    if layout == "project":
        message = f"split into a builder stage ({tool} makes its virtualenv at {venv_dir}) and a runtime stage that copies it to the same path"
    else:
        where = f"installs into {venv_dir}" if layout == "venv" else f"installs into {USER_BASE} with pip --user"
        message = f"split into a builder stage ({where}) and a runtime stage"
    moved = [p for i, step in plan.items() if step.in_builder for p in moved_packages(job.runs[i], step.packages)]
    if moved:
        message += f"; build-only apt packages stay in the builder ({', '.join(dict.fromkeys(moved))})"
    libs = [p for step in plan.values() if step.libraries for p in step.packages if p not in {n.package for n in step.needs}]
    if libs:
        message += f"; the runtime stage installs {', '.join(dict.fromkeys(libs))}"
    if added:
        message += "; it also installs" if libs else "; the runtime stage installs"
        message += f" {needs_list(added)}, which the full image has and slim lacks ({needs_comment(added, short=True)})"
    for note in notes:
        message += f" ({note})"
    return message


RULE = Rule(
    id="DO002",
    name="multi-stage",
    title="Split dependency installation into a builder stage",
    why="""
A single-stage image ships everything its build needed: compilers and `-dev`
headers installed for a source build, pip's download cache, poetry or pipenv
themselves. Splitting the file in two keeps them out of the image: a
`builder` stage on the same base installs the dependencies into a virtualenv
at /opt/venv, and the runtime stage copies just that directory
(`COPY --from=builder /opt/venv /opt/venv`) and puts its bin on PATH. An
install that makes its own virtualenv (`uv sync` into `.venv`) keeps it:
the runtime stage copies it to the same path, and PATH stays as it was. The
runtime stage can then start from the slim image (the slim-base rule, DO004,
does that next), and the builder's layers never leave the build machine.

What moves where:

- builder: the FROM (same image, named `builder`), the ARG/ENV/WORKDIR lines
  the install runs under, the build-only apt packages (gcc, make, `-dev`
  headers, git, ...), the dependency manifests and the install;
  poetry/pipenv/uv are installed before the virtualenv is created, so they
  stay out of it.
- runtime stage: everything that matters at run time, in its original order
  (ENV, WORKDIR, USER, EXPOSE, LABEL, HEALTHCHECK, CMD, the code COPY, RUN
  steps such as useradd or collectstatic, apt packages the app uses), plus the
  shared libraries a compiled package loads (`libpq-dev` in the builder means
  `libpq5` here), and what the installed Python packages load or run from the
  full image, which slim lacks (lightgbm loads libgomp.so.1: `libgomp1`;
  GitPython runs `git`), installed with `--no-install-recommends`.

With `--layout user` plain pip installs use `pip install --user` and the
runtime stage copies /root/.local instead (not when the image runs as a
non-root USER, which couldn't read /root: then /opt/venv is used and the
change says so).

A split must pay for itself: it is made only when the final image sheds
something (the full base's compilers and headers, because the runtime stage
can move to slim; build-only apt packages; poetry, pipenv or uv), and never
when a RUN doing real work (a downloaded tool, a setup script) would have to
run in both stages. The virtualenv goes to /opt/venv unless that is inside a
directory the app works in or copies into (`WORKDIR /opt`), then to /venv.
An install keeps the `apt-get update` it relies on in whichever stage runs
it. A runtime stage that runs `uv run` gets the uv binary from the builder.
""",
    safety="safe",
    before="""\
FROM python:3.12
RUN apt-get update && apt-get install -y gcc libpq-dev
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
""",
    after="""\
FROM python:3.12 AS builder
RUN apt-get update && apt-get install -y gcc libpq-dev
WORKDIR /app
RUN python -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install -r requirements.txt

FROM python:3.12
# shared libraries the packages built in the builder stage load at run time
RUN apt-get update \\
    && apt-get install -y --no-install-recommends libpq5 \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY . .
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
""",
    apply=apply,
    notes="""
Only single-stage files built on the official python image are split; a file
with several FROMs is left alone (a second run changes nothing). It declines
when the split would only add a virtualenv (an already-slim base with nothing
build-only), or run real setup work twice. An editable install (`pip install
-e .`, `-e .` in a requirements file, poetry or uv installing the project) is
split only when the runtime stage copies the code to the same directory the
link points to. The rule declines, with the reason, when the install is
something it doesn't model: `--target`/`--prefix`, poetry or pipenv
installing into a virtualenv of their own (poetry's default
`virtualenvs.create true`, `pipenv install` without `--system` or
`PIPENV_VENV_IN_PROJECT`: the image reaches it with `poetry run`/`pipenv
run`), installs into two places, an install mixed with other commands in one
RUN, a heredoc install, a secret or SSH mount, private index credentials,
ENV PIP_TARGET/PIP_USER/VIRTUAL_ENV and kin, an install running as a
non-root USER, or a file that already makes its own virtualenv. It also
declines when the runtime stage would break: a RUN after the install that
compiles (gcc, make ...), calls poetry/pipenv/uv, switches user with su/sudo,
or refers to /usr/local/bin, site-packages or a .venv; a started script whose
shebang is /usr/local/bin/python; apk/yum packages (the build/run-time table
is Debian's); ONBUILD; Windows and non-Python base images.

An environment the installs make themselves at a fixed path stays there:
`uv sync` into the project's `.venv` (or `UV_PROJECT_ENVIRONMENT`), poetry
with `virtualenvs.in-project` (`poetry config`, `POETRY_VIRTUALENVS_IN_PROJECT`
or a copied poetry.toml), pipenv with `PIPENV_VENV_IN_PROJECT`. A virtualenv
is bound to its path and the image may run `.venv/bin/python`, so the
runtime stage copies it to the same path and PATH stays as the file sets
it: on PATH only if the original put it there (then a `# dockopt:
ignore=DO003` line above the COPY keeps path-env from adding it). uv runs
with UV_PYTHON_DOWNLOADS=never in the builder (a downloaded interpreter
would live outside the copied directory).

Alpine bases are split too when they install no apk packages: the
virtualenv works the same on musl. A build tool installed in the same RUN as
the dependencies (`pip install poetry && poetry install`) is pointed at
/usr/local/bin/pip so it stays out of /opt/venv; `uv pip install --system`
loses `--system` so it installs into the virtualenv.

apt packages that aren't known to be build-only stay in the runtime stage; a
`-dev` package whose libraries aren't in the table stays whole. An apt RUN that
mixes build-only and run-time packages is kept whole in the builder. poetry
and uv install the project itself in editable mode unless told not to; that
is only accepted when the runtime stage copies the code to the same
directory. A manifest COPY stays in the runtime stage too unless a later
`COPY . .` brings the file again. With a build context, requirements files
are read for nested `-r`/`-c` files (each one's COPY goes to the builder),
editable lines and local paths; without one, a COPY of what may be an
included file (`*.txt`, `constraints*`) goes to both stages.

What the Python packages need from Debian at run time comes from one table
(`[distributions]` in dockopt's debian.toml; each entry checked by importing
the package on the slim image with and without the Debian packages). The
packages installed are read from the install's arguments, the requirements
files (with the files they include) and, for poetry, uv and pipenv, their
lock files, which list every dependency. A requirements file is read as pip
reads it (a UTF-16 file with a byte-order mark too) and lists only what it
lists, apart from a few well-known distributions the table knows always
depend on an entry (pycaret on lightgbm, streamlit and wandb on GitPython):
a package of yours that depends on lightgbm shows only its own name, and
without a build context only the arguments are read; install such a library
yourself in the file, or use a lock file. The packages are added
only when the runtime stage moves to slim (the full image has them); they go
into the runtime stage's own apt install when it has one, else into a RUN
right after its FROM, and a build-only package you install that one of them
needs (git for GitPython) stays at run time.
""",
)
