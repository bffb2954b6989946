"""BuildKit's build checks (``docker build --check``) that can be told from the Dockerfile's text alone.

Docker 20.10's BuildKit, the engine these tests have, predates build checks,
and no newer BuildKit (nor Go to build one) is on the machine, so this module
restates the rules from BuildKit's sources (``frontend/dockerfile/instructions/
parse.go``, ``dockerfile2llb/validations.go`` and ``convert.go``) and their
pages at docs.docker.com/reference/build-checks. Each rule is unit-tested with
those pages' good and bad examples (``tests/test_buildchecks.py``).

The file is read by BuildKit's own parser (the ``dockerfile`` package), not by
dockopt's, so a dockopt misreading cannot hide a warning.

UndefinedVar needs the base image's environment: an image is taken to set
PATH, and the official ``python`` images also LANG, GPG_KEY, PYTHON_VERSION
and PYTHON_SHA256 (what they set); a variable another image sets is reported
alike before and after a rewrite, so it is never a new warning.

Left out, because they need more than the text: CopyIgnoredFile (the build context), InvalidBaseImagePlatform
(the image), InvalidDefaultArgInFrom (evaluating defaults), FromPlatformFlagConstDisallowed
and RedundantTargetPlatform (platform evaluation), and the experimental
InvalidDefinitionDescription.

What the tests ask: a rewrite adds no warning of its own (:func:`new_warnings`).
An instruction dockopt copies as the user wrote it (a second ``ENV A 1`` in the
builder stage) keeps the user's warning, and so does one it edits (a FROM whose
image it slimmed); text dockopt writes must not carry one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import dockerfile

#: BuildKit's secret-looking names (validations.go ``getSecretsRegex``).
_SECRET = re.compile(r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)")
_SECRET_ALLOWED = re.compile(r"(?i)(?:_|^)(?:public|file|version)(?:_|$)")
_RESERVED_STAGE_NAMES = frozenset({"context", "scratch"})
_USED_ONCE = frozenset({"CMD", "ENTRYPOINT", "HEALTHCHECK"})
#: Build arguments BuildKit defines for FROM without an ARG (the platform ones).
_BUILTIN_ARGS = frozenset(
    {
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
    }
)
#: The instructions whose words BuildKit expands itself (``SupportsSingleWordExpansion``); RUN is the shell's.
_EXPANDED = frozenset({"ADD", "COPY", "ENV", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_PYTHON_IMAGE_ENV = frozenset({"PATH", "LANG", "GPG_KEY", "PYTHON_VERSION", "PYTHON_SHA256"})
_SINGLE_QUOTED = re.compile(r"'[^']*'")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Warning:
    rule: str
    line: int
    text: str  # the instruction as BuildKit's parser gives it back (``original``): what attributes a warning

    def __str__(self) -> str:
        return f"{self.line}: {self.rule}: {self.text!r}"


def check(text: str) -> list[Warning]:
    """Every build-check warning of the Dockerfile ``text`` (ParseError of BuildKit's parser propagates)."""
    commands = dockerfile.parse_string(text)
    lines = text.split("\n")
    out: list[Warning] = []

    def warn(rule: str, c: dockerfile.Command) -> None:
        out.append(Warning(rule, c.start_line, c.original))

    # One pass over the instructions, in stages: (FROM command, its commands).
    meta_args: set[str] = set()
    stages: list[tuple[dockerfile.Command, list[dockerfile.Command]]] = []
    for c in commands:
        kw = c.cmd.upper()
        if kw == "FROM":
            stages.append((c, []))
        elif stages:
            stages[-1][1].append(c)
        elif kw == "ARG":
            meta_args.update(_arg_names(c))
        if c.end_line > c.start_line and not c.heredocs and _blank_line_within(lines, c):
            warn("NoEmptyContinuation", c)
        if kw == "MAINTAINER":
            warn("MaintainerDeprecated", c)
        if kw in ("ENV", "LABEL") and _legacy_key_value(c):
            warn("LegacyKeyValueFormat", c)
        if kw in ("ARG", "ENV"):
            for key in _arg_names(c) if kw == "ARG" else _env_keys(c):
                if _SECRET.search(key) and not _SECRET_ALLOWED.search(key):
                    warn("SecretsUsedInArgOrEnv", c)

    # Keyword casing over the stages' instructions (meta ARGs are not counted), majority wins, a tie is upper.
    names = [c.cmd for f, cmds in stages for c in (f, *cmds)]
    lower = sum(1 for n in names if n == n.lower())
    upper = sum(1 for n in names if n == n.upper() and n != n.lower())
    majority_lower = lower > upper
    for f, cmds in stages:
        for c in (f, *cmds):
            if (majority_lower and c.cmd != c.cmd.lower()) or (not majority_lower and c.cmd != c.cmd.upper()):
                warn("ConsistentInstructionCasing", c)

    seen_names: set[str] = set()
    shell_set: dict[str, bool] = {}
    workdir_set: dict[str, bool] = {}
    defined_in: dict[str, frozenset[str]] = {}
    for f, cmds in stages:
        value = list(f.value)
        if len(value) == 3:
            if value[2] != value[2].lower():
                warn("StageNameCasing", f)
            if (f.cmd == f.cmd.lower() and value[1] != value[1].lower()) or (
                f.cmd == f.cmd.upper() and f.cmd != f.cmd.lower() and value[1] != value[1].upper()
            ):
                warn("FromAsCasing", f)
            name = value[2].lower()
            if name in _RESERVED_STAGE_NAMES:
                warn("ReservedStageName", f)
            if name in seen_names:
                warn("DuplicateStageName", f)
            seen_names.add(name)
        else:
            name = ""
        for var in _vars(" ".join([*f.flags, *value[:1]])):
            if var not in meta_args and var not in _BUILTIN_ARGS:
                warn("UndefinedArgInFrom", f)
        parent = value[0].lower() if value else ""
        has_shell = shell_set.get(parent, False)
        has_workdir = workdir_set.get(parent, False)
        image = parent.rsplit("/", 1)[-1]
        defined = set(defined_in.get(parent, _PYTHON_IMAGE_ENV if image.startswith("python") else {"PATH"}))
        used: dict[str, dockerfile.Command] = {}
        for c in cmds:
            kw = c.cmd.upper()
            if kw in _EXPANDED and not c.heredocs and _undefined(c, defined):
                warn("UndefinedVar", c)
            if kw == "ARG":
                defined.update(_arg_names(c))
            elif kw == "ENV":
                defined.update(_env_keys(c))
            if kw == "SHELL":
                has_shell = True
            elif kw == "WORKDIR":
                path = c.value[0] if c.value else ""
                if not has_workdir and not path.startswith("/") and not path.startswith("$"):
                    warn("WorkdirRelativePath", c)
                has_workdir = True
            elif kw in ("CMD", "ENTRYPOINT") and not c.json and not has_shell:
                warn("JSONArgsRecommended", c)
            if kw in _USED_ONCE:
                if kw in used:
                    warn("MultipleInstructionsDisallowed", used[kw])  # BuildKit points at the one ignored
                used[kw] = c
        if name:
            shell_set[name] = has_shell
            workdir_set[name] = has_workdir
            defined_in[name] = frozenset(defined)
    return out


def new_warnings(before: str, after: str) -> list[Warning]:
    """The warnings ``after`` adds to ``before``, rule by rule.

    An instruction of ``after`` with the same text as one of ``before`` (one
    dockopt kept or copied) keeps that one's warnings. The rest are counted:
    ``before``'s other warnings are on instructions dockopt edited (a FROM
    whose image it slimmed keeps the user's ``as``), and ``after`` may have
    as many of each rule; any more are on text dockopt wrote, and are new.
    """
    had, has = check(before), check(after)
    had_keys = {(w.rule, w.text) for w in had}
    has_keys = {(w.rule, w.text) for w in has}
    edited: dict[str, int] = {}
    for w in had:
        if (w.rule, w.text) not in has_keys:
            edited[w.rule] = edited.get(w.rule, 0) + 1
    out: list[Warning] = []
    for w in has:
        if (w.rule, w.text) in had_keys:
            continue
        if edited.get(w.rule, 0) > 0:
            edited[w.rule] -= 1
            continue
        out.append(w)
    return out


def rules(warnings: Iterable[Warning]) -> set[str]:
    return {w.rule for w in warnings}


def _blank_line_within(lines: list[str], c: dockerfile.Command) -> bool:
    """The parser's NoEmptyContinuation: a blank line inside a continued instruction (a comment line is not)."""
    return any(not lines[n - 1].strip() for n in range(c.start_line + 1, c.end_line + 1) if n - 1 < len(lines))


def _undefined(c: dockerfile.Command, defined: set[str]) -> bool:
    """Whether ``c`` expands a variable that is neither in the image's environment nor declared before it.

    The words are expanded against what was set before the instruction (``ENV A=1 B=$A`` reads the old A);
    single-quoted text and an escaped ``$`` are not expanded. Heredocs are left out.
    """
    words = c.original[len(c.cmd) :]
    if c.cmd.upper() in ("ENV", "LABEL"):
        words = " ".join(c.value[1::2]) if not _legacy_key_value(c) else " ".join(c.value[1:])
    words = _SINGLE_QUOTED.sub("", words.replace("\\$", ""))
    return bool(_vars(words) - defined)


def _legacy_key_value(c: dockerfile.Command) -> bool:
    """``ENV key value`` / ``LABEL key value``: the first word after the keyword has no ``=``."""
    rest = c.original[len(c.cmd) :].strip()
    first = rest.split(None, 1)[0] if rest else ""
    return bool(first) and "=" not in first


def _arg_names(c: dockerfile.Command) -> list[str]:
    return [v.split("=", 1)[0] for v in c.value]


def _env_keys(c: dockerfile.Command) -> list[str]:
    if _legacy_key_value(c):
        return [c.value[0]] if c.value else []
    return list(c.value[0::2])


def _vars(text: str) -> set[str]:
    return {m.group(1) or m.group(2) for m in _VAR.finditer(text)}
