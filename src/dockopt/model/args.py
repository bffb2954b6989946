"""Build arguments and variables: the one place their values are read and expanded.

BuildKit expands ``$NAME``, ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``,
``${NAME:+alt}`` and ``${NAME+alt}`` in FROM, WORKDIR, COPY, ENV, ARG and the
other non-RUN instructions, from the ARGs declared before the first FROM (for
FROM lines) and from the stage's ARG and ENV values (elsewhere). dockopt never
guesses: a value it cannot know is None, and so is any text that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .. import lazyre
from ..syntax import Instruction
from ..syntax.buildkit import ShellSyntaxError, shell_unquote_words

Values = Mapping[str, "str | None"]

_VAR_RE = lazyre.compile(
    r"\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
    r"|\$\{(?P<bad>[^}]*)\}"
    r"|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
)


def _literal_dollar(raw: str) -> bool:
    """Whether a ``$`` in ``raw`` may be kept from expansion by quotes or an escape (``'$X'``, ``\\$X``).

    BuildKit expands quote by quote (nothing inside single quotes, not an escaped ``$``); dockopt
    removes the quotes first, so for such a value it does not claim to know the result.
    """
    return "$" in raw and ("'" in raw or "\\$" in raw or "`$" in raw)


def unquote(value: str) -> str | None:
    """A value after quote removal, as the build sees it (BuildKit's AST keeps the quotes)."""
    if not any(q in value for q in "\"'\\`"):
        return value
    try:
        words = shell_unquote_words(value)
    except ShellSyntaxError:
        return None
    if not words:
        return ""
    return words[0] if len(words) == 1 else None


def expand(text: str, values: Values, *, keep: Iterable[str] = ()) -> str | None:
    """``text`` with its variables substituted from ``values``; None if one is unknown.

    ``values`` are the default build's: None for a name declared without a
    value (``ARG X``), which a ``:-``/``-`` default then stands in for and
    ``:+``/``+`` reads as unset. A name not in ``values`` at all may come from
    the base image's ENV: unknown. Names in ``keep`` are left as written
    (``$PATH`` while PATH values are compared).
    """
    if "$" not in text:  # nothing to substitute (most texts): the pattern need not even be compiled
        return text
    kept = frozenset(keep)
    unknown = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unknown
        name = m.group("braced") or m.group("plain")
        if name is None or name not in values:  # ${...} BuildKit rejects, or a name from the base image's ENV
            unknown = unknown or name not in kept
            return m.group(0)
        if name in kept:
            return m.group(0)
        op, word = m.group("op"), m.group("word") or ""
        if "${" in word:  # nested substitution: not modelled
            unknown = True
            return ""
        value = values[name]
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                inner = expand(word, values, keep=kept)
                unknown = unknown or inner is None
                return inner or ""
            return value
        if op in (":+", "+"):
            if value is None or (op == ":+" and value == ""):
                return ""
            inner = expand(word, values, keep=kept)
            unknown = unknown or inner is None
            return inner or ""
        if value is None:
            unknown = True
            return ""
        return value

    out = _VAR_RE.sub(sub, text)
    return None if unknown else out


def declare(ins: Instruction, values: dict[str, str | None], outer: Values | None = None) -> None:
    """Apply an ARG line to ``values``: defaults expanded, a bare ``ARG X`` takes ``outer``'s value.

    A stage's ``ARG NAME`` without a default re-declares a global ARG and gets
    its value, as BuildKit does; a name with no value anywhere is None.
    """
    for word in ins.value:
        name, eq, default = word.partition("=")
        if eq:
            raw = unquote(default)
            values[name] = expand(raw, values) if raw is not None and not _literal_dollar(default) else None
        elif name not in values:
            values[name] = (outer or {}).get(name)


def global_args(instructions: Iterable[Instruction]) -> dict[str, str | None]:
    """The values of the ARGs declared before the first FROM (None: no usable default)."""
    values: dict[str, str | None] = {}
    for ins in instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword == "ARG":
            declare(ins, values)
    return values


def env(ins: Instruction, values: dict[str, str | None]) -> list[tuple[str, str | None]]:
    """Apply an ENV line to ``values``; the (name, expanded value or None) pairs it sets."""
    try:
        pairs = ins.env_pairs
    except ValueError:
        return []
    before = dict(values)  # BuildKit expands every pair against what was set before the line: ENV A=1 B=$A
    out = []
    for name, raw in pairs:
        value = unquote(raw)
        resolved = expand(value, before) if value is not None and not _literal_dollar(raw) else None
        values[name] = resolved
        out.append((name, resolved))
    return out
