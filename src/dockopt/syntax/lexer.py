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

from . import buildkit
from .buildkit import GO_SPACE, go_lower
from .errors import ParseError
from .tokens import Token

BOM = "\ufeff"

#: bufio.MaxScanTokenSize: BuildKit's line scanner holds at most this many
#: bytes of one line, line ending included.
MAX_LINE_BYTES = 65536


class _Line:
    """One physical line: content (no ending) and its ending (``\\r*\\n`` or empty)."""

    __slots__ = ("content", "eol", "number")

    def __init__(self, content: str, eol: str, number: int) -> None:
        self.content = content
        self.eol = eol
        self.number = number


def split_lines(text: str) -> list[_Line]:
    """Split on ``\\n`` only, as bufio's scanLines does; trailing ``\\r`` go with the ending."""
    contents, eols = _split(text)
    return [_Line(c, e, i + 1) for i, (c, e) in enumerate(zip(contents, eols, strict=True))]


def _split(text: str) -> tuple[list[str], list[str]]:
    """Physical lines as two lists: contents (no ending) and endings (``\\r*\\n``, or empty at the end)."""
    contents = text.split("\n")
    if contents[-1]:
        eols = ["\n"] * (len(contents) - 1) + [""]
    else:
        contents.pop()
        eols = ["\n"] * len(contents)
    if "\r" in text:
        for i, part in enumerate(contents):
            if part.endswith("\r"):
                content = part.rstrip("\r")
                contents[i] = content
                eols[i] = part[len(content) :] + eols[i]
    return contents, eols


def _utf8_len(s: str) -> int:
    try:
        return len(s.encode("utf-8", "surrogateescape"))  # bytes that were not UTF-8 count one each
    except UnicodeEncodeError:
        return len(s.encode("utf-8", "surrogatepass"))


def _first_too_long(contents: list[str], eols: list[str], bom: bool) -> int | None:
    """Index of the first line bufio.Scanner cannot hold ("dockerfile line greater than max allowed size").

    A line ending in ``\\n`` may take MAX_LINE_BYTES with its ending; the last
    line without one a byte less (the scanner needs room to see the end).
    """
    for index, content in enumerate(contents):
        eol = eols[index]
        if (len(content) + len(eol)) * 4 < MAX_LINE_BYTES - 4:
            continue
        size = _utf8_len(content) + len(eol) + (3 if bom and index == 0 else 0)
        if not eol.endswith("\n"):
            size += 1
        if size > MAX_LINE_BYTES:
            return index
    return None


_new_str = str.__new__


def _tok(kind: str, text: str, line: int, column: int) -> Token:
    # Token(...) without the call overhead of __new__'s keyword handling: this is the hot path.
    tok = _new_str(Token, text)
    tok.type = kind
    tok.line = line
    tok.column = column
    return tok


def _continues(body: str, escape: str) -> int:
    """BuildKit's lineContinuationRegex on a line: where the continuing escape character is, or -1.

    The escape character continues a line when only blanks (space, tab) follow
    it and it is not itself escaped; a line holding only the escape character
    continues too. (Same as ``buildkit.CONTINUATION_RE``, without a regex search.)
    """
    r = body.rstrip(" \t")
    if r.endswith(escape) and (len(r) == 1 or r[-2] != escape):
        return len(r) - 1
    return -1


class DockerfileLexer:
    """``lex(text)`` yields the grammar's terminals; it keeps no state between calls."""

    def lex(self, text: str) -> Iterator[Token]:
        contents, eols = _split(text)
        n = len(contents)
        i = 0
        tok = _tok
        bom = text.startswith(BOM)
        if bom:
            yield tok("BOM", BOM, 1, 1)
            if contents:
                contents[0] = contents[0][1:]
        too_long = _first_too_long(contents, eols, bom) if len(text) * 4 >= MAX_LINE_BYTES else None
        if too_long is not None:
            n = too_long  # BuildKit's scanner stops there; what it read so far is still checked
        any_instruction = False

        # Parser directives: a prefix of lines that match the directive pattern.
        seen: set[str] = set()
        escape = "\\"
        while i < n:
            content = contents[i]
            stripped = buildkit.go_lstrip(content)
            # Only a comment can be a directive: most files start with FROM, and need not compile the pattern.
            m = buildkit.DIRECTIVE_RE.match(stripped) if stripped.startswith("#") else None
            if m is None or m.group(1).lower() not in buildkit.KNOWN_DIRECTIVES:
                break
            key = m.group(1).lower()
            if key in seen:
                raise ParseError(f"only one {key} parser directive can be used", i + 1, 1, content)
            seen.add(key)
            if key == "escape":
                value = m.group(2)
                if value not in ("\\", "`"):
                    col = content.rfind(value) + 1
                    raise ParseError(f"invalid escape token '{value}' does not match ` or \\", i + 1, col, content)
                escape = value
            yield tok("DIRECTIVE", content + eols[i], i + 1, 1)
            i += 1

        find_space = buildkit.WHITESPACE_RE.search
        while i < n:
            content = contents[i]
            body = content.lstrip(GO_SPACE)
            if not body:
                yield tok("BLANK", content + eols[i], i + 1, 1)
                i += 1
                continue
            if body[0] == "#":
                yield tok("COMMENT", content + eols[i], i + 1, 1)
                i += 1
                continue
            any_instruction = True
            start = i
            indent = len(content) - len(body)
            cut = _continues(body, escape)
            if cut < 0:
                # One physical line (most instructions): INDENT? KEYWORD ARGS? EOL.
                if indent:
                    yield tok("INDENT", content[:indent], i + 1, 1)
                m = find_space(body)
                k1 = m.start() if m is not None else len(body.rstrip(GO_SPACE))
                yield tok("KEYWORD", body[:k1], i + 1, indent + 1)
                if k1 < len(body):
                    yield tok("ARGS", body[k1:], i + 1, indent + k1 + 1)
                yield tok("EOL", eols[i], i + 1, len(content) + 1)
                i += 1
                if m is None:
                    continue  # a keyword alone: nothing to check
                keyword = go_lower(body[:k1])
                if keyword not in _CHECKED:
                    continue
                logical = body
            else:
                # Gather the physical lines as (index, text start, text end, continued).
                pieces: list[tuple[int, int, int, bool]] = [(i, indent, indent + cut, True)]
                skipped: dict[int, list[Token]] = {}
                i += 1
                while i < n:
                    content = contents[i]
                    stripped = content.lstrip(GO_SPACE)
                    if not stripped or stripped[0] == "#":
                        kind = "INNER_COMMENT" if stripped else "INNER_BLANK"
                        skipped.setdefault(len(pieces) - 1, []).append(tok(kind, content + eols[i], i + 1, 1))
                        i += 1
                        continue
                    cut = _continues(content, escape)
                    i += 1
                    if cut < 0:
                        pieces.append((i - 1, 0, len(content), False))
                        break
                    pieces.append((i - 1, 0, cut, True))
                logical = "".join(contents[p[0]][p[1] : p[2]] for p in pieces)
                yield from _instruction_tokens(contents, eols, pieces, skipped, logical)
                k0 = len(logical) - len(logical.lstrip(GO_SPACE))
                m = find_space(logical, k0)
                if m is None:
                    continue
                keyword = go_lower(logical[k0 : m.start()])
                if keyword not in _CHECKED:
                    continue

            openers = _check_arguments(keyword, logical, start, contents[start], escape)
            for opener in openers:
                body_start = i
                name, chomp = opener.name, opener.chomp
                while i < n:
                    candidate = contents[i].lstrip("\t") if chomp else contents[i]
                    if candidate == name:
                        break
                    i += 1
                else:
                    raise ParseError(
                        f"unterminated heredoc {name!r}: no line {name!r} after it",
                        start + 1,
                        1,
                        contents[start],
                    )
                if i > body_start:
                    text_ = "".join(c + e for c, e in zip(contents[body_start:i], eols[body_start:i], strict=True))
                    yield tok("HEREDOC_BODY", text_, body_start + 1, 1)
                yield tok("HEREDOC_END", contents[i] + eols[i], i + 1, 1)
                i += 1

        if too_long is not None:
            content = contents[too_long]
            if not any_instruction:
                raise ParseError("file with no instructions", too_long + 1, 1, content)
            raise ParseError(
                f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES - 1}", too_long + 1, 1, content[:200]
            )


def _instruction_tokens(
    contents: list[str],
    eols: list[str],
    pieces: list[tuple[int, int, int, bool]],
    skipped: dict[int, list[Token]],
    logical: str,
) -> Iterator[Token]:
    """Cut the physical pieces of a continued instruction into INDENT, KEYWORD and ARGS at the keyword's logical span."""
    k0 = len(logical) - len(logical.lstrip(GO_SPACE))
    m = buildkit.WHITESPACE_RE.search(logical, k0)
    k1 = m.start() if m else len(logical.rstrip(GO_SPACE))
    first_index = pieces[0][0]
    if k1 <= k0:
        raise ParseError("a line continuation with no instruction after it", first_index + 1, 1, contents[first_index])
    offset = 0
    first = True
    for index, (li, start, end, continued) in enumerate(pieces):
        content = contents[li]
        number = li + 1
        if first and start:
            yield _tok("INDENT", content[:start], number, 1)
        first = False
        p_end = offset + end - start
        if offset < k1 and p_end > k0:
            # This piece holds the keyword.
            if k0 > offset:
                yield _tok("INDENT", content[start : start + k0 - offset], number, start + 1)
            if k1 > p_end:
                raise ParseError(
                    "an instruction keyword split by a line continuation is not supported",
                    number,
                    start + k0 - offset + 1,
                    content,
                )
            yield _tok("KEYWORD", content[start + k0 - offset : start + k1 - offset], number, start + k0 - offset + 1)
            if end > start + k1 - offset:
                yield _tok("ARGS", content[start + k1 - offset : end], number, start + k1 - offset + 1)
        elif end > start:
            yield _tok("INDENT" if p_end <= k0 else "ARGS", content[start:end], number, start + 1)
        offset = p_end
        if continued:
            yield _tok("CONTINUATION", content[end:] + eols[li], number, end + 1)
            yield from skipped.get(index, ())
        else:
            yield _tok("EOL", eols[li], number, len(content) + 1)
    if pieces[-1][3]:
        # The file ended inside a continuation: close the instruction with an empty line end,
        # on the last line read (BuildKit's end line counts the comment/blank lines skipped).
        li = pieces[-1][0]
        after = skipped.get(len(pieces) - 1)
        if after:
            yield _tok("EOL", "", after[-1].line or li + 1, len(after[-1]) + 1)
        else:
            yield _tok("EOL", "", li + 1, len(contents[li]) + len(eols[li]) + 1)


# Instructions whose arguments BuildKit's parser can refuse, or that can open heredocs.
_CHECKED = frozenset({"env", "label", "healthcheck", "onbuild", "run", "copy", "add", "cmd", "entrypoint", "shell", "volume"})


_ALWAYS_CHECKED = frozenset({"env", "label", "onbuild"})


def _check_arguments(
    keyword: str, logical: str, start: int, first_line: str, escape: str
) -> list[buildkit.HeredocOpener]:
    """BuildKit's parse-time argument checks, and canContainHeredoc + heredocsFromLine.

    ``keyword`` is the instruction's keyword in lower case, one of _CHECKED.
    Only the few instructions that can fail or open heredocs are split here;
    the rest are split lazily by the tree when a pass asks.
    """
    if keyword not in _ALWAYS_CHECKED and "[" not in logical and "<<" not in logical:
        return []  # no JSON array to validate, no heredoc to open
    split = buildkit.split_command(logical)
    args = logical[split.args[0] : split.args[1]]
    try:
        nested = 0
        while keyword == "onbuild" and args:  # parseSubCommand, nested ONBUILD included
            nested += 1
            sub = buildkit.split_command(args)
            keyword = go_lower(args[sub.keyword[0] : sub.keyword[1]])
            args = args[sub.args[0] : sub.args[1]]
        if keyword not in _CHECKED or keyword == "onbuild":
            return []
        if keyword in ("env", "label"):
            buildkit.name_values(keyword.upper(), args, escape)
            return []
        if keyword == "healthcheck":
            args = buildkit.healthcheck_command(args)
        is_json = "[" in args and buildkit.parse_json_array(args) is not None
        if is_json or keyword not in buildkit.HEREDOC_KEYWORDS or "<<" not in logical or nested > 1:
            return []  # canContainHeredoc looks one ONBUILD deep only
        return buildkit.heredoc_openers(logical)
    except (buildkit.ArgumentError, buildkit.NotStringArray, buildkit.ShellSyntaxError) as exc:
        column = len(first_line) - len(first_line.lstrip(GO_SPACE)) + 1
        raise ParseError(str(exc), start + 1, column, first_line) from None
