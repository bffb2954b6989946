"""DO002 multi-stage: Split dependency installation into a builder stage.

A single-stage Python image carries everything its build needed: compilers and
``-dev`` headers from apt, pip's cache, poetry/pipenv/uv themselves. The rule
splits such a file in two:

* a ``builder`` stage on the same base installs the dependencies into a
  virtualenv at ``/opt/venv`` (or, with ``layout="user"``, into
  ``/root/.local`` with ``pip install --user``), with the build-only apt
  packages, the manifests and the install steps;
* the runtime stage (same base: the slim-base rule swaps it right after)
  copies the virtualenv, puts its ``bin`` on PATH and keeps, in order, every
  instruction that matters at run time, plus the shared libraries the
  compiled packages load (``libpq-dev`` in the builder means ``libpq5`` in the
  runtime stage; ``data/runtime_libraries.toml``).

The rule only rewrites what it understands. Anything it can't place safely
(an install it doesn't model, a run-time step that compiles, a non-Python
base ...) leaves the file alone with a skip that says why.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
import tomllib
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ..model import args, project
from ..model.packages import PackageInstall, normalize_package_name, package_call
from ..model.shell import CommandList, SimpleCommand, parse_command
from ..style import Style
from ..syntax import Dockerfile, Instruction, Stage, Trivia
from . import path_env
from .base import Context, Rule

VENV_DIR = "/opt/venv"
USER_BASE = "/root/.local"

# ---------------------------------------------------------------------------
# Data tables
# ---------------------------------------------------------------------------

PackageKind = Literal["toolchain", "build-only", "dev", "runtime"]


@dataclass(frozen=True)
class PackageTables:
    """``data/build_packages.toml`` and ``data/runtime_libraries.toml``."""

    toolchain: dict[str, tuple[str, ...]]
    build_only: dict[str, tuple[str, ...]]
    patterns: dict[str, str]
    python_tools: dict[str, str]
    tool_installers: dict[str, str]
    libraries: dict[str, tuple[str, ...]]

    @property
    def toolchain_commands(self) -> frozenset[str]:
        return frozenset(c for cmds in self.toolchain.values() for c in cmds)


def _load(name: str) -> dict[str, object]:
    return tomllib.loads((resources.files("dockopt") / "data" / name).read_text(encoding="utf-8"))


def _str_lists(table: object) -> dict[str, tuple[str, ...]]:
    assert isinstance(table, dict)
    return {str(k): tuple(str(x) for x in v) for k, v in table.items()}


def _strs(table: object) -> dict[str, str]:
    assert isinstance(table, dict)
    return {str(k): str(v) for k, v in table.items()}


@cache
def tables() -> PackageTables:
    build = _load("build_packages.toml")
    libs = _load("runtime_libraries.toml")
    return PackageTables(
        toolchain=_str_lists(build["toolchain"]),
        build_only=_str_lists(build["build-only"]),
        patterns=_strs(build["patterns"]),
        python_tools=_strs(build["python-tools"]),
        tool_installers=_strs(build["python-tool-installers"]),
        libraries=_str_lists(libs["libraries"]),
    )


def apt_package_kind(name: str) -> PackageKind:
    """How a Debian package relates to a Python build.

    ``toolchain``/``build-only``: needed to build only (data/build_packages.toml);
    ``dev``: a ``-dev`` package (its libraries, if known, are in
    data/runtime_libraries.toml); ``runtime``: anything else, kept at run time.
    """
    t = tables()
    name = normalize_package_name("apt", name)
    if name in t.toolchain:
        return "toolchain"
    if name in t.build_only:
        return "build-only"
    for pattern, section in t.patterns.items():
        if fnmatch.fnmatchcase(name, pattern):
            return "toolchain" if section == "toolchain" else "build-only"
    if name in t.libraries or name.endswith("-dev"):
        return "dev"
    return "runtime"


def runtime_libraries(name: str) -> tuple[str, ...] | None:
    """The runtime packages of a ``-dev`` package (``libpq-dev`` -> ``("libpq5",)``), None if unknown."""
    return tables().libraries.get(normalize_package_name("apt", name))


def package_executables(name: str) -> tuple[str, ...]:
    """The commands a package provides, as far as the rule needs to know (its own name otherwise)."""
    t = tables()
    name = normalize_package_name("apt", name)
    return t.toolchain.get(name) or t.build_only.get(name) or (name,)


@dataclass(frozen=True)
class AptSplit:
    """Which packages of one apt install go to which stage."""

    builder: tuple[str, ...]
    runtime: tuple[str, ...]
    libraries: tuple[str, ...] = ()  # runtime packages standing in for -dev ones


def split_apt_packages(
    packages: Sequence[str],
    *,
    runtime_commands: Set[str] = frozenset(),
    builder_commands: Set[str] = frozenset(),
) -> AptSplit:
    """Split the packages of an apt install between the builder and the runtime stage.

    Build-only packages go to the builder (and stay at run time too when a
    run-time command calls one of their executables); ``-dev`` packages go to
    the builder and are replaced at run time by their shared-library packages,
    or kept whole when those are unknown; anything else stays at run time (and
    is installed in the builder too when a builder RUN calls it).
    """
    builder: list[str] = []
    runtime: list[str] = []
    libs: list[str] = []
    for spec in packages:
        name = normalize_package_name("apt", spec)
        kind = apt_package_kind(name)
        exes = package_executables(name)
        if kind in ("toolchain", "build-only"):
            builder.append(spec)
            if any(e in runtime_commands for e in exes):
                runtime.append(spec)
        elif kind == "dev":
            builder.append(spec)
            mapped = runtime_libraries(name)
            if mapped is None:
                runtime.append(spec)
            else:
                for lib in mapped:
                    if lib not in runtime:
                        runtime.append(lib)
                        libs.append(lib)
        else:
            runtime.append(spec)
            if any(e in builder_commands for e in exes):
                builder.append(spec)
    return AptSplit(tuple(builder), tuple(runtime), tuple(libs))


# ---------------------------------------------------------------------------
# Reading RUN, CMD, ENTRYPOINT and HEALTHCHECK
# ---------------------------------------------------------------------------

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
_NEUTRAL = frozenset(
    {"cd", "true", ":", "set", "export", "echo", "printf", "rm", "mkdir", "touch", "ls", "cat", "which"}
)
# RUN steps made only of these prepare the runtime image and don't help an install.
_SETUP_ONLY = frozenset(
    {
        "useradd",
        "groupadd",
        "adduser",
        "addgroup",
        "usermod",
        "groupmod",
        "chown",
        "chmod",
        "mkdir",
        "ln",
        "touch",
        "true",
    }
)
_USER_SWITCH = frozenset({"su", "sudo", "runuser", "doas"})
# Commands that put a file in place (curl -o, mv, ln -s ...).
_FILE_MAKERS = frozenset({"curl", "wget", "mv", "cp", "ln", "install", "chmod", "tee", "tar", "unzip"})
_PY_TOOL_COMMANDS = frozenset({"poetry", "pipenv", "uv", "uvx"})
_PIP_RE = re.compile(r"pip[0-9]*(?:\.[0-9]+)*")
_PYTHON_RE = re.compile(r"python([0-9]*(?:\.[0-9]+)?)")
_VERSIONED_RE = re.compile(r"(?:pip|python)([0-9]+\.[0-9]+)")
_UPGRADE_ACTIONS = frozenset({"upgrade", "dist-upgrade", "full-upgrade"})
_REMOVE_ACTIONS = frozenset({"remove", "purge", "autoremove"})
_ROOT_USERS = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})
# ENV keys that send an install somewhere else than the active virtualenv.
_REDIRECTING_ENV = frozenset(
    {
        "PIP_TARGET",
        "PIP_PREFIX",
        "PIP_ROOT",
        "PIP_USER",
        "VIRTUAL_ENV",
        "PYTHONUSERBASE",
        "PYTHONHOME",
        "UV_SYSTEM_PYTHON",
        "UV_PROJECT_ENVIRONMENT",
        "UV_PYTHON",
        "PIPENV_PYTHON",
        "CONDA_PREFIX",
    }
)
_ASSIGNMENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*")
_PIP_TOOL_NEUTRAL = frozenset({"pip", "setuptools", "wheel"})
_HEREDOC_INSTALL_RE = re.compile(r"\b(?:pip[0-9.]*|poetry|pipenv|uv)\s+(?:install|sync|add)\b|-m\s+pip\s+install\b")

CommandKind = Literal["py-install", "tool", "py-helper", "system", "venv", "neutral", "other"]
RunKind = Literal["install", "tool", "helper", "system", "generic"]


def shell_script(ins: Instruction) -> tuple[str, bool]:
    """The shell text a RUN/CMD/ENTRYPOINT/HEALTHCHECK runs, and whether it is only partly known.

    Exec form is turned into text (``sh -c SCRIPT`` gives the script); a RUN
    whose heredoc is the script gives the heredoc body; a heredoc fed to a
    command's stdin is partly known.
    """
    if ins.keyword == "HEALTHCHECK":
        value = ins.value
        if not value or value[0].upper() != "CMD":
            return "", False
        argv: list[str] | None = list(value[1:]) if ins.healthcheck_json else None
        text = value[1] if argv is None and len(value) > 1 else ""
    else:
        argv = ins.json_args
        text = ins.args
    if argv is not None:
        if len(argv) >= 3 and posixpath.basename(argv[0]) in _SHELLS and argv[1] == "-c":
            return argv[2], False
        return shlex.join(argv), False
    if ins.heredocs:
        if text.lstrip().startswith("<<"):
            return "\n".join(h.content for h in ins.heredocs), False
        return text, True
    return text, False


def _word_names(commands: CommandList) -> set[str]:
    out: set[str] = set()
    for cmd in commands.items:
        if cmd.name:
            out.add(cmd.name)
        out.update(posixpath.basename(w) for w in cmd.words if w)
    return out


@dataclass
class _Command:
    cmd: SimpleCommand
    kind: CommandKind
    pc: PackageInstall | None = None


@dataclass
class _Run:
    index: int
    ins: Instruction
    commands: CommandList
    items: list[_Command]
    kind: RunKind
    partly_known: bool
    problem: str | None = None  # why an install here can't be moved

    @property
    def names(self) -> set[str]:
        return {c.cmd.name for c in self.items if c.cmd.name}

    @property
    def words(self) -> set[str]:
        return _word_names(self.commands)

    def calls(self, kind: CommandKind) -> list[_Command]:
        return [c for c in self.items if c.kind == kind]


def _is_tool_install(pc: PackageInstall) -> bool:
    if pc.manager != "pip" or pc.requirement_files or pc.local_paths or pc.editable:
        return False
    names = set(pc.package_names)
    tools = set(tables().python_tools)
    return bool(names & tools) and names <= tools | _PIP_TOOL_NEUTRAL


def _is_pip_upgrade(pc: PackageInstall) -> bool:
    """``pip install --upgrade pip setuptools wheel``: the installer itself, no dependency."""
    return (
        pc.manager == "pip"
        and bool(pc.packages)
        and set(pc.package_names) <= _PIP_TOOL_NEUTRAL
        and not (pc.requirement_files or pc.local_paths or pc.editable)
    )


def _classify_command(cmd: SimpleCommand) -> _Command:
    name = cmd.name
    if name is None:
        return _Command(cmd, "neutral")
    args = cmd.args
    if _PYTHON_RE.fullmatch(name) and len(args) >= 2 and args[0] == "-m" and args[1] in ("venv", "virtualenv"):
        return _Command(cmd, "venv")
    if name == "virtualenv" or (name == "uv" and args[:1] == ("venv",)):
        return _Command(cmd, "venv")
    pc = package_call(cmd)
    if pc is not None:
        if pc.manager in ("apt", "apk", "yum"):
            return _Command(cmd, "system", pc)
        if pc.manager in ("poetry", "pipenv", "uv") and pc.action == "run":
            return _Command(cmd, "other", pc)
        if pc.manager == "poetry" and pc.action == "self":
            return _Command(cmd, "tool", pc)
        if pc.manager == "uv" and pc.action == "tool install":
            return _Command(cmd, "other", pc)
        if pc.is_install:
            return _Command(cmd, "tool" if _is_tool_install(pc) else "py-install", pc)
        return _Command(cmd, "py-helper", pc)
    if _PIP_RE.fullmatch(name) or name in _PY_TOOL_COMMANDS:
        return _Command(cmd, "py-helper")
    if name in _NEUTRAL:
        return _Command(cmd, "neutral")
    return _Command(cmd, "other")


def analyse_run(ins: Instruction, index: int = 0) -> _Run:
    """Classify a RUN: a dependency install, a build-tool install, a Python helper,
    a system-package step or anything else ("generic")."""
    text, partly = shell_script(ins)
    commands = parse_command(text)
    items = [_classify_command(c) for c in commands.items]
    kinds = {c.kind for c in items}
    problem: str | None = None
    kind: RunKind
    if ins.heredocs and _HEREDOC_INSTALL_RE.search(text + "".join(h.content for h in ins.heredocs)):
        kind = "install"
        problem = "the dependency install is in a heredoc, which the rule doesn't move"
    elif "py-install" in kinds:
        kind = "install"
        others = [c.cmd.name or c.cmd.raw for c in items if c.kind == "other"]
        if commands.complex or partly:
            problem = "the install RUN uses shell syntax the rule doesn't model (if/for/subshells/heredocs)"
        elif others:
            problem = f"the install RUN also runs `{others[0]}`, which the rule can't place in either stage"
        elif "tool" in kinds and not _tools_first(items, ins):
            problem = (
                "one RUN installs a build tool (poetry/pipenv/uv) after the dependencies; split it in two RUNs first"
            )
        elif "venv" in kinds:
            problem = "the file creates its own virtualenv; the rule only splits installs into the system interpreter"
    elif "tool" in kinds or _tool_installer(ins, text, items):
        kind = "tool"
        if commands.complex and not _tool_installer(ins, text, items):
            problem = "the build-tool install uses shell syntax the rule doesn't model"
    elif "venv" in kinds:
        kind = "generic"
        problem = "the file creates its own virtualenv; the rule only splits installs into the system interpreter"
    elif "py-helper" in kinds and kinds <= {"py-helper", "neutral"} and not commands.complex:
        kind = "helper"
    elif "system" in kinds and kinds <= {"system", "neutral"} and not commands.complex and not partly:
        kind = "system"
    else:
        kind = "generic"
    return _Run(index, ins, commands, items, kind, partly, problem)


def _tools_first(items: Sequence[_Command], ins: Instruction) -> bool:
    """In ``pip install poetry && poetry install``, every build-tool install comes before
    the first dependency install, by plain ``pip``/``python -m pip`` (so the rule can point
    it at the image's own interpreter), in a shell-form RUN."""
    if ins.json_args is not None or ins.heredocs:
        return False
    seen_install = False
    for c in items:
        if c.kind == "py-install":
            seen_install = True
        elif c.kind == "tool" and (
            seen_install or c.pc is None or c.pc.manager != "pip" or "/" in (c.cmd.program or "")
        ):
            return False
    return True


def _tool_installer(ins: Instruction, text: str, items: Sequence[_Command]) -> bool:
    """``curl -sSL https://install.python-poetry.org | python3 -``: a build tool, fetched and installed."""
    if not any(url in text for url in tables().tool_installers):
        return False
    allowed = {"curl", "wget", "sh", "bash"}
    return all(
        c.kind in ("neutral", "tool") or (c.cmd.name or "") in allowed or _PYTHON_RE.fullmatch(c.cmd.name or "")
        for c in items
    )


def _command_names(ins: Instruction) -> set[str]:
    """The programs an instruction runs (wrappers looked through)."""
    if ins.keyword == "SHELL":
        return {posixpath.basename(ins.value[0])} if ins.value else set()
    text, _ = shell_script(ins)
    return {c.name for c in parse_command(text).items if c.name}


def _program_names(ins: Instruction) -> set[str]:
    """Command names (and, over-approximating, every word's basename) an instruction runs."""
    if ins.keyword not in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL"):
        return set()
    if ins.keyword == "SHELL":
        return {posixpath.basename(w) for w in ins.value}
    text, _ = shell_script(ins)
    return _word_names(parse_command(text))


# ---------------------------------------------------------------------------
# The split
# ---------------------------------------------------------------------------


class _AptStep(NamedTuple):
    """What happens to one apt step of the original stage."""

    in_builder: bool  # the builder runs it as written
    runtime: Literal["keep", "replace", "drop"]  # as written, a new install of `packages`, or nothing
    packages: list[str]  # what the runtime stage installs when `runtime` is "replace"
    no_recommends: bool  # the new install may use --no-install-recommends
    libraries: bool  # `packages` include shared libraries standing in for -dev packages


class Decline(Exception):
    """The rule can't split this file safely; ``message`` says why (``actionable``: and the user could change that)."""

    def __init__(self, message: str, ins: Instruction | None = None, *, actionable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.ins = ins
        self.actionable = actionable


@dataclass
class _Facts:
    """What the dependency installs read and need."""

    manifests: set[str] = field(default_factory=set)  # basenames a manifest COPY may carry
    required: set[str] = field(default_factory=set)  # basenames the installs can't do without
    generated: set[str] = field(default_factory=set)  # written by a helper (poetry export -o X)
    manifest_dirs: set[str] = field(default_factory=set)  # first path components of requirement paths
    needs_tree: bool = False  # an install reads the whole source tree
    editable_project: bool = False  # poetry/uv install the project itself, editable
    uv_project: bool = False  # uv sync/add: needs UV_PROJECT_ENVIRONMENT
    user_flags: list[bool] = field(default_factory=list)
    system_tools: bool = False  # a build tool installed with /usr/local/bin/pip in the install RUN
    pip_only: bool = True
    uses_cd: bool = False
    interpreters: set[str] = field(default_factory=set)
    edits: list[tuple[int, int, int, str]] = field(default_factory=list)  # (run index, start, end, text)


def _basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/")) or path


def _is_whole_context(src: str) -> bool:
    return src in ("*", "./*") or posixpath.normpath(src) == "."


def _find_word(raw: str, word: str) -> int | None:
    """Offset of ``word`` as a whole blank-separated word in ``raw``, if it occurs exactly once."""
    hits = [m.start() for m in re.finditer(rf"(?<![^\s]){re.escape(word)}(?![^\s])", raw)]
    return hits[0] if len(hits) == 1 else None


def _first_word(raw: str, word: str) -> int | None:
    m = re.search(rf"(?<![^\s]){re.escape(word)}(?![^\s])", raw)
    return m.start() if m else None


class _Splitter:
    def __init__(self, doc: Dockerfile, stage: Stage, ctx: Context) -> None:
        self.doc = doc
        self.stage = stage
        self.ctx = ctx
        self.body = stage.instructions
        self.style = Style.detect(doc)
        self.runs: dict[int, _Run] = {i: analyse_run(ins, i) for i, ins in enumerate(self.body) if ins.keyword == "RUN"}
        self.notes: list[str] = []

    # -- entry -------------------------------------------------------------------
    def split(self) -> Dockerfile | None:
        self._pip_upgrades_for_tools()
        installs = [i for i, r in self.runs.items() if r.kind == "install"]
        if not installs:
            return None
        for i in installs:
            if self.runs[i].problem:
                raise Decline(self.runs[i].problem or "", self.body[i])
        self.first, self.last = installs[0], installs[-1]
        self._check_base()
        self._check_structure()
        facts = self._install_facts()
        self.facts = facts
        layout = self._layout(facts)
        self.layout = layout
        placement = self._placement(facts)
        if facts.editable_project:
            self._check_same_path(placement, facts)
        runtime_cmds, builder_cmds = self._commands(placement)
        self._check_runtime(placement, facts)
        apt = self._apt_plan(placement, runtime_cmds, builder_cmds)
        return self._assemble(placement, apt, facts, layout)

    def _pip_upgrades_for_tools(self) -> None:
        """``pip install -U pip`` before ``pip install poetry`` upgrades the pip that installs
        the tool: it belongs with the tool, outside the virtualenv (after the last tool it
        upgrades the virtualenv's pip instead)."""
        tools = [i for i, r in self.runs.items() if r.kind == "tool"]
        for i, run in self.runs.items():
            if run.kind != "install" or run.problem or not any(t > i for t in tools):
                continue
            installs = run.calls("py-install")
            if installs and all(c.pc is not None and _is_pip_upgrade(c.pc) for c in installs):
                run.kind = "tool"
                for c in installs:
                    c.kind = "tool"

    # -- checks ------------------------------------------------------------------
    def _check_base(self) -> None:
        from_ins = self.stage.from_instruction
        image = from_ins.from_image or ""
        known = args.global_args(self.doc.instructions)
        resolved = _substitute(image, known)
        if resolved is None:
            raise Decline(
                f"the base image `{image}` comes from a build argument without a default; the rule can't tell it is a Python image",
                from_ins,
            )
        name, tag = _split_image(resolved)
        if not _is_official_python(name):
            raise Decline(
                f"the base image `{image}` isn't the official python image; the builder stage needs the same interpreter the runtime stage runs",
                from_ins,
                actionable=False,
            )
        if "windowsservercore" in tag or "nanoserver" in tag:
            raise Decline(f"`{image}` is a Windows image; the rule only splits Linux images", from_ins, actionable=False)

    def _check_structure(self) -> None:
        for i, ins in enumerate(self.body):
            kw = ins.keyword
            if kw == "ONBUILD":
                raise Decline("the file has ONBUILD triggers, which would run in both stages of a split", ins)
            if i > self.last:
                continue
            if kw == "USER" and ins.args.strip() not in _ROOT_USERS:
                raise Decline(
                    f"the dependency install runs as USER {ins.args}; the builder's /opt/venv would need that user too",
                    ins,
                )
            if kw == "ENV":
                try:
                    keys = [k for k, _ in ins.env_pairs]
                except ValueError:
                    raise Decline("an ENV line before the install can't be read", ins) from None
                bad = [k for k in keys if k in _REDIRECTING_ENV]
                if bad:
                    raise Decline(
                        f"ENV {bad[0]} decides where packages are installed; the rule won't second-guess it", ins
                    )
            if kw == "RUN":
                run = self.runs[i]
                for flag in ins.flags:
                    if (
                        flag.name == "mount"
                        and flag.value
                        and re.search(r"(?:^|,)type=(?:secret|ssh)(?:,|$)", flag.value)
                    ):
                        raise Decline(
                            "a RUN before the install mounts a secret or an SSH agent; the rule leaves private builds alone",
                            ins,
                        )
                if run.kind == "tool" and i > self.first:
                    raise Decline("a build tool is installed after the first dependency install; install it first", ins)
                if run.problem and run.kind != "install":
                    raise Decline(run.problem, ins)
                if run.kind == "generic" and self.first < i < self.last and not self._setup_only(run):
                    raise Decline(
                        "a RUN between two dependency installs would see a different set of packages after the split",
                        ins,
                    )
                for c in run.items:
                    if (
                        c.kind == "system"
                        and c.pc is not None
                        and c.pc.manager != "apt"
                        and run.kind in ("system", "install")
                    ):
                        if c.pc.manager == "apk":
                            raise Decline(
                                "apk packages on an Alpine base: the rule only knows how Debian's apt packages split between build and run time",
                                ins,
                                actionable=False,
                            )
                        raise Decline(
                            f"{c.pc.tool} packages: the rule only knows how Debian's apt packages split between build and run time",
                            ins,
                        )
                if any(word.startswith("python") and "setup.py" in run.words for word in run.names):
                    raise Decline(
                        "a RUN calls setup.py directly; the rule only moves pip/poetry/pipenv/uv installs", ins
                    )

    @staticmethod
    def _setup_only(run: _Run) -> bool:
        return (
            bool(run.items) and not run.commands.complex and all((c.cmd.name or "") in _SETUP_ONLY for c in run.items)
        )

    # -- what the installs read ----------------------------------------------------
    def _install_facts(self) -> _Facts:
        facts = _Facts()
        for i, run in self.runs.items():
            if i > self.last:
                continue
            for c in run.items:
                if c.cmd.name == "cd" and run.kind == "install":
                    facts.uses_cd = True
                if c.kind == "py-install" and c.pc is not None:
                    self._install_call(i, run, c.cmd, c.pc, facts)
                elif c.kind == "tool" and run.kind == "install":
                    self._system_tool(i, run, c.cmd, facts)
                elif c.kind == "py-helper" and c.pc is not None:
                    self._helper_call(c.cmd, c.pc, facts)
        facts.required -= facts.generated
        return facts

    def _install_call(self, index: int, run: _Run, cmd: SimpleCommand, pc: PackageInstall, facts: _Facts) -> None:
        ins = run.ins
        if cmd.words and cmd.words[0] in ("sudo", "doas"):
            raise Decline(f"`{cmd.words[0]}` resets PATH, so the install wouldn't use the virtualenv", ins)
        if pc.manager == "pip" or (pc.manager == "uv" and pc.action.startswith("pip ")):
            self._pip_like(index, run, cmd, pc, facts)
        elif pc.manager == "poetry":
            facts.pip_only = False
            if pc.has_option("-C", "--directory", "-P", "--project"):
                raise Decline("poetry runs on another directory (-C/--directory); the rule can't follow it", ins)
            facts.manifests |= {"pyproject.toml", "poetry.lock", "poetry.toml"}
            facts.required.add("pyproject.toml")
            if not pc.has_option("--no-root") and not project.poetry_package_mode_off(self._pyproject()):
                facts.editable_project = True
                facts.needs_tree = True
        elif pc.manager == "pipenv":
            facts.pip_only = False
            if not pc.has_option("--system"):
                raise Decline(
                    "`pipenv install` without --system installs into a virtualenv of its own (run with `pipenv run`); the rule only moves --system installs",
                    ins,
                )
            facts.manifests |= {"Pipfile", "Pipfile.lock"}
            facts.required.add("Pipfile")
            if self._context_text("Pipfile") and "editable" in (self._context_text("Pipfile") or ""):
                raise Decline("the Pipfile has editable entries, which point into the builder's source tree", ins)
        elif pc.manager == "uv":
            facts.pip_only = False
            facts.uv_project = True
            if pc.has_option("-p", "--python", "--project", "--directory", "--active"):
                raise Decline("`uv sync` is pointed at another interpreter or directory; the rule can't follow it", ins)
            facts.manifests |= {"pyproject.toml", "uv.lock", ".python-version", "uv.toml"}
            facts.required.add("pyproject.toml")
            installs_project = (
                not pc.has_option("--no-install-project", "--only-group") and not project.uv_virtual_project(self._pyproject())
            )
            if installs_project:
                facts.needs_tree = True
                if not pc.has_option("--no-editable"):
                    facts.editable_project = True
        else:  # pragma: no cover - package_call knows no other Python manager
            raise Decline(f"the rule doesn't know how `{pc.tool}` installs", ins)

    def _system_tool(self, index: int, run: _Run, cmd: SimpleCommand, facts: _Facts) -> None:
        """``pip install poetry`` in the install RUN: run it with the image's own interpreter,
        so poetry lands in /usr/local of the builder and not in the copied virtualenv."""
        program = cmd.program or ""
        offset = _first_word(cmd.raw, program)
        if offset is None or (
            cmd.raw[:offset].strip() and not all(_ASSIGNMENT_RE.fullmatch(w) for w in cmd.raw[:offset].split())
        ):
            raise Decline("one RUN installs a build tool and the dependencies; split it in two RUNs first", run.ins)
        start = cmd.start + offset
        facts.edits.append((index, start, start, "/usr/local/bin/"))
        facts.pip_only = False
        if not facts.system_tools:
            self.notes.append(
                f"`{cmd.name}` installing the build tool runs as /usr/local/bin/{program}, so the tool stays out of /opt/venv"
            )
        facts.system_tools = True

    def _pip_like(self, index: int, run: _Run, cmd: SimpleCommand, pc: PackageInstall, facts: _Facts) -> None:
        ins = run.ins
        if pc.editable:
            raise Decline(
                f"`{pc.tool} install -e` installs in editable mode: the link points into the builder's source tree, which the runtime stage doesn't have",
                ins,
            )
        if pc.has_option("-t", "--target", "--prefix", "--root"):
            raise Decline(
                "the install goes to a --target/--prefix/--root directory; the rule only moves installs into the interpreter",
                ins,
            )
        if pc.manager == "uv" and pc.has_option("-p", "--python"):
            raise Decline("`uv pip` is pointed at an interpreter (--python); it wouldn't use the virtualenv", ins)
        for opt, value in pc.option_values:
            if opt in ("-i", "--index-url", "--extra-index-url", "--index", "--default-index") and (
                "$" in value or re.search(r"//[^/]*@", value)
            ):
                raise Decline("the install uses a private index with credentials; the rule leaves it alone", ins)
        program = cmd.program or ""
        if "/" in program:
            raise Decline(f"the install calls `{program}` by its path, which bypasses the virtualenv", ins)
        m = _VERSIONED_RE.fullmatch(cmd.name or "")
        if m:
            facts.interpreters.add(f"python{m.group(1)}")
        if pc.manager == "uv":
            facts.pip_only = False
            if pc.has_option("--system"):
                if ins.json_args is not None or ins.heredocs:
                    raise Decline(
                        "`uv pip --system` installs into the system interpreter and the flag can't be removed from this RUN",
                        ins,
                    )
                offset = _find_word(cmd.raw, "--system")
                if offset is None:
                    raise Decline(
                        "`uv pip --system` installs into the system interpreter and the flag can't be removed here", ins
                    )
                start = cmd.start + offset
                # drop the flag with the blank in front of it
                facts.edits.append((index, start - 1, start + len("--system"), ""))
            if pc.action == "pip sync":
                names = [a for a in pc.arguments]
                facts.manifests.update(_basename(a) for a in names)
                facts.required.update(_basename(a) for a in names)
        facts.user_flags.append(pc.has_option("--user"))
        files = [*pc.requirement_files, *pc.constraint_files]
        for f in files:
            facts.manifests.add(_basename(f))
            facts.required.add(_basename(f))
            first = f.lstrip("./").split("/", 1)[0]
            if "/" in f.lstrip("./") and not f.startswith("/"):
                facts.manifest_dirs.add(first)
            self._read_requirements(f, facts, ins)
        for path in pc.local_paths:
            if path.endswith((".whl", ".tar.gz", ".tgz", ".zip")):
                facts.manifests.add(_basename(path))
                facts.required.add(_basename(path))
            else:
                facts.needs_tree = True
        for spec in pc.packages:
            if "file:" in spec:
                facts.needs_tree = True
        if pc.has_option("-f", "--find-links"):
            link = pc.option_value("-f", "--find-links") or ""
            if "://" not in link:
                facts.needs_tree = True

    def _helper_call(self, cmd: SimpleCommand, pc: PackageInstall, facts: _Facts) -> None:
        outputs: list[str] = []
        if pc.manager == "poetry" and pc.action == "export":
            facts.manifests |= {"pyproject.toml", "poetry.lock"}
            facts.required.add("pyproject.toml")
            out = pc.option_value("-o", "--output")
            if out:
                outputs.append(out)
        elif pc.manager == "pipenv" and pc.action in ("requirements", "lock"):
            facts.manifests |= {"Pipfile", "Pipfile.lock"}
            facts.required.add("Pipfile")
        elif pc.manager == "uv" and pc.action in ("export", "lock"):
            facts.manifests |= {"pyproject.toml", "uv.lock"}
            facts.required.add("pyproject.toml")
            out = pc.option_value("-o", "--output-file")
            if out:
                outputs.append(out)
        for redirect in cmd.redirects:
            m = re.fullmatch(r"\s*1?>{1,2}\s*(\S+)\s*", redirect)
            if m:
                outputs.append(m.group(1))
        facts.generated.update(_basename(o) for o in outputs)

    # -- build context -----------------------------------------------------------------
    def _context_text(self, rel: str) -> str | None:
        root = self.ctx.context_dir
        if root is None:
            return None
        candidates = [rel.lstrip("/"), rel.removeprefix("./"), _basename(rel)]
        for cand in candidates:
            path = Path(root) / cand
            try:
                if path.is_file() and path.resolve().is_relative_to(Path(root).resolve()):
                    return path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
        return None

    def _read_requirements(self, rel: str, facts: _Facts, ins: Instruction, seen: set[str] | None = None) -> None:
        seen = set() if seen is None else seen
        if rel in seen:
            return
        seen.add(rel)
        text = self._context_text(rel)
        if text is None:
            return
        base = posixpath.dirname(rel)
        for raw in text.splitlines():
            line = re.sub(r"(^|\s)#.*$", "", raw).strip()
            if not line:
                continue
            m = re.match(r"(-r|--requirement|-c|--constraint)[=\s]+(\S+)", line)
            if m:
                nested = posixpath.join(base, m.group(2)) if base else m.group(2)
                facts.manifests.add(_basename(nested))
                facts.required.add(_basename(nested))
                self._read_requirements(nested, facts, ins, seen)
            elif re.match(r"(-e|--editable)\b", line):
                raise Decline(
                    f"{rel} has an editable requirement ({line}); it would point into the builder's source tree", ins
                )
            elif (
                line.startswith((".", "/", "file:"))
                or "@ file:" in line
                or re.match(r"(-f|--find-links)[=\s]+[^:]+$", line)
            ):
                facts.needs_tree = True

    def _pyproject(self) -> dict[str, Any] | None:
        return project.load_toml(self._context_text("pyproject.toml"))

    # -- layout ----------------------------------------------------------------------------
    def _layout(self, facts: _Facts) -> Literal["venv", "user"]:
        flags = facts.user_flags
        explicit = any(flags)
        if explicit and (not all(flags) or not facts.pip_only):
            raise Decline("some installs use `pip --user` and some don't; the rule can't put them in one place")
        if explicit:
            self.notes.append(
                "the file already installs with pip --user, so the builder keeps that and the runtime copies /root/.local"
            )
            return "user"
        if self.ctx.layout != "user":
            return "venv"
        if not facts.pip_only or any(r.kind == "tool" for r in self.runs.values()):
            self.notes.append("layout=user needs plain pip installs; poetry/pipenv/uv install into /opt/venv instead")
            return "venv"
        for ins in self.body:
            if ins.keyword == "USER" and ins.args.strip() not in _ROOT_USERS:
                self.notes.append(
                    f"layout=user not used: USER {ins.args} couldn't read /root/.local, so the packages go to /opt/venv instead"
                )
                return "venv"
        edits: list[tuple[int, int, int, str]] = []
        for i, run in self.runs.items():
            if run.kind != "install":
                continue
            if run.ins.json_args is not None or run.ins.heredocs:
                self.notes.append(
                    "layout=user not used: an exec-form install can't take --user, so the packages go to /opt/venv instead"
                )
                return "venv"
            for c in run.items:
                if c.kind == "py-install":
                    offset = _first_word(c.cmd.raw, "install")
                    if offset is None:
                        self.notes.append(
                            "layout=user not used: an install line couldn't take --user, so the packages go to /opt/venv instead"
                        )
                        return "venv"
                    at = c.cmd.start + offset + len("install")
                    edits.append((i, at, at, " --user"))
        facts.edits.extend(edits)
        return "user"

    # -- where each instruction goes ----------------------------------------------------------
    def _placement(self, facts: _Facts) -> dict[int, str]:
        """'builder', 'runtime', 'both' or 'apt' (decided by the apt plan) for every index."""
        out: dict[int, str] = {}
        provided: set[str] = set()
        manifest_copies: set[int] = set()
        for i, ins in enumerate(self.body[: self.last + 1]):
            if ins.keyword in ("COPY", "ADD") and self._is_manifest_copy(ins, facts):
                manifest_copies.add(i)
                sd = ins.copy_sources_and_dest()
                assert sd is not None
                provided.update(_basename(s) for s in sd[0])
        all_provided = facts.required <= provided | facts.generated or all(
            any(fnmatch.fnmatchcase(r, p) for p in provided) for r in facts.required - facts.generated
        )
        builder_generic_after = self._generic_builder_positions()
        whole_later = self._whole_context_copies()
        for i, ins in enumerate(self.body):
            kw = ins.keyword
            if i > self.last:
                out[i] = "runtime"
                continue
            if kw in ("ARG", "ENV", "WORKDIR", "SHELL", "USER"):
                out[i] = "both"
            elif kw in ("COPY", "ADD"):
                out[i] = self._place_copy(
                    i, ins, facts, manifest_copies, all_provided, builder_generic_after, whole_later
                )
            elif kw == "RUN":
                run = self.runs[i]
                if run.kind in ("install", "tool", "helper"):
                    out[i] = "apt" if run.kind == "install" and self._apt_installs(run) else "builder"
                elif run.kind == "system":
                    out[i] = "apt"
                elif self._setup_only(run):
                    out[i] = "runtime"
                else:
                    out[i] = "both"
            else:
                out[i] = "runtime"
        # A builder COPY --chown=name needs the user the runtime-only setup RUNs create.
        if any(
            out[i] in ("builder", "both") and (self.body[i].flag("chown") is not None)
            for i in range(self.last + 1)
            if self.body[i].keyword in ("COPY", "ADD")
        ):
            for i in range(self.last + 1):
                if (
                    out[i] == "runtime"
                    and self.body[i].keyword == "RUN"
                    and any(
                        (c.cmd.name or "") in ("useradd", "groupadd", "adduser", "addgroup") for c in self.runs[i].items
                    )
                ):
                    out[i] = "both"
        return out

    def _is_manifest_copy(self, ins: Instruction, facts: _Facts) -> bool:
        if ins.flag("from") is not None:
            return False
        sd = ins.copy_sources_and_dest()
        if sd is None:
            return False
        sources = sd[0]
        for src in sources:
            if "://" in src or _is_whole_context(src):
                return False
            name = _basename(src)
            if name in facts.manifests or any(fnmatch.fnmatchcase(m, name) for m in facts.manifests):
                continue
            if src.rstrip("/").lstrip("./") in facts.manifest_dirs:
                continue
            return False
        return True

    def _generic_builder_positions(self) -> list[int]:
        return [i for i, r in self.runs.items() if i <= self.last and r.kind == "generic" and not self._setup_only(r)]

    def _whole_context_copies(self) -> list[int]:
        out = []
        for i, ins in enumerate(self.body):
            if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
                sd = ins.copy_sources_and_dest()
                if sd and any(_is_whole_context(s) for s in sd[0]):
                    out.append(i)
        return out

    def _place_copy(
        self,
        i: int,
        ins: Instruction,
        facts: _Facts,
        manifest_copies: set[int],
        all_provided: bool,
        generic_builder: list[int],
        whole_copies: list[int],
    ) -> str:
        src_from = ins.flag("from")
        if src_from is not None:
            return "builder" if "astral-sh/uv" in (src_from.value or "") else "both"
        if i in manifest_copies:
            later_whole = any(j > i for j in whole_copies)
            return "builder" if later_whole else "both"
        sd = ins.copy_sources_and_dest()
        if sd is None or any(_is_whole_context(s) or "://" in s for s in sd[0]):
            return "both"
        if facts.needs_tree or not all_provided or any(j > i for j in generic_builder):
            return "both"
        return "runtime"

    def _check_same_path(self, placement: dict[int, str], facts: _Facts) -> None:
        """An editable project install links to its source directory: the runtime stage must have the code there."""
        ins = self.body[self.last]
        if facts.uses_cd:
            raise Decline(
                "the project is installed in editable mode after a `cd`; the rule can't tell where its link points", ins
            )
        workdirs = _workdir_texts(self.body)
        target = workdirs[self.last]
        for i in self._whole_context_copies():
            sd = self.body[i].copy_sources_and_dest()
            if placement[i] not in ("runtime", "both") or sd is None:
                continue
            dest = sd[1]
            resolved = posixpath.normpath(dest if dest.startswith(("/", "$")) else posixpath.join(workdirs[i], dest))
            if resolved == target:
                return
        raise Decline(
            f"the project itself is installed in editable mode (a link to {target}), and the runtime stage doesn't copy the code "
            "to that directory; install with --no-root (poetry) or --no-install-project/--no-editable (uv)",
            ins,
        )

    @staticmethod
    def _apt_installs(run: _Run) -> list[PackageInstall]:
        return [
            c.pc
            for c in run.items
            if c.kind == "system" and c.pc is not None and c.pc.manager == "apt" and c.pc.is_install
        ]

    # -- commands each stage runs ----------------------------------------------------------------
    def _runtime_instructions(self, placement: dict[int, str]) -> list[Instruction]:
        return [self.body[i] for i in range(len(self.body)) if placement[i] in ("runtime", "both")]

    def _commands(self, placement: dict[int, str]) -> tuple[set[str], set[str]]:
        runtime: set[str] = set()
        builder: set[str] = set()
        for i, ins in enumerate(self.body):
            if ins.keyword == "RUN" and placement[i] == "apt":
                # the packages an apt step installs aren't commands the builder calls
                builder |= {
                    w for c in self.runs[i].items if c.kind != "system" for w in (c.cmd.name, *c.cmd.words) if w
                }
                continue
            if placement[i] in ("runtime", "both"):
                runtime |= _program_names(ins)
            if placement[i] in ("builder", "both") and ins.keyword == "RUN":
                builder |= self.runs[i].words
        runtime |= self._script_words(placement)
        return runtime, builder

    def _script_words(self, placement: dict[int, str]) -> set[str]:
        """Words of the shell scripts the image starts with (read from the build context)."""
        out: set[str] = set()
        self.shebang_problem: str | None = None
        for ins in self._runtime_instructions(placement):
            if ins.keyword not in ("CMD", "ENTRYPOINT"):
                continue
            argv = ins.json_args
            first = argv[0] if argv else (ins.args.split() or [""])[0]
            if not first or ("/" not in first and not first.endswith((".sh", ".py"))):
                continue
            text = self._context_text(first)
            if text is None:
                continue
            head = text.split("\n", 1)[0]
            if head.startswith("#!") and "/usr/local/bin/python" in head:
                self.shebang_problem = f"{first} starts with `{head.strip()}`, the interpreter without the packages"
            out.update(re.findall(r"[A-Za-z0-9_.+-]+", text[:65536]))
        return out

    def _check_runtime(self, placement: dict[int, str], facts: _Facts) -> None:
        toolchain = tables().toolchain_commands
        copied_bins = set()
        for ins in self._runtime_instructions(placement):
            if ins.keyword in ("COPY", "ADD"):
                sd = ins.copy_sources_and_dest()
                if sd:
                    copied_bins.add(sd[1])
                    copied_bins.update(posixpath.join(sd[1], _basename(s)) for s in sd[0])
        # /usr/local/bin/tini fetched with curl, moved or linked there by a RUN: the image's own file
        made_bins: set[str] = set()
        for i, run in self.runs.items():
            if placement[i] in ("runtime", "both") and (
                run.names & _FILE_MAKERS or any(c.cmd.redirects for c in run.items)
            ):
                text, _ = shell_script(run.ins)
                made_bins.update(re.findall(r"/usr/local/bin/[A-Za-z0-9_.+-]+", text))
        if self.shebang_problem:
            raise Decline(self.shebang_problem)
        for i, ins in enumerate(self.body):
            if placement[i] not in ("runtime", "both"):
                continue
            kw = ins.keyword
            if kw not in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL"):
                continue
            text, _ = shell_script(ins) if kw != "SHELL" else (" ".join(ins.value), False)
            full = text + "".join(h.content for h in ins.heredocs)
            if kw == "RUN":
                run = self.runs[i]
                if run.kind == "system":
                    continue
                names = run.names
                compilers = sorted(names & toolchain)
                if compilers:
                    raise Decline(
                        f"a RUN that stays in the runtime stage calls `{compilers[0]}`, a build tool: the image compiles something at run time",
                        ins,
                    )
                if any(n.startswith("python") for n in names) and "setup.py" in run.words:
                    raise Decline("a RUN after the install calls setup.py, which needs the build tools", ins)
            else:
                names = _command_names(ins)
            tools = sorted(names & _PY_TOOL_COMMANDS)
            if tools and kw != "SHELL":
                raise Decline(
                    f"`{tools[0]}` is used after the install, but it is a build tool that stays in the builder stage",
                    ins,
                )
            switch = sorted(names & _USER_SWITCH)
            if switch:
                raise Decline(f"`{switch[0]}` resets PATH, so the virtualenv's executables wouldn't be found", ins)
            if "/usr/local/lib/python" in full or "site-packages" in full:
                raise Decline(
                    "a step after the install reads the installed packages under /usr/local, where they no longer are",
                    ins,
                )
            for m in re.finditer(r"/usr/local/bin/([A-Za-z0-9_.+-]+)", full):
                path, name = m.group(0), m.group(1)
                if not name.startswith(("python", "pip")) and (path in copied_bins or path in made_bins):
                    continue
                raise Decline(f"`{path}` is used after the install; the packages' scripts move to {VENV_DIR}/bin", ins)
            if re.search(r"(?:^|[\s/\"'=])\.venv/", full):
                raise Decline(
                    "a step after the install refers to a .venv directory; the packages move to /opt/venv", ins
                )

    # -- apt ----------------------------------------------------------------------------------------
    def _apt_plan(
        self, placement: dict[int, str], runtime_cmds: set[str], builder_cmds: set[str]
    ) -> dict[int, _AptStep]:
        """What happens to each apt step (placement 'apt') in the builder and in the runtime stage."""
        plan: dict[int, _AptStep] = {}
        index_only: list[int] = []
        for i in sorted(k for k, v in placement.items() if v == "apt"):
            run = self.runs[i]
            installs = self._apt_installs(run)
            calls = [c.pc for c in run.items if c.kind == "system" and c.pc is not None]
            if not installs:
                index_only.append(i)
                continue
            specs: list[str] = []
            for pc in installs:
                if pc.local_paths:
                    raise Decline("an apt install of a local .deb file: the rule can't tell what it is for", run.ins)
                for spec in pc.packages:
                    if "$" in spec or "`" in spec:
                        raise Decline(
                            f"apt packages come from a variable ({spec}); the rule can't tell which are build-only",
                            run.ins,
                        )
                    specs.append(spec)
            removed = {
                normalize_package_name("apt", p)
                for pc in calls
                if pc and pc.action in _REMOVE_ACTIONS
                for p in pc.packages
            }
            split = split_apt_packages(specs, runtime_commands=runtime_cmds, builder_commands=builder_cmds)
            rt = [p for p in split.runtime if normalize_package_name("apt", p) not in removed]
            kept_originals = [p for p in rt if p not in split.libraries]
            no_rec = not kept_originals or all(pc.has_option("--no-install-recommends") for pc in installs)
            same = not split.libraries and sorted(normalize_package_name("apt", p) for p in rt) == sorted(
                normalize_package_name("apt", p) for p in specs
            )
            if run.kind == "install":
                plan[i] = _AptStep(True, "replace" if rt else "drop", rt, no_rec, bool(split.libraries))
            else:
                mode: Literal["keep", "replace", "drop"] = (
                    "keep" if same and not removed else ("replace" if rt else "drop")
                )
                plan[i] = _AptStep(bool(split.builder), mode, rt, no_rec, bool(split.libraries))
        for i in index_only:
            run = self.runs[i]
            calls = [c.pc for c in run.items if c.kind == "system" and c.pc is not None]
            upgrade = any(pc.action in _UPGRADE_ACTIONS for pc in calls)
            later_builder = any(j > i and step.in_builder for j, step in plan.items())
            later_runtime = any(
                j > i and step.runtime == "keep" for j, step in plan.items()
            ) or self._later_runtime_apt(i, placement)
            plan[i] = _AptStep(later_builder, "keep" if upgrade or later_runtime else "drop", [], True, False)
        return plan

    def _later_runtime_apt(self, i: int, placement: dict[int, str]) -> bool:
        """Whether a RUN after ``i`` that stays in the runtime stage as written runs apt-get install."""
        for j, run in self.runs.items():
            if j > i and placement[j] in ("runtime", "both") and self._apt_installs(run):
                return True
        return False

    def _later_needs_lists(self, i: int, placement: dict[int, str], plan: dict[int, _AptStep]) -> bool:
        """Whether a later runtime RUN installs with apt without refreshing the index itself."""
        for j, run in self.runs.items():
            if j <= i:
                continue
            kept = placement[j] in ("runtime", "both") or (placement[j] == "apt" and plan[j].runtime == "keep")
            if not kept:
                continue
            calls = [c.pc for c in run.items if c.kind == "system" and c.pc is not None]
            if any(pc.is_install for pc in calls if pc.manager == "apt") and not any(
                pc.refreshes_index for pc in calls
            ):
                return True
        return False

    def _apt_run(self, i: int, step: _AptStep, placement: dict[int, str], plan: dict[int, _AptStep]) -> Instruction:
        """The runtime stage's own apt install for step ``i``: its run-time packages, with list cleanup."""
        run = self.runs[i]
        packages = step.packages
        installs = self._apt_installs(run)
        assignments = " ".join(_quote_assignment(a) for a in installs[0].command.assignments) if installs else ""
        prefix = f"{assignments} " if assignments else ""
        flag = " --no-install-recommends" if step.no_recommends else ""
        commands = ["apt-get update", f"{prefix}apt-get install -y{flag} {' '.join(_shell_quote(p) for p in packages)}"]
        if not self._later_needs_lists(i, placement, plan):
            commands.append("rm -rf /var/lib/apt/lists/*")
        leading: list[Trivia] = []
        if step.libraries:
            kept = [p for p in packages if p not in runtime_libraries_of(run)]
            comment = (
                "shared libraries the packages built in the builder stage load at run time"
                if not kept
                else "packages the app uses at run time, and the shared libraries the packages built in the builder stage load"
            )
            leading = self.style.comment_lines([comment])
        return self.style.run(commands, leading=leading)

    # -- assembly ------------------------------------------------------------------------------------
    def _assemble(
        self,
        placement: dict[int, str],
        apt: dict[int, _AptStep],
        facts: _Facts,
        layout: str,
    ) -> Dockerfile:
        style = self.style
        name = self._builder_name()
        from_ins = self.stage.from_instruction
        builder_from = _named_from(from_ins, name)
        if builder_from is None:
            raise Decline("the FROM line is continued over several lines; the rule won't edit it", from_ins)
        body = list(self.body)
        # edits inside install commands (uv pip --system, pip --user)
        by_run: dict[int, list[tuple[int, int, str]]] = {}
        for idx, start, end, text in facts.edits:
            by_run.setdefault(idx, []).append((start, end, text))
        for idx, spans in by_run.items():
            edited = body[idx].edit_args(spans)
            if edited is None:
                raise Decline("an install flag sits across a line continuation; the rule won't edit it", body[idx])
            body[idx] = edited

        # builder stage
        b = _Out()
        b_kinds: list[str] = []
        for i in range(self.last + 1):
            ins = body[i]
            p = placement[i]
            in_builder = p in ("builder", "both") or (p == "apt" and apt[i].in_builder)
            if in_builder:
                b.add(_clone(ins) if p == "both" or (p == "apt" and apt[i].runtime == "keep") else ins)
                run = self.runs.get(i)
                b_kinds.append(run.kind if run else ins.keyword)
            else:
                b.drop(ins)
        builder_items = b.items
        if layout == "venv":
            interp = "python"
            if len(facts.interpreters) > 1:
                raise Decline("the installs use different interpreters (" + ", ".join(sorted(facts.interpreters)) + ")")
            if facts.interpreters:
                interp = next(iter(facts.interpreters))
            block = [
                style.instruction("RUN", f"{interp} -m venv {VENV_DIR}"),
                style.env([("VIRTUAL_ENV", VENV_DIR), ("PATH", f"{VENV_DIR}/bin:$PATH")]),
            ]
            if facts.uv_project:
                # uv sync targets the project's .venv unless told otherwise; a downloaded
                # interpreter would live outside /opt/venv, so only the image's one is allowed
                block.append(style.env([("UV_PROJECT_ENVIRONMENT", VENV_DIR), ("UV_PYTHON_DOWNLOADS", "never")]))
            anchor = next(k for k, kind in enumerate(b_kinds) if kind == "install")
            while anchor > 0 and (b_kinds[anchor - 1] in ("COPY", "ADD", "helper")):
                anchor -= 1
            target = builder_items[anchor]
            blank = _blank_prefix(target.leading)
            builder_items[anchor] = target.with_leading(target.leading[len(blank) :])
            block[0] = block[0].with_leading(blank)
            builder_items[anchor:anchor] = block

        # runtime stage
        r = _Out()
        env_dir = VENV_DIR if layout == "venv" else USER_BASE
        copy_ins = style.instruction("COPY", f"{env_dir} {env_dir}", [f"--from={name}"])
        copy_at: int | None = None
        for i, ins in enumerate(body):
            p = placement[i]
            if i == self.first:
                r.drop(ins)
                if p == "apt" and apt[i].runtime == "replace":
                    r.add(self._apt_run(i, apt[i], placement, apt))
                r.add(copy_ins)
                copy_at = len(r.items) - 1
                copy_at = _hoist(r.items, copy_at)
                continue
            if p in ("runtime", "both"):
                r.add(ins)
            elif p == "apt":
                mode = apt[i].runtime
                if mode == "keep":
                    r.add(ins)
                elif mode == "replace":
                    r.drop(ins)
                    r.add(self._apt_run(i, apt[i], placement, apt))
                else:
                    r.drop(ins)
            else:
                r.drop(ins)
        runtime_items = r.items
        assert copy_at is not None
        bin_dir = f"{env_dir}/bin"
        path_plan = path_env.plan_path(runtime_items, copy_at, bin_dir, (), self.doc.global_args)
        if path_plan.reason is not None:
            raise Decline(path_plan.reason, path_plan.culprit)
        if not path_plan.present:
            assert path_plan.insert_at is not None
            pairs = (
                [("VIRTUAL_ENV", VENV_DIR), ("PATH", f"{bin_dir}:$PATH")]
                if layout == "venv"
                else [("PATH", f"{bin_dir}:$PATH")]
            )
            env = style.env(pairs)
            at = path_plan.insert_at
            if at != copy_at + 1:
                # going above an existing ENV: take its blank lines, leave it its comments
                target = runtime_items[at]
                blank = _blank_prefix(target.leading)
                runtime_items[at] = target.with_leading(target.leading[len(blank) :])
                env = env.with_leading(blank)
            runtime_items.insert(at, env)

        if not runtime_items:  # pragma: no cover - the COPY is always there
            raise Decline("nothing would be left in the runtime stage")
        runtime_from = _clone(from_ins).with_leading([Trivia("blank", style.newline)])
        pre = [ins for ins in self.doc.instructions if ins is not from_ins and self.doc.stage_of(ins) is None]
        new_doc = self.doc.with_instructions([*pre, builder_from, *builder_items, runtime_from, *runtime_items])
        where = f"installs into {VENV_DIR}" if layout == "venv" else f"installs into {USER_BASE} with pip --user"
        message = f"split into a builder stage ({where}) and a runtime stage"
        moved = [p for i, step in apt.items() if step.in_builder for p in _moved_packages(self.runs[i], step.packages)]
        if moved:
            message += f"; build-only apt packages stay in the builder ({', '.join(dict.fromkeys(moved))})"
        libs = [p for step in apt.values() if step.libraries for p in step.packages]
        if libs:
            message += f"; the runtime stage installs {', '.join(dict.fromkeys(libs))}"
        for note in self.notes:
            message += f" ({note})"
        self.ctx.change(RULE, from_ins, message)
        return new_doc

    def _builder_name(self) -> str:
        taken = set()
        for ins in self.doc.instructions:
            if ins.keyword == "FROM" and ins.from_stage_name:
                taken.add(ins.from_stage_name.lower())
            for flag in ins.flags:
                if flag.name == "from" and flag.value:
                    taken.add(flag.value.lower())
                if flag.name == "mount" and flag.value:
                    for part in flag.value.split(","):
                        key, _, value = part.partition("=")
                        if key.strip() == "from":
                            taken.add(value.strip().lower())
        for candidate in ("builder", "build", "deps", "python-builder"):
            if candidate not in taken:
                return candidate
        n = 2
        while f"builder{n}" in taken:
            n += 1
        return f"builder{n}"


def runtime_libraries_of(run: _Run) -> list[str]:
    """The runtime library packages standing in for the -dev packages a RUN installs."""
    out: list[str] = []
    for c in run.items:
        if c.kind == "system" and c.pc is not None and c.pc.manager == "apt" and c.pc.is_install:
            for name in c.pc.package_names:
                out.extend(runtime_libraries(name) or ())
    return out


def _moved_packages(run: _Run, runtime: list[str]) -> list[str]:
    keep = {normalize_package_name("apt", p) for p in runtime}
    out: list[str] = []
    for c in run.items:
        if c.kind == "system" and c.pc is not None and c.pc.manager == "apt" and c.pc.is_install:
            out.extend(p for p in c.pc.package_names if p not in keep)
    return out


def _quote_assignment(text: str) -> str:
    name, _, value = text.partition("=")
    return f"{name}={_shell_quote(value)}" if value else f"{name}="


def _shell_quote(spec: str) -> str:
    return spec if re.fullmatch(r"[A-Za-z0-9_.+:=~/-]+", spec) else shlex.quote(spec)


def _clone(ins: Instruction) -> Instruction:
    return ins.with_changes()


def _blank_prefix(leading: Iterable[Trivia]) -> tuple[Trivia, ...]:
    out: list[Trivia] = []
    for t in leading:
        if t.kind != "blank":
            break
        out.append(t)
    return tuple(out)


class _Out:
    """An instruction list for one stage; blank lines of dropped instructions go to the next one."""

    def __init__(self) -> None:
        self.items: list[Instruction] = []
        self.pending: tuple[Trivia, ...] | None = None

    def drop(self, ins: Instruction) -> None:
        if self.pending is None:
            self.pending = _blank_prefix(ins.leading)

    def add(self, ins: Instruction) -> None:
        if self.pending and not _blank_prefix(ins.leading):
            ins = ins.with_leading(self.pending + ins.leading)
        self.pending = None
        self.items.append(ins)


def _hoist(items: list[Instruction], at: int) -> int:
    """Move the COPY --from at ``at`` above the plain COPY/ADD lines right before it (better cache reuse)."""
    while at > 0:
        prev = items[at - 1]
        if prev.keyword not in ("COPY", "ADD") or prev.flag("from") is not None or prev.heredocs:
            break
        sd = prev.copy_sources_and_dest()
        if sd is None or sd[1].startswith((VENV_DIR, USER_BASE)):
            break
        cur = items[at]
        blank_prev, blank_cur = _blank_prefix(prev.leading), _blank_prefix(cur.leading)
        items[at - 1] = cur.with_leading(blank_prev + cur.leading[len(blank_cur) :])
        items[at] = prev.with_leading(blank_cur + prev.leading[len(blank_prev) :])
        at -= 1
    return at


def _named_from(from_ins: Instruction, name: str) -> Instruction | None:
    args = from_ins.args
    existing = from_ins.from_stage_name
    if existing:
        return from_ins.edit_args([(len(args) - len(existing), len(args), name)])
    as_kw = "as" if from_ins.keyword_text.islower() else "AS"
    return from_ins.edit_args([(len(args), len(args), f" {as_kw} {name}")])


def _workdir_texts(body: Sequence[Instruction]) -> list[str]:
    """The WORKDIR text in effect before each instruction (variables left as written)."""
    out: list[str] = []
    current = "/"
    for ins in body:
        out.append(current)
        if ins.keyword == "WORKDIR":
            arg = ins.args.strip()
            current = posixpath.normpath(arg if arg.startswith(("/", "$")) else posixpath.join(current, arg))
    return out


def _substitute(text: str, known: dict[str, str | None]) -> str | None:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        default = m.group(2)
        value = known.get(name)
        if value is None:
            if default is not None:
                return default
            raise KeyError(name)
        return value

    try:
        return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, text)
    except KeyError:
        return None


def _split_image(ref: str) -> tuple[str, str]:
    ref = ref.split("@", 1)[0]
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    return name.lower(), tag.lower()


def _is_official_python(name: str) -> bool:
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        path = "/".join(parts[1:])
        return path in ("python", "library/python") or path.endswith("/library/python")
    return name in ("python", "library/python")


def _final_stage_installs(stage: Stage) -> list[Instruction]:
    return [ins for ins in stage.instructions if ins.keyword == "RUN" and analyse_run(ins).kind == "install"]


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    stages = doc.stages
    if not stages:
        return doc
    if len(stages) > 1:
        installs = _final_stage_installs(stages[-1])
        if installs and ctx.allowed(RULE, stages[-1].from_instruction, *installs):
            ctx.skip(RULE, installs[0], "already multi-stage; the rule only splits single-stage files", actionable=False)
        return doc
    stage = stages[0]
    if not ctx.allowed(RULE, *stage.all_instructions()):
        return doc
    try:
        new = _Splitter(doc, stage, ctx).split()
    except Decline as exc:
        ctx.skip(RULE, exc.ins or stage.from_instruction, exc.message, actionable=exc.actionable)
        return doc
    return doc if new is None else new


RULE = Rule(
    id="DO002",
    name="multi-stage",
    title="Split dependency installation into a builder stage",
    why="""
A single-stage image ships everything its build needed: compilers and `-dev`
headers installed for a source build, pip's download cache, poetry or pipenv
themselves. Splitting the file in two keeps them out of the image: a
`builder` stage on the same base installs the dependencies into a virtualenv
at /opt/venv, and the runtime stage copies just that directory
(`COPY --from=builder /opt/venv /opt/venv`) and puts its bin on PATH. The
runtime stage can then start from the slim image (the slim-base rule, DO004,
does that next), and the builder's layers never leave the build machine.

What moves where:

- builder: the FROM (same image, named `builder`), the ARG/ENV/WORKDIR lines
  the install runs under, the build-only apt packages (gcc, make, `-dev`
  headers, git, ...), the dependency manifests and the install;
  poetry/pipenv/uv are installed before the virtualenv is created, so they
  stay out of it.
- runtime stage: everything that matters at run time, in its original order
  (ENV, WORKDIR, USER, EXPOSE, LABEL, HEALTHCHECK, CMD, the code COPY, RUN
  steps such as useradd or collectstatic, apt packages the app uses), plus the
  shared libraries a compiled package loads (`libpq-dev` in the builder means
  `libpq5` here).

With `--layout user` plain pip installs use `pip install --user` and the
runtime stage copies /root/.local instead (not when the image runs as a
non-root USER, which couldn't read /root: then /opt/venv is used and the
change says so).
""",
    safety="safe",
    before="""\
FROM python:3.12
RUN apt-get update && apt-get install -y gcc libpq-dev
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
""",
    after="""\
FROM python:3.12 AS builder
RUN apt-get update && apt-get install -y gcc libpq-dev
WORKDIR /app
RUN python -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install -r requirements.txt

FROM python:3.12
# shared libraries the packages built in the builder stage load at run time
RUN apt-get update \\
    && apt-get install -y --no-install-recommends libpq5 \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY . .
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
""",
    apply=apply,
    notes="""
Only single-stage files built on the official python image are split; a file
with several FROMs is left alone (a second run changes nothing). The rule
declines, with the reason, when the install is something it doesn't model:
`pip install -e` or an editable line in a requirements file (the link would
point into the builder's source tree), `--target`/`--prefix`, `pipenv
install` without `--system`, an install mixed with other commands in one
RUN, a heredoc install, a secret or SSH mount, private index credentials,
ENV PIP_TARGET/PIP_USER/VIRTUAL_ENV and kin, an install running as a
non-root USER, or a file that already makes its own virtualenv. It also
declines when the runtime stage would break: a RUN after the install that
compiles (gcc, make ...), calls poetry/pipenv/uv, switches user with su/sudo,
or refers to /usr/local/bin, site-packages or a .venv; a started script whose
shebang is /usr/local/bin/python; apk/yum packages (the build/run-time table
is Debian's); ONBUILD; Windows and non-Python base images.

Alpine bases are split too when they install no apk packages: the
virtualenv works the same on musl. A build tool installed in the same RUN as
the dependencies (`pip install poetry && poetry install`) is pointed at
/usr/local/bin/pip so it stays out of /opt/venv; `uv pip install --system`
loses `--system` so it installs into the virtualenv.

apt packages that aren't known to be build-only stay in the runtime stage; a
`-dev` package whose libraries aren't in the table stays whole. An apt RUN that
mixes build-only and run-time packages is kept whole in the builder. `uv
sync` runs with UV_PROJECT_ENVIRONMENT=/opt/venv and UV_PYTHON_DOWNLOADS=never
(a downloaded interpreter would live outside the copied directory). poetry
and uv install the project itself in editable mode unless told not to; that
is only accepted when the runtime stage copies the code to the same
directory. A manifest COPY stays in the runtime stage too unless a later
`COPY . .` brings the file again. With a build context, requirements files
are read for nested `-r` files, editable lines and local paths.
""",
)
