"""An install that also installs the project, in two steps: the dependencies before the code, the project after.

The first step is the whole RUN, edited in place so every other byte stays
(comments, continuations, the other commands): ``--no-root`` /
``--no-install-project`` appended, or ``pip install .`` turned into an
install of the dependencies that a small reader prints from pyproject.toml,
or the requirements file replaced by a copy without its local lines. The
second step is the original RUN when the install was its only command;
otherwise a new RUN with the same flags that runs the install again after
the commands that set its shell state (``cd``, ``export``), and nothing else:
the tool installs and configuration of the first step are already done. Cleanups after the install (``rm -rf
~/.cache/pypoetry``) run again after it, so its layer stays as small.
"""

from __future__ import annotations

from ...model import project
from ...model.shell import CommandList, SimpleCommand, word_spans
from ...records_base import Record
from ...style import Style
from ...syntax import Instruction
from .common import Stop, line, quoted
from .site import Project

_JOINERS = frozenset({"&&", ";", "\n"})
Edit = tuple[int, int, str]


class Split(Record):
    _fields = ("first", "second", "project", "reads")
    __slots__ = _fields
    first: Instruction  # before the code COPY: the dependencies only
    second: Instruction  # after it: the project
    project: Project
    reads: str  # the file only the first step reads specially (absolute; "" for an option)

    def __init__(self, first: Instruction, second: Instruction, project: Project, reads: str) -> None:
        self._set(first, second, project, reads)


def split(x: Instruction, cl: CommandList, index: int, proj: Project, reads: str, style: Style) -> Split:
    """The two steps of the RUN ``x`` whose command ``index`` installs the project."""
    cmd = cl.items[index]
    shown = quoted(cmd)

    def stop(why: str) -> Stop:
        return Stop(
            x,
            f"`{shown}` ({line(x)}) also installs the project, so it has to run again after the code COPY; {why}",
            install=True,
        )

    around = [cl.operators[k] for k in (index - 1, index) if 0 <= k < len(cl.operators)]
    if any(op not in _JOINERS for op in around) or cl.terminator == "&":
        raise stop("dockopt splits it only when && or ; joins it to the other commands of its RUN")
    if proj.how == "option" and "--" in cmd.words:
        raise stop("its arguments end with --, after which dockopt cannot add an option")
    spans = word_spans(cmd)
    first = x.edit_args(_first_edits(cmd, spans, proj))
    if first is None:
        raise stop("dockopt cannot edit it in place (it spans a line continuation)")
    after = _second_edit(spans, proj)
    if len(cl.items) == 1:
        second = x if after is None else x.edit_args([after])
        if second is None:
            raise stop("dockopt cannot edit it in place (it spans a line continuation)")
        return Split(first, second.with_leading(()), proj, reads)
    text = cmd.raw
    if after is not None:
        at = after[0] - cmd.start
        text = text[:at] + after[2] + text[at:]
    state = [c.raw for c in cl.items[:index] if c.is_state_changing]
    cleanup = [c.raw for c in cl.items[index + 1 :] if c.name == "rm"]
    return Split(first, style.run([*state, text, *cleanup], [f.raw for f in x.flags]), proj, reads)


def _first_edits(cmd: SimpleCommand, spans: tuple[Edit, ...], proj: Project) -> list[Edit]:
    if proj.how == "option":
        end = spans[-1][1] if spans else cmd.end
        return [(end, end, f" {proj.word}")]
    out = project.READER_OUTPUT
    if proj.how == "reader":
        code = project.dependency_reader(proj.pyproject, proj.extras)
        prefix = f'{proj.python} -c "{code}" > {out} && '
        start, end = _word(spans, proj.word, ("-e", "--editable") if proj.editable else ())
        return [(cmd.start, cmd.start, prefix), (start, end, f"-r {out}")]
    prefix = f"{project.local_filter(proj.word)} > {out} && "
    start, end = _word(spans, proj.word, ("-r", "--requirement", "--requirements"))
    return [(cmd.start, cmd.start, prefix), (start, end, f"-r {out}")]


def _second_edit(spans: tuple[Edit, ...], proj: Project) -> Edit | None:
    """``pip install --no-deps ...``: the option goes right after the ``install`` word."""
    if proj.how != "reader":
        return None
    end = next(e for _, e, value in spans if value == "install")
    return (end, end, " --no-deps")


def _word(spans: tuple[Edit, ...], value: str, options: tuple[str, ...]) -> tuple[int, int]:
    """The span of ``value`` in a command, with the option that takes it (``-e .``, ``-r=x``, ``-rx``)."""
    for k, (start, end, word) in enumerate(spans):
        if word == value:
            if k > 0 and spans[k - 1][2] in options:
                return spans[k - 1][0], end
            if not options:
                return start, end
        if any(word in (f"{o}{value}", f"{o}={value}") for o in options):
            return start, end
    for start, end, word in spans:
        if word == value:
            return start, end
    raise ValueError(f"{value!r} is not a word of the command")
