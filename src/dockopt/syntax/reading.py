"""What BuildKit reads from a tree: the instructions, their flags and arguments, and their stages.

The tree a rule returns is what the rule *meant*; the text it prints is what
BuildKit will *read*. The two can differ without either being malformed: an
instruction printed after a line continuation at the end of a file becomes
more words of the instruction above it, and the file still parses. The
pipeline therefore prints every rewrite, parses the text again and compares
the two readings with :func:`difference`. A tree's semantic properties are
computed from its own tokens, so reading it and reading a fresh parse of its
text agree exactly when the printed text means what the tree means.
"""

from __future__ import annotations

from .buildkit import GO_SPACE
from .errors import ParseError
from .nodes import READS_ALONE, Dockerfile, Instruction, Trivia
from .parser import parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeAlias

    #: One instruction as BuildKit reads it: (stage index, keyword, flags, value,
    #: JSON form, heredocs (name, fd, expand, content), ONBUILD child's reading).
    InstructionReading: TypeAlias = tuple[Any, ...]


def read_instruction(ins: Instruction, stage: int) -> InstructionReading:
    child = ins.onbuild_child
    return (
        stage,
        ins.keyword,
        tuple((f.name, f.value) for f in ins.flags),
        ins.value,
        ins.is_json,
        tuple((h.name, h.fd, h.expand, h.content) for h in ins.heredocs),
        read_instruction(child, stage) if child is not None else None,
    )


def read(doc: Dockerfile) -> tuple[tuple[Any, ...], list[InstructionReading]]:
    """The directives and the instructions of ``doc`` as BuildKit reads them."""
    directives = tuple((d.name, d.value) for d in doc.parsed_directives)
    out: list[InstructionReading] = []
    stage = -1
    for ins in doc.instructions:
        if ins.keyword == "FROM":
            stage += 1
        out.append(read_instruction(ins, stage))
    return (doc.escape, directives), out


def identical(meant: Dockerfile, printed: Dockerfile) -> bool:
    """Whether ``printed`` holds ``meant``'s tokens: the same directives, and token for token the same instructions.

    Every view of an instruction (keyword, flags, arguments, JSON form,
    heredocs) is computed from its tokens, heredocs and escape character, so
    two such trees read the same in every respect, and the readings need not be
    computed to know it. A rule's output is mostly instructions that came out
    of a parse, so this is the common answer of :func:`difference`.
    """
    if meant.escape != printed.escape or meant.bom != printed.bom or len(meant.instructions) != len(printed.instructions):
        return False
    if [t.text for t in meant.directives] != [t.text for t in printed.directives]:
        return False
    return all(_same_tokens(a, b) for a, b in zip(meant.instructions, printed.instructions, strict=True))


def reads_as_written(doc: Dockerfile) -> bool:
    """Whether parsing ``doc``'s text gives back ``doc``'s tokens (:func:`identical`), told without parsing all of it.

    BuildKit's reader is line based, and an instruction whose last line ends
    in a line break leaves it at the start of a line, as it was at the start
    of the file: what comes after reads as it would on its own. So the text
    reads as written when the file's start (BOM, directives, the first
    instruction) parses back to the same, every other instruction's text,
    lexed on its own, gives its tokens back (true of every instruction the
    parser made, and kept by edits that leave its tokens alone), and every
    comment and blank line is one line that reads as the comment or blank it
    is meant to be. False is no verdict: parse the text and compare.
    """
    instructions = doc.instructions
    escape = doc.escape
    if not instructions:
        return False
    for ins in instructions:
        if ins.escape != escape or not _ends_its_line(ins):
            return False
    first = instructions[0]
    try:
        head = parse(doc.bom + "".join(t.text for t in doc.directives) + first.to_source())
    except ParseError:
        return False
    # (the escape and BOM it read need no comparing: the first instruction's tokens carry both)
    if len(head.instructions) != 1 or [t.text for t in head.directives] != [t.text for t in doc.directives]:
        return False
    again = head.instructions[0]
    if not _same_tokens(again, first) or [(t.kind, t.text) for t in again.leading] != [(t.kind, t.text) for t in first.leading]:
        return False
    for ins in instructions[1:]:
        if not all(_reads_as_trivia(t) for t in ins.leading) or not _reads_alone(ins):
            return False
    trailing = doc.trailing
    return all(_reads_as_trivia(t, last=i == len(trailing) - 1) for i, t in enumerate(trailing))


def _ends_its_line(ins: Instruction) -> bool:
    """The instruction's text ends with a line break (that it reads alone shows nothing continues it)."""
    if ins.heredocs:
        return ins.heredocs[-1].terminator.endswith("\n")
    return ins.eol.endswith("\n")


def _reads_as_trivia(t: Trivia, *, last: bool = False) -> bool:
    """One line (the file's last may lack its line break) the lexer reads as the comment or blank line it is."""
    text = t.text
    lines = text.count("\n")
    if not (lines == 1 and text.endswith("\n")) and not (last and lines == 0):
        return False
    body = text.lstrip(GO_SPACE)
    return t.kind == ("blank" if not body else "comment" if body[0] == "#" else "instruction")


def _reads_alone(ins: Instruction) -> bool:
    """Whether ``ins``'s text, lexed from the start of a line with its escape character, gives its tokens back.

    The parser marks the instructions it makes; for others (an edit of the
    tokens) the text is parsed once, after an escape directive and a blank
    line that ends the directives.
    """
    facts = ins.__dict__
    found = facts.get(READS_ALONE)
    if found is None:
        try:
            alone = parse(f"# escape={ins.escape}\n\n{ins.text}")
        except ParseError:
            found = False
        else:
            found = len(alone.instructions) == 1 and not alone.trailing and _same_tokens(alone.instructions[0], ins)
        facts[READS_ALONE] = found
    return bool(found)


def _same_tokens(a: Instruction, b: Instruction) -> bool:
    if a.parts != b.parts or a.heredocs != b.heredocs or a.escape != b.escape:
        return False
    return all(x.type == y.type for x, y in zip(a.parts, b.parts, strict=True))


def difference(meant: Dockerfile, printed: Dockerfile) -> str | None:
    """How BuildKit's reading of ``printed`` (a parse of ``meant``'s text) differs from ``meant``; None if it doesn't."""
    if identical(meant, printed):
        return None
    (escape_a, directives_a), a = read(meant)
    (escape_b, directives_b), b = read(printed)
    if escape_a != escape_b or directives_a != directives_b:
        return f"the parser directives would read as {directives_b!r} instead of {directives_a!r}"
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x == y:
            continue
        ins = meant.instructions[i]
        line = meant.line_of(ins)
        if len(b) < len(a) and i + 1 < len(a):
            swallowed = meant.instructions[i + 1]
            return (
                f"the {swallowed.keyword} meant for line {meant.line_of(swallowed)} would be read as more words of "
                f"the {ins.keyword} at line {line}"
            )
        if x[:2] != y[:2]:
            return f"the {x[1]} meant for line {line} would be read as {y[1] or 'an empty instruction'} in stage {y[0] + 1}"
        got = printed.instructions[i]
        return f"the {x[1]} at line {line} would be read as `{got.logical.strip()}` instead of `{ins.logical.strip()}`"
    if len(a) != len(b):
        return f"the text would hold {len(b)} instructions instead of {len(a)}"
    return None
