"""DO007 apt-no-recommends: install apt packages without recommended extras.

``apt-get install`` (and ``apt install``) without ``--no-install-recommends``
gets the flag right after ``install``, inserted in place with
:meth:`Instruction.edit_args` so every other byte stays. Unsafe: the image
then lacks packages that used to come along as recommendations
(``ca-certificates`` with ``curl`` is the classic), so it only runs with
``--unsafe``.

Left alone: calls that already choose (``--no-install-recommends``,
``--install-recommends``, ``-o APT::Install-Recommends=...``), stages whose
RUNs so far (or stages they are built FROM) configure
``APT::Install-Recommends`` themselves, heredoc bodies and exec-form RUNs
(skipped with a reason), and stages whose SHELL is not POSIX or whose base
is Windows.
"""

from __future__ import annotations

from ..model.analysis import Analysis
from ..model.runs import script
from ..syntax import Dockerfile, Instruction, Stage
from .base import Context, Rule, run_at
from .runtext import flag_insertion

FLAG = "--no-install-recommends"
_CHOSEN = ("--no-install-recommends", "--install-recommends")


def _configured(model: Analysis, stage: Stage, upto: Instruction) -> bool:
    """Whether this RUN or an earlier one of the stage (or its ancestors) sets APT::Install-Recommends."""
    for s in model.graph.ancestry(stage):
        for ins in s.instructions:
            if ins.keyword == "RUN" and "apt::install-recommends" in ins.text.lower():
                return True
            if ins is upto:
                return False
    return False


def _installs(ins: Instruction) -> bool:
    return any(c.manager == "apt" and c.action == "install" for _, c in script(ins).all_calls)


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    model = ctx.model(doc)
    out = doc
    for stage in doc.stages:
        runs = [x for x in stage.instructions if x.keyword == "RUN" and ctx.allowed(RULE, x)]
        problem = model.shell_problem(stage)
        if problem is not None:
            if any(_installs(x) for x in runs):
                ctx.skip(RULE, problem[0], f"{problem[1]}; {FLAG} not added")
            continue
        for ins in runs:
            if ins.heredocs or not ins.is_shell_form:
                if _installs(ins):
                    form = "runs its commands from a heredoc" if ins.heredocs else "is in exec (JSON) form"
                    ctx.skip(RULE, ins, f"{run_at(ins)} {form}; add {FLAG} by hand")
                continue
            cl = model.script(ins).commands
            edits: list[tuple[int, int, str]] = []
            messages: list[str] = []
            for cmd, call in model.script(ins).calls:
                if call.manager != "apt" or call.action != "install":
                    continue
                if call.has_option(*_CHOSEN):
                    continue
                if any("install-recommends" in value.lower() for _, value in call.option_values):
                    continue
                if _configured(model, stage, ins):
                    continue
                found = flag_insertion(ins, cl, cmd, call, FLAG)
                if isinstance(found, str):
                    ctx.skip(RULE, ins, found)
                    continue
                edits.append(found)
                messages.append(
                    f"added {FLAG} to `{call.tool} install` in {run_at(ins)}; "
                    "packages apt only recommends are no longer installed (name any the image needs)"
                )
            if not edits:
                continue
            new = ins.edit_args(edits)
            if new is None:  # pragma: no cover - insertions never cross a continuation
                ctx.skip(RULE, ins, f"{run_at(ins)} could not be edited in place")
                continue
            out = out.replace(ins, new)
            for message in messages:
                ctx.change(RULE, ins, message)
    return out


RULE = Rule(
    id="DO007",
    name="apt-no-recommends",
    title="Install apt packages without recommended extras",
    why="""\
By default apt installs every package the ones you asked for *recommend*:
`apt-get install gcc` brings manual pages, `build-essential` brings
fakeroot and friends, `curl` brings LDAP and Kerberos libraries. They are
rarely needed in a container and often double the size of the install.
`--no-install-recommends` installs just the packages named and their hard
dependencies.

This fix is unsafe: a program that relied on a recommended package (for
example TLS roots from `ca-certificates`, recommended by `curl`) can fail at
run time. Review the packages and name any the image needs.""",
    safety="unsafe",
    before="""\
FROM python:3.12
RUN apt-get update && \\
    DEBIAN_FRONTEND=noninteractive apt-get install -y libpq-dev
""",
    after="""\
FROM python:3.12
RUN apt-get update && \\
    DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends -y libpq-dev
""",
    apply=apply,
    notes="""\
Applied only with --unsafe. Leaves a call alone when it already chooses
(`--no-install-recommends`, `--install-recommends`,
`-o APT::Install-Recommends=...`) or when the RUN or an earlier one of the
stage configures APT::Install-Recommends. Never edits heredoc bodies or exec-form
RUNs (skipped with a reason), nor commands inside shell text it cannot read
unambiguously. Skipped in stages whose SHELL is not sh/bash/dash/ash or whose
base is Windows.""",
)
