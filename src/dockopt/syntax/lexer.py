"""Turn Dockerfile text into the terminals of ``grammar/dockerfile.lark``.

Written by hand because the lexical structure is context sensitive (see the
grammar's header): the escape character comes from a directive, continuation
depends on it, and heredoc bodies end at delimiters named on the instruction
line. The lexer follows BuildKit's Parse loop line by line and cuts every
physical line into tokens whose texts, concatenated, are the input.

Tokens are coarse on purpose (a comment line is one token, the arguments on
one physical line are one token): the LALR parser's cost is per token, and
coarse tokens are what keep parse + print within reach of BuildKit's own
parser called from Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lark import Token
from lark.lexer import Lexer

from . import buildkit
from .buildkit import GO_SPACE, Split
from .errors import ParseError

BOM = "\ufeff"


class _Line:
    """One physical line: content (no ending) and its ending (``\\r*\\n`` or empty)."""

    __slots__ = ("content", "eol", "number")

    def __init__(self, content: str, eol: str, number: int) -> None:
        self.content = content
        self.eol = eol
        self.number = number


def split_lines(text: str) -> list[_Line]:
    """Split on ``\\n`` only, as bufio's scanLines does; trailing ``\\r`` go with the ending."""
    lines = []
    parts = text.split("\n")
    last = len(parts) - 1
    for i, part in enumerate(parts):
        if i == last:
            if not part:
                break
            content = part.rstrip("\r")
            lines.append(_Line(content, part[len(content) :], i + 1))
        else:
            content = part.rstrip("\r")
            lines.append(_Line(content, part[len(content) :] + "\n", i + 1))
    return lines


def _tok(kind: str, text: str, line: int, column: int) -> Token:
    return Token(kind, text, None, line, column)


class DockerfileLexer(Lexer):
    """Lark custom lexer (interface 0): ``lex(text)`` yields the tokens.

    Lark creates one instance per parser and calls ``lex`` once per input,
    so the lexer keeps no state between calls.
    """

    def __init__(self, lexer_conf: Any = None) -> None:
        pass

    def lex(self, text: str) -> Iterator[Token]:  # noqa: C901 - one pass over the lines, kept together on purpose
        lines = split_lines(text)
        n = len(lines)
        i = 0
        if text.startswith(BOM):
            yield _tok("BOM", BOM, 1, 1)
            if lines:
                lines[0].content = lines[0].content[1:]

        # Parser directives: a prefix of lines that match the directive pattern.
        seen: set[str] = set()
        escape = "\\"
        while i < n:
            line = lines[i]
            m = buildkit.DIRECTIVE_RE.match(buildkit.go_lstrip(line.content))
            if m is None or m.group(1).lower() not in buildkit.KNOWN_DIRECTIVES:
                break
            key = m.group(1).lower()
            if key in seen:
                raise ParseError(f"only one {key} parser directive can be used", line.number, 1, line.content)
            seen.add(key)
            if key == "escape":
                value = m.group(2)
                if value not in ("\\", "`"):
                    col = line.content.rfind(value) + 1
                    raise ParseError(f"invalid escape token '{value}' does not match ` or \\", line.number, col, line.content)
                escape = value
            yield _tok("DIRECTIVE", line.content + line.eol, line.number, 1)
            i += 1
        cont_re = buildkit.CONTINUATION_RE[escape]

        while i < n:
            line = lines[i]
            content = line.content
            body = content.lstrip(GO_SPACE)
            if body.startswith("#"):
                yield _tok("COMMENT", content + line.eol, line.number, 1)
                i += 1
                continue
            m = cont_re.search(body)
            if m is None and not body:
                yield _tok("BLANK", content + line.eol, line.number, 1)
                i += 1
                continue

            # An instruction: gather its physical lines as (line, text start, text end, continued).
            start_line = line
            indent = len(content) - len(body)
            pieces: list[tuple[_Line, int, int, bool]] = []
            skipped: dict[int, list[Token]] = {}
            if m is None:
                pieces.append((line, indent, len(content), False))
            else:
                pieces.append((line, indent, m.start(), True))
            i += 1
            while pieces[-1][3] and i < n:
                line = lines[i]
                content = line.content
                stripped = content.lstrip(GO_SPACE)
                if stripped.startswith("#") or not stripped:
                    kind = "INNER_COMMENT" if stripped else "INNER_BLANK"
                    skipped.setdefault(len(pieces) - 1, []).append(_tok(kind, content + line.eol, line.number, 1))
                    i += 1
                    continue
                m = cont_re.search(content)
                if m is None:
                    pieces.append((line, 0, len(content), False))
                else:
                    pieces.append((line, 0, m.start(), True))
                i += 1

            logical = "".join(p[0].content[p[1] : p[2]] for p in pieces)
            yield from _instruction_tokens(start_line, pieces, skipped, logical)

            openers = _check_arguments(logical, start_line, escape)
            for opener in openers:
                body_start = i
                while i < n:
                    line = lines[i]
                    candidate = line.content.lstrip("\t") if opener.chomp else line.content
                    if candidate == opener.name:
                        break
                    i += 1
                else:
                    raise ParseError(
                        f"unterminated heredoc {opener.name!r}: no line {opener.name!r} after it",
                        start_line.number,
                        1,
                        start_line.content,
                    )
                if i > body_start:
                    body = "".join(ln.content + ln.eol for ln in lines[body_start:i])
                    yield _tok("HEREDOC_BODY", body, lines[body_start].number, 1)
                yield _tok("HEREDOC_END", line.content + line.eol, line.number, 1)
                i += 1


def _instruction_tokens(
    start_line: _Line,
    pieces: list[tuple[_Line, int, int, bool]],
    skipped: dict[int, list[Token]],
    logical: str,
) -> Iterator[Token]:
    """Cut the physical pieces into INDENT, KEYWORD and ARGS at the keyword's logical span."""
    k0 = len(logical) - len(logical.lstrip(GO_SPACE))
    m = buildkit.WHITESPACE_RE.search(logical, k0)
    k1 = m.start() if m else len(logical.rstrip(GO_SPACE))
    if k1 <= k0:
        raise ParseError("a line continuation with no instruction after it", start_line.number, 1, start_line.content)
    offset = 0
    first = True
    for index, (line, start, end, continued) in enumerate(pieces):
        content = line.content
        if first and start:
            yield _tok("INDENT", content[:start], line.number, 1)
        first = False
        p_end = offset + end - start
        if offset < k1 and p_end > k0:
            # This piece holds the keyword.
            if k0 > offset:
                yield _tok("INDENT", content[start : start + k0 - offset], line.number, start + 1)
            if k1 > p_end:
                raise ParseError(
                    "an instruction keyword split by a line continuation is not supported",
                    line.number,
                    start + k0 - offset + 1,
                    content,
                )
            yield _tok("KEYWORD", content[start + k0 - offset : start + k1 - offset], line.number, start + k0 - offset + 1)
            if end > start + k1 - offset:
                yield _tok("ARGS", content[start + k1 - offset : end], line.number, start + k1 - offset + 1)
        elif end > start:
            yield _tok("INDENT" if p_end <= k0 else "ARGS", content[start:end], line.number, start + 1)
        offset = p_end
        if continued:
            yield _tok("CONTINUATION", content[end:] + line.eol, line.number, end + 1)
            for tok in skipped.get(index, ()):
                yield tok
        else:
            yield _tok("EOL", line.eol, line.number, len(content) + 1)
    if pieces[-1][3]:
        # The file ended inside a continuation: close the instruction with an empty line end.
        last = pieces[-1][0]
        yield _tok("EOL", "", last.number, len(last.content) + len(last.eol) + 1)


# Instructions whose arguments BuildKit's parser can refuse, or that can open heredocs.
_CHECKED = frozenset({"env", "label", "healthcheck", "onbuild", "run", "copy", "add", "cmd", "entrypoint", "shell", "volume"})


_ALWAYS_CHECKED = frozenset({"env", "label", "onbuild"})


def _check_arguments(logical: str, start_line: _Line, escape: str) -> list[buildkit.HeredocOpener]:
    """BuildKit's parse-time argument checks, and canContainHeredoc + heredocsFromLine.

    Only the few instructions that can fail or open heredocs are split here;
    the rest are split lazily by the tree when a pass asks.
    """
    k0 = len(logical) - len(logical.lstrip(GO_SPACE))
    m = buildkit.WHITESPACE_RE.search(logical, k0)
    if m is None:
        return []
    keyword = logical[k0 : m.start()].lower()
    if keyword not in _CHECKED:
        return []
    if keyword not in _ALWAYS_CHECKED and "[" not in logical and "<<" not in logical:
        return []  # no JSON array to validate, no heredoc to open
    split = buildkit.split_command(logical)
    args = logical[split.args[0] : split.args[1]]
    try:
        if keyword == "onbuild" and args:
            sub = buildkit.split_command(args)
            keyword = args[sub.keyword[0] : sub.keyword[1]].lower()
            args = args[sub.args[0] : sub.args[1]]
        if keyword in ("env", "label"):
            buildkit.name_values(keyword.upper(), args, escape)
            return []
        if keyword == "healthcheck":
            args = buildkit.healthcheck_command(args)
        is_json = args.startswith("[") and buildkit.parse_json_array(args) is not None
    except (buildkit.ArgumentError, buildkit.NotStringArray) as exc:
        content = start_line.content
        raise ParseError(str(exc), start_line.number, len(content) - len(content.lstrip(GO_SPACE)) + 1, content) from None
    if is_json or keyword not in buildkit.HEREDOC_KEYWORDS or "<<" not in logical:
        return []
    return buildkit.heredoc_openers(logical)
