"""How far down a code COPY can move: past the instructions that neither use the code nor write where it goes.

The walk starts at a code COPY and collects, in order, the further code
COPYs it meets before the first install (they move with it), and the
dependency installs it can move past. It ends at the first instruction that
may use the code (a :class:`Stop`), or at an install that has to run again
after the code (its two halves go around the moved COPYs), or at the end of
the stage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ...model import project
from ...model.analysis import Analysis
from ...model.runs import POSIX_SHELLS, shell_name
from ...records_base import Record
from ...style import Style
from ...syntax import Instruction
from .common import Stop, line
from .copies import Area, CodeCopy, check_other_copy, code_copy
from .site import Site
from .split import Split
from .steps import Step, classify_run


class Walk(Record):
    """What every walk in a stage is given."""

    _fields = ("model", "style", "origins", "image", "allowed", "stay")
    __slots__ = _fields
    model: Analysis
    style: Style
    origins: Mapping[str, str]  # files earlier COPYs put in place (image path -> context path)
    image: str | None  # the stage's base image
    allowed: Callable[[Instruction], bool]  # no `# dockopt: ignore` for this rule
    stay: frozenset[int]  # ids of COPYs that must not move (they hold a manifest)

    def __init__(
        self,
        model: Analysis,
        style: Style,
        origins: Mapping[str, str],
        image: str | None,
        allowed: Callable[[Instruction], bool],
        stay: frozenset[int] = frozenset(),
    ) -> None:
        self._set(model, style, origins, image, allowed, stay)


class Scan(Record):
    _fields = ("copies", "steps", "stop")
    __slots__ = _fields
    copies: tuple[CodeCopy, ...]  # the code COPYs that move, in order
    steps: tuple[Step, ...]  # the installs they move past
    stop: Stop | None  # where the walk ended, if an instruction ended it

    def __init__(self, copies: tuple[CodeCopy, ...], steps: tuple[Step, ...], stop: Stop | None) -> None:
        self._set(copies, steps, stop)

    @property
    def split(self) -> Step | None:
        """The last install, when it runs in two halves around the moved COPYs."""
        last = self.steps[-1] if self.steps else None
        return last if last is not None and last.split is not None else None


def posix(shell: tuple[str, ...] | list[str] | None) -> bool:
    """``["/bin/bash", "-o", "pipefail", "-c"]`` runs RUN text as POSIX shell; PowerShell or cmd does not."""
    return bool(shell) and shell_name(tuple(shell or ())) in POSIX_SHELLS and (shell or [""])[-1] == "-c"


def scan(instrs: tuple[Instruction, ...], index: int, first: CodeCopy, walk: Walk) -> Scan:
    """Walk down from the code COPY at ``instrs[index]``."""
    area = Area((first,))
    steps: list[Step] = []
    for x in instrs[index + 1 :]:
        try:
            joined = _joins(x, steps, walk)
            if joined is not None:
                area = area.plus(joined)
                continue
            step = _past(x, area, walk)
            if step is None or not step.install:
                continue
            if not walk.allowed(x):
                raise Stop(x, "suppressed", report=False)
            if step.split is not None and _done_before(step.split, instrs[:index], walk.model):
                raise Stop(x, "already split", report=False)
            steps.append(step)
            if step.split is not None:
                break
        except Stop as stop:
            return Scan(area.copies, tuple(steps), stop)
    return Scan(area.copies, tuple(steps), None)


def _joins(x: Instruction, steps: list[Step], walk: Walk) -> CodeCopy | None:
    """A further part of the project copied before the first install: it moves with the first COPY."""
    if steps or id(x) in walk.stay or x.keyword not in ("COPY", "ADD") or not walk.allowed(x):
        return None
    found = code_copy(x, walk.model, walk.model.context)
    return found if found is not None and not found.whole else None


def _past(x: Instruction, area: Area, walk: Walk) -> Step | None:
    """What moving the code COPYs below ``x`` means: a Step for a RUN, None for an instruction that is indifferent."""
    kw = x.keyword
    if kw == "WORKDIR":
        for c in area.copies:
            if (
                not c.dest.startswith("/")
                or "$" in c.ins.logical
                or any(f.name in ("chown", "chmod") for f in c.ins.flags)
            ):
                raise Stop(
                    x,
                    f"the WORKDIR on {line(x)} changes where the destination `{c.dest}` of the COPY on {line(c.ins)} points",
                )
    elif kw in ("ENV", "ARG"):
        for c in area.copies:
            if "$" in c.ins.logical:
                raise Stop(x, f"the {kw} on {line(x)} may change a variable the COPY on {line(c.ins)} uses")
    elif kw == "VOLUME" or (kw == "SHELL" and not posix(x.json_args)):
        raise Stop(x, f"the {kw} on {line(x)} changes how later instructions see the files")
    elif kw in ("COPY", "ADD"):
        problem = check_other_copy(x, walk.model, area)
        if problem is not None:
            raise Stop(x, problem)
    elif kw == "RUN":
        site = Site(x, walk.model.scope.workdir(x), area, walk.model, walk.origins, walk.image)
        return classify_run(x, site, walk.style)
    # LABEL, EXPOSE, USER, CMD, ENTRYPOINT, HEALTHCHECK, STOPSIGNAL, ONBUILD, MAINTAINER:
    # they neither read nor write the image's files during the build.
    return None


def _done_before(split: Split, before: tuple[Instruction, ...], model: Analysis) -> bool:
    """An earlier RUN already runs this install's first half: the file is in two-step form."""
    how = split.project.how
    for ins in before:
        if ins.keyword != "RUN":
            continue
        if how == "option":
            if split.project.word in ins.args.split():
                return True
            continue
        for cmd in model.script(ins).commands.items:
            if how == "reader":
                written = project.dependency_reader_input(cmd.words)
            else:
                written = project.local_filter_input(cmd.words)
            if written is not None and model.scope.path(ins, written) == split.reads:
                return True
    return False
