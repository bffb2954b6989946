"""What the phases of the rule hand each other: a file an install reads, a point the code COPY must stop at."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ... import lazyre
from ...model.shell import SimpleCommand
from ...records_base import Record
from ...syntax import Instruction

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal
    #: requirements: a pip requirements/constraints file (its includes are followed in the context);
    #: filtered: one whose lines that install from the source tree the first step drops;
    #: file: a manifest the install cannot run without; lock: read when present (optional);
    #: extra: local configuration, copied when the context has it.
    NeedKind = Literal["requirements", "filtered", "file", "lock", "extra"]


class Need(Record):
    """A file an install reads, as an absolute path in the image (:mod:`dockopt.model.paths`)."""

    _fields = ("path", "kind", "ins")
    __slots__ = _fields
    path: str
    kind: NeedKind
    ins: Instruction

    def __init__(self, path: str, kind: NeedKind, ins: Instruction) -> None:
        self._set(path, kind, ins)


class Stop(Exception):
    """An instruction the code COPY cannot be moved past.

    Not a :class:`~dockopt.passes.base.Decline`: the COPY may still move below
    the installs before this point, and whether the stop is reported at all
    depends on what follows it. ``install`` marks an instruction that is
    itself a dependency install (so the reason is worth reporting);
    ``report`` is False for shapes that are already right (a project
    installed with ``--no-deps`` after its dependencies).
    """

    def __init__(self, ins: Instruction, message: str, *, install: bool = False, report: bool = True) -> None:
        super().__init__(message)
        self.ins = ins
        self.message = message
        self.install = install
        self.report = report


def line(ins: Instruction) -> str:
    """Where an instruction is, for messages (instructions a pass wrote have no source line)."""
    return f"line {ins.line}" if ins.line is not None else "a line dockopt wrote"


def shown(ins: Instruction) -> str:
    """An instruction as messages quote it: `` `COPY . .` (line 3)``."""
    return f"`{ins.keyword_text} {ins.args}` ({line(ins)})"


_REDIRECT_RE = lazyre.compile(r"^([0-9]*)(&>>|&>|>>|>\||>&|<>|<&|<<<|<<-|<<|>|<)\s*(.*)$", re.S)
#: Redirect targets that are not files of the project.
SPECIAL_FILES = ("/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty")
WRITES = (">", ">>", ">|", "&>", "&>>")


def redirects(cmd: SimpleCommand) -> Iterator[tuple[str, str]]:
    """A command's redirections as (operator, target without quotes)."""
    for raw in cmd.redirects:
        m = _REDIRECT_RE.match(raw)
        if m is None:
            continue
        target = m.group(3).strip()
        if len(target) >= 2 and target[0] == target[-1] and target[0] in "'\"":
            target = target[1:-1]
        yield m.group(2), target


def quoted(cmd: SimpleCommand) -> str:
    """A command as messages quote it (the first six words)."""
    return " ".join(cmd.words[:6]) + (" …" if len(cmd.words) > 6 else "")
