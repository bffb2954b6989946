"""Text → tree: the grammar's LALR table over the lexer's tokens, and the tree builder."""

from __future__ import annotations

import functools
import os

from . import buildkit
from .errors import ParseError
from .lalr import Node, Table, UnexpectedToken, load_table
from .lexer import DockerfileLexer, split_lines
from .nodes import READS_ALONE, Dockerfile, Heredoc, Instruction, Trivia
from .tokens import Token

_TRIVIA_KIND = {"COMMENT": "comment", "BLANK": "blank"}


def grammar_path() -> str:
    """The grammar shipped in the wheel (``dockopt/grammar``), or the checkout's ``grammar/``.

    Found with os.path rather than importlib.resources/pathlib, which would
    cost start-up time for a single file read.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    packaged = os.path.join(package, "grammar", "dockerfile.lark")
    if os.path.isfile(packaged):
        return packaged
    return os.path.join(os.path.dirname(os.path.dirname(package)), "grammar", "dockerfile.lark")


def grammar_text() -> str:
    with open(grammar_path(), encoding="utf-8") as fh:
        return fh.read()


@functools.cache
def _table() -> Table:
    return load_table(grammar_text())


_LEXER = DockerfileLexer()


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text into a lossless tree; raise ParseError where BuildKit would refuse it."""
    try:
        tree = _table().parse(_LEXER.lex(text))
    except UnexpectedToken as exc:  # the lexer's tokens never violate the grammar; kept as a guard
        line = exc.token.line or 1
        col = exc.token.column or 1
        raise ParseError(f"unexpected input: {exc}", line, col, _source_line(text, line)) from None
    doc = _build(tree)
    _validate(doc, text)
    return doc


def _source_line(text: str, line: int) -> str:
    lines = split_lines(text)
    return lines[line - 1].content if 0 < line <= len(lines) else ""


def _build(tree: Node) -> Dockerfile:
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
        instructions.append(_instruction(child.children, tuple(pending), escape))  # type: ignore[arg-type]  # an instruction's children are tokens
        pending = []
    return Dockerfile(tuple(instructions), tuple(directives), tuple(pending), bom, escape)


def _instruction(children: list[Token], leading: tuple[Trivia, ...], escape: str) -> Instruction:
    first = children[0]
    last = children[-1]
    if last.type == "EOL":  # no heredocs (they follow the EOL): the children are the parts
        ins = Instruction(tuple(children), (), leading, escape, first.line, last.line)
        ins.__dict__[READS_ALONE] = True  # the lexer made these tokens of this text
        return ins
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
    ins.__dict__[READS_ALONE] = True  # the lexer made these tokens of this text
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
    key = (snippet, escape)
    made = _SNIPPETS.get(key)
    if made is not None:
        # The rules write the same few lines for file after file and round after round: a copy
        # of the instruction parsed before, with the views read from its tokens carried over
        # (never the facts the model keeps on a node, which may refer to the node itself).
        return tuple(ins.with_changes() for ins in made)
    head = snippet[:1]
    if escape == "\\" and head.isascii() and head.isalpha():
        doc = parse(snippet)  # the default escape, and a first line no directive, BOM or comment can start
    else:
        doc = parse(f"# escape={escape}\n{snippet}")
    made = tuple(i.without_origin() for i in doc.instructions)
    if len(_SNIPPETS) >= _MAX_SNIPPETS:  # a long batch or editor session writes ever new lines: start again
        _SNIPPETS.clear()
    _SNIPPETS[key] = made
    return made


#: (snippet, escape) -> the instructions first parsed from it (handed out once; copies after).
_SNIPPETS: dict[tuple[str, str], tuple[Instruction, ...]] = {}
_MAX_SNIPPETS = 4096
