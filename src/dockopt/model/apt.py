"""apt's package lists: what each RUN does to ``/var/lib/apt/lists``, and whether they are there.

``apt-get install`` reads the lists ``apt-get update`` downloads; the
official Debian-based images ship none, and a RUN that removes them
(``rm -rf /var/lib/apt/lists/*``) leaves later installs with nothing to read.
A RUN moved to another stage must carry the update its install relies on, and
a cleanup must not remove lists a later RUN still needs: both rules ask here.

States: ``present`` (an update ran, nothing removed them), ``absent`` (the
image ships none and nothing downloaded them), ``removed``, ``unknown`` (a
base image dockopt does not know). Best-guess texts (compound shell, heredoc,
exec form, ONBUILD) never count as an update (it may not run), so an install
there always counts as a need.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..syntax import Instruction
from .memo import memo
from .runs import calls, commands, script
from .shell import SimpleCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal
    Event = Literal["update", "need", "remove"]
    ListsState = Literal["present", "absent", "removed", "unknown"]

#: apt actions that read /var/lib/apt/lists (they fail or find nothing without it).
APT_NEEDS_LISTS = frozenset(
    {"install", "reinstall", "build-dep", "upgrade", "dist-upgrade", "full-upgrade", "source", "download", "satisfy"}
)
APT_LISTS = "/var/lib/apt/lists"
APT_RM = "rm -rf /var/lib/apt/lists/*"


def cache_mount_targets(ins: Instruction) -> list[str]:
    """Targets of the RUN's ``--mount=type=cache,...`` flags."""
    out = []
    for flag in ins.flags:
        if flag.name != "mount" or not flag.value:
            continue
        fields = dict(part.partition("=")[::2] for part in flag.value.split(","))
        if fields.get("type") != "cache":
            continue
        target = fields.get("target") or fields.get("dst") or fields.get("destination")
        if target:
            out.append(target.rstrip("/") or "/")
    return out


def under_any(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


def removes_lists(cmd: SimpleCommand) -> bool:
    """``rm -rf /var/lib/apt/lists/*`` in any spelling (or find/rm of the folder or a parent)."""
    if cmd.name not in ("rm", "find"):
        return False
    for word in cmd.args:
        path = word.rstrip("*").rstrip("/")
        if path and (path.startswith(APT_LISTS) or path in ("/var/lib/apt", "/var/lib")):
            return True
    return False


def cache_mounted(ins: Instruction) -> bool:
    """Whether a cache mount holds apt's lists or archives for this RUN."""
    return any(
        under_any(m, ("/var/lib/apt", "/var/cache/apt")) or m in ("/var/lib", "/var/cache", "/var")
        for m in cache_mount_targets(ins)
    )


def events(ins: Instruction) -> tuple[Event, ...]:
    """What a RUN (or ONBUILD RUN) does to the lists, in order. A cache mount on apt's folders: nothing."""
    return memo(ins, "_model_apt_events", _events)


def _events(ins: Instruction) -> tuple[Event, ...]:
    target = ins.onbuild_child if ins.keyword == "ONBUILD" else ins
    if target is None or target.keyword != "RUN" or cache_mounted(target):
        return ()
    s = script(ins)
    out: list[Event] = []
    for text, guess in ((s.text, s.partly or ins.keyword == "ONBUILD"), *((g, True) for g in s.guesses)):
        if not text:
            continue
        cl = commands(text)
        unsure = guess or cl.complex or bool(ins.heredocs) or s.exec_form
        by_command = {id(cmd): call for cmd, call in calls(text)}
        for cmd in cl.items:
            call = by_command.get(id(cmd))
            if call is not None and call.manager == "apt":
                if call.action == "update":
                    if not unsure:
                        out.append("update")
                elif call.action in APT_NEEDS_LISTS:
                    out.append("need")
            elif cmd.name == "apt-cache":
                out.append("need")
            elif removes_lists(cmd):
                out.append("remove")
    return tuple(out)


def after(ins: Instruction, state: ListsState) -> ListsState:
    """The state of the lists after ``ins`` ran from ``state``."""
    for event in events(ins):
        if event == "update":
            state = "present"
        elif event == "remove":
            state = "removed"
    return state


def first_unmet(instructions: Iterable[Instruction], state: ListsState) -> tuple[ListsState, Instruction | None]:
    """Run the events from ``state``; the first instruction that needs lists that are gone, if any."""
    for ins in instructions:
        for event in events(ins):
            if event == "update":
                state = "present"
            elif event == "remove":
                state = "removed"
            elif state in ("removed", "absent"):
                return state, ins
    return state, None
