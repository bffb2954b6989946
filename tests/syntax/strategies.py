"""Hypothesis strategies for Dockerfile-like text.

``dockerfiles()`` draws whole files that look like what people write, plus the
corners where a parser goes wrong: every keyword in any letter case, builder
flags with quotes and escapes, JSON and shell forms (valid and broken), line
continuations with both escape characters (and the matching ``# escape=``
directive), comment and blank lines inside continuations, heredocs of every
kind (terminated or not), CRLF and mixed line endings, a BOM, trailing
whitespace, no final newline, random Unicode and junk lines.

Every file is built from physical lines, so the text stays "Dockerfile-like"
enough that BuildKit accepts a good share of it; the rest is what the
rejection agreement is about.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

KEYWORDS = (
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
)
UNKNOWN_KEYWORDS = ("FOO", "CROSS", "RUNX", "frOm2", "é", "-", "[", "#x")

#: Characters that BuildKit's reference (a C string, then Go) can carry; NUL and
#: lone surrogates are drawn only when ``unsafe=True``.
_SAFE_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r")
_UNSAFE_TEXT = st.characters(blacklist_characters="\n\r")

# Characters with a meaning somewhere in the syntax, and a few that Go and
# Python classify differently (Unicode spaces, NEL, NBSP, \x1c-\x1f, a digit
# that is not ASCII, characters whose UTF-8 form holds the bytes 0x85/0xA0).
_PUNCT = [*list(" \t\x0b\x0c'\"\\`$={}[],:-<>#&|;*?!@%^~/."), "\u3000", "\xa0", "\x85", "\x1c", "٣", "é", "à", "ą", "✓"]
_VALUES = ["", "v", '"a b"', "'c d'", "x\\ y", '"q\\"r"', "$V", '"unterminated', "a\\"]
_PLAIN = st.text(st.sampled_from("abcxyzEOF019_./:-+"), min_size=1, max_size=6)


@st.composite
def _noise(draw: st.DrawFn, unsafe: bool) -> str:
    alphabet = _UNSAFE_TEXT if unsafe else _SAFE_TEXT
    return draw(st.text(st.one_of(alphabet, st.sampled_from(_PUNCT)), max_size=8))


@st.composite
def _word(draw: st.DrawFn, unsafe: bool) -> str:
    """One shell-ish word."""
    kind = draw(st.integers(0, 13))
    plain = draw(_PLAIN)
    if kind <= 4:
        return plain
    if kind == 5:
        return f"'{draw(_noise(unsafe))}'".replace("\\\n", "")
    if kind == 6:
        return f'"{draw(_noise(unsafe))}"'
    if kind == 7:
        return draw(st.sampled_from(["$HOME", "${X}", "${X:-a b}", "${X:-'q'}", "${", "${}", "$1", "${X?}", "a\\ b", "\\\\", "\\"]))
    if kind == 8:
        value = draw(st.sampled_from(_VALUES))
        return f"{plain}={value}"
    if kind == 9:
        return draw(_json_array(unsafe))
    if kind == 10:
        return draw(_heredoc_word())[0]
    if kind == 11:
        return draw(st.sampled_from(["&&", "||", "|", ";", ">", "2>&1", "#", "# not a comment", "<<", "<<<x", "=", "--"]))
    return draw(_noise(unsafe)) or plain


@st.composite
def _json_array(draw: st.DrawFn, unsafe: bool) -> str:
    items = draw(
        st.lists(
            st.one_of(
                _PLAIN.map(lambda s: f'"{s}"'),
                _noise(unsafe).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
                st.sampled_from(['"a b"', '"\\u00e9"', '"\\ud800"', '"<<EOF"', "1", "1e999", "true", "null", "[]", '["x"]', '"\\x"', "NaN"]),
            ),
            max_size=3,
        )
    )
    sep = draw(st.sampled_from([", ", ",", " , ", "\u3000,"]))
    text = "[" + sep.join(items) + "]"
    tail = draw(st.sampled_from(["", "", "", " trailing", "]", ",", "x"]))
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]  # cut short: not JSON
    return draw(st.sampled_from(["", "", " ", "\u3000"])) + text + tail


@st.composite
def _heredoc_word(draw: st.DrawFn) -> tuple[str, str | None, bool]:
    """A ``<<WORD`` opener: (text, terminator line or None when there is no name, chomp)."""
    name = draw(st.sampled_from(["EOF", "EOT", "END", "x", "E-F", "e.txt", "$N", "E;F"]))
    fd = draw(st.sampled_from(["", "", "", "3", "10", "0"]))
    chomp = draw(st.booleans())
    quote = draw(st.sampled_from(["", "", "'", '"', "'", "half"]))
    if quote == "half":
        quoted = f'E"{name}"'
        term = f"E{name}"
    elif quote:
        quoted = f"{quote}{name}{quote}"
        term = name
    else:
        quoted = name
        term = name
    return f"{fd}<<{'-' if chomp else ''}{quoted}", term, chomp


def _keyword(draw: st.DrawFn) -> str:
    kw = draw(st.sampled_from(UNKNOWN_KEYWORDS)) if draw(st.integers(0, 11)) == 0 else draw(st.sampled_from(KEYWORDS))
    case = draw(st.integers(0, 5))
    if case == 0:
        return kw.lower()
    if case == 1:
        return "".join(c.lower() if draw(st.booleans()) else c for c in kw)
    return kw


@st.composite
def _flags(draw: st.DrawFn) -> list[str]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(["from", "chown", "mount", "link", "platform", "interval", "network", "x", ""]))
        value = draw(
            st.sampled_from(
                [None, "", "build", "type=cache,target=/root/.cache", '"a b"', "'c d'", "x\\ y", '"q\\"r"', "é", "a=b", "\\"]
            )
        )
        out.append("--" + name if value is None else f"--{name}={value}")
    if out and draw(st.integers(0, 5)) == 0:
        out.append("--")
    if draw(st.integers(0, 9)) == 0:
        out.append("--from build")
    return out


@st.composite
def _instruction(draw: st.DrawFn, unsafe: bool) -> tuple[list[str], list[tuple[str | None, bool]]]:
    """Words of one logical instruction, and the heredocs it opens (terminator, chomp)."""
    kw = _keyword(draw)
    upper = kw.upper()
    words = [kw]
    heredocs: list[tuple[str | None, bool]] = []
    if upper == "ONBUILD" and draw(st.booleans()):
        kw = _keyword(draw)
        words.append(kw)
        upper = kw.upper()
    if draw(st.integers(0, 3)) == 0 or upper in ("COPY", "ADD", "RUN", "HEALTHCHECK", "FROM"):
        words += draw(_flags())
    form = draw(st.integers(0, 9))
    if upper == "HEALTHCHECK":
        words.append(draw(st.sampled_from(["CMD", "NONE", "cmd", "CMD", "X"])))
    if upper in ("RUN", "COPY", "ADD") and form <= 3:
        for _ in range(draw(st.integers(1, 2))):
            text, term, chomp = draw(_heredoc_word())
            words.append(text)
            heredocs.append((term, chomp))
        words += draw(st.lists(_word(unsafe), max_size=2))
    elif form == 4:
        words.append(draw(_json_array(unsafe)))
    elif upper in ("ENV", "LABEL", "ARG") and form <= 7:
        pairs = draw(st.lists(_word(unsafe).map(lambda w: w if "=" in w else f"k{w}=v"), min_size=0, max_size=3))
        if draw(st.integers(0, 4)) == 0:
            pairs = [draw(_PLAIN), draw(_word(unsafe))]  # legacy `ENV name value`
        words += pairs
    else:
        words += draw(st.lists(_word(unsafe), max_size=4))
    return words, heredocs


@st.composite
def _directives(draw: st.DrawFn) -> tuple[list[str], str]:
    """Directive lines (without endings) and the escape character in force."""
    keys = draw(st.lists(st.sampled_from(["escape", "escape", "syntax", "check", "foo"]), max_size=3, unique=True))
    if "check" in keys and draw(st.integers(0, 3)) > 0:
        keys.remove("check")  # mostly last: BuildKit v0.12 (the reference) ends the directives at it
        keys.append("check")
    if keys and draw(st.integers(0, 9)) == 0:
        keys.append(keys[0])  # a duplicate: rejected (unknown keys end the directives first)
    lines: list[str] = []
    escape = "\\"
    ended = False
    for key in keys:
        if key == "escape":
            value = draw(st.sampled_from(["`", "`", "`", "\\", "\\", "x"]))
            if not ended and value in ("`", "\\") and "escape" not in [k.lower() for k in keys[: len(lines)]]:
                escape = value
        elif key == "check":
            value = draw(st.sampled_from(["skip=all", "error=true"]))
        else:
            value = draw(st.sampled_from(["docker/dockerfile:1", "x"]))
        if key == "foo":
            ended = True
        key = draw(st.sampled_from([key, key, key.upper(), key.title()]))
        pad = draw(st.sampled_from(["", "", " ", "  ", "\t"]))
        lead, tail = draw(st.sampled_from(["", "", " "])), draw(st.sampled_from(["", "", " "]))
        lines.append(f"{lead}#{pad}{key}{pad}={pad}{value}{tail}")
    if lines and draw(st.integers(0, 7)) == 0:
        lines.insert(draw(st.integers(0, len(lines) - 1)), "")  # a blank line ends the directives
    return lines, escape


@st.composite
def dockerfiles(draw: st.DrawFn, *, unsafe: bool = False) -> str:
    """Dockerfile-like text. ``unsafe`` also draws NUL and lone surrogates."""
    directive_lines, escape = draw(_directives())
    if draw(st.integers(0, 7)) == 0:
        escape = "`" if escape == "\\" else "\\"  # a file written for the other escape character
    newline_style = draw(st.sampled_from(["\n", "\n", "\r\n", "mixed"]))

    def nl() -> str:
        if newline_style == "mixed":
            return draw(st.sampled_from(["\n", "\r\n", "\r\r\n"]))
        return newline_style

    lines: list[str] = [d + nl() for d in directive_lines]
    for _ in range(draw(st.integers(0, 7))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append(draw(st.sampled_from(["", " ", "\t", "\u3000", "\xa0"])) + nl())
        elif kind == 1:
            lines.append(draw(st.sampled_from(["", "  "])) + "# " + draw(_noise(unsafe)) + nl())
        elif kind == 2:
            lines.append(draw(_noise(unsafe)) + nl())  # junk
        else:
            lines.extend(_render(draw, draw(_instruction(unsafe)), escape, nl, unsafe))
    text = "".join(lines)
    if text and draw(st.integers(0, 4)) == 0:
        text = text.rstrip("\r\n")  # no final newline
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text


def _render(
    draw: st.DrawFn,
    instruction: tuple[list[str], list[tuple[str | None, bool]]],
    escape: str,
    nl: Callable[[], str],
    unsafe: bool,
) -> list[str]:
    """Physical lines for one instruction: continuations, inner comments, heredoc bodies."""
    words, heredocs = instruction
    out: list[str] = []
    current = draw(st.sampled_from(["", "", "", "  ", "\t", " \u3000"]))
    for i, word in enumerate(words):
        if i:
            sep = draw(st.sampled_from([" ", " ", " ", "\t", "  ", "\u3000"]))
            if draw(st.integers(0, 6)) == 0:
                # Continue the line; sometimes with blanks after the escape, or
                # in the middle of a word (the keyword included).
                out.append(current + sep + escape + draw(st.sampled_from(["", "", " ", " \t"])) + nl())
                for _ in range(draw(st.integers(0, 2)) if draw(st.booleans()) else 0):
                    out.append(draw(st.sampled_from(["", "  ", "# inner", "  # inner \\", "\t"])) + nl())
                current = draw(st.sampled_from(["", "  ", "    "]))
            else:
                current += sep
        current += word
    if draw(st.integers(0, 5)) == 0:
        current += draw(st.sampled_from([" ", "\t", " " + escape, escape, escape + escape]))
    out.append(current + nl())
    for term, chomp in heredocs:
        for _ in range(draw(st.integers(0, 3))):
            body = draw(st.sampled_from(["echo hi", "\techo tab", "RUN nope", "", "EOF ", " EOF", "\\", draw(_noise(unsafe))]))
            out.append(body + nl())
        if term is not None and draw(st.integers(0, 9)) > 0:
            out.append(("\t" if chomp and draw(st.booleans()) else "") + term + nl())
    return out


def junk_text() -> st.SearchStrategy[str]:
    """Plain random text (NUL and lone surrogates included) for "never crashes"."""
    pieces = st.sampled_from(["\n", "\r\n", "\\\n", "`\n", "<<EOF\n", "EOF\n", "# escape=`\n", "RUN ", "FROM a\n", "\t"])
    return st.lists(st.one_of(st.characters(), pieces)).map("".join)
