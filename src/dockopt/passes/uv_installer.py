"""DO012 uv-installer: the builder installs with uv instead of pip (opt-in: ``--installer uv``).

uv resolves and installs the same packages from the same index 10-100x
faster than pip. With ``installer = "uv"`` the stage that builds the
virtualenv a shipped stage copies installs uv from PyPI into its own
interpreter (``pip install uv``; it never reaches the runtime stage), creates
the virtualenv with ``uv venv`` (no pip in it), sets ``UV_COMPILE_BYTECODE=1``
(the .pyc files pip would write) and ``UV_LINK_MODE=copy`` (the cache is on
another filesystem in a build), and turns each ``pip`` call of the stage into
``uv pip``.

Opt-in because uv is not pip: it reads no pip.conf and no ``PIP_*``
variables, resolves with its own resolver (an unpinned requirement may
resolve to another version the day it runs), and lacks a few pip options. The
rule declines, with the reason, when the stage sets a ``PIP_*`` variable uv
would ignore, touches pip.conf, or calls pip with an option uv does not take.
"""

from __future__ import annotations

import posixpath

from .. import lazyre
from ..model.packages import PackageInstall
from ..model.runs import script
from ..model.shell import SimpleCommand, word_spans
from ..style import Style
from ..syntax import Dockerfile, Instruction, Stage
from .base import Context, Decline, Rule

#: pip options `uv pip` takes with the same meaning (checked against uv 0.13's `uv pip install --help`).
UV_OPTIONS = frozenset(
    ["-r", "--requirement", "-c", "--constraint", "-e", "--editable", "--no-deps", "-U", "--upgrade", "--force-reinstall", "--no-cache-dir", "--pre", "--no-build-isolation", "--require-hashes", "--no-binary", "--only-binary", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index", "--trusted-host", "--disable-pip-version-check", "--no-compile", "-q", "--quiet", "-v", "--verbose", "-y", "--yes", "-t", "--target", "--prefix"]
)
_PIP_RE = lazyre.compile(r"pip[0-9.]*")
_PYTHON_RE = lazyre.compile(r"python[0-9.]*")
_INSTALLER_RE = lazyre.compile(r"(?i)(pip|setuptools|wheel)([<>=!~].*)?")
#: pip's actions uv has as `uv pip ...`.
UV_ACTIONS = frozenset({"install", "uninstall", "freeze", "list", "show", "check"})
#: PIP_* variables whose loss changes nothing uv does (cache, messages).
_HARMLESS_PIP_ENV = frozenset(
    {"PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_ROOT_USER_ACTION", "PIP_DEFAULT_TIMEOUT", "PIP_NO_COMPILE", "PIP_PROGRESS_BAR"}
)


def _pip_call(cmd: SimpleCommand, call: PackageInstall, venv: str) -> bool:
    """A call of the virtualenv's pip (``pip``, ``pip3``, ``python -m pip``, or either by its path in the
    virtualenv), not of another interpreter's pip named by its path (``/usr/local/bin/pip install poetry``)."""
    if call.manager != "pip":
        return False
    program = cmd.program or ""
    return "/" not in program or posixpath.dirname(posixpath.normpath(program)) == f"{venv}/bin"


def _edits(ins: Instruction, venv: str) -> list[tuple[int, int, str]] | None:
    """The spans of RUN text turning each pip call into ``uv pip`` (Decline when one can't be).

    A call about the installer itself (``pip install --upgrade pip setuptools
    wheel``, ``pip uninstall --yes pip wheel``) is dropped instead: ``uv venv``
    puts no pip in the virtualenv and uv does not need one, while ``uv pip
    install --upgrade pip`` would put pip back into the image. None when the
    RUN was nothing else.
    """
    edits: list[tuple[int, int, str]] = []
    s = script(ins)
    for cmd, call in s.calls:
        if not _pip_call(cmd, call, venv):
            continue
        if ins.heredocs or s.exec_form or s.commands.complex:
            raise Decline(ins, f"RUN at line {ins.line} calls pip in shell text the rule does not edit; change it to `uv pip` by hand")
        if call.action not in UV_ACTIONS:
            raise Decline(ins, f"`pip {call.action}` ({ins.line and f'line {ins.line}'}) has no `uv pip` counterpart")
        odd = [o for o in call.options if o not in UV_OPTIONS]
        if odd:
            raise Decline(ins, f"`pip {call.action} {odd[0]}` (line {ins.line}): uv pip has no `{odd[0]}`; the builder keeps pip")
        if _installer_upgrade(call):
            drop = _drop_span(ins, cmd)
            if drop is None:
                return None
            edits.append(drop)
            continue
        spans = word_spans(cmd)
        program = len(cmd.words) - len(cmd.args) - 1  # index of the program among the words
        if len(spans) != len(cmd.words):
            raise Decline(ins, f"RUN at line {ins.line}: cannot tell where `{cmd.raw}` names pip; change it to `uv pip` by hand")
        first = last = program
        name = posixpath.basename(cmd.words[program])
        if _PYTHON_RE.fullmatch(name) and cmd.words[program + 1 : program + 3] == ("-m", "pip"):
            last = program + 2  # `python -m pip`
        elif not _PIP_RE.fullmatch(name):
            raise Decline(ins, f"RUN at line {ins.line}: cannot tell where `{cmd.raw}` names pip; change it to `uv pip` by hand")
        edits.append((spans[first][0], spans[last][1], "uv pip"))
    return edits


def _installer_upgrade(call: PackageInstall) -> bool:
    """``pip install -U pip setuptools wheel`` or ``pip uninstall pip wheel``: pip about itself, nothing else."""
    if call.action not in ("install", "uninstall") or call.requirement_files or call.editable or call.local_paths:
        return False
    names = call.packages or call.arguments
    return bool(names) and all(_INSTALLER_RE.fullmatch(p) for p in names)


def _drop_span(ins: Instruction, cmd: SimpleCommand) -> tuple[int, int, str] | None:
    """The span of RUN text to delete so that ``cmd`` no longer runs, or None when it is the RUN's only command.

    The command goes with the ``&&`` (or ``;``) joining it to its neighbour; a
    neighbour joined by ``||`` or ``|`` would change meaning, so that declines.
    """
    cl = script(ins).commands
    items = list(cl.items)
    if len(items) == 1:
        return None
    i = next(k for k, c in enumerate(items) if c is cmd)
    if i + 1 < len(items) and cl.operators[i] in ("&&", ";"):
        return (cmd.start, items[i + 1].start, "")
    if i > 0 and cl.operators[i - 1] in ("&&", ";"):
        return (items[i - 1].end, cmd.end, "")
    raise Decline(ins, f"RUN at line {ins.line}: `{cmd.raw}` upgrades pip, which a uv venv does not have; remove it by hand")


def _pip_settings(stage_env: dict[str, str | None], stage: Stage, chain: list[Stage]) -> str | None:
    """Why pip's own configuration matters here (uv reads none of it), or None."""
    bad = sorted(k for k in stage_env if k.startswith("PIP_") and k not in _HARMLESS_PIP_ENV)
    if bad:
        return f"the stage sets {bad[0]}, which uv ignores (it reads UV_* variables instead)"
    for s in chain:
        for ins in s.instructions:
            if "pip.conf" in ins.text or "pip.ini" in ins.text:
                return f"the {ins.keyword} at line {ins.line} writes pip's configuration, which uv ignores"
    return None


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    if ctx.installer != "uv":
        return doc
    model = ctx.model(doc)
    out = doc
    for found in model.venv_copies:
        stage, created = found.source, found.created
        if found.tool != "venv" or not ctx.allowed(RULE, created, stage.from_instruction):
            continue
        try:
            out = _rewrite(out, stage, created, found.venv, ctx)
        except Decline as exc:
            ctx.decline(RULE, exc, stage.from_instruction)
    return out


def _rewrite(doc: Dockerfile, stage: Stage, created: Instruction, venv: str, ctx: Context) -> Dockerfile:
    model = ctx.model(doc)
    if len(script(created).commands.items) != 1 or created.json_args is not None:
        raise Decline(created, f"RUN at line {created.line} does more than create the virtualenv; the rule only replaces that alone")
    problem = _pip_settings(dict(model.scope.end(stage).values), stage, model.graph.ancestry(stage))
    if problem is not None:
        raise Decline(stage.from_instruction, problem)
    user = model.image_runs_pip
    if user is not None:
        raise Decline(user, f"the image runs pip ({user.keyword} at line {user.line}), and `uv venv` puts no pip in {venv}")
    body = list(stage.instructions)
    after = body[body.index(created) + 1 :]
    replacements: dict[Instruction, list[Instruction]] = {}
    dropped: list[Instruction] = []
    for ins in after:
        if ins.keyword != "RUN":
            continue
        edits = _edits(ins, venv)
        if edits is None:
            replacements[ins] = []  # the RUN was only about pip itself
            dropped.append(ins)
        elif edits:
            edited = ins.edit_args(edits)
            if edited is None:
                raise Decline(ins, f"RUN at line {ins.line}: a pip call sits across a line continuation")
            replacements[ins] = [edited]
    if len(replacements) == len(dropped):
        raise Decline(stage.from_instruction, f"stage `{stage.name or stage.index}` calls no pip after creating {venv}: nothing for uv to install", actionable=False)
    style = Style.detect(doc)
    # --disable-pip-version-check: the one pip call left would otherwise ask the index for pip's own
    # newest version after installing uv, a round trip each cold build pays (~0.3 s measured here).
    make = style.instruction("RUN", f"pip install --disable-pip-version-check uv && uv venv {venv}").with_leading(
        created.leading
    )
    pairs = [("UV_COMPILE_BYTECODE", "1"), ("UV_LINK_MODE", "copy"), ("UV_PYTHON_DOWNLOADS", "never")]
    if model.scope.end(stage).values.get("VIRTUAL_ENV") != venv:
        pairs.insert(0, ("VIRTUAL_ENV", venv))  # how `uv pip` finds the virtualenv
    env = style.env(pairs)
    replacements[created] = [make, env]
    ctx.change(
        RULE,
        created if created.line is not None else stage.from_instruction,
        f"stage `{stage.name or stage.index}` installs with uv: {venv} made by `uv venv`, "
        f"{sum(1 for k in replacements if k is not created and k not in dropped)} RUN(s) with `uv pip` instead of pip"
        + (f"; dropped {len(dropped)} RUN(s) only about pip itself (lines {', '.join(str(d.line) for d in dropped)})" if dropped else ""),
    )
    return doc.edit(replacements)


RULE = Rule(
    id="DO012",
    name="uv-installer",
    title="Install the dependencies with uv in the builder (opt-in)",
    why="""\
uv installs the same packages from the same index 10-100x faster than pip, so
a cold build of the builder stage takes seconds instead of minutes. Asked for
with `--installer uv` (or `installer = "uv"` in the config), the stage that
builds the virtualenv the runtime stage copies installs uv into its own
interpreter (it never reaches the runtime image), creates the virtualenv with
`uv venv`, which puts no pip in it, and runs each pip call as `uv pip`, with
UV_COMPILE_BYTECODE=1 (the .pyc files pip writes) and UV_LINK_MODE=copy.""",
    safety="safe",
    before="""\
FROM python:3.12 AS builder
RUN python -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
CMD ["python", "-m", "app"]
""",
    after="""\
FROM python:3.12 AS builder
RUN pip install --disable-pip-version-check uv && uv venv /opt/venv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN uv pip install --no-cache-dir -r requirements.txt

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
CMD ["python", "-m", "app"]
""",
    apply=apply,
    notes="""\
Only with `--installer uv`. Only a virtualenv made with `python -m venv` in a
stage that is not shipped and that a shipped stage copies. Declines, with the
reason, when that stage (or one it is built FROM) sets a PIP_* variable that
matters (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS ...: uv reads
UV_* variables instead) or writes pip.conf, or calls pip with an option uv
does not have (--prefer-binary, --no-warn-script-location, --timeout ...) or
an action it does not have, or in shell text the rule does not edit
(heredocs, exec form, if/for), or when the image itself runs pip (a RUN,
HEALTHCHECK or ENTRYPOINT/CMD of the shipped stages, or the script one
starts): `uv venv` puts no pip in the virtualenv. The virtualenv's pip by its
path (/opt/venv/bin/python -m pip ...) becomes `uv pip` too; another
interpreter's pip by path (/usr/local/bin/pip install poetry: a build tool
for the image's own interpreter) stays pip. Calls about pip itself
(`pip install --upgrade pip setuptools wheel`, `pip uninstall pip wheel`)
are dropped: the uv venv has no pip and needs none (chained with `&&` or
`;`; after `||` it declines). A stage that calls no pip at all (it installs
with `uv sync` already) is left alone. poetry,
pipenv and uv sync installs are left as they are.

What uv costs: the builder installs uv with pip before anything else, which
starts pip cold (the official images ship it without .pyc files) and fetches
a 17.6 MB wheel: measured at about 2 s of a cold build beyond pip's own
start. uv wins that back on installs that keep pip busy for longer (most
real requirement sets); on an install of one or two small packages the pip
rewrite builds faster (`python bench/size_bench.py --uv` prints both).""",
)
