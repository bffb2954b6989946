"""Text → tree: the lark LALR parser over the lexer's tokens, and the tree builder."""

from __future__ import annotations

import functools
import sys
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from . import buildkit
from .errors import ParseError
from .lexer import DockerfileLexer, split_lines
from .nodes import Dockerfile, Heredoc, Instruction, Trivia

_TRIVIA_KIND = {"COMMENT": "comment", "BLANK": "blank"}


def grammar_text() -> str:
    """The grammar shipped in the wheel (``dockopt/grammar``), or the checkout's ``grammar/``."""
    packaged = resources.files("dockopt").joinpath("grammar", "dockerfile.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[3] / "grammar" / "dockerfile.lark"
    return checkout.read_text(encoding="utf-8")


@functools.cache
def _lark() -> Lark:
    # cache=True stores the analysed LALR tables in the temp dir keyed by the
    # grammar's hash, which keeps `dockopt` start-up fast after the first run.
    return Lark(grammar_text(), parser="lalr", lexer=DockerfileLexer, cache=_cache_path(), maybe_placeholders=False)


def _cache_path() -> str | bool:
    import hashlib
    import tempfile

    digest = hashlib.sha256(grammar_text().encode()).hexdigest()[:16]
    v = sys.version_info
    return str(Path(tempfile.gettempdir()) / f"dockopt-grammar-{digest}-py{v[0]}{v[1]}.lark")


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text into a lossless tree; raise ParseError where BuildKit would refuse it."""
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:  # the lexer's tokens never violate the grammar; kept as a guard
        line = getattr(exc, "line", 1) or 1
        col = getattr(exc, "column", 1) or 1
        raise ParseError(f"unexpected input: {exc}", line, col, _source_line(text, line)) from None
    doc = _build(tree)
    _validate(doc, text)
    return doc


def _source_line(text: str, line: int) -> str:
    lines = split_lines(text)
    return lines[line - 1].content if 0 < line <= len(lines) else ""


def _build(tree: Tree[Token]) -> Dockerfile:
    bom = ""
    directives: list[Trivia] = []
    pending: list[Trivia] = []
    instructions: list[Instruction] = []
    escape = "\\"
    for child in tree.children:
        if isinstance(child, Token):
            kind = child.type
            if kind == "COMMENT" or kind == "BLANK":
                pending.append(Trivia(_TRIVIA_KIND[kind], str(child)))
            elif kind == "DIRECTIVE":
                directives.append(Trivia("directive", str(child)))
                m = buildkit.DIRECTIVE_RE.match(buildkit.go_lstrip(child.rstrip("\r\n")))
                if m and m.group(1).lower() == "escape":
                    escape = m.group(2)
            elif kind == "BOM":
                bom = str(child)
            continue
        instructions.append(_instruction(child.children, tuple(pending), escape))  # type: ignore[arg-type]
        pending = []
    return Dockerfile(tuple(instructions), tuple(directives), tuple(pending), bom, escape)


def _instruction(children: list[Token], leading: tuple[Trivia, ...], escape: str) -> Instruction:
    first = children[0]
    last = children[-1]
    if last.type == "EOL":  # no heredocs (they follow the EOL): the children are the parts
        return Instruction(tuple(children), (), leading, escape, first.line, last.line)
    parts: list[Token] = []
    heredocs: list[Heredoc] = []
    body: Token | None = None
    end_line = first.line
    for tok in children:
        kind = tok.type
        if kind == "HEREDOC_BODY":
            body = tok
        elif kind == "HEREDOC_END":
            heredocs.append(_heredoc(tok, body))
            body = None
            end_line = tok.line
        else:
            parts.append(tok)
            if kind == "EOL" or kind == "CONTINUATION" or kind == "INNER_COMMENT" or kind == "INNER_BLANK":
                end_line = tok.line
    ins = Instruction(tuple(parts), (), leading, escape, first.line, end_line)
    if heredocs:
        openers = buildkit.heredoc_openers(ins.logical)
        heredocs = [
            Heredoc(o.name, o.chomp, o.expand, o.fd, h.body, h.terminator) for o, h in zip(openers, heredocs, strict=True)
        ]
        ins = Instruction(tuple(parts), tuple(heredocs), leading, escape, first.line, end_line)
    return ins


def _heredoc(end: Token, body: Token | None) -> Heredoc:
    return Heredoc("", False, True, 0, str(body) if body is not None else "", str(end))


def _validate(doc: Dockerfile, text: str) -> None:
    """BuildKit refuses a file without instructions; the lexer made the per-instruction checks."""
    if not doc.instructions:
        lines = split_lines(text)
        raise ParseError("file with no instructions", max(len(lines), 1), 1, lines[-1].content if lines else "")


def parse_instructions(snippet: str, escape: str = "\\") -> tuple[Instruction, ...]:
    """Parse instruction text written for a file whose escape character is ``escape``.

    Passes build new instructions as text in the file's style and parse them
    here, so a new node is exactly what re-reading the output will produce.
    """
    header = f"# escape={escape}\n"
    doc = parse(header + snippet)
    return tuple(i.without_origin() for i in doc.instructions)
