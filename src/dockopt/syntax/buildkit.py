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

import functools
import re

from .. import lazyre
from .record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import json

# Go's unicode.IsSpace, which BuildKit uses to trim lines. Python's str.isspace
# differs (it also counts \x1c-\x1f), so the set is spelled out.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_GO_SPACE_SET = frozenset(GO_SPACE)

# unicode.IsSpace(rune(line[pos])): the loops of extractBuilderFlags and
# parseHealthConfig look at single bytes, so of a character only an ASCII
# blank counts. (The bytes 0x85 and 0xA0 also count there, which splits a
# character whose UTF-8 form holds one; see the agreement tests' docstring.)
BYTE_SPACE = "\t\n\v\f\r "
_BYTE_SPACE_SET = frozenset(BYTE_SPACE)

# BuildKit's reWhitespace / tokenWhitespace: ASCII blanks only.
_INF = float("inf")
WHITESPACE_RE = lazyre.compile(r"[\t\v\f\r ]+")

# DirectiveParser's pattern; Go's \s is ASCII [\t\n\f\r ].
DIRECTIVE_RE = lazyre.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z", re.S)
KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})

HEREDOC_WORD_RE = lazyre.compile(r"([0-9]*)<<(-?)([^<]*)\Z", re.S)  # Go's \d is ASCII

#: Instructions whose arguments may open heredocs (BuildKit's heredocDirectives).
HEREDOC_KEYWORDS = frozenset({"run", "copy", "add"})


def continuation_re(escape: str) -> re.Pattern[str]:
    """BuildKit's lineContinuationRegex for one escape character.

    The escape character continues a line when it is the last non-blank
    character and is not itself escaped; a line holding only the escape
    character continues too.
    """
    e = re.escape(escape)
    return lazyre.compile(rf"(?:(?<=[^{e}])|^){e}[ \t]*\Z")


CONTINUATION_RE = {"\\": continuation_re("\\"), "`": continuation_re("`")}


def go_lstrip(s: str) -> str:
    """strings.TrimLeftFunc(s, unicode.IsSpace)."""
    return s.lstrip(GO_SPACE)


def go_strip(s: str) -> str:
    """strings.TrimSpace(s)."""
    return s.strip(GO_SPACE)


def go_lower(s: str) -> str:
    """strings.ToLower: rune by rune, without Python's special cases (U+0130, final sigma).

    BuildKit finds an instruction by its lower-cased keyword, so ``ENTRYPO\u0130NT``
    is ENTRYPOINT there.
    """
    if s.isascii():
        return s.lower()
    return s.replace("\u0130", "i").replace("\u03a3", "\u03c3").lower()


class Split(Record):
    """Where the keyword, flags and arguments sit in a logical line (offsets)."""

    _fields = ("keyword", "flags", "dashdash", "args")
    __slots__ = _fields
    keyword: tuple[int, int]
    flags: tuple[tuple[int, int, str], ...]  # (start, end, value with quotes removed)
    dashdash: tuple[int, int] | None
    args: tuple[int, int]

    def __init__(
        self,
        keyword: tuple[int, int],
        flags: tuple[tuple[int, int, str], ...],
        dashdash: tuple[int, int] | None,
        args: tuple[int, int],
    ) -> None:
        self._set(keyword, flags, dashdash, args)


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
        while pos < end and line[pos] in _BYTE_SPACE_SET:
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
                if ch in _BYTE_SPACE_SET:
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


_GO_SPACE_RUN = lazyre.compile(f"[{re.escape(GO_SPACE)}]+")
#: What Python's str.split() takes for whitespace beyond Go's unicode.IsSpace.
_PY_ONLY_SPACE = "\x1c\x1d\x1e\x1f"


def parse_words(rest: str, escape: str) -> list[str]:
    """parseWords: split ENV/LABEL/ARG arguments into words, quotes kept."""
    if "'" not in rest and '"' not in rest and escape not in rest:
        # Nothing quoted or escaped (the usual case): words are the runs between spaces. str.split()
        # splits at exactly Go's spaces unless the text holds one of the four it adds (no pattern to compile).
        if not any(c in rest for c in _PY_ONLY_SPACE):
            return rest.split()
        return [w for w in _GO_SPACE_RUN.split(rest) if w]
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


def _go_number(text: str) -> float:
    value = float(text)  # Go decodes every JSON number into a float64
    if value in (_INF, -_INF):
        raise ValueError("number out of range")  # Go's decoder fails; BuildKit falls back to shell form
    return value


@functools.cache
def _json_decoder() -> json.JSONDecoder:
    import json  # only for arrays _PLAIN_ARRAY_RE does not read: `dockopt rewrite -` (editors) starts without it

    return json.JSONDecoder(parse_constant=_reject_constant, parse_float=_go_number, parse_int=_go_number)


# The usual exec form, an array of strings without escapes or control characters
# (which JSON refuses unescaped), with JSON's whitespace: each string's value is
# the text between its quotes, as the decoder would read it.
_PLAIN_STRING = r'"[^"\\\x00-\x1f]*"'
_PLAIN_ARRAY_RE = lazyre.compile(
    rf"\[[ \t\n\r]*(?:{_PLAIN_STRING}[ \t\n\r]*(?:,[ \t\n\r]*{_PLAIN_STRING}[ \t\n\r]*)*)?\]"
)

# Lone surrogates (from ``\\udXXX`` escapes or undecodable bytes): Go's decoder
# turns each into U+FFFD.
_SURROGATE_RE = lazyre.compile("[\ud800-\udfff]")


def parse_json_array(rest: str) -> list[str] | None:
    """parseJSON: the exec-form array, or None when the text is not JSON.

    Like Go's json.Decoder, only the first value is read; text after the
    closing bracket is ignored. Raises NotStringArray for ``["a", 1]`` and
    nested arrays, which BuildKit refuses rather than falling back.
    """
    rest = go_lstrip(rest)
    if not rest.startswith("["):
        return None
    plain = _PLAIN_ARRAY_RE.match(rest)
    if plain is not None:
        value: object = plain.group().split('"')[1::2]
    else:
        try:
            value, _ = _json_decoder().raw_decode(rest)
        except ValueError:
            return None
    if not isinstance(value, list):
        return None
    for item in value:
        if not isinstance(item, str):
            raise NotStringArray("when using JSON array syntax, arrays must be comprised of strings only")
    return [item if item.isascii() else _SURROGATE_RE.sub("\ufffd", item) for item in value]


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
    """parseHealthConfig: the text after the first word (``CMD`` or ``NONE``).

    The Go loop reads bytes, so only ASCII blanks separate the word.
    """
    sep = 0
    while sep < len(args) and args[sep] not in _BYTE_SPACE_SET:
        sep += 1
    return args[sep:].lstrip(BYTE_SPACE)


def whitespace_fields(rest: str) -> list[str]:
    """parseStringsWhitespaceDelimited (regexp split, empty text gives none)."""
    if not rest:
        return []
    return WHITESPACE_RE.split(rest)


class ShellSyntaxError(ValueError):
    """BuildKit's shell lexer gave up on a word (an open quote, a bad ``${...}``)."""


_SPECIAL_PARAMS = frozenset("@*#?-$!0")


class _ShellWords:
    """The wordsStruct of BuildKit's shell lexer: how characters become words."""

    __slots__ = ("in_word", "word", "words")

    def __init__(self) -> None:
        self.word = ""
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in _GO_SPACE_SET:
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        else:
            self.word += ch
            self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def get(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
            self.in_word = False
        return self.words


class _ShellLexer:
    """shell.Lex.ProcessWords as heredoc detection calls it (BuildKit v0.12).

    Escape token ``\\``, no variables set and SkipUnsetEnv, so an expansion
    gives back its own text; only the word splitting and the syntax errors
    matter here. Empty words are dropped, and unquoted Unicode spaces split
    words, as in Go.
    """

    __slots__ = ("n", "pos", "raw_escapes", "raw_quotes", "text")

    def __init__(self, text: str, raw_quotes: bool, raw_escapes: bool) -> None:
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes

    def stop_on(self, stop: str | None) -> tuple[str, list[str]]:
        text, n = self.text, self.n
        result: list[str] = []
        words = _ShellWords()
        while self.pos < n:
            ch = text[self.pos]
            if ch == stop:
                self.pos += 1
                return "".join(result), words.get()
            if ch == "$":
                tmp = self._dollar()
                result.append(tmp)
                words.add_string(tmp)
            elif ch == "'":
                tmp = self._single_quote()
                result.append(tmp)
                words.add_raw(tmp)
            elif ch == '"':
                tmp = self._double_quote()
                result.append(tmp)
                words.add_raw(tmp)
            else:
                self.pos += 1
                if ch == "\\":
                    if self.raw_escapes:
                        words.add_raw(ch)
                        result.append(ch)
                    if self.pos >= n:
                        break
                    ch = text[self.pos]
                    self.pos += 1
                    words.add_raw(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop is not None:
            raise ShellSyntaxError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.get()

    def _single_quote(self) -> str:
        text = self.text
        start = self.pos
        end = text.find("'", start + 1)
        if end < 0:
            raise ShellSyntaxError("unexpected end of statement while looking for matching single-quote")
        self.pos = end + 1
        return text[start : end + 1] if self.raw_quotes else text[start + 1 : end]

    def _double_quote(self) -> str:
        text, n = self.text, self.n
        out = ['"'] if self.raw_quotes else []
        self.pos += 1
        while True:
            if self.pos >= n:
                raise ShellSyntaxError("unexpected end of statement while looking for matching double-quote")
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
                continue
            self.pos += 1
            if ch == "\\":
                if self.raw_escapes:
                    out.append(ch)
                if self.pos >= n:
                    continue  # the loop then reports the missing quote
                if text[self.pos] in '"$\\':
                    ch = text[self.pos]
                    self.pos += 1
            out.append(ch)

    def _dollar(self) -> str:
        text, n = self.text, self.n
        self.pos += 1
        if self.pos >= n or text[self.pos] != "{":
            name = self._name()
            return "$" + name
        self.pos += 1
        if self.pos >= n:
            raise ShellSyntaxError("syntax error: missing '}'")
        if text[self.pos] in "{}:":
            raise ShellSyntaxError("syntax error: bad substitution")
        name = self._name()
        if self.pos >= n:
            raise ShellSyntaxError("missing ':' in substitution")
        ch = text[self.pos]
        self.pos += 1
        if ch == "}":
            return "${" + name + "}"
        if ch == ":":
            modifier = text[self.pos] if self.pos < n else ""
            self.pos += 1
            chs = ":" + modifier
        elif ch in "+-?":
            chs = ch
        else:
            raise ShellSyntaxError("missing ':' in substitution")
        try:
            word, _ = self.stop_on("}")
        except ShellSyntaxError:
            if self.pos >= n:
                raise ShellSyntaxError("syntax error: missing '}'") from None
            raise
        return "${" + name + chs + word + "}"

    def _name(self) -> str:
        text, n = self.text, self.n
        start = self.pos
        if start < n:
            ch = text[start]
            if ch.isdecimal():
                while self.pos < n and text[self.pos].isdecimal():
                    self.pos += 1
                return text[start : self.pos]
            if ch in _SPECIAL_PARAMS:
                self.pos += 1
                return ch
        while self.pos < n:
            ch = text[self.pos]
            if not (ch.isalpha() or ch.isdecimal() or ch == "_"):
                break
            self.pos += 1
        return text[start : self.pos]


def shell_words(text: str, *, raw_quotes: bool, raw_escapes: bool) -> list[str]:
    """ProcessWords of BuildKit's shell lexer, as heredoc detection configures it.

    Raises ShellSyntaxError where Go returns an error.
    """
    return _ShellLexer(text, raw_quotes, raw_escapes).stop_on(None)[1]


def shell_words_raw(line: str) -> list[str]:
    """Words of a line with RawQuotes and RawEscapes: quotes and backslashes stay
    in the words (how heredocsFromLine splits an instruction line)."""
    return shell_words(line, raw_quotes=True, raw_escapes=True)


def shell_unquote_words(text: str) -> list[str]:
    """The same split with quotes and escapes processed (the heredoc name)."""
    return shell_words(text, raw_quotes=False, raw_escapes=False)


class HeredocOpener(Record):
    """A ``<<NAME`` word on a RUN/COPY/ADD line (BuildKit's Heredoc minus content)."""

    _fields = ("name", "chomp", "expand", "fd")
    __slots__ = _fields
    name: str
    chomp: bool  # <<- : leading tabs are stripped from body and terminator
    expand: bool  # unquoted delimiter: the body is subject to expansion
    fd: int

    def __init__(self, name: str, chomp: bool, expand: bool, fd: int) -> None:
        self._set(name, chomp, expand, fd)


def heredoc_openers(line: str) -> list[HeredocOpener]:
    """heredocsFromLine + ParseHeredoc: the heredocs a logical line opens, in order.

    A line the shell lexer cannot split opens none (Go ignores that error);
    a heredoc word it cannot read raises ShellSyntaxError (Go fails the parse).
    """
    try:
        words = shell_words_raw(line)
    except ShellSyntaxError:
        return []
    openers = []
    for word in words:
        m = HEREDOC_WORD_RE.match(word)
        if m is None or not m.group(3):
            continue
        rest = m.group(3)
        names = shell_words(rest, raw_quotes=False, raw_escapes=False)
        if len(names) != 1:
            continue
        raw = shell_words(rest, raw_quotes=True, raw_escapes=False)
        if len(raw) != 1:
            raise ShellSyntaxError(f"internal lexing of heredoc produced inconsistent results: {rest}")
        name = names[0]
        quotes_raw = raw[0].count("'") + raw[0].count('"')
        quotes_name = name.count("'") + name.count('"')
        fd = int(m.group(1)) if m.group(1) else 0
        openers.append(HeredocOpener(name, m.group(2) == "-", quotes_raw == quotes_name, fd))
    return openers
