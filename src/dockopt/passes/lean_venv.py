"""DO011 lean-venv: the runtime stage copies a virtualenv without pip.

``python -m venv`` puts pip (and, before Python 3.12, setuptools) into the
virtualenv, and a runtime stage that copies the virtualenv ships them: about
12 MB of pip the app never runs. Where the stage that builds it can (an
official ``python`` image of 3.12 or newer, and nothing after the virtualenv
is made that needs pip inside it: :mod:`dockopt.model.venv_pip`), the rule
makes the virtualenv ``--without-pip`` and sets ``PIP_PYTHON`` so the base
image's pip installs into it, which also saves ensurepip's two seconds of
every cold build. Otherwise it removes pip (and wheel) from the virtualenv at
the end of the stage that builds it, after every install.

It matches a shipped stage's ``COPY --from=STAGE DIR DIR`` of a virtualenv
that STAGE creates with ``python -m venv DIR`` (or ``virtualenv DIR``). It
declines, with the reason, when the final stage (or a stage it is built
FROM) or the script its ENTRYPOINT/CMD starts calls pip, since the image
would no longer have it. setuptools stays: code that imports
``pkg_resources`` at run time needs it, and nothing says which code does.
"""

from __future__ import annotations

from ..model.analysis import VenvCopy
from ..model.runs import script
from ..model.shell import word_spans
from ..model.venv_pip import pip_installed_into, why_pip_stays
from ..style import Style
from ..syntax import Dockerfile, Instruction, Stage
from .base import Context, Rule, run_at

_UNINSTALL = "-m pip uninstall --yes pip wheel"


def _already_lean(stage: Stage) -> bool:
    return any(ins.keyword == "RUN" and "pip uninstall" in ins.args and " pip" in ins.args.split("uninstall", 1)[1] for ins in stage.instructions)


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    if len(doc.stages) < 2:
        return doc
    model = ctx.model(doc)
    out = doc
    done: set[int] = set()
    for found in model.venv_copies:
        source, venv, ins = found.source, found.venv, found.copy
        if found.tool not in ("venv", "virtualenv") or source.index in done or _already_lean(source):
            continue  # uv venv and --without-pip make no pip to remove
        if not ctx.allowed(RULE, ins, found.created, source.from_instruction):
            continue
        user = model.image_runs_pip
        if user is not None:
            ctx.skip(RULE, user, f"the image runs pip ({user.keyword} at line {user.line}), so {venv} keeps it")
            continue
        done.add(source.index)
        where = ins if ins.line is not None else source.from_instruction  # a COPY another rule wrote has no line
        last = source.instructions[-1] if source.instructions else source.from_instruction
        if found.tool == "venv" and why_pip_stays(model, found) is None:
            made = _without_pip(found)
            if made is not None:
                style = Style.detect(doc)
                env = style.instruction("ENV", f"PIP_PYTHON={venv}/bin/python")
                upgraded = pip_installed_into(model, found)
                if upgraded is not None:
                    out = out.insert_after(last, [style.instruction("RUN", f"{venv}/bin/python {_UNINSTALL}")])
                out = out.replace(found.created, made).insert_after(made, [env])
                message = (
                    f"{venv} is made without pip (`--without-pip`: no ensurepip, about 2 s of a cold build) and the "
                    f"base image's pip installs into it (`PIP_PYTHON`)"
                )
                if upgraded is not None:
                    message += (
                        f"; the pip that {run_at(upgraded)} installs into it is removed at the end of stage "
                        f"`{source.name or source.index}`"
                    )
                ctx.change(RULE, where, message + ", so it is copied without pip")
                continue
        lean = Style.detect(doc).instruction("RUN", f"{venv}/bin/python {_UNINSTALL}")
        out = out.insert_after(last, [lean])
        ctx.change(
            RULE,
            where,
            f"{venv} is copied without pip and wheel: they are removed at the end of stage "
            f"`{source.name or source.index}`, after every install",
        )
    return out


def _without_pip(found: VenvCopy) -> Instruction | None:
    """The RUN that makes the virtualenv with ``--without-pip`` after ``-m venv``; None if it cannot be placed."""
    created = found.created
    for cmd in script(created).commands.items:
        if cmd.args[:2] != ("-m", "venv"):
            continue
        spans = word_spans(cmd)
        program = len(cmd.words) - len(cmd.args) - 1
        if len(spans) != len(cmd.words):
            return None
        end = spans[program + 2][1]
        return created.edit_args([(end, end, " --without-pip")])
    return None


RULE = Rule(
    id="DO011",
    name="lean-venv",
    title="Copy the virtualenv into the runtime stage without pip",
    why="""\
`python -m venv` puts pip (and before Python 3.12 setuptools) into the
virtualenv; a runtime stage that copies the whole virtualenv ships them, about
12 MB of installer the app never runs. Removing pip and wheel at the end of
the stage that builds the virtualenv, after every install, keeps them out of
the image; the builder's layers never ship.

On an official `python` image of 3.12 or newer the virtualenv is made without
pip in the first place (`python -m venv --without-pip`), and `PIP_PYTHON`
points the base image's own pip at it (pip 22.3 and newer re-run themselves
under that interpreter; console scripts get the virtualenv's Python). The
files are the same as with pip removed afterwards, and the build skips
ensurepip, which installs pip from a bundled wheel: about 2 s of every cold
build, and the uninstall layer.""",
    safety="safe",
    before="""\
FROM python:3.12 AS builder
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install -r requirements.txt

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
CMD ["python", "-m", "app"]
""",
    after="""\
FROM python:3.12 AS builder
RUN python -m venv --without-pip /opt/venv
ENV PIP_PYTHON=/opt/venv/bin/python
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install -r requirements.txt

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
CMD ["python", "-m", "app"]
""",
    apply=apply,
    notes="""\
Declines when the final stage (or a stage it is built FROM), its HEALTHCHECK,
or the script its ENTRYPOINT/CMD starts runs pip: the image would no longer
have it. Only virtualenvs the copied-from stage creates with `python -m venv`
or `virtualenv` (with pip) count; a stage that the image is also built FROM
is left alone. setuptools stays (code that imports pkg_resources at run time
needs it). `# dockopt: ignore=lean-venv` above the COPY keeps pip.

The virtualenv is made with pip, and pip removed at the end of the stage
(`RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel`), when the base
is not an official `python` image whose tag names 3.12 or newer (before 3.12
`python -m venv` also installs setuptools; a tag like `python:3` says nothing
of the version, and `FROM python:${PY}` builds whatever `--build-arg PY=` says,
its default aside), when the RUN that makes it passes options to venv or runs
more than plain commands after it, or when anything after it in the stage
may need pip inside the virtualenv: `python -m pip` or the virtualenv's own
`bin/pip` (the virtualenv's Python has no pip module), pip with `--python`/`--user`/`--prefix`/`--root`, poetry, pipenv, uv, any
other program that may run Python (`python -m spacy download` calls pip), a
heredoc, or a stage built FROM it. A stage that upgrades pip after making the
virtualenv (`pip install --upgrade pip && pip install -r requirements.txt`)
still gets it `--without-pip`: the base's pip installs the newest pip into it,
PATH finds that one for the later installs, and it is removed at the end. So
does a requirements file that lists pip (`pip==24.0`), or a file it includes.""",
)
