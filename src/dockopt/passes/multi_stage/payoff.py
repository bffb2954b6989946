"""Whether a split pays for itself: what the final image sheds, and what the build would do twice.

A split adds a virtualenv (its own pip and setuptools) and a second stage. It
pays when the runtime stage sheds something the single stage carried: the
full base image's compilers and headers (the runtime stage can move to slim),
build-only apt packages, or the build tools themselves (poetry, pipenv, uv).
On a base that is already slim with nothing build-only installed, it makes
the image bigger (the docker-init shape, 132 -> 146 MB measured). And a RUN
that does real work before the install (a downloaded tool, a setup script)
would have to run in both stages, since the install may need it: the build
does it twice and the runtime sheds none of it.
"""

from __future__ import annotations

from ..base import Decline
from .apt_plan import AptPlan, moved_packages
from .classify import SETUP_ONLY, Run
from .facts import Facts
from .job import Job
from .placement import Placement

#: Commands cheap enough to run in both stages.
_CHEAP = SETUP_ONLY | {"echo", "printf", "cd", "true", ":", "set", "export", "rm", "ls", "cat", "which", "mkdir", "ln", "sed"}


def check_duplicated_setup(job: Job, placement: Placement) -> None:
    """Decline when a RUN that does real work would run in both stages."""
    for i, run in sorted(job.runs.items()):
        if placement[i] != "both" or _cheap(run):
            continue
        shown = run.script.text.strip().splitlines()[0] if run.script.text.strip() else run.ins.args
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise Decline(
            run.ins,
            f"the RUN at line {run.ins.line} (`{shown}`) comes before the dependency install, so a split would run it in "
            "both stages: the build would do it twice and the runtime stage would shed none of it; if the install does "
            "not need it, move it below the install and dockopt can split the file",
        )


def _cheap(run: Run) -> bool:
    return bool(run.items) and not run.script.commands.complex and all((c.cmd.name or "") in _CHEAP for c in run.items)


def sheds(job: Job, placement: Placement, apt: AptPlan, facts: Facts, slim: str | None) -> list[str]:
    """What the final image loses by the split (empty: nothing, and the split does not pay).

    ``slim`` is the slim image the runtime stage can move to, or None.
    """
    out: list[str] = []
    if slim is not None:
        out.append(f"the full image's compilers and headers (the runtime stage can move to {slim})")
    moved = [p for i, step in apt.items() if step.in_builder for p in moved_packages(job.runs[i], step.packages)]
    if moved:
        out.append("build-only apt packages")
    tools = [r for r in job.runs.values() if r.kind == "tool"]
    if tools or facts.system_tools:
        out.append("the build tools (poetry, pipenv, uv)")
    return out
