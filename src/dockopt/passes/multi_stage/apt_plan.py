"""The apt steps of the stage, split between the builder and the runtime stage.

Build-only packages (compilers, ``-dev`` headers, git) go to the builder; a
``-dev`` package's shared libraries (``libpq-dev`` -> ``libpq5``) are installed
in the runtime stage instead, unless python:*-slim already has them; anything
else stays at run time. An install is never separated from the
``apt-get update`` it relies on: the runtime stage's own install refreshes the
lists itself, and :func:`ensure_lists` checks both stages afterwards.

The Python distributions the stage installs may need what the full image has
and slim lacks (lightgbm loads libgomp.so.1, GitPython runs git: the
``[distributions]`` table of ``data/debian.toml``). When the runtime stage
moves to slim those packages are installed there too: folded into the runtime
stage's own apt install when it has one (:func:`fold_needs`), else in a RUN of
their own right after its FROM (:func:`install_needs`); a build-only package
the user installs that a distribution needs (git) stays at run time.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from ... import lazyre
from ...model import apt, debian
from ...model.distributions import RuntimeNeed, runtime_needs, stage_distributions, unmet
from ...model.packages import PackageInstall, normalize_package_name
from ...model.shell import quote
from ...records_base import Record
from ...style import Style
from ...syntax import Dockerfile, Instruction, Trivia
from ..base import Decline
from .classify import Run
from .job import Job
from .placement import Placement

_PLAIN_SPEC_RE = lazyre.compile(r"[A-Za-z0-9_.+:=~/-]+")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

_UPGRADE_ACTIONS = frozenset({"upgrade", "dist-upgrade", "full-upgrade"})
_REMOVE_ACTIONS = frozenset({"remove", "purge", "autoremove"})


class AptSplit(Record):
    """Which packages of one apt install go to which stage."""

    _fields = ("builder", "runtime", "libraries")
    __slots__ = _fields
    builder: tuple[str, ...]
    runtime: tuple[str, ...]
    libraries: tuple[str, ...]  # runtime packages standing in for -dev ones

    def __init__(self, builder: tuple[str, ...], runtime: tuple[str, ...], libraries: tuple[str, ...] = ()) -> None:
        self._set(builder, runtime, libraries)


def split_apt_packages(
    packages: Sequence[str],
    *,
    runtime_commands: Set[str] = frozenset(),
    builder_commands: Set[str] = frozenset(),
    runtime_packages: Set[str] = frozenset(),
) -> AptSplit:
    """Split the packages of an apt install between the builder and the runtime stage.

    Build-only packages go to the builder (and stay at run time too when a
    run-time command calls one of their executables, or when they are among
    ``runtime_packages``: git for GitPython); ``-dev`` packages go to
    the builder and are replaced at run time by their shared-library packages
    (none when slim already has them), or kept whole when those are unknown;
    anything else stays at run time (and is installed in the builder too when
    a builder RUN calls it).
    """
    table = debian.table()
    builder: list[str] = []
    runtime: list[str] = []
    libs: list[str] = []
    for spec in packages:
        name = normalize_package_name("apt", spec)
        role = table.role(name)
        exes = table.commands(name)
        if role in ("toolchain", "build-only"):
            builder.append(spec)
            if any(e in runtime_commands for e in exes) or name in runtime_packages:
                runtime.append(spec)
        elif role == "dev":
            builder.append(spec)
            mapped = table.runtime_libraries(name)
            if mapped is None:
                runtime.append(spec)
            elif not table.libraries_in_slim(name):
                for lib in mapped:
                    if lib not in runtime:
                        runtime.append(lib)
                        libs.append(lib)
        else:
            runtime.append(spec)
            if any(e in builder_commands for e in exes):
                builder.append(spec)
    return AptSplit(tuple(builder), tuple(runtime), tuple(libs))


class AptStep:
    """What happens to one apt step of the original stage."""

    __slots__ = ("in_builder", "libraries", "needs", "no_recommends", "packages", "runtime")

    def __init__(
        self,
        in_builder: bool,
        runtime: Literal["keep", "replace", "drop"],
        packages: list[str],
        no_recommends: bool,
        libraries: bool,
    ) -> None:
        self.in_builder = in_builder  # the builder runs it as written
        self.runtime = runtime  # as written, a new install of `packages`, or nothing
        self.packages = packages  # what the runtime stage installs when `runtime` is "replace"
        self.no_recommends = no_recommends  # the user's own packages were installed without recommends
        self.libraries = libraries  # `packages` include shared libraries standing in for -dev packages
        self.needs: list[RuntimeNeed] = []  # packages added for the installed distributions (also in `packages`)


AptPlan = dict[int, AptStep]


def plan_apt(
    job: Job, placement: Placement, runtime_cmds: set[str], builder_cmds: set[str], needs: Sequence[RuntimeNeed] = ()
) -> AptPlan:
    """What happens to each apt step (placement 'apt') in the builder and in the runtime stage.

    ``needs``: packages the installed distributions need at run time; one the
    user installs stays in the runtime stage even when it is build-only.
    """
    keep = frozenset(n.package for n in needs)
    plan: AptPlan = {}
    index_only: list[int] = []
    for i in sorted(k for k, v in placement.items() if v == "apt"):
        run = job.runs[i]
        installs = run.apt_installs
        if not installs:
            index_only.append(i)
            continue
        plan[i] = _install_step(run, installs, runtime_cmds, builder_cmds, keep)
    for i in index_only:
        run = job.runs[i]
        calls = [c.pc for c in run.items if c.kind == "system" and c.pc is not None]
        upgrade = any(pc.action in _UPGRADE_ACTIONS for pc in calls)
        later_builder = any(j > i and step.in_builder for j, step in plan.items())
        later_runtime = any(j > i and step.runtime == "keep" for j, step in plan.items()) or _later_runtime_apt(job, i, placement)
        plan[i] = AptStep(later_builder, "keep" if upgrade or later_runtime else "drop", [], True, False)
    return plan


def _install_step(
    run: Run, installs: list[PackageInstall], runtime_cmds: set[str], builder_cmds: set[str], keep: Set[str]
) -> AptStep:
    calls = [c.pc for c in run.items if c.kind == "system" and c.pc is not None]
    specs: list[str] = []
    for pc in installs:
        if pc.local_paths:
            raise Decline(run.ins, "an apt install of a local .deb file: the rule can't tell what it is for")
        for spec in pc.packages:
            if "$" in spec or "`" in spec:
                raise Decline(run.ins, f"apt packages come from a variable ({spec}); the rule can't tell which are build-only")
            specs.append(spec)
    removed = {normalize_package_name("apt", p) for pc in calls if pc and pc.action in _REMOVE_ACTIONS for p in pc.packages}
    split = split_apt_packages(specs, runtime_commands=runtime_cmds, builder_commands=builder_cmds, runtime_packages=keep)
    rt = [p for p in split.runtime if normalize_package_name("apt", p) not in removed]
    kept_originals = [p for p in rt if p not in split.libraries]
    # The user's own packages keep their recommends unless every install of theirs had dropped them.
    no_rec = bool(kept_originals) and all(pc.has_option("--no-install-recommends") for pc in installs)
    if run.kind == "install":
        return AptStep(True, "replace" if rt else "drop", rt, no_rec, bool(split.libraries))
    same = not split.libraries and sorted(normalize_package_name("apt", p) for p in rt) == sorted(
        normalize_package_name("apt", p) for p in specs
    )
    mode: Literal["keep", "replace", "drop"] = "keep" if same and not removed else ("replace" if rt else "drop")
    return AptStep(bool(split.builder), mode, rt, no_rec, bool(split.libraries))


def _later_runtime_apt(job: Job, i: int, placement: Placement) -> bool:
    """Whether a RUN after ``i`` that stays in the runtime stage as written runs apt-get install."""
    return any(j > i and placement[j] in ("runtime", "both") and run.apt_installs for j, run in job.runs.items())


def _later_needs_lists(job: Job, i: int, placement: Placement, plan: AptPlan) -> bool:
    """Whether a later runtime RUN installs with apt without refreshing the index itself."""
    for j, run in job.runs.items():
        if j <= i:
            continue
        kept = placement[j] in ("runtime", "both") or (placement[j] == "apt" and plan[j].runtime == "keep")
        if not kept:
            continue
        calls = [c.pc for c in run.items if c.kind == "system" and c.pc is not None]
        if any(pc.is_install for pc in calls if pc.manager == "apt") and not any(pc.refreshes_index for pc in calls):
            return True
    return False


def runtime_apt_run(job: Job, i: int, step: AptStep, placement: Placement, plan: AptPlan) -> Instruction:
    """The runtime stage's own apt install for step ``i``: its run-time packages, with list cleanup.

    The shared libraries dockopt adds for ``-dev`` packages are installed with
    ``--no-install-recommends`` (what they recommend is nothing the loaded
    library needs); the user's own packages keep the recommends they had,
    in a separate install, since dropping them changes what gets installed
    (that is the unsafe DO007's to do).
    """
    run = job.runs[i]
    installs = run.apt_installs
    assignments = " ".join(_quote_assignment(a) for a in installs[0].command.assignments) if installs else ""
    prefix = f"{assignments} " if assignments else ""
    libraries = set(runtime_libraries_of(run)) if step.libraries else set()
    needed = {n.package for n in step.needs}
    own = [p for p in step.packages if p not in libraries and p not in needed]
    added = [p for p in step.packages if p in libraries or p in needed]
    commands = ["apt-get update"]
    groups = [(step.packages, True)] if not own or step.no_recommends else [(own, False), (added, True)]
    for packages, lean in groups:
        if packages:
            flag = " --no-install-recommends" if lean else ""
            commands.append(f"{prefix}apt-get install -y{flag} {' '.join(_shell_quote(p) for p in packages)}")
    if not _later_needs_lists(job, i, placement, plan):
        commands.append(apt.APT_RM)
    leading: list[Trivia] = []
    if step.libraries:
        comment = (
            "shared libraries the packages built in the builder stage load at run time"
            if not own
            else "packages the app uses at run time, and the shared libraries the packages built in the builder stage load"
        )
        leading = job.style.comment_lines([comment])
    if step.needs:
        leading += job.style.comment_lines([needs_comment(step.needs)])
    return job.style.run(commands, leading=leading)


# -- what the installed distributions need at run time ------------------------------------------------


def distribution_needs(job: Job) -> list[RuntimeNeed]:
    """What the distributions the stage installs need from Debian at run time (lightgbm: libgomp1)."""
    return runtime_needs(stage_distributions(job.stage, job.ctx.context))


def fold_needs(job: Job, plan: AptPlan, needs: Sequence[RuntimeNeed]) -> list[RuntimeNeed]:
    """The needs the runtime stage's apt installs don't meet, added to the first install dockopt writes
    for it; returns those still without one (they get :func:`install_needs`)."""
    installed: list[str] = []
    for i, step in plan.items():
        if step.runtime == "keep":
            installed += [p for pc in job.runs[i].apt_installs for p in pc.package_names]
        elif step.runtime == "replace":
            installed += step.packages
    missing = unmet(needs, installed)
    target = next((step for _, step in sorted(plan.items()) if step.runtime == "replace" and step.packages), None)
    if target is None or not missing:
        return missing
    target.packages = [*target.packages, *(n.package for n in missing)]
    target.needs = list(missing)
    return []


def install_needs(job: Job, doc: Dockerfile, needs: Sequence[RuntimeNeed]) -> Dockerfile:
    """``doc`` with a RUN installing ``needs`` right after the runtime stage's FROM (root, before
    anything else), or Decline when that stage can't run apt-get."""
    if not needs:
        return doc
    stage = doc.stages[-1]
    frm = stage.from_instruction
    problem = debian.apt_problem(stage.base)
    if problem is not None:
        raise Decline(frm, f"{needs_comment(needs)}, but {problem}, so the runtime stage can't install that")
    packages = " ".join(_shell_quote(n.package) for n in needs)
    run = job.style.run(
        ["apt-get update", f"apt-get install -y --no-install-recommends {packages}", apt.APT_RM],
        leading=job.style.comment_lines([needs_comment(needs)]),
    )
    return doc.insert_after(frm, [run])


def needs_comment(needs: Sequence[RuntimeNeed], *, short: bool = False) -> str:
    """``libgomp1: lightgbm loads libgomp.so.1; git: gitpython runs git`` (short: without the package names)."""
    return "; ".join(n.why if short else n.message for n in needs)


def needs_list(needs: Sequence[RuntimeNeed]) -> str:
    """``libgomp1``, ``libgomp1 and git``."""
    names = [n.package for n in needs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def kept_for_needs(job: Job, plan: AptPlan, needs: Sequence[RuntimeNeed]) -> list[RuntimeNeed]:
    """The needs met by a build-only package of the user's that stays at run time only because of them."""
    table = debian.table()
    out = []
    for n in needs:
        if table.role(n.package) not in ("toolchain", "build-only"):
            continue
        for i, step in plan.items():
            kept = [p for pc in job.runs[i].apt_installs for p in pc.package_names] if step.runtime == "keep" else []
            own = [p for p in step.packages if n not in step.needs] if step.runtime == "replace" else []
            if n.package in kept or n.package in own:
                out.append(n)
                break
    return out


def runtime_libraries_of(run: Run) -> list[str]:
    """The runtime library packages standing in for the -dev packages a RUN installs."""
    table = debian.table()
    return [lib for pc in run.apt_installs for name in pc.package_names for lib in (table.runtime_libraries(name) or ())]


def moved_packages(run: Run, runtime: list[str]) -> list[str]:
    keep = {normalize_package_name("apt", p) for p in runtime}
    return [p for pc in run.apt_installs for p in pc.package_names if p not in keep]


def ensure_lists(items: list[Instruction], style: Style, *, initial: apt.ListsState) -> tuple[list[Instruction], bool]:
    """``items`` with an ``apt-get update`` RUN before the first install that would find no lists.

    Returns the items and whether one was added. A stage built from an image
    ships no lists; an update moved to the other stage, or removed by a
    cleanup before, leaves an install with nothing to read (``E: Unable to
    locate package``).
    """
    state = initial
    out: list[Instruction] = []
    added = False
    for ins in items:
        if ins.keyword == "RUN":
            for event in apt.events(ins):
                if event == "update":
                    state = "present"
                elif event == "remove":
                    state = "removed"
                elif state in ("absent", "removed"):
                    out.append(style.run(["apt-get update"]))
                    state = "present"
                    added = True
        out.append(ins)
    return out, added


def _quote_assignment(text: str) -> str:
    name, _, value = text.partition("=")
    return f"{name}={_shell_quote(value)}" if value else f"{name}="


def _shell_quote(spec: str) -> str:
    return spec if _PLAIN_SPEC_RE.fullmatch(spec) else quote(spec)
