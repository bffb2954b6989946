"""DO008 cache-mounts: BuildKit cache mounts for pip, uv and apt downloads (opt-in: ``--cache-mounts``).

What it adds (only with ``--cache-mounts`` or ``cache_mounts = true``):

(a) ``--mount=type=cache,target=/root/.cache/pip`` on a RUN that runs
    ``pip install``/``download``/``wheel``, and ``target=/root/.cache/uv`` on
    one that runs ``uv pip install``/``pip sync``/``sync``/``add``/``lock``/
    ``tool install``; run-cleanup (DO006), which runs after this rule, then
    adds no ``--no-cache-dir``/``--no-cache`` there (it leaves a RUN whose
    cache is mounted alone).
(b) in a stage the final image is not built from (a builder): the mounts
    ``target=/var/cache/apt,sharing=locked`` and
    ``target=/var/lib/apt/lists,sharing=locked`` on every RUN that runs apt,
    and, once before the first of them, the step that removes the base's
    docker-clean hook (``data/caches.toml``: ``keep_cache``).

Where the cache lives is the model's answer (:mod:`dockopt.model.caches`):
root's home in the official images, unless a USER, an ENV/ARG or the RUN
itself moves it. New flags go through :func:`runtext.with_flags`, which parses
the result, so the printed RUN reads back as exactly the flags meant.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from ..model import apt, caches, paths
from ..model.analysis import Analysis
from ..model.runs import Call
from ..model.stages import from_names
from ..style import Style
from ..syntax import Dockerfile, Instruction, Stage, Trivia
from .base import Context, Rule, run_at
from .runtext import with_flags

#: Folders whose copy out of a stage would carry apt's configuration or caches along.
_APT_SYSTEM = ("/etc/apt", "/var/cache/apt", "/var/lib/apt")

Skip = Callable[[Instruction, str, bool], None]


def _mount(target: str, *, locked: bool = False) -> str:
    return f"--mount=type=cache,target={target}" + (",sharing=locked" if locked else "")


def apt_flags() -> list[str]:
    return [_mount(t, locked=True) for t in caches.table().apt.targets]


# -- (a) pip and uv ------------------------------------------------------------------------------


def _python_flags(model: Analysis, stage: Stage, ins: Instruction, skip: Skip) -> list[tuple[str, str]]:
    """The cache mounts ``ins`` gets for pip and uv, with a change message each."""
    tools = caches.table().tools
    script = model.script(ins)
    guessed = [c for _, c in script.all_calls if c.manager in tools and tools[c.manager].uses_cache(c)]
    if not guessed:
        return []
    if ins.heredocs or script.partly:
        skip(
            ins,
            f"{run_at(ins)} runs `{guessed[0].tool} {guessed[0].action}` from a heredoc, which dockopt reads as a "
            f"best guess only; add `{_mount(tools[guessed[0].manager].target)}` by hand",
            True,
        )
        return []
    calls = [(cmd, c) for cmd, c in script.calls if c.manager in tools and tools[c.manager].uses_cache(c)]
    mounted = apt.cache_mount_targets(ins)
    out: list[tuple[str, str]] = []
    for manager in dict.fromkeys(c.manager for _, c in calls):
        tool = tools[manager]
        mine = [(cmd, c) for cmd, c in calls if c.manager == manager]
        what = f"`{mine[0][1].tool} {mine[0][1].action}`"
        if any(paths.under(tool.target, m) for m in mounted):
            _opted_out(ins, tool, mine, skip)  # a cache mount holds it already
            continue
        problem = (
            caches.user_problem(model, ins)
            or caches.env_problem(model, ins, tool.env)
            or caches.config_problem(model, stage, ins, tool.config)
            or caches.project_config_problem(model, tool)
        )
        if problem is None:
            switched = next((s for s in (caches.switcher(cmd) for cmd, _ in mine) if s), None)
            if switched:
                problem = f"it runs {what} through `{switched}`, which may run it as another user"
        if problem is not None:
            skip(ins, f"no cache mount for {what} in {run_at(ins)}: {problem}", False)
            continue
        if _opted_out(ins, tool, mine, skip) < len(mine):
            out.append((_mount(tool.target), f"cache mount at {tool.target} for {what} in {run_at(ins)}"))
    return out


def _opted_out(ins: Instruction, tool: caches.Tool, calls: list[Call], skip: Skip) -> int:
    """Say which calls turn their cache off or move it (a mount is no use to them); how many."""
    count = 0
    for _, call in calls:
        option = tool.opted_out(call)
        if option is not None:
            count += 1
            skip(
                ins,
                f"`{call.tool} {call.action}` in {run_at(ins)} has {option}, so a cache mount would not be used; "
                f"left as written (remove {option} to keep its downloads in a cache mount)",
                True,
            )
    return count


# -- (b) apt ---------------------------------------------------------------------------------------


def _runs_apt(model: Analysis, ins: Instruction) -> bool:
    return ins.keyword in ("RUN", "ONBUILD") and any(c.manager == "apt" for _, c in model.script(ins).all_calls)


def _copies_system_paths(model: Analysis, stage: Stage) -> Instruction | None:
    """An instruction of another stage that copies (or mounts) apt's folders, or all of ``/``, from ``stage``."""
    for other in model.graph.stages:
        for ins in other.instructions:
            if not any(model.graph.named(name, before=other) is stage for name in from_names(ins)):
                continue
            sources: list[str] = []
            if ins.keyword in ("COPY", "ADD"):
                found = ins.copy_sources_and_dest()
                sources = found[0] if found is not None else ["/"]
            for flag in ins.flags:
                if flag.name == "mount" and flag.value:
                    fields = dict(part.partition("=")[::2] for part in flag.value.split(","))
                    sources.append(fields.get("source") or fields.get("src") or "/")
            for source in sources:
                path = posixpath.normpath("/" + source.lstrip("/"))
                if any(c in path for c in "$*?[") or any(paths.overlap(path, p) for p in _APT_SYSTEM):
                    return ins
    return None


def _hook_removed(model: Analysis, stage: Stage, before: Instruction) -> bool:
    """Whether a RUN of ``stage`` (or a stage it is built FROM) above ``before`` removes the docker-clean hook."""
    hook = caches.table().apt.clean_hook
    for s in model.graph.ancestry(stage):
        for ins in s.instructions:
            if ins is before:
                return False
            if ins.keyword == "RUN" and any(
                cmd.name == "rm" and hook in cmd.args for cmd in model.script(ins).commands.items
            ):
                return True
    return False


def _stage_words(model: Analysis, stage: Stage) -> str:
    """``the final stage``, ``stage `builder```, ``the stage at line 4``."""
    if stage is model.graph.final:
        return "the final stage"
    if stage.name:
        return f"stage `{stage.name}`"
    return f"the stage at line {stage.from_instruction.line}"


def _apt_problem(model: Analysis, stage: Stage, runs: list[Instruction]) -> tuple[Instruction, str] | None:
    """Why the apt RUNs of ``stage`` cannot get cache mounts, with the instruction to name."""
    first = runs[0]
    if stage.index in model.graph.shipped():
        return first, (
            "it is (part of) the final image, and the mounts need the base's docker-clean hook removed, "
            "which would change how apt behaves in the image"
        )
    for ins in runs:
        if ins.keyword == "ONBUILD":
            return ins, f"the ONBUILD trigger at line {ins.line} runs apt in a later build"
    pending = list(model.graph.children(stage))
    while pending:
        child = pending.pop()
        hit = next((x for x in child.instructions if _runs_apt(model, x)), None)
        if hit is not None:
            return hit, f"{_stage_words(model, child)} is built FROM it and runs apt too"
        pending.extend(model.graph.children(child))
    reader = _copies_system_paths(model, stage)
    if reader is not None:
        return reader, f"line {reader.line} copies apt's folders (or all of /) from it"
    problem = caches.user_problem(model, first)
    if problem is not None:
        return first, problem
    for ins in runs:
        if ins.heredocs or not ins.is_shell_form:
            return ins, f"{run_at(ins)} is in exec form or runs a heredoc; add the mounts by hand"
        problem = caches.env_problem(model, ins, caches.table().apt.env)
        if problem is not None:
            return ins, problem
        for _, call in model.script(ins).calls:
            if call.manager == "apt" and any(
                opt in ("-c", "--config-file") or (opt in ("-o", "--option") and value.lower().startswith("dir"))
                for opt, value in call.option_values
            ):
                return ins, f"{run_at(ins)} points apt at other folders or another config"
        events = apt.events(ins)
        if "need" in events and ("update" not in events or events.index("need") < events.index("update")):
            return ins, (
                f"{run_at(ins)} installs with package lists an earlier RUN downloaded, which a cache mount on "
                "/var/lib/apt/lists would hide (run `apt-get update` in the same RUN)"
            )
    return None


def _plan_apt(
    model: Analysis, stage: Stage, ctx: Context, skip: Skip
) -> tuple[list[Instruction], Instruction | None]:
    """The apt RUNs of ``stage`` to mount, and the RUN to put the keep-cache step above (None: handled)."""
    runs = [x for x in stage.instructions if _runs_apt(model, x)]
    if not runs or not ctx.allowed(RULE, *runs):
        return [], None
    wanted = apt_flags()
    pending = []
    for ins in runs:
        raws = [f.raw for f in ins.flags]
        if all(flag in raws for flag in wanted):
            continue  # mounted as this rule mounts it
        if apt.cache_mounted(ins):
            skip(ins, f"{run_at(ins)} already mounts a cache on apt's folders; apt left as written", False)
            return [], None
        pending.append(ins)
    if not pending:
        return [], None
    problem = _apt_problem(model, stage, runs)
    if problem is not None:
        skip(problem[0], f"apt downloads of {_stage_words(model, stage)} not cached: {problem[1]}", False)
        return [], None
    return pending, None if _hook_removed(model, stage, runs[0]) else runs[0]


def _keep_cache_run(anchor: Instruction, style: Style) -> tuple[Instruction, Instruction]:
    """The keep-cache RUN to print above ``anchor`` (taking its leading blank lines), and ``anchor`` without them."""
    blanks = 0
    while blanks < len(anchor.leading) and anchor.leading[blanks].kind == "blank":
        blanks += 1
    comment = style.comment_lines(
        ["keep downloaded packages in the apt cache mounts below (the base's docker-clean hook deletes them)"]
    )
    leading: list[Trivia] = [*anchor.leading[:blanks], *comment]
    keep = style.run([caches.table().apt.keep_cache], leading=leading)
    return keep, anchor.with_leading(anchor.leading[blanks:])


# -- the pass ---------------------------------------------------------------------------------------


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    if not ctx.cache_mounts:
        return doc
    model = ctx.model(doc)
    style = Style.detect(doc)

    def skip(ins: Instruction, message: str, actionable: bool) -> None:
        ctx.skip(RULE, ins, message, actionable=actionable)

    edits: dict[Instruction, list[Instruction]] = {}
    messages: list[tuple[Instruction, str]] = []
    for stage in doc.stages:
        runs = [x for x in stage.instructions if x.keyword == "RUN"]
        if not any(model.script(x).all_calls for x in runs):
            continue
        problem = model.shell_problem(stage)
        if problem is not None:
            skip(problem[0], f"{problem[1]}; no cache mounts added", False)
            continue
        flags: dict[Instruction, list[str]] = {}
        for ins in runs:
            if ctx.allowed(RULE, ins):
                for flag, message in _python_flags(model, stage, ins, skip):
                    flags.setdefault(ins, []).append(flag)
                    messages.append((ins, f"added a BuildKit {message}"))
        apt_runs, anchor = _plan_apt(model, stage, ctx, skip)
        for ins in apt_runs:
            flags.setdefault(ins, []).extend(apt_flags())
            messages.append((ins, f"added BuildKit cache mounts for apt's downloads and lists to {run_at(ins)}"))
        stage_edits: dict[Instruction, list[Instruction]] = {}
        for ins, new_flags in flags.items():
            new = with_flags(ins, new_flags, style)
            if new is None:  # pragma: no cover - with_flags' own check failed: never emit it
                skip(ins, f"{run_at(ins)} could not be rebuilt with its cache mounts", False)
                return doc
            stage_edits[ins] = [new]
        if anchor is not None:
            edited = stage_edits.get(anchor, [anchor])[0]
            keep, edited = _keep_cache_run(edited, style)
            stage_edits[anchor] = [keep, edited]
            messages.append(
                (anchor, f"added a RUN above {run_at(anchor)} that removes the base's docker-clean hook, "
                 "so apt keeps its downloads in the cache mount")
            )
        edits.update(stage_edits)
    if not edits:
        return doc
    for ins, message in messages:
        ctx.change(RULE, ins, message)
    return doc.edit(edits)


RULE = Rule(
    id="DO008",
    name="cache-mounts",
    title="Keep pip, uv and apt downloads in BuildKit cache mounts (with --cache-mounts)",
    why="""\
`--no-cache-dir` keeps pip's cache out of the image, but then every build
downloads every package again. A BuildKit cache mount does both: the cache
lives outside the image, in the builder, and the next build that re-runs the
install (a changed requirements file) finds its wheels there:

    RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt

dockopt adds one for pip (/root/.cache/pip) and uv (/root/.cache/uv), and
then adds no `--no-cache-dir`/`--no-cache` (DO006) to that RUN. For apt it
mounts /var/cache/apt (the .deb files) and /var/lib/apt/lists (the package
lists) with `sharing=locked` (apt cannot share them with a concurrent build),
in builder stages only, with Docker's documented keep-cache step once above
them: the official Debian images delete downloaded .debs after every install
(/etc/apt/apt.conf.d/docker-clean), which would leave the cache empty.

Opt-in (`--cache-mounts`, or `cache_mounts = true` in [tool.dockopt]):
`RUN --mount` needs BuildKit (the default builder since Docker 23;
DOCKER_BUILDKIT=1 before), and the classic builder rejects the file.""",
    safety="safe",
    before="""\
FROM python:3.12 AS builder
RUN apt-get update && apt-get install -y libpq-dev
RUN python -m venv /opt/venv && /opt/venv/bin/pip install psycopg2

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
""",
    after="""\
FROM python:3.12 AS builder
# keep downloaded packages in the apt cache mounts below (the base's docker-clean hook deletes them)
RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\
    apt-get update && apt-get install -y libpq-dev
RUN --mount=type=cache,target=/root/.cache/pip \\
    python -m venv /opt/venv && /opt/venv/bin/pip install psycopg2

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
""",
    apply=apply,
    option="--cache-mounts (or cache_mounts = true)",
    notes="""\
Never adds a `# syntax=` line: RUN --mount is in the Dockerfile syntax that
Docker 20.10's BuildKit builds without one, and a syntax line makes BuildKit
pull a frontend image (which fails offline or behind a registry mirror).

pip and uv: only for RUNs that run as root with HOME=/root, i.e. no USER (or
USER root) on an official image (python, debian, ubuntu ...); a USER, an
unknown base image, `sudo`/`su`/`gosu` in front of the call, an ENV/ARG or
the RUN setting PIP_CACHE_DIR, PIP_NO_CACHE_DIR, UV_CACHE_DIR, UV_NO_CACHE,
XDG_CACHE_HOME, HOME or a config file variable, a COPY of pip.conf/uv.toml,
or a `cache-dir` in the context's pyproject.toml/uv.toml: the cache may be
elsewhere, so no mount (an [info] skip says which). A call that already has
`--no-cache-dir` (pip) or `--no-cache` (uv) is left as written, with a skip:
the mount would not be used, and dockopt does not remove what the file says.
Heredoc RUNs get a skip asking to add the mount by hand.

apt: not in the final image or a stage it is built FROM (removing the
docker-clean hook would change how apt behaves in the shipped image), and
not when an ONBUILD or a stage built FROM this one runs apt, another stage
copies /etc/apt, /var/cache/apt, /var/lib/apt or / from it, a RUN installs
with lists an earlier RUN downloaded (the mount would hide them), apt is
pointed at other folders (-o Dir::..., -c, APT_CONFIG), or a RUN already
mounts apt's folders itself. /var/lib/apt/lists is mounted rather than all of
/var/lib/apt so that /var/lib/apt/extended_states (which packages were
installed automatically) stays in the image rather than in a cache shared by
every build on the machine. uv reads the cache through a mount and copies
into the virtualenv (it warns that it cannot hardlink; UV_LINK_MODE=copy
silences that). poetry and pipenv keep their own caches and get no mount.

What a mount still leaves in a layer: the mount point folders, and in a
single-stage file the bytecode of stdlib modules pip imports to read its
cache (measured: _strptime, 24 kB; the official images ship no .pyc). Pip
only reuses downloads the index lets it cache (PyPI does); wheels it
builds from source are always reused.""",
)
