"""The lossless Dockerfile tree.

In the manner of LibCST, nodes are immutable and own every byte of their
source: an instruction holds its tokens (keyword, whitespace, flags,
arguments, continuations and the comment lines inside them, its line ending),
its heredoc bodies, and the comment and blank lines above it. Printing is
plain concatenation, so a node that nobody edited prints exactly as it was
read, and moving an instruction moves the comment above it.

Semantic questions (which flags, which image, which ENV pairs) are answered by
cached properties computed from the tokens with the rules in ``buildkit.py``;
nothing is stored twice, so an edited node can never disagree with its text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from . import buildkit
from .buildkit import Split
from .record import Record, cached
from .tokens import Token

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Token kinds that make up the logical line (BuildKit's joined instruction text).
LOGICAL_KINDS = frozenset({"KEYWORD", "ARGS"})


class Trivia(Record):
    """A comment, blank or directive line, with its line ending."""

    _fields = ("kind", "text")
    __slots__ = _fields
    kind: str  # "comment" | "blank" | "directive"
    text: str

    def __init__(self, kind: str, text: str) -> None:
        self._set(kind, text)

    @property
    def comment(self) -> str | None:
        """The comment text after ``#``, stripped; None for a blank line."""
        body = buildkit.go_strip(self.text)
        return body[1:].strip() if body.startswith("#") else None


class Directive(Record):
    """A parser directive: ``# syntax=``, ``# escape=``, ``# check=``."""

    _fields = ("name", "value")
    __slots__ = _fields
    name: str
    value: str

    def __init__(self, name: str, value: str) -> None:
        self._set(name, value)


class Heredoc(Record):
    """A heredoc attached to RUN/COPY/ADD: its opener and its body lines."""

    _fields = ("name", "chomp", "expand", "fd", "body", "terminator")
    __slots__ = _fields
    name: str
    chomp: bool
    expand: bool
    fd: int
    body: str  # the body lines as written, with their line endings
    terminator: str  # the closing line as written, with its line ending

    def __init__(self, name: str, chomp: bool, expand: bool, fd: int, body: str, terminator: str) -> None:
        self._set(name, chomp, expand, fd, body, terminator)

    @property
    def content(self) -> str:
        """The body as BuildKit delivers it (leading tabs removed for ``<<-``)."""
        if not self.chomp:
            return self.body
        return "".join(line.lstrip("\t") for line in self.body.splitlines(keepends=True))

    def to_source(self) -> str:
        return self.body + self.terminator


class Flag(Record):
    """A builder flag such as ``--mount=type=cache,target=/root/.cache``."""

    _fields = ("name", "value", "raw")
    __slots__ = _fields
    name: str  # without the leading dashes
    value: str | None  # None for a bare ``--link``
    raw: str  # as written, quotes included

    def __init__(self, name: str, value: str | None, raw: str) -> None:
        self._set(name, value, raw)


class Instruction(Record):
    """One instruction with everything that prints with it.

    Compared by identity: two ``RUN true`` lines are different instructions,
    and the editing methods of :class:`Dockerfile` find nodes by identity.
    (No ``__slots__``: the cached properties live in the instance dict.)
    """

    _fields = ("parts", "heredocs", "leading", "escape", "line", "end_line")
    parts: tuple[Token, ...]
    heredocs: tuple[Heredoc, ...]
    leading: tuple[Trivia, ...]
    escape: str
    line: int | None  # first line in the source it was parsed from
    end_line: int | None  # last line there, heredoc terminators included

    def __init__(
        self,
        parts: tuple[Token, ...],
        heredocs: tuple[Heredoc, ...] = (),
        leading: tuple[Trivia, ...] = (),
        escape: str = "\\",
        line: int | None = None,
        end_line: int | None = None,
    ) -> None:
        # (no slots: one update of the instance dict, the fastest way to set six fields)
        self.__dict__.update(parts=parts, heredocs=heredocs, leading=leading, escape=escape, line=line, end_line=end_line)

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def with_changes(self, **changes: Any) -> Instruction:
        """A copy with ``changes``; the views read from the tokens carry over when the tokens stay.

        Moving an instruction's comments or dropping its line numbers does not
        change what BuildKit reads, so its keyword, flags and arguments are not
        worked out again for the copy. (Facts the model keeps on the node are
        not copied: they may refer to the node itself.)
        """
        new = super().with_changes(**changes)
        if new.parts is self.parts:
            mine, theirs = self.__dict__, new.__dict__
            if new.escape == self.escape:
                for name in _TOKEN_VIEWS:
                    if name in mine:
                        theirs[name] = mine[name]
            if new.heredocs is self.heredocs:
                if "text" in mine:
                    theirs["text"] = mine["text"]
                if new.escape == self.escape and READS_ALONE in mine:
                    theirs[READS_ALONE] = mine[READS_ALONE]
        return new

    # -- printing -----------------------------------------------------------
    @cached
    def text(self) -> str:
        """The instruction's own source, without the trivia above it."""
        return "".join(self.parts) + "".join(h.body + h.terminator for h in self.heredocs)

    def to_source(self) -> str:
        return self._source

    @cached
    def _source(self) -> str:
        return "".join(t.text for t in self.leading) + self.text

    @cached
    def line_ends(self) -> tuple[int, int]:
        """How many of the lines it prints (comments above included) end in ``\\r\\n``, and how many in all."""
        text = self._source
        return text.count("\r\n"), text.count("\n")

    # -- BuildKit's view ----------------------------------------------------
    @cached
    def logical(self) -> str:
        """The joined line BuildKit parses: continuations and inner comments removed."""
        return "".join(p for p in self.parts if p.type in LOGICAL_KINDS)

    @cached
    def _split(self) -> Split:
        return buildkit.split_command(self.logical)

    @cached
    def keyword_text(self) -> str:
        """The keyword as written (``run``, ``RUN``): BuildKit's splitCommand on the logical line.

        The lexer cut the keyword into its own token, so the common case (an
        ASCII word followed by a blank) is read off that token; anything else
        (a rule-built instruction, a keyword with other characters) is split.
        """
        for part in self.parts:
            if part.type in LOGICAL_KINDS:
                if part.type == "KEYWORD" and part.isascii() and part.isalpha():
                    logical = self.logical
                    n = len(part)
                    if len(logical) == n or logical[n] in _ASCII_BLANKS:
                        return str(part)
                break
        k = self._split.keyword
        return self.logical[k[0] : k[1]]

    @cached
    def keyword(self) -> str:
        """Upper-case keyword: ``RUN``, ``FROM`` ..."""
        return buildkit.go_lower(self.keyword_text).upper()

    @cached
    def flags(self) -> tuple[Flag, ...]:
        out = []
        for start, end, value in self._split.flags:
            name, sep, val = value[2:].partition("=")
            out.append(Flag(name, val if sep else None, self.logical[start:end]))
        return tuple(out)

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    @cached
    def args(self) -> str:
        """The argument text after keyword and flags, trimmed as BuildKit trims it."""
        a = self._split.args
        return self.logical[a[0] : a[1]]

    @cached
    def json_args(self) -> list[str] | None:
        """The exec-form array for RUN/CMD/ENTRYPOINT/SHELL/COPY/ADD/VOLUME, else None."""
        if self.keyword not in _JSON_CAPABLE:
            return None
        return buildkit.parse_json_array(self.args)

    @property
    def is_json(self) -> bool:
        if self.keyword == "HEALTHCHECK":
            return self.healthcheck_json
        return self.json_args is not None

    @property
    def healthcheck_json(self) -> bool:
        args = self.args
        sep = _first_space(args)
        return sep > 0 and buildkit.parse_json_array(args[sep:]) is not None

    @property
    def is_shell_form(self) -> bool:
        """RUN/CMD/ENTRYPOINT written as a shell string rather than JSON."""
        return self.keyword in ("RUN", "CMD", "ENTRYPOINT") and self.json_args is None

    @cached
    def value(self) -> tuple[str, ...]:
        """The argument list BuildKit's AST holds for this instruction.

        This is what the agreement tests compare with BuildKit's own parser.
        """
        return _buildkit_value(self.keyword, self.args, self.escape)

    @cached
    def onbuild_child(self) -> Instruction | None:
        """For ``ONBUILD X ...``, the inner instruction X (tokens are the argument text)."""
        if self.keyword != "ONBUILD" or not self.args:
            return None
        return Instruction((Token("ARGS", self.args),), escape=self.escape)

    # -- stage-level questions ------------------------------------------------
    @property
    def from_image(self) -> str | None:
        """FROM's image reference as written (``python:3.12``, ``$BASE``, a stage name)."""
        if self.keyword != "FROM" or not self.value:
            return None
        return self.value[0]

    @property
    def from_stage_name(self) -> str | None:
        """FROM's ``AS name``, or None."""
        v = self.value
        if self.keyword == "FROM" and len(v) == 3 and v[1].lower() == "as":
            return v[2]
        return None

    @property
    def env_pairs(self) -> list[tuple[str, str]]:
        """ENV/LABEL pairs (values keep their quotes, as BuildKit's AST keeps them)."""
        return buildkit.name_values(self.keyword, self.args, self.escape)

    def copy_sources_and_dest(self) -> tuple[list[str], str] | None:
        """COPY/ADD sources and destination, or None with heredocs or fewer than two words."""
        if self.keyword not in ("COPY", "ADD") or self.heredocs:
            return None
        words = list(self.value)
        if len(words) < 2:
            return None
        return words[:-1], words[-1]

    # -- editing ---------------------------------------------------------------
    def with_leading(self, leading: Iterable[Trivia]) -> Instruction:
        return self.with_changes(leading=tuple(leading))

    def without_origin(self) -> Instruction:
        return self.with_changes(line=None, end_line=None)

    @property
    def indent(self) -> str:
        return self.parts[0] if self.parts and self.parts[0].type == "INDENT" else ""

    @property
    def eol(self) -> str:
        """The instruction's final line ending (empty at the end of a file without one)."""
        last = self.parts[-1] if self.parts else None
        return str(last) if last is not None and last.type == "EOL" else ""

    def with_eol(self, eol: str) -> Instruction:
        """The same instruction ending with ``eol`` (used when appending after a last line)."""
        parts = list(self.parts)
        for i in range(len(parts) - 1, -1, -1):
            if parts[i].type == "EOL":
                parts[i] = Token("EOL", eol)
                break
        return self.with_changes(parts=tuple(parts))

    @property
    def open_continuation(self) -> bool:
        """True when the instruction ends in a line continuation that nothing continues.

        Only the last instruction of a file can (``RUN pip install x \\`` as the
        last line, perhaps followed by comment or blank lines). BuildKit reads
        the continuation as nothing there, but whatever is printed after it
        becomes more words of this instruction.
        """
        for part in reversed(self.parts):
            if part.type not in _AFTER_LAST_ARGS:
                return part.type == "CONTINUATION"
        return False

    @cached
    def ends_line(self) -> bool:
        """True when another instruction can be printed right after this one (asked of every
        instruction of every tree a rule makes, so kept on the node)."""
        if self.heredocs:
            return self.heredocs[-1].terminator.endswith("\n")
        return self.eol != "" and not self.open_continuation

    def closed(self, newline: str) -> tuple[Instruction, tuple[Trivia, ...]]:
        """This instruction made to end its line, so that another can follow it.

        Returns the instruction and the trivia lines that must go above the next
        one. An open continuation loses its escape character (BuildKit reads it
        as nothing at the end of a file, so the instruction means the same) and
        the comment and blank lines that were inside it come back as trivia; a
        missing line ending is added; a heredoc terminator gets its line ending.
        """
        if self.heredocs:
            last = self.heredocs[-1]
            if last.terminator.endswith("\n"):
                return self, ()
            heredocs = (*self.heredocs[:-1], last.with_changes(terminator=last.terminator + newline))
            return self.with_changes(heredocs=heredocs), ()
        if not self.open_continuation:
            return (self, ()) if self.eol else (self.with_eol(newline), ())
        parts = list(self.parts)
        at = max(i for i, p in enumerate(parts) if p.type == "CONTINUATION")
        cont = str(parts[at])
        body = cont.rstrip("\r\n")
        ending = cont[len(body) :] or newline
        blanks = body[len(self.escape) :]
        kept = parts[:at]
        if blanks:
            if kept and kept[-1].type == "ARGS":
                kept[-1] = Token("ARGS", str(kept[-1]) + blanks)
            else:
                kept.append(Token("ARGS", blanks))
        kept.append(Token("EOL", ending))
        trivia: list[Trivia] = []
        for part in parts[at + 1 :]:
            if part.type == "INNER_COMMENT":
                trivia.append(Trivia("comment", str(part)))
            elif part.type == "INNER_BLANK":
                trivia.append(Trivia("blank", str(part)))
        if trivia and not trivia[-1].text.endswith("\n"):
            trivia[-1] = Trivia(trivia[-1].kind, trivia[-1].text + newline)
        return self.with_changes(parts=tuple(kept)), tuple(trivia)

    def edit_args(self, edits: Sequence[tuple[int, int, str]]) -> Instruction | None:
        """Replace spans of :attr:`args` (offsets into it) in the physical text.

        Each span must lie within one physical line piece; an insertion at the
        end of a piece goes before the continuation. Returns None when a span
        crosses a line continuation (the caller then skips and says why).
        Comments inside the continuation and every untouched byte stay.
        """
        base = self._split.args[0]
        pieces: list[tuple[int, int, int]] = []  # (logical start, logical end, part index)
        pos = 0
        for index, part in enumerate(self.parts):
            if part.type in LOGICAL_KINDS:
                pieces.append((pos, pos + len(part), index))
                pos += len(part)
        texts = {index: str(self.parts[index]) for _, _, index in pieces}
        shifts: dict[int, list[tuple[int, int, str]]] = {}
        for start, end, new in edits:
            lstart, lend = base + start, base + end
            for p_start, p_end, index in pieces:
                if p_start <= lstart and lend <= p_end and (lstart < p_end or lstart == lend):
                    shifts.setdefault(index, []).append((lstart - p_start, lend - p_start, new))
                    break
            else:
                return None
        parts = list(self.parts)
        for index, spans in shifts.items():
            text = texts[index]
            for start, end, new in sorted(spans, reverse=True):
                text = text[:start] + new + text[end:]
            parts[index] = Token(parts[index].type, text)
        return self.with_changes(parts=tuple(parts))

    def args_source(self) -> str:
        """The physical text from the first argument to the end of the instruction line.

        Continuations and the comment lines inside them are kept; the final
        line ending and heredoc bodies are not. Used to move arguments into
        another instruction without re-wrapping them.
        """
        base = self._split.args[0]
        pos = 0
        out: list[str] = []
        started = False
        for part in self.parts[:-1]:  # the grammar ends every instruction with its EOL
            if started:
                out.append(str(part))
                continue
            if part.type in LOGICAL_KINDS:
                if pos + len(part) > base:
                    out.append(str(part)[base - pos :])
                    started = True
                pos += len(part)
        return "".join(out)

    @property
    def source_lines(self) -> tuple[int, int] | None:
        if self.line is None or self.end_line is None:
            return None
        return self.line, self.end_line


#: Where an instruction keeps whether its text, lexed on its own (from the start of a line,
#: with its escape character), gives back exactly its tokens and heredocs: True for every
#: instruction the parser made (see ``reading.reads_as_written``).
READS_ALONE = "_reads_alone"

#: The cached views of :class:`Instruction` computed from its tokens and escape character alone.
_TOKEN_VIEWS = ("logical", "_split", "keyword_text", "keyword", "flags", "args", "json_args", "value", "onbuild_child")

#: BuildKit's reWhitespace: what ends the keyword.
_ASCII_BLANKS = frozenset("\t\v\f\r ")

#: Tokens that can follow an instruction's last arguments: its ending, and the
#: comment and blank lines an open continuation at the end of a file swallows.
_AFTER_LAST_ARGS = frozenset({"EOL", "INNER_COMMENT", "INNER_BLANK"})
_JSON_CAPABLE = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
_MAYBE_JSON = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL"})
_MAYBE_JSON_LIST = frozenset({"COPY", "ADD", "VOLUME"})
_WHITESPACE_LIST = frozenset({"FROM", "EXPOSE"})
_STRING = frozenset({"MAINTAINER", "STOPSIGNAL", "USER", "WORKDIR"})


def _first_space(s: str) -> int:
    for i, ch in enumerate(s):
        if ch in buildkit.BYTE_SPACE:  # parseHealthConfig reads bytes: ASCII blanks only
            return i
    return len(s)


def _buildkit_value(keyword: str, args: str, escape: str) -> tuple[str, ...]:
    """BuildKit's dispatch table: the per-instruction argument parsers."""
    if keyword in _MAYBE_JSON:
        if not args:
            return ()
        arr = buildkit.parse_json_array(args)
        return tuple(arr) if arr is not None else (args,)
    if keyword in _MAYBE_JSON_LIST:
        arr = buildkit.parse_json_array(args)
        return tuple(arr) if arr is not None else tuple(buildkit.whitespace_fields(args))
    if keyword in _WHITESPACE_LIST:
        return tuple(buildkit.whitespace_fields(args))
    if keyword in _STRING:
        return (args,) if args else ()
    if keyword in ("ENV", "LABEL"):
        return tuple(x for pair in buildkit.name_values(keyword, args, escape) for x in pair)
    if keyword == "ARG":
        return tuple(buildkit.parse_words(args, escape))
    if keyword == "HEALTHCHECK":
        sep = _first_space(args)
        if sep == 0:
            return ()
        rest = args[sep:].lstrip(buildkit.BYTE_SPACE)
        return (args[:sep], *_buildkit_value("CMD", rest, escape))
    if keyword == "ONBUILD":
        if not args:
            return ()
        child = Instruction((Token("ARGS", args),), escape=escape)
        return child.value
    return ()


class Stage(Record):
    """A build stage: its FROM and the instructions up to the next FROM."""

    _fields = ("index", "from_instruction", "instructions")
    __slots__ = _fields
    index: int
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]

    def __init__(self, index: int, from_instruction: Instruction, instructions: tuple[Instruction, ...]) -> None:
        self._set(index, from_instruction, instructions)

    @property
    def name(self) -> str | None:
        return self.from_instruction.from_stage_name

    @property
    def base(self) -> str | None:
        return self.from_instruction.from_image

    @property
    def platform(self) -> str | None:
        f = self.from_instruction.flag("platform")
        return f.value if f else None

    def all_instructions(self) -> tuple[Instruction, ...]:
        return (self.from_instruction, *self.instructions)


class Dockerfile(Record):
    """A whole Dockerfile: directives, instructions, and the trivia after the last one.

    Compared by identity, like :class:`Instruction`.
    """

    _fields = ("instructions", "directives", "trailing", "bom", "escape")
    instructions: tuple[Instruction, ...]
    directives: tuple[Trivia, ...]
    trailing: tuple[Trivia, ...]
    bom: str
    escape: str

    def __init__(
        self,
        instructions: tuple[Instruction, ...],
        directives: tuple[Trivia, ...] = (),
        trailing: tuple[Trivia, ...] = (),
        bom: str = "",
        escape: str = "\\",
    ) -> None:
        self.__dict__.update(instructions=instructions, directives=directives, trailing=trailing, bom=bom, escape=escape)

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def to_source(self) -> str:
        return self._source

    @cached
    def _source(self) -> str:
        out = [self.bom]
        out.extend(t.text for t in self.directives)
        out.extend(i.to_source() for i in self.instructions)
        out.extend(t.text for t in self.trailing)
        return "".join(out)

    # -- views ------------------------------------------------------------------
    @cached
    def parsed_directives(self) -> tuple[Directive, ...]:
        out = []
        for t in self.directives:
            m = buildkit.DIRECTIVE_RE.match(buildkit.go_lstrip(t.text.rstrip("\r\n")))
            if m:
                out.append(Directive(m.group(1).lower(), m.group(2)))
        return tuple(out)

    @cached
    def global_args(self) -> tuple[Instruction, ...]:
        """ARG instructions before the first FROM."""
        out = []
        for ins in self.instructions:
            if ins.keyword == "FROM":
                break
            out.append(ins)
        return tuple(x for x in out if x.keyword == "ARG")

    @cached
    def stages(self) -> tuple[Stage, ...]:
        stages: list[Stage] = []
        current: Instruction | None = None
        body: list[Instruction] = []
        for ins in self.instructions:
            if ins.keyword == "FROM":
                if current is not None:
                    stages.append(Stage(len(stages), current, tuple(body)))
                current, body = ins, []
            elif current is not None:
                body.append(ins)
        if current is not None:
            stages.append(Stage(len(stages), current, tuple(body)))
        return tuple(stages)

    def stage_of(self, ins: Instruction) -> Stage | None:
        for stage in self.stages:
            if ins is stage.from_instruction or any(x is ins for x in stage.instructions):
                return stage
        return None

    @cached
    def _line_index(self) -> dict[int, int]:
        """The printed line each instruction starts at, by identity (computed once per tree)."""
        out: dict[int, int] = {}
        line = 1 + sum(t.text.count("\n") for t in self.directives)
        for x in self.instructions:
            line += sum(t.text.count("\n") for t in x.leading)
            out[id(x)] = line
            line += x.text.count("\n")
        return out

    def line_of(self, ins: Instruction) -> int:
        """The 1-based line where ``ins`` starts in this tree's printed text."""
        found = self._line_index.get(id(ins))  # ids are unique while this tree holds its instructions
        if found is None:
            raise ValueError("instruction not in this Dockerfile")
        return found

    # -- editing (each returns a new Dockerfile) ------------------------------------
    def _index(self, ins: Instruction) -> int:
        for i, x in enumerate(self.instructions):
            if x is ins:
                return i
        raise ValueError("instruction not in this Dockerfile")

    def with_instructions(self, instructions: Sequence[Instruction]) -> Dockerfile:
        new = self.with_changes(instructions=tuple(instructions))
        return new._with_final_eol()

    def _with_final_eol(self) -> Dockerfile:
        """Every instruction but a file's last must end its line; close one moved off the end.

        An instruction that was last may lack a line ending, end in an open
        continuation, or end in a heredoc terminator without a line ending;
        printed before another instruction, each would swallow it.
        """
        ins = list(self.instructions)
        changed = False
        for i, x in enumerate(ins[:-1]):
            if x.ends_line:
                continue
            ins[i], moved = x.closed(self.newline)
            if moved:
                ins[i + 1] = ins[i + 1].with_leading(moved + ins[i + 1].leading)
            changed = True
        if not changed:
            return self
        return self.with_changes(instructions=tuple(ins))

    def replace(self, old: Instruction, new: Instruction | Sequence[Instruction]) -> Dockerfile:
        i = self._index(old)
        items = [new] if isinstance(new, Instruction) else list(new)
        return self.with_instructions(self.instructions[:i] + tuple(items) + self.instructions[i + 1 :])

    def edit(self, replacements: Mapping[Instruction, Sequence[Instruction]]) -> Dockerfile:
        """Replace each key instruction by its list (an empty list removes it), in one pass.

        Many edits to one tree cost one walk instead of one per edit (merging
        2,000 RUNs was quadratic). A removed instruction's comments are dropped
        with it: callers move what they keep first.
        """
        by_id = {id(k): v for k, v in replacements.items()}
        out: list[Instruction] = []
        for x in self.instructions:
            out.extend(by_id.get(id(x), (x,)))
        return self.with_instructions(out)

    def insert_before(self, anchor: Instruction, new: Sequence[Instruction]) -> Dockerfile:
        i = self._index(anchor)
        return self.with_instructions(self.instructions[:i] + tuple(new) + self.instructions[i:])

    def insert_after(self, anchor: Instruction, new: Sequence[Instruction]) -> Dockerfile:
        i = self._index(anchor) + 1
        return self.with_instructions(self.instructions[:i] + tuple(new) + self.instructions[i:])

    def append(self, new: Sequence[Instruction]) -> Dockerfile:
        return self.with_instructions(self.instructions + tuple(new))

    def remove(self, ins: Instruction, *, keep_leading: bool = True) -> Dockerfile:
        """Drop ``ins``; its comments move to the instruction below (or the file's end)."""
        i = self._index(ins)
        rest = list(self.instructions)
        del rest[i]
        if keep_leading and ins.leading:
            if i < len(rest):
                rest[i] = rest[i].with_leading(ins.leading + rest[i].leading)
            else:
                return self.with_changes(trailing=ins.leading + self.trailing).with_instructions(rest)
        return self.with_instructions(rest)

    def with_closed_end(self) -> Dockerfile:
        """The file with its last instruction's open continuation closed (see :meth:`Instruction.closed`).

        BuildKit reads the same file. The comment and blank lines the
        continuation swallowed become the file's trailing lines, and a last
        line without a line ending keeps going without one.
        """
        last = self.instructions[-1] if self.instructions else None
        if last is None or not last.open_continuation:
            return self
        closed, moved = last.closed("")
        return self.with_changes(instructions=(*self.instructions[:-1], closed), trailing=moved + self.trailing)

    def move(self, ins: Instruction, *, before: Instruction) -> Dockerfile:
        """Move ``ins`` (with its comments) above ``before``."""
        rest = [x for x in self.instructions if x is not ins]
        tmp = self.with_changes(instructions=tuple(rest))
        return tmp.insert_before(before, [ins])

    # -- style ----------------------------------------------------------------------
    @cached
    def newline(self) -> str:
        """The file's usual line ending: ``\\r\\n`` when most lines use it."""
        # Counted per instruction (kept on the node): each rule that edits the tree asks this of
        # the new tree, and printing all of it for the count was a twentieth of a rewrite.
        crlf = lf = 0
        for t in (*self.directives, *self.trailing):
            crlf += t.text.count("\r\n")
            lf += t.text.count("\n")
        for ins in self.instructions:
            c, n = ins.line_ends
            crlf += c
            lf += n
        return "\r\n" if crlf and crlf * 2 >= lf else "\n"

    def walk(self) -> Iterator[Instruction]:
        yield from self.instructions


def new_trivia(kind: str, text: str) -> Trivia:
    return Trivia(kind, text)


__all__ = [
    "Directive",
    "Dockerfile",
    "Flag",
    "Heredoc",
    "Instruction",
    "Stage",
    "Trivia",
]
