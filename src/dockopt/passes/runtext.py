"""Editing RUN text: the physical pieces of a RUN, and joining RUN bodies with ``&&``.

Shared by the rules that extend RUN text (run-merge joins RUNs, run-cleanup
appends a cleanup command): where the arguments start, whether anything may
be appended after them, and rebuilding a RUN in the file's own style.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model.packages import PackageInstall
from ..model.shell import CommandList, SimpleCommand, _Lexer, parse_command
from ..style import Style
from ..syntax import Instruction, Trivia
from .base import run_at


def run_head(ins: Instruction) -> str:
    """The physical text before the arguments: indentation, keyword, flags (with continuations)."""
    full = "".join(str(p) for p in ins.parts[:-1])
    src = ins.args_source()
    if not full.endswith(src):  # pragma: no cover - args_source is a suffix by construction
        raise ValueError("arguments are not a suffix of the instruction text")
    return full[: len(full) - len(src)]


def run_body(ins: Instruction) -> str | None:
    """The physical argument text without trailing blanks, or None if it ends on a continuation.

    ``RUN a \\`` at the end of a file ends with a continuation and no text
    after it; joining more text there would glue the escape to it.
    """
    if len(ins.parts) < 2 or ins.parts[-2].type != "ARGS" or not ins.parts[-2].strip(" \t"):
        return None
    return ins.args_source().rstrip(" \t")


def tail_problem(ins: Instruction, cl: CommandList) -> str | None:
    """Why nothing may be appended after this RUN's text with ``&&``, or None.

    Covers a shell comment (it would swallow what follows), a trailing ``&``
    (``x & && y`` is not what was meant), a trailing backslash, a dangling
    continuation and text with no command at all.
    """
    if not cl.items:
        return f"{run_at(ins)} has no command dockopt can read"
    if "&" in cl.operators or cl.terminator == "&":
        return (
            f"{run_at(ins)} runs a command in the background (`&`); "
            "merging would keep it running while the next commands run"
        )
    tail = ins.args[cl.items[-1].end :].strip(" \t")
    if tail not in ("", ";"):
        if "#" in tail:
            return f"{run_at(ins)} ends with a shell comment, which would comment out the `&&` added after it"
        return f"{run_at(ins)} ends with `{tail}`, which dockopt cannot extend safely"
    if ins.args.endswith("\\"):
        return f"{run_at(ins)} ends with a backslash, which would escape the text added after it"
    if run_body(ins) is None:
        return f"{run_at(ins)} ends with a line continuation and no text after it"
    return None


def joinable_body(ins: Instruction, cl: CommandList) -> str:
    """The RUN's argument text ready to have ``&& ...`` written after it (trailing ``;`` dropped)."""
    body = run_body(ins)
    assert body is not None
    if cl.terminator == ";":
        body = body[:-1].rstrip(" \t") if body.endswith(";") else body
    return body


def rebuild_run(
    first: Instruction, bodies: Sequence[str], style: Style, *, eol: str, leading: Sequence[Trivia] | None = None
) -> Instruction | None:
    """``first``'s keyword and flags as written, then ``bodies`` joined by `` && <escape><newline><indent>``.

    The text is parsed with the real parser (through :class:`Style`); None if
    the result is not the RUN we meant (same flags, no heredoc), which would
    be a bug the caller reports as a skip rather than emits.
    """
    sep = f" && {style.escape}{style.newline}{style.indent}"
    text = run_head(first) + sep.join(bodies) + eol
    try:
        parsed = style.parse(text)
    except Exception:  # pragma: no cover - defensive: never emit what does not parse
        return None
    if len(parsed) != 1:
        return None
    new = parsed[0]
    if new.keyword != "RUN" or new.heredocs or [f.raw for f in new.flags] != [f.raw for f in first.flags]:
        return None
    new = new.with_changes(line=first.line, end_line=first.end_line)
    return new.with_leading(first.leading if leading is None else leading)


def count_lines(lines: Sequence[int | None]) -> str:
    """``5``, ``5 and 6``, ``5, 6 and 9``."""
    shown = [str(x) if x is not None else "?" for x in lines]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


# -- inserting a flag after a package manager's action ------------------------------------


def action_end(cmd: SimpleCommand, call: PackageInstall) -> int | None:
    """Offset in ``cmd.raw`` just after the action word (``install``/``add``), or None if unclear.

    Word spans come from the shell model's own lexer; the action is the first
    word after the program that spells it, and it must not also be the value
    of an option (``--log install install`` is left to a human).
    """
    lexer = _Lexer(cmd.raw)
    lexer.run()
    if lexer.complex:
        return None
    tokens = [t for t in lexer.tokens if t.kind == "word"]
    if len(tokens) != len(cmd.assignments) + len(cmd.words):
        return None
    tokens = tokens[len(cmd.assignments) :]
    if tuple(t.value for t in tokens) != cmd.words or cmd.program is None:
        return None
    action = call.action.split()
    if any(value in action for _, value in call.option_values):
        return None
    program = len(cmd.words) - len(cmd.args) - 1
    for i in range(program + 1, len(cmd.words) - len(action) + 1):
        if list(cmd.words[i : i + len(action)]) == action:
            return tokens[i + len(action) - 1].end
    return None


def unambiguous(cl: CommandList, cmd: SimpleCommand) -> bool:
    """Whether ``cmd`` can be edited in place: simple text, or a compound whose part reads the same alone."""
    if not cl.complex:
        return True
    alone = parse_command(cmd.raw)
    return not alone.complex and len(alone.items) == 1 and alone.items[0].words == cmd.words


def flag_insertion(
    ins: Instruction, cl: CommandList, cmd: SimpleCommand, call: PackageInstall, flag: str
) -> tuple[int, int, str] | str:
    """The ``edit_args`` span inserting `` flag`` after the action of ``call``, or why not."""
    what = f"`{call.tool} {call.action}`"
    if not unambiguous(cl, cmd):
        return (
            f"{run_at(ins)} runs {what} inside shell text dockopt cannot read unambiguously; "
            f"add {flag} by hand"
        )
    end = action_end(cmd, call)
    if end is None:
        return f"{run_at(ins)}: cannot tell where the action of {what} is; add {flag} by hand"
    pos = cmd.start + end
    return (pos, pos, f" {flag}")


# -- adding builder flags ---------------------------------------------------------------------


def with_flags(ins: Instruction, flags: Sequence[str], style: Style) -> Instruction | None:
    """``ins`` with ``flags`` (``--mount=...``) added after its own, each on its own line.

    ``RUN pip install x`` becomes ``RUN --mount=... <escape><newline><indent>pip install x``:
    the keyword, the flags already there and every byte of the arguments,
    heredoc bodies included, stay as written. The text is parsed with the real
    parser; None if it does not read back as the same instruction with the
    flags added (a bug the caller reports as a skip rather than emits).
    """
    head = run_head(ins)
    rest = ins.text[len(head) :]
    added = "".join(f"{flag} {style.escape}{style.newline}{style.indent}" for flag in flags)
    try:
        parsed = style.parse(head + added + rest)
    except Exception:  # pragma: no cover - defensive: never emit what does not parse
        return None
    if len(parsed) != 1:
        return None
    new = parsed[0]
    expected = [f.raw for f in ins.flags] + list(flags)
    if (
        new.keyword != ins.keyword
        or [f.raw for f in new.flags] != expected
        or new.args != ins.args
        or [h.content for h in new.heredocs] != [h.content for h in ins.heredocs]
    ):
        return None
    return new.with_changes(line=ins.line, end_line=ins.end_line).with_leading(ins.leading)
