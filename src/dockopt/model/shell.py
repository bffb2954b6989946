"""Semantic view of the shell text of a shell-form ``RUN`` instruction.

Transform passes (merging RUNs, adding cleanup, recognising package installs)
need to ask questions such as "which commands run here?", "are they joined only
by ``&&``?" or "does anything here change the shell's state for later
commands?".  They must not re-parse strings themselves, so this module turns a
*logical* command string (Dockerfile line continuations already joined) into an
immutable :class:`CommandList` of :class:`SimpleCommand` items.

Why a hand-written tokenizer instead of ``bashlex``
---------------------------------------------------
``bashlex`` raises on many inputs real Dockerfiles contain (``[[ ]]``,
``case``, some arithmetic, odd quoting) and we would still need a fallback for
those.  What passes need is much smaller than a full bash grammar: the
top-level list of simple commands, their words after quote removal, their exact
source spans, and a reliable "this is beyond what we model" flag.  A small
POSIX-ish scanner gives exactly that, is predictable (no exceptions to catch,
one code path for good and bad input) and fast.  Everything it does not model
is reported through :attr:`CommandList.complex` so passes can back off.

What the scanner understands
----------------------------
* single quotes, double quotes (with their own backslash rules), ``$'...'``
  ANSI-C quotes and ``$"..."``; backslash escapes outside quotes;
* backslash-newline is a line continuation and is *removed* (POSIX and
  Docker's own continuation handling agree: ``foo\\<NL>bar`` is ``foobar``;
  between blanks it acts as whitespace);
* ``$name``, ``${...}``, ``$(...)``, ``$((...))`` and backticks are kept
  verbatim inside the word (no expansion is ever performed);
* the operators ``&&``, ``||``, ``;``, ``|`` (``|&`` is reported as ``|``),
  ``&`` and newline;
* comments (``#`` at the start of a word) up to the end of the line;
* redirections (``>f``, ``2>&1``, ``&>/dev/null``, ``<in`` ...) are kept out of
  ``words`` but inside ``raw`` and are listed in ``redirects``.

Anything else -- subshells, ``{ }`` groups, ``if``/``for``/``while``/``case``,
function definitions, ``[[ ]]``, ``!`` pipelines, heredocs, here-strings,
process substitution, array assignments, unterminated quotes, syntax errors,
command substitutions that contain more than one pipeline -- sets
``complex=True``.  The items are then a best-effort list (structural keywords
are dropped, the commands around them are kept) that passes may inspect but
must not rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .. import lazyre
from ..records_base import Mutable, Record

_BACKTICK_ESCAPES_RE = lazyre.compile(r"\\([\\`$])")  # inside `...`: \\, \` and \$ stand for themselves

__all__ = [
    "STATE_CHANGING_BUILTINS",
    "CommandList",
    "SimpleCommand",
    "parse_command",
    "quote",
    "quote_join",
]


def _wordset(text: str) -> frozenset[str]:
    """Set of the blank-separated words of ``text`` (keeps long tables readable)."""
    return frozenset(text.split())


# Words that make a command compound when they appear in command position.
# They are dropped from the best-effort items (so `if [ -f x ]; then pip
# install -r x; fi` still exposes `[ -f x ]` and `pip install -r x`).
_STRUCTURAL_KEYWORDS = _wordset("if then elif else fi for select while until do done case esac function coproc { }")
# Words in command position that we keep as words but do not model.
_UNMODELLED_LEADERS = frozenset({"[[", "!"})

#: Builtins whose effect is visible to later commands run by the same shell
#: (``exit``/``exec``/``return`` end it, so later commands never run, which is
#: just as relevant when merging RUN instructions).
STATE_CHANGING_BUILTINS = _wordset(
    "cd pushd popd export unset source . set shopt umask ulimit alias "
    "unalias exec trap declare typeset local readonly eval exit return "
    "hash enable read mapfile readarray getopts let shift"
)
# Of those, the ones that only *print* when called without arguments.
_PRINT_ONLY_WITHOUT_ARGS = _wordset(
    "export set shopt umask ulimit alias trap declare typeset local readonly hash enable dirs"
)

# `NAME=`, `NAME+=`, `NAME[idx]=` at the start of an unquoted word.
_ASSIGNMENT_RE = lazyre.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
# A redirection operator, optionally preceded by an fd number.
_REDIR_RE = lazyre.compile(r"[0-9]*(?:<<<|<<-|<<|<>|<&|>>|>&|>\||<|>)|&>>|&>")
_BLANKS = " \t"
_METACHARS = frozenset(" \t\n;&|<>()")
# A run of characters a word takes as they are: no metacharacter, quote, escape or `$`
# (the scanner appends such a run at once instead of a character at a time).
_PLAIN_RUN = lazyre.compile(r"[^ \t\n;&|<>()\\'\"`$]+")
# The same inside double quotes, where only `"`, `\`, `$` and a backtick mean anything.
_QUOTED_RUN = lazyre.compile(r'[^"\\$`]+')
# Nesting guard: `parse_command` must never raise, not even RecursionError on
# `$($($(...` style input.
_MAX_NESTING = 40

_ANSI_C_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "e": "\x1b",
    "E": "\x1b",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}

# Wrappers that run their argument as the real command; `SimpleCommand.name`
# looks through them.  Values: options of the wrapper that take an argument.
_WRAPPER_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "sudo": _wordset(
        "-u -g -h -p -C -D -r -t -U -T --user --group --host --prompt "
        "--close-from --chdir --role --type --other-user --command-timeout"
    ),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "nohup": frozenset(),
    "time": frozenset(),
}


def _basename(word: str) -> str:
    """Strip a directory prefix, so `/usr/bin/apt-get` and `apt-get` compare equal."""
    base = word.rsplit("/", 1)[-1]
    return base if base else word


class SimpleCommand(Record):
    """One simple command of a RUN line: assignments, words and redirections.

    ``words`` are the words after quote removal, *without* the leading
    assignments and without redirections; expansions are kept verbatim
    (``"${X:-a}"`` becomes ``${X:-a}``, ``$HOME`` stays ``$HOME``), because a
    build-time optimiser cannot know their values and must not pretend to.
    ``raw`` is always exactly ``source[start:end]`` of the parsed input, so
    passes can cut and splice the original text without re-quoting anything.
    """

    _fields = ("words", "raw", "start", "end", "assignments", "redirects")
    __slots__ = (*_fields, "_program", "_name")
    words: tuple[str, ...]
    raw: str
    start: int
    end: int
    assignments: tuple[str, ...]
    #: Raw text of each redirection (``'2>&1'``, ``'> /dev/null'``), in order.
    redirects: tuple[str, ...]
    #: :meth:`_program_index` and :attr:`name`, worked out once: every rule asks for them
    #: (not fields: left out of equality, hashing and the repr).
    _program: int | None
    _name: str | None

    def __init__(
        self,
        words: tuple[str, ...],
        raw: str,
        start: int,
        end: int,
        assignments: tuple[str, ...] = (),
        redirects: tuple[str, ...] = (),
    ) -> None:
        self._set(words, raw, start, end, assignments, redirects)
        idx = self._program_index()
        object.__setattr__(self, "_program", idx)
        object.__setattr__(self, "_name", None if idx is None else _basename(words[idx]))

    def _program_index(self) -> int | None:
        """Index in ``words`` of the command really executed.

        Looks through ``sudo``/``doas`` (and their options), ``env`` (options
        and ``VAR=value`` words), ``command`` (but not ``command -v``/``-V``,
        which only *looks up* a name), ``builtin``, ``exec``, ``nohup``,
        ``nice`` and ``time``.  A wrapper with nothing after it is itself the
        program (``exec`` alone, ``env`` alone).
        """
        words = self.words
        i = 0
        last_wrapper: int | None = None
        while i < len(words):
            base = _basename(words[i])
            value_opts = _WRAPPER_VALUE_OPTIONS.get(base)
            if value_opts is None:
                return i
            if base == "command" and i + 1 < len(words) and words[i + 1] in ("-v", "-V"):
                return i
            last_wrapper = i
            i += 1
            while i < len(words):
                w = words[i]
                if w == "--":
                    i += 1
                    break
                if base == "env" and _ASSIGNMENT_RE.match(w):
                    i += 1
                    continue
                if not w.startswith("-") or w == "-":
                    if base == "env" and w == "-":
                        i += 1
                        continue
                    break
                opt = w.split("=", 1)[0]
                if opt in value_opts and "=" not in w and (opt.startswith("--") or len(w) == 2):
                    i += 2
                else:
                    i += 1
        return last_wrapper

    @property
    def name(self) -> str | None:
        """Basename of the program actually run, e.g. ``'apt-get'``.

        Wrappers are skipped (see :meth:`_program_index`): ``sudo -E apt-get``,
        ``env X=1 pip``, ``exec gunicorn`` and ``/usr/bin/apt-get`` all give
        the underlying name.  ``None`` for assignment-only or
        redirection-only commands.  Use :attr:`program` for the word with its
        directory, and look at ``words[0]`` to see the wrapper itself.
        """
        return self._name

    @property
    def program(self) -> str | None:
        """The program word as written (directory kept): ``'/opt/venv/bin/pip'``."""
        idx = self._program
        return None if idx is None else self.words[idx]

    @property
    def args(self) -> tuple[str, ...]:
        """Words after the program (wrappers and their options excluded)."""
        idx = self._program
        return () if idx is None else self.words[idx + 1 :]

    @property
    def is_state_changing(self) -> bool:
        """Whether running this command affects later commands in the same shell.

        True for assignment-only commands and for the builtins in
        :data:`STATE_CHANGING_BUILTINS` (also through ``builtin``/``command``,
        which still run the builtin in the current shell, unlike ``sudo`` or
        ``env``).  Print-only forms (``export``, ``set``, ``alias`` with no
        arguments) do not count.  Deliberately conservative: ``cd`` inside a
        pipeline (a subshell in bash) still counts.
        """
        words = self.words
        if not words:
            return bool(self.assignments)
        i = 0
        while i < len(words) and words[i] in ("builtin", "command"):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if words[i] == "command" and nxt in ("-v", "-V"):
                return False  # a lookup, runs nothing
            i += 2 if (words[i] == "command" and nxt == "-p") else 1
        if i >= len(words):
            return False
        head = words[i]
        if head not in STATE_CHANGING_BUILTINS:
            return False
        return not (head in _PRINT_ONLY_WITHOUT_ARGS and i == len(words) - 1)


class CommandList(Record):
    """The top-level list of simple commands of one RUN shell text.

    ``operators[i]`` joins ``items[i]`` and ``items[i + 1]`` and is one of
    ``'&&'``, ``'||'``, ``';'``, ``'|'``, ``'&'``, ``'\\n'``.  A trailing ``;``
    or ``&`` is kept in ``terminator`` (a trailing ``&`` backgrounds the last
    command, which matters when appending to it).  When ``complex`` is true
    the items and operators are best-effort only: passes may read them but
    must not rewrite the command based on them.
    """

    _fields = ("source", "items", "operators", "complex", "terminator")
    __slots__ = _fields
    source: str
    items: tuple[SimpleCommand, ...]
    operators: tuple[str, ...]
    complex: bool
    #: ``';'`` or ``'&'`` if the text ends with that operator, else ``''``.
    terminator: str

    def __init__(
        self,
        source: str,
        items: tuple[SimpleCommand, ...],
        operators: tuple[str, ...],
        complex: bool,
        terminator: str = "",
    ) -> None:
        self._set(source, items, operators, complex, terminator)

    def commands(self) -> Iterator[SimpleCommand]:
        """Iterate over the simple commands in source order."""
        return iter(self.items)

    def changes_shell_state(self) -> list[SimpleCommand]:
        """Commands whose effect leaks to later commands of the same shell.

        A pass merging RUN instructions must not put commands after these
        (``cd``, ``export``, ``set -e``, ``VAR=value``, ``exit`` ...) without
        accounting for them; see :attr:`SimpleCommand.is_state_changing`.
        """
        return [cmd for cmd in self.items if cmd.is_state_changing]

    @property
    def is_simple_and_chain(self) -> bool:
        """True if the text is ``c1 && c2 && ...`` and nothing we do not model.

        This is the shape that can be extended with ``&& more`` or merged with
        another such chain without changing failure semantics.  A single
        command (and the empty text) is a trivial chain.  A trailing ``;`` is
        allowed (drop :attr:`terminator` before appending); a trailing ``&``
        is not.
        """
        return not self.complex and self.terminator != "&" and all(op == "&&" for op in self.operators)


# --------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------


class _Token(Mutable):
    _fields = ("kind", "start", "end", "value")
    __slots__ = _fields
    kind: str  # 'word' | 'redir' | 'op' | 'lparen' | 'rparen'
    start: int
    end: int
    value: str  # cooked word / operator text / redirection operator

    def __init__(self, kind: str, start: int, end: int, value: str) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.value = value


class _Lexer:
    """Split shell text into tokens; never raises, records trouble in ``complex``.

    With ``nested=True`` it scans the body of a ``$(...)`` and stops at the
    unmatched ``)`` (``closed`` then tells whether one was found).
    """

    def __init__(self, s: str, pos: int = 0, *, nested: bool = False, level: int = 0) -> None:
        self.s = s
        self.i = pos
        self.nested = nested
        self.level = level
        self.complex = False
        self.closed = False
        self.tokens: list[_Token] = []
        self._heredocs: list[tuple[str, bool]] = []

    # -- main loop ---------------------------------------------------------

    def run(self) -> None:
        s = self.s
        n = len(s)
        depth = 0
        while self.i < n:
            i = self.i
            c = s[i]
            if c in _BLANKS:
                self.i += 1
            elif c == "\\" and s.startswith("\n", i + 1):
                self.i += 2
            elif c == "#":
                nl = s.find("\n", i)
                self.i = n if nl < 0 else nl
            elif c == "\n":
                self.tokens.append(_Token("op", i, i + 1, "\n"))
                self.i += 1
                if self._heredocs:
                    self._skip_heredoc_bodies()
            elif c == ")":
                if self.nested and depth == 0:
                    self.closed = True
                    return
                depth -= 1
                self.complex = True
                self.tokens.append(_Token("rparen", i, i + 1, ")"))
                self.i += 1
            elif c == "(":
                depth += 1
                self.complex = True
                self.tokens.append(_Token("lparen", i, i + 1, "("))
                self.i += 1
            elif c in ";|" or (c == "&" and not s.startswith("&>", i)):
                self._operator()
            else:
                m = _REDIR_RE.match(s, i) if c in "<>&0123456789" else None
                if m:
                    self._redirection(m.group(), m.end())
                else:
                    end, value = self._word(i)
                    if end == i:  # cannot happen, but never loop forever
                        end, value = i + 1, c
                    self.tokens.append(_Token("word", i, end, value))
                    self.i = end

    def _operator(self) -> None:
        s, i = self.s, self.i
        if s.startswith(";;&", i):
            op, length, odd = ";", 3, True
        elif s.startswith(";;", i) or s.startswith(";&", i):
            op, length, odd = ";", 2, True
        elif s.startswith("&&", i) or s.startswith("||", i):
            op, length, odd = s[i : i + 2], 2, False
        elif s.startswith("|&", i):
            op, length, odd = "|", 2, False
        else:
            op, length, odd = s[i], 1, False
        if odd:  # case-statement terminators
            self.complex = True
        self.tokens.append(_Token("op", i, i + length, op))
        self.i = i + length

    def _redirection(self, op: str, pos: int) -> None:
        s = self.s
        n = len(s)
        start = self.i
        bare = op.lstrip("0123456789")
        if bare in ("<", ">") and s.startswith("(", pos):
            # Process substitution <(...) / >(...): an opaque word.
            self.complex = True
            end = self._command_substitution(pos + 1)
            self.tokens.append(_Token("word", start, end, s[start:end]))
            self.i = end
            return
        if bare in ("<<", "<<-", "<<<"):
            self.complex = True  # heredocs and here-strings are not modelled
        j = pos
        while j < n:
            if s[j] in _BLANKS:
                j += 1
            elif s[j] == "\\" and s.startswith("\n", j + 1):
                j += 2
            else:
                break
        if j >= n or s[j] in _METACHARS:
            # Missing target: a syntax error in the shell.
            self.complex = True
            self.tokens.append(_Token("redir", start, pos, op))
            self.i = pos
            return
        end, target = self._word(j)
        if bare in ("<<", "<<-"):
            self._heredocs.append((target, bare == "<<-"))
        self.tokens.append(_Token("redir", start, end, op))
        self.i = end

    def _skip_heredoc_bodies(self) -> None:
        s = self.s
        n = len(s)
        for delim, strip_tabs in self._heredocs:
            while self.i < n:
                nl = s.find("\n", self.i)
                line_end = n if nl < 0 else nl
                line = s[self.i : line_end]
                self.i = n if nl < 0 else nl + 1
                if (line.lstrip("\t") if strip_tabs else line) == delim:
                    break
        self._heredocs.clear()

    # -- words -------------------------------------------------------------

    def _word(self, i: int) -> tuple[int, str]:
        """Scan one word starting at ``i``; return (end, value after quote removal)."""
        s = self.s
        n = len(s)
        out: list[str] = []
        while i < n:
            c = s[i]
            if c in _METACHARS:
                break
            if c == "\\":
                if i + 1 >= n:
                    out.append("\\")
                    i += 1
                elif s[i + 1] == "\n":
                    i += 2
                else:
                    out.append(s[i + 1])
                    i += 2
            elif c == "'":
                close = s.find("'", i + 1)
                if close < 0:
                    self.complex = True
                    out.append(s[i + 1 :])
                    i = n
                else:
                    out.append(s[i + 1 : close])
                    i = close + 1
            elif c == '"':
                i = self._double_quoted(i + 1, out)
            elif c == "`":
                end = self._backticks(i)
                out.append(s[i:end])
                i = end
            elif c == "$":
                nxt = s[i + 1] if i + 1 < n else ""
                if nxt == "'":
                    i = self._ansi_c(i + 2, out)
                elif nxt == '"':
                    i = self._double_quoted(i + 2, out)
                elif nxt in ("(", "{"):
                    end = self._dollar(i)
                    out.append(s[i:end])
                    i = end
                else:
                    out.append("$")
                    i += 1
            else:
                m = _PLAIN_RUN.match(s, i)
                assert m is not None  # c is none of the characters the run stops at
                out.append(m.group())
                i = m.end()
        return i, "".join(out)

    def _double_quoted(self, i: int, out: list[str]) -> int:
        """Scan after an opening ``"``; append the cooked text; return end."""
        s = self.s
        n = len(s)
        while i < n:
            c = s[i]
            if c == '"':
                return i + 1
            if c == "\\" and i + 1 < n and s[i + 1] in '$`"\\\n':
                if s[i + 1] != "\n":
                    out.append(s[i + 1])
                i += 2
            elif c == "$" and i + 1 < n and s[i + 1] in "({":
                end = self._dollar(i)
                out.append(s[i:end])
                i = end
            elif c == "`":
                end = self._backticks(i)
                out.append(s[i:end])
                i = end
            elif c == "\\" or c == "$":  # not an escape or a substitution here: the character itself
                out.append(c)
                i += 1
            else:
                m = _QUOTED_RUN.match(s, i)
                assert m is not None  # c is none of the characters the run stops at
                out.append(m.group())
                i = m.end()
        self.complex = True  # unterminated double quote
        return n

    def _ansi_c(self, i: int, out: list[str]) -> int:
        """Scan the body of ``$'...'`` (after the quote), decoding simple escapes."""
        s = self.s
        n = len(s)
        while i < n:
            c = s[i]
            if c == "'":
                return i + 1
            if c == "\\" and i + 1 < n:
                esc = s[i + 1]
                if esc in _ANSI_C_ESCAPES:
                    out.append(_ANSI_C_ESCAPES[esc])
                else:
                    out.append("\\" + esc)
                i += 2
            else:
                out.append(c)
                i += 1
        self.complex = True
        return n

    def _dollar(self, i: int) -> int:
        """End of the ``$(...)``, ``$((...))`` or ``${...}`` starting at ``i``."""
        s = self.s
        if self.level >= _MAX_NESTING:
            self.complex = True
            return len(s)
        # `${` and `$((` recurse within this lexer: count them towards the
        # nesting guard too.
        self.level += 1
        try:
            if s.startswith("$((", i):
                return self._arithmetic(i + 3)
            if s.startswith("$(", i):
                return self._command_substitution(i + 2)
            return self._braced(i + 2)
        finally:
            self.level -= 1

    def _command_substitution(self, body: int) -> int:
        """Scan a ``$(`` body at ``body`` up to its ``)``; return end after it.

        The body is lexed recursively.  A substitution is opaque inside its
        word; it only makes the whole text complex if it is itself complex or
        *spans commands* (has separators other than ``|``), because then a
        reader of ``words`` would miss real work happening there.
        """
        if self.level >= _MAX_NESTING:
            self.complex = True
            return len(self.s)
        sub = _Lexer(self.s, body, nested=True, level=self.level + 1)
        sub.run()
        if not sub.closed:
            self.complex = True
            return len(self.s)
        inner = _assemble(self.s, sub.tokens, sub.complex)
        if _spans_commands(inner):
            self.complex = True
        return sub.i + 1

    def _arithmetic(self, i: int) -> int:
        """End of ``$((...))`` whose body starts at ``i``."""
        s = self.s
        n = len(s)
        depth = 2
        while i < n:
            c = s[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
            elif c == "\\":
                i += 1
            elif c in "'\"":
                close = s.find(c, i + 1)
                if close < 0:
                    break
                i = close
            elif c == "$" and s.startswith("$(", i) and not s.startswith("$((", i):
                i = self._dollar(i)
                continue
            i += 1
        self.complex = True
        return n

    def _braced(self, i: int) -> int:
        """End of ``${...}`` whose body starts at ``i``."""
        s = self.s
        n = len(s)
        depth = 1
        while i < n:
            c = s[i]
            if c == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
                i += 1
            elif c == "{":
                depth += 1
                i += 1
            elif c == "\\":
                i += 2
            elif c == "'":
                close = s.find("'", i + 1)
                if close < 0:
                    break
                i = close + 1
            elif c == '"':
                i = self._double_quoted(i + 1, [])
            elif c == "`":
                i = self._backticks(i)
            elif c == "$" and i + 1 < n and s[i + 1] in "({":
                i = self._dollar(i)
            else:
                i += 1
        self.complex = True
        return n

    def _backticks(self, i: int) -> int:
        """End of the backtick substitution starting at ``i``."""
        s = self.s
        n = len(s)
        j = i + 1
        while j < n:
            if s[j] == "\\":
                j += 2
            elif s[j] == "`":
                break
            else:
                j += 1
        if j >= n:
            self.complex = True
            return n
        if self.level >= _MAX_NESTING:
            self.complex = True
        else:
            body = _BACKTICK_ESCAPES_RE.sub(r"\1", s[i + 1 : j])
            if _spans_commands(_parse(body, self.level + 1)):
                self.complex = True
        return j + 1


def _spans_commands(inner: CommandList) -> bool:
    """Whether a command-substitution body is more than one pipeline."""
    return inner.complex or inner.terminator == "&" or any(op != "|" for op in inner.operators)


# --------------------------------------------------------------------------
# Parser: tokens -> CommandList
# --------------------------------------------------------------------------


def _assemble(source: str, tokens: list[_Token], complex_: bool) -> CommandList:
    items: list[SimpleCommand] = []
    ops: list[str] = []
    pending: str | None = None
    words: list[str] = []
    assigns: list[str] = []
    redirs: list[str] = []
    span: list[int] = []  # [start, end] of the current command, empty if none

    def begin(tok: _Token) -> None:
        nonlocal pending
        if not span:
            if items:
                ops.append(pending if pending is not None else ";")
            pending = None
            span[:] = [tok.start, tok.end]
        else:
            span[1] = tok.end

    def flush() -> None:
        if span:
            start, end = span
            items.append(
                SimpleCommand(
                    words=tuple(words),
                    raw=source[start:end],
                    start=start,
                    end=end,
                    assignments=tuple(assigns),
                    redirects=tuple(redirs),
                )
            )
        words.clear()
        assigns.clear()
        redirs.clear()
        span.clear()

    for tok in tokens:
        if tok.kind == "word":
            raw = source[tok.start : tok.end]
            if not span:
                if raw in _STRUCTURAL_KEYWORDS:
                    complex_ = True
                    continue
                if raw in _UNMODELLED_LEADERS:
                    complex_ = True
            begin(tok)
            if not words and _ASSIGNMENT_RE.match(raw):
                assigns.append(tok.value)
            else:
                words.append(tok.value)
        elif tok.kind == "redir":
            begin(tok)
            redirs.append(source[tok.start : tok.end])
        elif tok.kind == "op":
            if span:
                flush()
                pending = tok.value
            elif tok.value != "\n":
                # An operator with no command before it: a syntax error, or
                # one following a keyword / parenthesis (already complex).
                complex_ = True
                pending = tok.value
        else:  # lparen / rparen
            complex_ = True
            flush()
    flush()
    terminator = ""
    if pending in ("&&", "||", "|"):
        complex_ = True  # dangling operator: the shell would want more input
    else:
        # Only a separator that really ends the text is a terminator (not the
        # `;` before a skipped `fi` or `done`).
        last = next(
            (t for t in reversed(tokens) if not (t.kind == "op" and t.value == "\n")),
            None,
        )
        if items and last is not None and last.kind == "op" and last.value in (";", "&"):
            terminator = last.value
    return CommandList(
        source=source,
        items=tuple(items),
        operators=tuple(ops),
        complex=complex_,
        terminator=terminator,
    )


def _parse(text: str, level: int) -> CommandList:
    lexer = _Lexer(text, level=level)
    lexer.run()
    return _assemble(text, lexer.tokens, lexer.complex)


def parse_command(text: str) -> CommandList:
    """Parse the logical command string of a shell-form RUN instruction.

    Never raises: input the scanner cannot make sense of yields
    ``complex=True`` with whatever items could be recovered (possibly none).
    For every item, ``item.raw == text[item.start:item.end]``.
    """
    try:
        return _parse(text, 0)
    # The contract is "never raises"; the tests fuzz `_parse` directly so a
    # lexer bug still shows up there instead of being masked here.
    except Exception:  # pragma: no cover
        return CommandList(source=text, items=(), operators=(), complex=True)


def word_spans(cmd: SimpleCommand) -> tuple[tuple[int, int, str], ...]:
    """Where each of ``cmd.words`` is in the parsed text: ``(start, end, value)``, offsets like ``cmd.start``.

    Lets a pass replace one word (``.`` in ``pip install .``) or insert an
    option after another without re-quoting the rest of the command.
    Assignments before the program and redirections are not words.
    """
    lexer = _Lexer(cmd.raw)
    lexer.run()
    out: list[tuple[int, int, str]] = []
    for tok in lexer.tokens:
        if tok.kind != "word":
            continue
        if not out and _ASSIGNMENT_RE.match(cmd.raw[tok.start : tok.end]):
            continue
        out.append((cmd.start + tok.start, cmd.start + tok.end, tok.value))
    return tuple(out)


# -- quoting words for a POSIX shell -----------------------------------------------------------------
#
# ``shlex.quote`` and ``shlex.join``, to the byte. Why not shlex: it compiles its pattern when it is
# imported, and every exec-form CMD is turned back into a shell line, so ``dockopt rewrite -`` paid for
# the import and the compile on each start; this pattern compiles on first use and from the cache.

_UNSAFE_RE = lazyre.compile(r"[^\w@%+=:,./-]", re.ASCII)


def quote(word: str) -> str:
    """``word`` as one shell word: unchanged when it is safe, else single-quoted (``shlex.quote``)."""
    if not word:
        return "''"
    if _UNSAFE_RE.search(word) is None:
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def quote_join(words: Iterable[str]) -> str:
    """The words as one shell line (``shlex.join``)."""
    return " ".join(quote(w) for w in words)
