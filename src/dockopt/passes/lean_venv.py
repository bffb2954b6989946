"""DO011 lean-venv: the runtime stage copies a virtualenv without pip.

``python -m venv`` puts pip (and, before Python 3.12, setuptools) into the
virtualenv, and a runtime stage that copies the virtualenv ships them: about
12 MB of pip the app never runs. The rule removes pip (and wheel) from the
virtualenv at the end of the stage that builds it, after every install.

It matches a shipped stage's ``COPY --from=STAGE DIR DIR`` of a virtualenv
that STAGE creates with ``python -m venv DIR`` (or ``virtualenv DIR``). It
declines, with the reason, when the final stage (or a stage it is built
FROM) or the script its ENTRYPOINT/CMD starts calls pip, since the image
would no longer have it. setuptools stays: code that imports
``pkg_resources`` at run time needs it, and nothing says which code does.
"""

from __future__ import annotations

from ..style import Style
from ..syntax import Dockerfile, Stage
from .base import Context, Rule

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
        last = source.instructions[-1] if source.instructions else source.from_instruction
        lean = Style.detect(doc).instruction("RUN", f"{venv}/bin/python {_UNINSTALL}")
        out = out.insert_after(last, [lean])
        where = ins if ins.line is not None else source.from_instruction  # a COPY another rule wrote has no line
        ctx.change(
            RULE,
            where,
            f"{venv} is copied without pip and wheel: they are removed at the end of stage "
            f"`{source.name or source.index}`, after every install",
        )
    return out


RULE = Rule(
    id="DO011",
    name="lean-venv",
    title="Copy the virtualenv into the runtime stage without pip",
    why="""\
`python -m venv` puts pip (and before Python 3.12 setuptools) into the
virtualenv; a runtime stage that copies the whole virtualenv ships them, about
12 MB of installer the app never runs. Removing pip and wheel at the end of
the stage that builds the virtualenv, after every install, keeps them out of
the image; the builder's layers never ship.""",
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
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install -r requirements.txt
RUN /opt/venv/bin/python -m pip uninstall --yes pip wheel

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
needs it). `# dockopt: ignore=lean-venv` above the COPY keeps pip.""",
)
