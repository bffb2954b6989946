"""DO006 run-cleanup: leave no package-manager caches in the layer.

What it adds, per RUN of a stage whose RUN text is POSIX shell:

(a) ``rm -rf /var/lib/apt/lists/*`` at the end of a RUN that installs with
    apt (``apt-get``/``apt`` install, upgrade, build-dep ...), when this RUN
    or an earlier one of the stage ran ``apt-get update``, the lists are not
    already removed after the last apt call, the RUN has no cache mount on
    ``/var/lib/apt`` or ``/var/cache/apt``, and nothing later needs the
    lists: no later RUN of the stage, of a stage built FROM it, or an ONBUILD
    trigger runs an apt install before running its own ``apt-get update``.
(b) ``--no-cache-dir`` after ``install`` in ``pip install`` (any pip,
    ``python -m pip``), unless a cache mount holds the pip cache, the stage
    sets ``PIP_NO_CACHE_DIR``, or the call already picks a cache
    (``--no-cache-dir`` or an abbreviation of it, ``--cache-dir``).
(c) ``--no-cache`` after ``add`` in ``apk add`` (``apk update`` is left
    alone), unless a cache mount or an ``rm`` already handles /var/cache/apk.
(d) ``&& yum clean all`` (``dnf``/``microdnf`` likewise) after a yum-family
    install, unless the RUN already cleans or mounts the cache.
(e) ``--no-cache`` after ``install`` in ``uv pip install``.
poetry and pipenv are left alone.

Flags are inserted in place with :meth:`Instruction.edit_args` at offsets
from the shell model, so every other byte stays. Appended commands are
written as `` && <escape><newline><indent>command`` through :class:`Style`.
A compound RUN (``if``/``for``, subshells ...) gets a flag only when the
command being edited reads the same on its own; nothing is appended to one.
A ``sudo apt-get``/``sudo yum`` install gets its cleanup run with ``sudo`` too.
"""

from __future__ import annotations

from ..model import apt
from ..model.analysis import Analysis
from ..model.packages import PackageInstall
from ..model.runs import script
from ..model.shell import CommandList, SimpleCommand, parse_command
from ..records_base import Mutable
from ..style import Style
from ..syntax import Dockerfile, Instruction, Stage
from .base import Context, Rule, closing_open_end, run_at
from .runtext import flag_insertion, joinable_body, rebuild_run, tail_problem

_PRIVILEGE_WRAPPERS = ("sudo", "doas")


# --------------------------------------------------------------------------
# apt list bookkeeping (the events and states are the model's: model/apt.py)
# --------------------------------------------------------------------------


def _needs_lists_later(model: Analysis, stage: Stage, after: Instruction) -> Instruction | None:
    """The first later RUN that would run an apt install with the lists gone, if any."""
    body = list(stage.instructions)
    index = next(i for i, x in enumerate(body) if x is after)
    for trigger in (x for x in body if x.keyword == "ONBUILD"):  # they run in a later build, after all of this one
        _, hit = apt.first_unmet([trigger], "removed")
        if hit is not None:
            return hit
    state, hit = apt.first_unmet([x for x in body[index + 1 :] if x.keyword == "RUN"], "removed")
    if hit is not None:
        return hit
    return _needs_lists_in_children(model, stage, state)


def _needs_lists_in_children(model: Analysis, stage: Stage, state: apt.ListsState) -> Instruction | None:
    for child in model.graph.children(stage):
        for trigger in (x for x in child.instructions if x.keyword == "ONBUILD"):
            _, hit = apt.first_unmet([trigger], "removed")
            if hit is not None:
                return hit
        end, hit = apt.first_unmet([x for x in child.instructions if x.keyword == "RUN"], state)
        if hit is not None:
            return hit
        hit = _needs_lists_in_children(model, child, end)
        if hit is not None:
            return hit
    return None


def _privilege_prefix(cmd: SimpleCommand) -> str:
    """``sudo `` when the package manager ran through sudo/doas, so its cleanup can too."""
    program = len(cmd.words) - len(cmd.args) - 1
    for word in cmd.words[:program]:
        base = word.rsplit("/", 1)[-1]
        if base in _PRIVILEGE_WRAPPERS:
            return f"{base} "
    return ""


# --------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------


class _Plan(Mutable):
    _fields = ("edits", "appends", "messages", "skips")
    __slots__ = _fields
    edits: list[tuple[int, int, str]]
    appends: list[str]
    messages: list[str]
    skips: list[tuple[str, bool]]  # (message, actionable)

    def __init__(
        self,
        edits: list[tuple[int, int, str]] | None = None,
        appends: list[str] | None = None,
        messages: list[str] | None = None,
        skips: list[tuple[str, bool]] | None = None,
    ) -> None:
        self.edits = edits if edits is not None else []
        self.appends = appends if appends is not None else []
        self.messages = messages if messages is not None else []
        self.skips = skips if skips is not None else []


def _stage_env_names(model: Analysis, stage: Stage) -> set[str]:
    names: set[str] = set()
    for s in model.graph.ancestry(stage):
        for ins in s.instructions:
            if ins.keyword == "ENV":
                names.update(k for k, _ in ins.env_pairs)
            elif ins.keyword == "ARG":
                names.update(w.partition("=")[0] for w in ins.value)
    return names


def _plan_flags(
    ins: Instruction, cl: CommandList, calls: list[tuple[SimpleCommand, PackageInstall]], env: set[str], plan: _Plan
) -> None:
    """(b) pip --no-cache-dir, (c) apk --no-cache, (e) uv pip --no-cache."""
    mounts = apt.cache_mount_targets(ins)

    def moved_cache(*names: str) -> bool:
        # A cache mount plus a cache folder moved by the environment: the mount may well hold it.
        return bool(mounts) and any(n in env or n in ins.args for n in (*names, "XDG_CACHE_HOME"))

    for cmd, call in calls:
        flag = None
        if call.manager == "pip" and call.action == "install":
            if any(o.startswith("--no-cache") or o == "--cache-dir" for o in call.options):
                continue
            if "PIP_NO_CACHE_DIR" in env or "PIP_NO_CACHE_DIR" in ins.args:
                continue
            if any(m.endswith(("/.cache", "/.cache/pip")) for m in mounts) or moved_cache("PIP_CACHE_DIR"):
                continue
            flag = "--no-cache-dir"
        elif call.manager == "uv" and call.action == "pip install":
            # uv takes pip's --no-cache-dir as an alias of --no-cache, and refuses the two together
            if call.has_option("--no-cache", "-n", "--no-cache-dir", "--cache-dir"):
                continue
            if "UV_NO_CACHE" in env or "UV_NO_CACHE" in ins.args:
                continue
            if any(m.endswith(("/.cache", "/.cache/uv")) for m in mounts) or moved_cache("UV_CACHE_DIR"):
                continue
            flag = "--no-cache"
        elif call.manager == "apk" and call.action == "add":
            if call.has_option("--no-cache", "--cache-dir"):
                continue
            if any(apt.under_any(m, ("/var/cache/apk", "/etc/apk/cache")) for m in mounts):
                continue
            if any(c.name == "rm" and any(w.startswith("/var/cache/apk") for w in c.args) for c in cl.items):
                continue
            flag = "--no-cache"
        if flag is None:
            continue
        found = flag_insertion(ins, cl, cmd, call, flag)
        if isinstance(found, str):
            plan.skips.append((found, True))
        else:
            plan.edits.append(found)
            plan.messages.append(f"added {flag} to `{call.tool} {call.action}` in {run_at(ins)}")


def _plan_apt(
    model: Analysis,
    stage: Stage,
    ins: Instruction,
    calls: list[tuple[SimpleCommand, PackageInstall]],
    cl: CommandList,
    state: str,
    plan: _Plan,
) -> None:
    """(a) rm -rf /var/lib/apt/lists/* at the end."""
    apt_calls = [(cmd, call) for cmd, call in calls if call.manager == "apt"]
    needs = [(cmd, call) for cmd, call in apt_calls if call.action in apt.APT_NEEDS_LISTS]
    if not needs:
        return
    if not any(call.action == "update" for _, call in apt_calls) and state != "present":
        return  # no update in this stage: there are no lists of ours to remove
    # The removal must follow the last call that downloads or reads the lists; apt calls after it
    # that do neither (`apt-get clean`, `apt list`, `autoremove`) do not bring them back.
    uses = [cmd for cmd, call in apt_calls if call.action == "update" or call.action in apt.APT_NEEDS_LISTS]
    last = next(i for i, item in enumerate(cl.items) if item is uses[-1])
    if any(apt.removes_lists(cmd) for cmd in cl.items[last + 1 :]):
        return
    if apt.cache_mounted(ins):
        return
    later = _needs_lists_later(model, stage, ins)
    if later is not None:
        what = "an ONBUILD trigger" if later.keyword == "ONBUILD" else "the RUN"
        plan.skips.append(
            (
                f"not removing /var/lib/apt/lists in {run_at(ins)}: {what} at line {later.line} "
                "still runs apt-get install without its own apt-get update",
                False,
            )
        )
        return
    cmd, call = needs[-1]
    plan.appends.append(_privilege_prefix(cmd) + apt.APT_RM)
    plan.messages.append(f"added `{apt.APT_RM}` after `{call.tool} {call.action}` in {run_at(ins)}")


def _plan_yum(
    ins: Instruction, cl: CommandList, calls: list[tuple[SimpleCommand, PackageInstall]], plan: _Plan
) -> None:
    """(d) yum/dnf/microdnf clean all at the end."""
    yum = [(cmd, call) for cmd, call in calls if call.manager == "yum"]
    installs = [
        (cmd, call) for cmd, call in yum if call.is_install or call.action in ("upgrade", "update", "reinstall")
    ]
    if not installs:
        return
    if any(call.action == "clean" for _, call in yum):
        return
    if any(
        c.name == "rm" and any(w.startswith(("/var/cache/yum", "/var/cache/dnf")) for w in c.args) for c in cl.items
    ):
        return
    if any(apt.under_any(m, ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5")) for m in apt.cache_mount_targets(ins)):
        return
    cmd, call = installs[-1]
    clean = f"{call.tool} clean all"
    plan.appends.append(_privilege_prefix(cmd) + clean)
    plan.messages.append(f"added `{clean}` after `{call.tool} {call.action}` in {run_at(ins)}")


def _clean_run(
    model: Analysis, stage: Stage, ins: Instruction, state: str, env: set[str], style: Style, ctx: Context
) -> Instruction:
    cl = model.script(ins).commands
    calls = list(model.script(ins).calls)
    if not calls:
        return ins
    plan = _Plan()
    _plan_flags(ins, cl, calls, env, plan)
    _plan_apt(model, stage, ins, calls, cl, state, plan)
    _plan_yum(ins, cl, calls, plan)
    appends_wanted = len(plan.appends)
    if plan.appends:
        problem = tail_problem(ins, cl)
        if cl.complex:
            problem = (
                f"{run_at(ins)} is a compound shell command (if/for/case, subshell or similar); "
                "dockopt cannot tell where a cleanup command would run"
            )
        if problem is not None:
            plan.skips.append((f"{problem}; not adding `{'` and `'.join(plan.appends)}`", False))
            plan.messages = plan.messages[: len(plan.messages) - appends_wanted]
            plan.appends = []
    for message, actionable in plan.skips:
        ctx.skip(RULE, ins, message, actionable=actionable)
    new = ins
    if plan.edits:
        edited = new.edit_args(plan.edits)
        if edited is None:  # pragma: no cover - insertions never cross a continuation
            ctx.skip(RULE, ins, f"{run_at(ins)} could not be edited in place")
            return ins
        new = edited
    if plan.appends:
        new_cl = parse_command(new.args)
        rebuilt = rebuild_run(new, [joinable_body(new, new_cl), *plan.appends], style, eol=new.eol)
        if rebuilt is None:  # pragma: no cover - rebuild_run's guard
            ctx.skip(RULE, ins, f"{run_at(ins)} could not be rebuilt with its cleanup")
            return ins
        new = rebuilt
    for message in plan.messages:
        ctx.change(RULE, ins, message)
    return new


def _skip_unreadable(ins: Instruction, ctx: Context) -> None:
    """Heredoc and exec-form RUNs are never edited; say so when they install something we would clean."""
    mounts = apt.cache_mount_targets(ins)
    mounted = {  # caches a mount already keeps out of the layer: nothing to clean by hand
        manager
        for manager, folders in (("pip", ("/.cache", "/.cache/pip")), ("uv", ("/.cache", "/.cache/uv")))
        if any(m.endswith(folders) for m in mounts)
    }
    calls = [
        c
        for _, c in script(ins).all_calls
        if c.is_install and c.manager in ("apt", "apk", "yum", "pip", "uv") and c.manager not in mounted
    ]
    if not calls:
        return
    if ins.heredocs:
        form = "runs its commands from a heredoc, whose body dockopt never edits"
    else:
        form = "is in exec (JSON) form"
    ctx.skip(RULE, ins, f"{run_at(ins)} {form}; add the package-manager cleanup by hand")


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    style = Style.detect(doc)
    model = ctx.model(doc)
    out = doc
    for stage in doc.stages:
        runs = [x for x in stage.instructions if x.keyword == "RUN"]
        if not runs:
            continue
        problem = model.shell_problem(stage)
        if problem is not None:
            if any(model.script(x).calls for x in runs):
                ctx.skip(RULE, problem[0], f"{problem[1]}; no cleanup added", actionable=False)
            continue
        env = _stage_env_names(model, stage)
        # The lists this stage downloaded itself (a parent's lists are in the parent's layers).
        state: apt.ListsState = "unknown"
        for ins in runs:
            if ctx.allowed(RULE, ins):
                if ins.heredocs or not ins.is_shell_form:
                    _skip_unreadable(ins, ctx)
                else:
                    new = _clean_run(model, stage, ins, state, env, style, ctx)
                    if new is not ins:
                        out = out.replace(ins, new)
            state = apt.after(ins, state)
    return out


RULE = Rule(
    id="DO006",
    name="run-cleanup",
    title="Leave no package-manager caches in the layer",
    why="""\
Package managers keep what they download: apt's package lists
(/var/lib/apt/lists, tens of MB), pip's wheel cache (~/.cache/pip, often as
big as the packages themselves), apk's index and yum/dnf's metadata. Files
left in a layer ship with the image forever, even if a later RUN deletes
them, so the cleanup has to happen in the same RUN:

- apt: `rm -rf /var/lib/apt/lists/*` at the end of the RUN that installs,
  when nothing later in the stage (or in a stage built FROM it) installs
  without running `apt-get update` itself;
- pip: `pip install --no-cache-dir`; uv: `uv pip install --no-cache`;
- apk: `apk add --no-cache`;
- yum/dnf: `yum clean all` / `dnf clean all` at the end of the RUN.

Flags are inserted right after the install verb and every other byte of the
RUN stays as it was; appended commands use the file's escape character,
line ending and indent.""",
    safety="safe",
    before="""\
FROM python:3.12
RUN apt-get update && \\
    apt-get install -y libpq-dev
RUN pip install -r requirements.txt
""",
    after="""\
FROM python:3.12
RUN apt-get update && \\
    apt-get install -y libpq-dev && \\
    rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir -r requirements.txt
""",
    apply=closing_open_end(apply),
    notes="""\
Leaves a RUN alone when it already cleans up (any spelling of the rm,
`--no-cache-dir`, `clean all`), when a `--mount=type=cache` holds that cache
(the cache then lives outside the image), when the stage sets
PIP_NO_CACHE_DIR, and for poetry and pipenv. Does not remove the apt lists
when no `apt-get update` ran in the stage, or when a later RUN, a stage built
FROM this one or an ONBUILD trigger still runs apt-get install without its own
update (it would fail without the lists). Never edits heredoc bodies or
exec-form RUNs; appends nothing to compound shell text (if/for/case,
subshells), to RUNs ending in a comment or a background `&`; a flag goes into
a compound RUN only when the command it edits reads the same on its own.
Skipped, with a reason, in stages whose SHELL is not sh/bash/dash/ash or whose
base is Windows.""",
)
