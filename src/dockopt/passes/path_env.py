"""DO003 path-env: Put a copied virtualenv's or ~/.local's bin on PATH.

A stage that copies a virtualenv (``COPY --from=builder /opt/venv /opt/venv``)
or a user site (``COPY --from=builder /root/.local /root/.local``) from
another stage gets the packages, but not their console scripts: ``gunicorn``,
``uvicorn``, ``celery`` live in ``<dir>/bin``, and unless that directory is on
PATH the image's CMD fails with "executable file not found", and ``python``
is the base image's interpreter, which cannot import the copied packages.

The rule adds ``ENV PATH=<dir>/bin:$PATH`` right after the COPY, unless an ENV
of the stage (or of a stage it is built FROM) already puts that directory on
PATH. :func:`plan_path` holds the decision, so the multi-stage rule (DO002)
places its own ENV line the same way.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from .. import lazyre
from ..model import args, paths
from ..records_base import Record
from ..style import Style
from ..syntax import Dockerfile, Instruction
from .base import Context, Rule

# The last path component of a directory that holds an environment with a bin/:
# venv, .venv, myvenv, app-venv ... and a user site (~/.local).
_ENV_DIR_RE = lazyre.compile(r"\.?[\w.-]*venv|\.local")
_PATH_REF = "\x00PATH\x00"  # stands for $PATH while PATH values are compared


class PathPlan(Record):
    """Where ``ENV PATH=<bin>:$PATH`` goes in a stage, or why it can't go anywhere.

    ``present``: an ENV already puts the directory on PATH, nothing to add.
    ``insert_at``: index in the stage's instruction list to insert before.
    ``reason``/``culprit``: the rule must not add it (and why, and where).
    """

    _fields = ("present", "insert_at", "reason", "culprit")
    __slots__ = _fields
    present: bool
    insert_at: int | None
    reason: str | None
    culprit: Instruction | None

    def __init__(
        self,
        present: bool = False,
        insert_at: int | None = None,
        reason: str | None = None,
        culprit: Instruction | None = None,
    ) -> None:
        self._set(present, insert_at, reason, culprit)


def _path_value(value: str | None) -> str | None:
    """An expanded PATH value with ``$PATH`` as a marker, so it can be split on ``:``; None if unknown."""
    if value is None:
        return None
    marked = value.replace("${PATH}", _PATH_REF).replace("$PATH", _PATH_REF)
    return None if "$" in marked else marked


def _norm(path: str) -> str:
    return posixpath.normpath(path) if path else path


def copied_env_dir(copy: Instruction, workdir: str | None) -> str | None:
    """The virtualenv or user-site directory a ``COPY --from=...`` puts in place, or None.

    ``workdir`` (the stage's WORKDIR at the COPY, None when unknown) resolves a
    relative destination. Only a single source whose destination ends in a
    venv-like name (``venv``, ``.venv``, ``app-venv``) or ``.local`` counts.
    """
    if copy.keyword != "COPY" or copy.flag("from") is None:
        return None
    sd = copy.copy_sources_and_dest()
    if sd is None:
        return None
    sources, dest = sd
    if len(sources) != 1 or "$" in dest or "$" in sources[0]:
        return None
    dest = dest.rstrip("/")
    if not dest:
        return None
    if not dest.startswith("/"):
        if workdir is None or not workdir.startswith("/"):
            return None
        dest = posixpath.join(workdir, dest)
    dest = _norm(dest)
    if not _ENV_DIR_RE.fullmatch(posixpath.basename(dest)):
        return None
    return dest


def _env_path_settings(
    instructions: Sequence[Instruction], known: dict[str, str | None], globals_: dict[str, str | None]
) -> list[tuple[int, Instruction, str | None]]:
    """(index, instruction, resolved PATH value or None) for every ENV setting PATH.

    ``known`` is updated with the ENV/ARG values seen, in order; a stage ARG
    without a default takes the global ARG's value, as BuildKit does.
    """
    out: list[tuple[int, Instruction, str | None]] = []
    for i, ins in enumerate(instructions):
        if ins.keyword == "ARG":
            args.declare(ins, known, globals_)
        elif ins.keyword == "ENV":
            try:
                pairs = ins.env_pairs
            except ValueError:
                continue
            for key, raw in pairs:
                value = args.unquote(raw)
                resolved = args.expand(value, known, keep=("PATH",)) if value is not None else None
                if key == "PATH":
                    out.append((i, ins, _path_value(resolved)))
                    known[key] = None
                else:
                    known[key] = resolved
    return out


def _exec_sets_path(ins: Instruction) -> bool:
    """``ENTRYPOINT ["env", "PATH=...", ...]``: PATH set where the rule can't follow it."""
    argv = ins.json_args if ins.keyword in ("ENTRYPOINT", "CMD") else None
    if not argv or posixpath.basename(argv[0]) != "env":
        return False
    return any(a.startswith("PATH=") for a in argv[1:])


def plan_path(
    instructions: Sequence[Instruction],
    copy_index: int,
    bin_dir: str,
    inherited: Sequence[Instruction] = (),
    global_args: Sequence[Instruction] = (),
) -> PathPlan:
    """Decide where ``ENV PATH=<bin_dir>:$PATH`` goes for the COPY at ``copy_index``.

    ``instructions`` is the stage's body (FROM excluded); ``inherited`` the
    bodies of the stages it is built FROM, oldest first (their ENV carries
    over). The pipeline's guard requires the final stage's last literal PATH
    value to stay what it was, so when the stage already sets PATH before
    the COPY (and nowhere after it) the new line goes just above that ENV:
    the result is the same search order with the other directory in front.
    """
    bin_dir = _norm(bin_dir)
    known: dict[str, str | None] = {}
    globals_ = args.global_args(global_args)
    inherited_settings = _env_path_settings(inherited, known, globals_)
    settings = _env_path_settings(instructions, known, globals_)
    for ins in (*inherited, *instructions):
        if _exec_sets_path(ins):
            return PathPlan(
                reason="PATH is set inside an exec-form ENTRYPOINT/CMD (env PATH=...), which the rule can't follow",
                culprit=ins,
            )
    for _, ins, value in (*inherited_settings, *settings):
        if value is None:
            return PathPlan(
                reason=f"PATH is set from a value the rule can't resolve ({ins.args}); add {bin_dir} to it by hand",
                culprit=ins,
            )
    for _, _, value in (*inherited_settings, *settings):
        assert value is not None
        if any(_norm(part) == bin_dir for part in value.split(":") if part and part != _PATH_REF):
            return PathPlan(present=True)
    for _, ins, value in (*inherited_settings, *settings):
        assert value is not None
        if _PATH_REF not in value:
            return PathPlan(
                reason=f"PATH is set to a fixed value ({ins.args}) without $PATH; add {bin_dir} to it by hand",
                culprit=ins,
            )
    after = [i for i, _, _ in settings if i > copy_index]
    if after:
        return PathPlan(insert_at=copy_index + 1)
    before = [i for i, _, _ in settings if i < copy_index]
    if before:
        return PathPlan(insert_at=before[-1])
    if inherited_settings:
        _, ins, _ = inherited_settings[-1]
        return PathPlan(
            reason=f"PATH is set in the stage this one is built from ({ins.args}); add {bin_dir} there",
            culprit=ins,
        )
    return PathPlan(insert_at=copy_index + 1)


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    style: Style | None = None
    model = ctx.model(doc)
    inserts: list[tuple[Instruction, Instruction, bool]] = []  # (anchor, new ENV, after?)
    for stage in doc.stages:
        body = stage.instructions
        if not any(ins.keyword == "COPY" and ins.flag("from") is not None for ins in body):
            continue  # no COPY --from: nothing copies a virtualenv in (and no scope is worked out for it)
        inherited = [ins for s in model.graph.ancestry(stage)[:-1] for ins in s.instructions]
        seen: set[str] = set()
        for i, ins in enumerate(body):
            if ins.keyword != "COPY" or ins.flag("from") is None:
                continue  # as copied_env_dir, before asking for the scope
            workdir = model.scope.workdir(ins)
            env_dir = copied_env_dir(ins, workdir if paths.literal(workdir) else None)
            if env_dir is None:
                continue
            bin_dir = posixpath.join(env_dir, "bin")
            if bin_dir in seen:
                continue
            seen.add(bin_dir)
            if not ctx.allowed(RULE, ins):
                continue
            plan = plan_path(body, i, bin_dir, inherited, doc.global_args)
            if plan.present:
                continue
            if plan.reason is not None or plan.insert_at is None:
                ctx.skip(RULE, plan.culprit or ins, plan.reason or "no place for ENV PATH")
                continue
            style = style or Style.detect(doc)
            new = style.env([("PATH", f"{bin_dir}:$PATH")])
            if plan.insert_at == i + 1:
                inserts.append((ins, new, True))
            else:
                inserts.append((body[plan.insert_at], new, False))
            ctx.change(RULE, ins, f"added ENV PATH={bin_dir}:$PATH so the executables copied into {env_dir} are found")
    for anchor, new, after in reversed(inserts):
        if after:
            doc = doc.insert_after(anchor, [new])
            continue
        # above an existing ENV: the new line takes its blank lines, the ENV keeps its comments
        blank = 0
        while blank < len(anchor.leading) and anchor.leading[blank].kind == "blank":
            blank += 1
        if blank:
            moved = anchor.with_leading(anchor.leading[blank:])
            doc = doc.replace(anchor, [new.with_leading(anchor.leading[:blank]), moved])
        else:
            doc = doc.insert_before(anchor, [new])
    return doc


RULE = Rule(
    id="DO003",
    name="path-env",
    title="Put a copied virtualenv's or ~/.local's bin on PATH",
    why="""
A virtualenv or a `pip install --user` site copied from a builder stage brings
the packages, but their console scripts (gunicorn, uvicorn, celery, your own
[project.scripts]) sit in `<dir>/bin`. Unless that directory is on PATH, a
`CMD ["gunicorn", ...]` fails with "executable file not found in $PATH", and
`python` is the base image's interpreter, which doesn't see the copied
packages at all. The fix is one line right after the COPY:
`ENV PATH=/opt/venv/bin:$PATH`.

Recognised: `COPY --from=<stage> <src> <dest>` where `<dest>` is a directory
named like a virtualenv (`venv`, `.venv`, `app-venv`, relative destinations
resolved against WORKDIR) or `.local`.
""",
    safety="safe",
    before="""\
FROM python:3.12 AS builder
RUN python -m venv /opt/venv
COPY requirements.txt .
RUN /opt/venv/bin/pip install -r requirements.txt

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
COPY . .
CMD ["gunicorn", "app:app"]
""",
    after="""\
FROM python:3.12 AS builder
RUN python -m venv /opt/venv
COPY requirements.txt .
RUN /opt/venv/bin/pip install -r requirements.txt

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY . .
CMD ["gunicorn", "app:app"]
""",
    apply=apply,
    notes="""
Nothing is added when an ENV of the stage, or of a stage it is built FROM,
already puts the directory on PATH (values like `$VIRTUAL_ENV/bin` are
resolved from earlier ENV and ARG lines). When the stage sets PATH before the
COPY, the new line goes just above that ENV, so the stage's own PATH line
stays the last word.

Declines (with a reason) when PATH is set to a fixed value without `$PATH`,
from a variable it can't resolve, inside an exec-form `env PATH=...`
ENTRYPOINT/CMD, or only in a parent stage. A `# dockopt: ignore=path-env`
comment on the COPY leaves it alone.
""",
)
