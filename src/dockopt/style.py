"""New instructions in the file's own style.

A merged RUN in a backtick-escape CRLF file must come out with backticks and
CRLF, in the keyword case and continuation indent the file already uses.
Every pass builds new text through :class:`Style`, which writes the text and
parses it with the real parser, so a new node is exactly what reading the
output back will give (one reason the pipeline is idempotent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from .model.memo import memo
from .records_base import Record
from .syntax import Dockerfile, Instruction, Trivia, parse_instructions


class Style(Record):
    _fields = ("escape", "newline", "indent", "upper")
    __slots__ = _fields
    escape: str
    newline: str
    indent: str  # continuation indent of RUN chains
    upper: bool  # keyword case

    def __init__(self, escape: str = "\\", newline: str = "\n", indent: str = "    ", upper: bool = True) -> None:
        self._set(escape, newline, indent, upper)
    # New ENV lines always use ENV k=v whatever the file does: BuildKit's
    # LegacyKeyValueFormat check flags `ENV k v`, and output should not trip it.

    @classmethod
    def detect(cls, doc: Dockerfile) -> Style:
        """The style of ``doc`` (computed once per tree: every rule asks, every round)."""
        return memo(doc, "_style", cls._detect)

    @classmethod
    def _detect(cls, doc: Dockerfile) -> Style:
        upper = lower = 0
        indents: Counter[str] = Counter()
        for ins in doc.instructions:
            marks = ins.__dict__.get("_style_marks")  # an instruction a rule kept is not read again
            case, found = marks if marks is not None else memo(ins, "_style_marks", _marks)
            if case > 0:
                upper += 1
            elif case < 0:
                lower += 1
            if found:
                indents.update(found)
        indent = indents.most_common(1)[0][0] if indents else "    "
        if not indent:
            indent = "    "
        return cls(
            escape=doc.escape,
            newline=doc.newline,
            indent=indent,
            upper=upper >= lower,
        )

    # -- text ---------------------------------------------------------------------
    def keyword(self, kw: str) -> str:
        return kw.upper() if self.upper else kw.lower()

    def comment_lines(self, comments: Iterable[str]) -> list[Trivia]:
        return [Trivia("comment", f"# {c}{self.newline}" if c else f"#{self.newline}") for c in comments]

    def line(self, keyword: str, args: str, flags: Sequence[str] = ()) -> str:
        head = " ".join([self.keyword(keyword), *flags])
        return f"{head} {args}{self.newline}" if args else f"{head}{self.newline}"

    def chain(self, commands: Sequence[str], joiner: str = "&&") -> str:
        """Shell commands joined with ``&&`` one per line, continued with the file's escape char."""
        sep = f" {self.escape}{self.newline}{self.indent}{joiner} "
        return sep.join(commands)

    # -- nodes ----------------------------------------------------------------------
    def parse(self, text: str) -> tuple[Instruction, ...]:
        return parse_instructions(text, self.escape)

    def instruction(self, keyword: str, args: str, flags: Sequence[str] = (), leading: Sequence[Trivia] = ()) -> Instruction:
        (ins,) = self.parse(self.line(keyword, args, flags))
        return ins.with_leading(leading) if leading else ins

    def run(self, commands: Sequence[str], flags: Sequence[str] = (), leading: Sequence[Trivia] = ()) -> Instruction:
        return self.instruction("RUN", self.chain(commands), flags, leading)

    def env(self, pairs: Sequence[tuple[str, str]], leading: Sequence[Trivia] = ()) -> Instruction:
        args = " ".join(f"{k}={v}" for k, v in pairs)
        return self.instruction("ENV", args, leading=leading)

    def exec_form(self, keyword: str, argv: Sequence[str]) -> Instruction:
        import json  # only when a rule writes an exec form: `dockopt rewrite -` (editors) starts without it

        return self.instruction(keyword, json.dumps(list(argv)))


def _marks(ins: Instruction) -> tuple[int, tuple[str, ...]]:
    """What one instruction says about the style: keyword case (1 upper, -1 lower, 0 neither), continuation indents."""
    kw = ins.keyword_text
    case = 1 if kw.isupper() else -1 if kw.islower() else 0
    indents: list[str] = []
    after_continuation = False
    for part in ins.parts:
        if part.type == "CONTINUATION":
            after_continuation = True
            continue
        if after_continuation and part.type == "ARGS":
            stripped = part.lstrip(" \t")
            indents.append(part[: len(part) - len(stripped)])
            after_continuation = False
    return case, tuple(indents)
