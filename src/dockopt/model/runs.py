"""The shell text an instruction runs, parsed once.

RUN, CMD, ENTRYPOINT, HEALTHCHECK and an ONBUILD RUN run shell text: the
shell form's arguments, ``sh -c SCRIPT`` in exec form, a heredoc's body. A
:class:`Script` holds that text, its parsed command list
(:func:`.shell.parse_command`) and the package-manager calls in it. Scripts
are cached by instruction identity, so an instruction no pass touched keeps
its facts from one round to the next, and command lists by text, so the same
command line is never scanned twice in a process.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache

from .. import lazyre
from ..records_base import Record
from ..syntax import Instruction
from .memo import memo
from .packages import PackageInstall, package_call
from .shell import CommandList, SimpleCommand, parse_command, quote_join

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
#: Shells whose ``-c`` text uses POSIX ``&&``/``;``/``|`` semantics (what the rules edit).
POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash"})

Call = tuple[SimpleCommand, PackageInstall]


#: Distinct script texts kept parsed. A language server sees a new text at every keystroke in a RUN line.
CACHE_SIZE = 4096


class _Parsed:
    """One parse of a script text: its commands and, when first asked, its package-manager calls.

    Kept together so that the calls are always made of these commands: the rules match a call to its
    command by identity, and two caches evicting on their own once handed out a call from one parse
    with the commands of another (a StopIteration in DO006 in a long-lived process).
    """

    __slots__ = ("_calls", "commands")

    def __init__(self, text: str) -> None:
        self.commands = parse_command(text)
        self._calls: tuple[Call, ...] | None = None

    @property
    def calls(self) -> tuple[Call, ...]:
        if self._calls is None:
            out = []
            for cmd in self.commands.items:
                call = package_call(cmd)
                if call is not None:
                    out.append((cmd, call))
            self._calls = tuple(out)
        return self._calls


@lru_cache(maxsize=CACHE_SIZE)
def _parsed(text: str) -> _Parsed:
    return _Parsed(text)


def commands(text: str) -> CommandList:
    """:func:`parse_command`, once per distinct text."""
    return _parsed(text).commands


def calls(text: str) -> tuple[Call, ...]:
    """The package-manager calls in a command line (made of the commands :func:`commands` gives)."""
    return _parsed(text).calls


def clear_caches() -> None:
    """Forget every parsed script (the benchmarks measure a fresh process's work this way)."""
    _parsed.cache_clear()


def cache_size() -> int:
    return _parsed.cache_info().currsize


class Script(Record):
    """What an instruction runs, as shell text.

    ``text`` is the script itself; ``partly`` is True when it is only part of
    what runs (a heredoc fed to a command's stdin, which ``text`` does not
    hold). ``guesses`` are further texts that may run, read as a best guess
    (the heredoc bodies, the elements of an exec-form array); they are for
    questions like "does this RUN install anything", never for editing.
    """

    _fields = ("text", "partly", "guesses", "exec_form")
    __slots__ = _fields
    text: str
    partly: bool
    guesses: tuple[str, ...]
    exec_form: bool

    def __init__(self, text: str, partly: bool, guesses: tuple[str, ...] = (), exec_form: bool = False) -> None:
        self._set(text, partly, guesses, exec_form)

    @property
    def commands(self) -> CommandList:
        return commands(self.text)

    @property
    def calls(self) -> tuple[Call, ...]:
        return calls(self.text)

    @property
    def all_calls(self) -> tuple[Call, ...]:
        """Calls in the text and in every guess."""
        out = list(self.calls)
        for text in self.guesses:
            out.extend(calls(text))
        return tuple(out)

    @property
    def names(self) -> frozenset[str]:
        """The programs the script runs (wrappers looked through)."""
        return frozenset(c.name for c in self.commands.items if c.name)

    @property
    def words(self) -> frozenset[str]:
        """Program names and the basename of every word: an over-approximation of what it calls."""
        out: set[str] = set()
        for cmd in self.commands.items:
            if cmd.name:
                out.add(cmd.name)
            out.update(posixpath.basename(w) for w in cmd.words if w)
        return frozenset(out)


def script(ins: Instruction) -> Script:
    """The script of a RUN/CMD/ENTRYPOINT/HEALTHCHECK/ONBUILD RUN (empty text for anything else)."""
    return memo(ins, "_model_script", _read)


def _read(ins: Instruction) -> Script:
    kw = ins.keyword
    if kw == "ONBUILD":
        child = ins.onbuild_child
        if child is None or child.keyword != "RUN":
            return Script("", False)
        inner = script(child)
        return Script("", True, (inner.text, *inner.guesses), inner.exec_form)
    if kw == "HEALTHCHECK":
        value = ins.value
        if not value or value[0].upper() != "CMD":
            return Script("", False)
        argv: list[str] | None = list(value[1:]) if ins.healthcheck_json else None
        text = value[1] if argv is None and len(value) > 1 else ""
    elif kw in ("RUN", "CMD", "ENTRYPOINT"):
        argv = ins.json_args
        text = ins.args
    else:
        return Script("", False)
    if argv is not None:
        if len(argv) >= 3 and posixpath.basename(argv[0]) in _SHELLS and argv[1] == "-c":
            return Script(argv[2], False, (), True)
        return Script(quote_join(argv), False, tuple(a for a in argv if " " in a), True)
    if ins.heredocs:
        bodies = tuple(h.content for h in ins.heredocs)
        if text.lstrip().startswith("<<"):
            return Script("\n".join(bodies), False, (text,))
        return Script(text, True, bodies)
    return Script(text, False)


def shell_name(shell: tuple[str, ...]) -> str:
    """``("/bin/bash", "-o", "pipefail", "-c")`` -> ``bash``."""
    return posixpath.basename(shell[0]) if shell else ""


# -- the commands an instruction runs, looking inside sh -c, $(...) and runner commands ---------------

#: Commands that run another command given as an argument (`timeout 5 curl ...`).
RUNNERS = frozenset(
    {"timeout", "xargs", "gosu", "su-exec", "tini", "dumb-init", "setpriv", "chroot", "runuser", "stdbuf", "flock"}
)
_SUBST_RE = lazyre.compile(r"\$\(([^()]*)\)|`([^`]*)`")
_TOKEN_RE = lazyre.compile(r"[A-Za-z0-9_.+/-]+")


class Use(Record):
    """A command an instruction runs: its name, the words after it, and the instruction."""

    _fields = ("name", "args", "ins")
    __slots__ = _fields
    name: str
    args: tuple[str, ...]
    ins: Instruction

    def __init__(self, name: str, args: tuple[str, ...], ins: Instruction) -> None:
        self._set(name, args, ins)


def _texts(ins: Instruction) -> list[str]:
    """Every shell text an instruction may run (exec form joined back into a command line)."""
    s = script(ins)
    return [t for t in (s.text, *s.guesses) if t]


def _uses_in(text: str, ins: Instruction, depth: int, out: list[Use]) -> None:
    if depth > 4:
        return
    for cmd in commands(text).items:
        name = cmd.name
        if name is None:
            continue
        args = cmd.args
        out.append(Use(name, args, ins))
        if name in POSIX_SHELLS and "-c" in args:
            i = args.index("-c")
            if i + 1 < len(args):
                _uses_in(args[i + 1], ins, depth + 1, out)
        if name in RUNNERS:
            for word in args:
                for token in _TOKEN_RE.findall(word):
                    out.append(Use(token.rsplit("/", 1)[-1], (), ins))
        for word in (*cmd.words, *cmd.assignments):
            for m in _SUBST_RE.finditer(word):
                _uses_in(m.group(1) or m.group(2) or "", ins, depth + 1, out)


def uses(ins: Instruction) -> tuple[Use, ...]:
    """Every command ``ins`` runs, looking into ``sh -c``, ``$(...)`` and runner commands (cached)."""
    return memo(ins, "_model_uses", _uses)


def _uses(ins: Instruction) -> tuple[Use, ...]:
    out: list[Use] = []
    for text in _texts(ins):
        _uses_in(text, ins, 0, out)
    return tuple(out)
