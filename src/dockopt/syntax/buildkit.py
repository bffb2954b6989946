"""BuildKit's line-level rules, restated in Python.

dockopt must read a Dockerfile exactly as BuildKit's parser
(``frontend/dockerfile/parser`` in moby/buildkit) reads it, or a rewrite could
change what gets built. This module holds the small, fiddly rules that decide
that reading: which characters are whitespace, when a line continues, how the
keyword, ``--flags`` and arguments are split, how ENV/LABEL/ARG words and JSON
exec form are parsed, and which words open a heredoc. Each function follows the
behaviour of the Go function named in its docstring; the agreement tests in
``tests/syntax/test_buildkit_agreement.py`` check them against BuildKit itself.

They are written by hand because no Python library implements BuildKit's
quirks (the ``dockerfile`` package wraps the Go parser but keeps no source
positions, so it cannot give a lossless tree).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Go's unicode.IsSpace, which BuildKit uses to trim lines. Python's str.isspace
# differs (it also counts \x1c-\x1f), so the set is spelled out.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_GO_SPACE_SET = frozenset(GO_SPACE)

# BuildKit's reWhitespace / tokenWhitespace: ASCII blanks only.
WHITESPACE_RE = re.compile(r"[\t\v\f\r ]+")

# DirectiveParser's pattern; Go's \s is ASCII [\t\n\f\r ].
DIRECTIVE_RE = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z", re.S)
KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})

HEREDOC_WORD_RE = re.compile(r"(\d*)<<(-?)([^<]*)\Z", re.S)

#: Instructions whose arguments may open heredocs (BuildKit's heredocDirectives).
HEREDOC_KEYWORDS = frozenset({"run", "copy", "add"})


def continuation_re(escape: str) -> re.Pattern[str]:
    """BuildKit's lineContinuationRegex for one escape character.

    The escape character continues a line when it is the last non-blank
    character and is not itself escaped; a line holding only the escape
    character continues too.
    """
    e = re.escape(escape)
    return re.compile(rf"(?:(?<=[^{e}])|^){e}[ \t]*\Z")


CONTINUATION_RE = {"\\": continuation_re("\\"), "`": continuation_re("`")}


def go_lstrip(s: str) -> str:
    """strings.TrimLeftFunc(s, unicode.IsSpace)."""
    return s.lstrip(GO_SPACE)


def go_strip(s: str) -> str:
    """strings.TrimSpace(s)."""
    return s.strip(GO_SPACE)


@dataclass(frozen=True, slots=True)
class Split:
    """Where the keyword, flags and arguments sit in a logical line (offsets)."""

    keyword: tuple[int, int]
    flags: tuple[tuple[int, int, str], ...]  # (start, end, value with quotes removed)
    dashdash: tuple[int, int] | None
    args: tuple[int, int]


def split_command(line: str) -> Split:
    """splitCommand + extractBuilderFlags: keyword, ``--flags``, arguments.

    Offsets index into ``line`` (the logical line: continuations joined, the
    first physical line's indentation removed).
    """
    start = len(line) - len(go_lstrip(line))
    end = len(go_strip(line)) + start if line[start:] else start
    m = WHITESPACE_RE.search(line, start, end)
    if m is None:
        return Split((start, end), (), None, (end, end))
    keyword = (start, m.start())
    flags, dashdash, args_start = _extract_flags(line, m.end(), end)
    args_start += len(line[args_start:end]) - len(go_lstrip(line[args_start:end]))
    return Split(keyword, flags, dashdash, (args_start, end))


def _extract_flags(line: str, pos: int, end: int) -> tuple[tuple[tuple[int, int, str], ...], tuple[int, int] | None, int]:
    """extractBuilderFlags: leading ``--name[=value]`` words, quote-aware."""
    flags: list[tuple[int, int, str]] = []
    while True:
        while pos < end and line[pos] in _GO_SPACE_SET:
            pos += 1
        if pos >= end or not line.startswith("--", pos) or pos + 2 > end:
            return tuple(flags), None, pos
        if pos + 1 == end:  # a lone "-" at the end
            return tuple(flags), None, pos
        start = pos
        chars: list[str] = []
        quote = ""
        blank_ok = False
        while pos < end:
            ch = line[pos]
            if not quote:
                if ch in _GO_SPACE_SET:
                    break
                if ch == "'" or ch == '"':
                    quote = ch
                    blank_ok = True
                    pos += 1
                    continue
            elif ch == quote:
                quote = ""
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == end:
                    pos += 1
                    quote = ""
                    continue
                pos += 1
                ch = line[pos]
            chars.append(ch)
            pos += 1
        word = "".join(chars)
        if word == "--":
            return tuple(flags), (start, pos), pos
        if blank_ok or word:
            flags.append((start, pos, word))
        if pos >= end:
            return tuple(flags), None, end


def parse_words(rest: str, escape: str) -> list[str]:
    """parseWords: split ENV/LABEL/ARG arguments into words, quotes kept."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote = ""
    blank_ok = False
    n = len(rest)
    pos = 0
    while pos < n:
        ch = rest[pos]
        if not in_word:
            if ch in _GO_SPACE_SET:
                pos += 1
                continue
            in_word = True
        if not quote:
            if ch in _GO_SPACE_SET:
                in_word = False
                if blank_ok or word:
                    words.append("".join(word))
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch == "'" or ch == '"':
                quote = ch
                blank_ok = True
            elif ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        if ch == quote:
            quote = ""
        elif ch == escape and quote != "'":
            if pos + 1 == n:
                quote = ""
                pos += 1
                continue
            word.append(ch)
            pos += 1
            ch = rest[pos]
        word.append(ch)
        pos += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


class NotStringArray(ValueError):
    """A JSON array with a non-string element: BuildKit rejects the file."""


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # Go's encoding/json has no NaN or Infinity


_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def parse_json_array(rest: str) -> list[str] | None:
    """parseJSON: the exec-form array, or None when the text is not JSON.

    Like Go's json.Decoder, only the first value is read; text after the
    closing bracket is ignored. Raises NotStringArray for ``["a", 1]`` and
    nested arrays, which BuildKit refuses rather than falling back.
    """
    rest = go_lstrip(rest)
    if not rest.startswith("["):
        return None
    try:
        value, _ = _JSON.raw_decode(rest)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    for item in value:
        if not isinstance(item, str):
            raise NotStringArray("when using JSON array syntax, arrays must be comprised of strings only")
    return value


class ArgumentError(ValueError):
    """An instruction whose arguments BuildKit's parser refuses."""


def name_values(keyword: str, rest: str, escape: str) -> list[tuple[str, str]]:
    """parseNameVal for ENV and LABEL: ``K V`` (legacy) or ``K=V ...`` pairs.

    Values keep their quotes, as in BuildKit's AST; quote removal happens
    when the instruction is evaluated.
    """
    words = parse_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = WHITESPACE_RE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ArgumentError(f"{keyword} must have two arguments")
        return [(parts[0], parts[1])]
    pairs = []
    for word in words:
        if "=" not in word:
            raise ArgumentError(f"Syntax error - can't find = in {word!r}. Must be of the form: name=value")
        key, _, value = word.partition("=")
        pairs.append((key, value))
    return pairs


def is_legacy_name_value(rest: str, escape: str) -> bool:
    """True for ``ENV KEY value`` (one pair, space-separated)."""
    words = parse_words(rest, escape)
    return bool(words) and "=" not in words[0]


def healthcheck_command(args: str) -> str:
    """parseHealthConfig: the text after the first word (``CMD`` or ``NONE``)."""
    sep = 0
    while sep < len(args) and args[sep] not in _GO_SPACE_SET:
        sep += 1
    return args[sep:].lstrip(GO_SPACE)


def whitespace_fields(rest: str) -> list[str]:
    """parseStringsWhitespaceDelimited (regexp split, empty text gives none)."""
    if not rest:
        return []
    return WHITESPACE_RE.split(rest)


def shell_words_raw(line: str) -> list[str]:
    """Words of a line as BuildKit's shell lexer splits them with RawQuotes and
    RawEscapes: quotes and backslashes stay in the words. Used only to find
    heredoc openers, so ``$``-expansion (a no-op with no variables set) is not
    modelled.
    """
    words: list[str] = []
    word: list[str] = []
    quote = ""
    started = False
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            word.append(ch)
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < n:
                i += 1
                word.append(line[i])
            i += 1
            continue
        if ch in " \t\r\n":
            if started:
                words.append("".join(word))
                word = []
                started = False
            i += 1
            continue
        started = True
        word.append(ch)
        if ch == "'" or ch == '"':
            quote = ch
        elif ch == "\\" and i + 1 < n:
            i += 1
            word.append(line[i])
        i += 1
    if started:
        words.append("".join(word))
    return words


def shell_unquote_words(text: str) -> list[str]:
    """The same split with quotes and escapes processed (the heredoc name)."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    started = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                word.append(ch)
            i += 1
            continue
        if quote == '"':
            if ch == '"':
                quote = ""
            elif ch == "\\" and i + 1 < n:
                i += 1
                word.append(text[i])
            else:
                word.append(ch)
            i += 1
            continue
        if ch in " \t\r\n":
            if started:
                words.append("".join(word))
                word = []
                started = False
            i += 1
            continue
        started = True
        if ch == "'" or ch == '"':
            quote = ch
        elif ch == "\\" and i + 1 < n:
            i += 1
            word.append(text[i])
        else:
            word.append(ch)
        i += 1
    if started:
        words.append("".join(word))
    return words


@dataclass(frozen=True, slots=True)
class HeredocOpener:
    """A ``<<NAME`` word on a RUN/COPY/ADD line (BuildKit's Heredoc minus content)."""

    name: str
    chomp: bool  # <<- : leading tabs are stripped from body and terminator
    expand: bool  # unquoted delimiter: the body is subject to expansion
    fd: int


def heredoc_openers(line: str) -> list[HeredocOpener]:
    """heredocsFromLine: the heredocs a logical line opens, in order."""
    openers = []
    for word in shell_words_raw(line):
        m = HEREDOC_WORD_RE.match(word)
        if m is None or not m.group(3):
            continue
        rest = m.group(3)
        names = shell_unquote_words(rest)
        if len(names) != 1:
            continue
        name = names[0]
        quotes_raw = rest.count("'") + rest.count('"')
        quotes_name = name.count("'") + name.count('"')
        fd = int(m.group(1)) if m.group(1) else 0
        openers.append(HeredocOpener(name, m.group(2) == "-", quotes_raw == quotes_name, fd))
    return openers
