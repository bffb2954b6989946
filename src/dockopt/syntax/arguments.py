"""BuildKit's per-instruction argument checks, restated for :mod:`.buildable`.

After its parser, BuildKit's ``instructions`` package turns each node into a
typed command and refuses, before any step runs, arguments it cannot use: too
few words, a blank name, an unknown or repeated ``--flag``, a flag without its
value, a HEALTHCHECK duration it cannot read. :func:`problem` says which of
those an instruction has, from the tree's views (:attr:`Instruction.value` is
BuildKit's argument list, :attr:`Instruction.flags` its ``node.Flags``).

Only refusals that hold for every BuildKit are mirrored: the engine here
(Docker 20.10's built-in frontend, BuildKit 0.8) refuses each of them, as
``tests/e2e/test_buildable_engine.py`` shows, and the current source of
``frontend/dockerfile/instructions`` refuses them too. A file may name a newer
frontend (``# syntax=docker/dockerfile:1``, or ``1-labs``) that knows more, so:

* a flag is unknown only if no BuildKit version, labs included, knows it for
  that instruction (``COPY --link``, ``COPY --parents``, ``ADD --checksum``,
  ``RUN --network``, ``RUN --device``, ``HEALTHCHECK --start-interval`` are
  refused by the engine here but known to newer frontends: not refused);
* a repeated flag is refused only for flags that take one value in every
  version (``--mount``, ``--device``, ``--exclude`` and ``--security``, which
  was repeatable in some versions, may repeat);
* a HEALTHCHECK duration of zero (``--interval=0s``) and ``--retries=0`` are
  refused here but accepted by newer frontends: not refused; a negative or
  sub-millisecond duration, a negative count, or text that is no Go duration or
  integer is refused by all;
* a HEALTHCHECK value holding ``$`` is not judged (declined rather than
  guessed, should some frontend expand it);
* values the frontend reads later are not judged: ``--mount`` specs,
  ``--network``/``--security`` modes, ``--platform``, ``--chmod``, EXPOSE
  ports (their grammar grew across versions, and ``$`` expands in them);
* ARG and STOPSIGNAL never read their flags (``ARG --x=1 A`` builds), nor does
  ``HEALTHCHECK NONE``; ONBUILD's trigger is checked only where the image built
  FROM this one runs it.

Written by hand: no library restates BuildKit's instruction checks.
"""

from __future__ import annotations

from .buildkit import go_lower, go_strip
from .nodes import Flag, Instruction

#: Every flag any BuildKit (labs included) reads for an instruction; the
#: others read none, except ARG and STOPSIGNAL which do not look at theirs.
KNOWN_FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "COPY": frozenset({"chown", "from", "chmod", "link", "exclude", "parents"}),
    "ADD": frozenset({"chown", "chmod", "link", "keep-git-dir", "checksum", "unpack", "exclude"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
#: Instructions whose flags BuildKit never parses.
_FLAGS_UNREAD = frozenset({"ARG", "STOPSIGNAL"})
#: Boolean flags (``--link`` alone means true) in every version that knows them.
_BOOLEAN = frozenset({"link", "keep-git-dir", "unpack", "parents"})
#: Flags that may be given more than once in some version.
_REPEATABLE = frozenset({"mount", "device", "exclude", "security"})
_DURATIONS = ("interval", "timeout", "start-period", "start-interval")
_EXACTLY_ONE = frozenset({"MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"})
_AT_LEAST_ONE = frozenset({"EXPOSE", "VOLUME", "ONBUILD", "HEALTHCHECK", "ARG", "SHELL", "ENV", "LABEL"})
_STAGE_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz")
_STAGE_NAME_REST = _STAGE_NAME_FIRST | frozenset("0123456789-_.")


def problem(ins: Instruction) -> str | None:
    """What BuildKit's ``instructions`` package refuses in ``ins`` (a known instruction), or None."""
    kw = ins.keyword
    args = ins.value
    if kw == "ONBUILD":
        args = () if ins.onbuild_child is None else (ins.args,)
    found = _count(kw, args)
    if not found and kw == "SHELL" and ins.json_args is None:
        found = "SHELL requires the arguments to be in JSON form"
    if found:
        return found
    if kw == "HEALTHCHECK":
        return _healthcheck(ins, args)
    if kw in _FLAGS_UNREAD:
        return None
    return _flags(kw, ins.flags)


def _count(kw: str, args: tuple[str, ...]) -> str | None:
    """The checks on the argument list that come before the flags are read."""
    if kw in ("COPY", "ADD") and len(args) < 2:
        return f"{kw} requires at least two arguments (sources and a destination)"
    if kw == "FROM":
        return _from(args)
    if kw in _EXACTLY_ONE and len(args) != 1:
        return f"{kw} requires exactly one argument"
    if kw in _AT_LEAST_ONE and not args:
        return f"{kw} requires at least one argument"
    if kw in ("ENV", "LABEL") and any(not name for name in args[::2]):
        return f"{kw} names can not be blank"
    if kw == "ARG" and any(word.startswith("=") for word in args):
        return "ARG names can not be blank"
    if kw == "VOLUME" and any(not go_strip(v) for v in args):
        return "VOLUME specified can not be an empty string"
    return None


def _from(args: tuple[str, ...]) -> str | None:
    if len(args) == 3 and _is_as(args[1]):
        name = go_lower(args[2])
        if not (name[:1] in _STAGE_NAME_FIRST and set(name) <= _STAGE_NAME_REST):
            return f"invalid name for build stage: {args[2]!r}, name can't start with a number or contain symbols"
        return None
    if len(args) != 1:
        return "FROM requires either one or three arguments (an image, or an image, AS and a stage name)"
    return None


def _is_as(word: str) -> bool:
    """strings.EqualFold(word, "as"): Unicode simple folding puts the long s (U+017F) with s."""
    return len(word) == 2 and word[0] in "aA" and word[1] in "sS\u017f"


def _flags(kw: str, flags: tuple[Flag, ...]) -> str | None:
    """BFlags.Parse: the first flag BuildKit refuses, in order."""
    known = KNOWN_FLAGS.get(kw, frozenset())
    seen: set[str] = set()
    for flag in flags:
        name = flag.name
        if name not in known:
            return f"unknown flag --{name} for {kw}"
        if name in seen and name not in _REPEATABLE:
            return f"duplicate flag --{name}"
        seen.add(name)
        if name in _BOOLEAN:
            if flag.value is not None and go_lower(flag.value) not in ("true", "false"):
                return f"--{name} takes no value or true/false, not {flag.value!r}"
        elif flag.value is None:
            return f"missing a value on flag --{name} (write --{name}=VALUE)"
    return None


def _healthcheck(ins: Instruction, args: tuple[str, ...]) -> str | None:
    kind = args[0].upper()
    if kind == "NONE":  # its flags are never read
        return None if len(args) == 1 else "HEALTHCHECK NONE takes no arguments"
    found = _flags("HEALTHCHECK", ins.flags)
    if found:
        return found
    if kind != "CMD":
        return f'unknown type "{kind}" in HEALTHCHECK (try CMD)'
    if len(args) < 2:
        return "missing command after HEALTHCHECK CMD"
    for flag in ins.flags:
        value = flag.value or ""
        if "$" in value:
            continue
        if flag.name in _DURATIONS and value:
            nanoseconds = go_duration(value)
            if nanoseconds is None:
                return f"--{flag.name}={value} is not a duration (such as 30s, 1m30s)"
            # 0 means "the default" to newer frontends; one nanosecond's margin for Go's floating point
            if nanoseconds <= -2 or 2 <= nanoseconds <= 999_998:
                return f"--{flag.name}={value} is negative or less than 1ms"
        elif flag.name == "retries" and value:
            count = _go_int32(value)
            if count is None:
                return f"--retries={value} is not a whole number"
            if count < 0:
                return "--retries cannot be negative"
    return None


_UNITS = {"ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DIGITS = frozenset("0123456789")


def go_duration(text: str) -> int | None:
    """Go's time.ParseDuration in nanoseconds, or None where it fails (``5``, ``1x``, ``.s``).

    Each number's fraction is truncated to whole nanoseconds, as Go does (Go
    multiplies in floating point, which may land a nanosecond off; the caller
    leaves that nanosecond's margin). An overflowing value, which Go refuses,
    is read as a large one.
    """
    s = text
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    total = 0
    while s:
        i = 0
        while i < len(s) and s[i] in _DIGITS:
            i += 1
        whole, s = s[:i], s[i:]
        fraction = ""
        if s[:1] == ".":
            s = s[1:]
            i = 0
            while i < len(s) and s[i] in _DIGITS:
                i += 1
            fraction, s = s[:i], s[i:]
        if not whole and not fraction:
            return None
        i = 0
        while i < len(s) and s[i] != "." and s[i] not in _DIGITS:
            i += 1
        unit = _UNITS.get(s[:i])
        if unit is None:
            return None
        s = s[i:]
        total += int(whole or "0") * unit
        if fraction:
            total += int(fraction) * unit // 10 ** len(fraction)
    return sign * total


def _go_int32(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 32), or None where it fails."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not set(digits) <= _DIGITS:
        return None
    value = int(text)
    return value if -(2**31) <= value < 2**31 else None
