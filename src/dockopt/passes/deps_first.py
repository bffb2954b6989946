"""DO001 deps-first: copy the dependency manifests and install before copying the code.

``COPY . .`` followed by ``RUN pip install -r requirements.txt`` makes every
code edit invalidate the install layer. Copying first only the files the
install reads (``requirements.txt``, ``pyproject.toml`` + ``poetry.lock``,
``Pipfile`` + ``Pipfile.lock`` ...) and the rest after the install keeps that
layer cached until the dependencies change; the image ends up with the same
files, because the full ``COPY . .`` still happens, just later.

The rule moves the code COPY down, past the RUNs that install dependencies,
and puts a manifest COPY (same ``--chown``/``--chmod``/``--link``) where the
code COPY was. It only does so when every instruction it moves the code COPY
past is known not to use the code: each RUN in between is parsed, and only
package installs whose input files are known, and a short list of commands
that neither read the project nor write where it goes, are accepted.

Installers that also install the project itself (``poetry install``,
``uv sync``) are split in two, as their documentation recommends for Docker:
``poetry install --no-root`` / ``uv sync --no-install-project`` before the
code, the original command after it. ``pip install .`` cannot be split
without guessing the dependencies, so it is left alone with a reason.

With ``ctx.context_dir`` the build context is read: ``-r``/``-c`` includes
inside requirement files are followed, files that do not exist or that
``.dockerignore`` excludes stop the rewrite, optional files (``poetry.toml``,
``.python-version``) are copied when present, and local path dependencies
(``-e .`` in a requirements file, ``path =`` in a Pipfile or pyproject) are
refused. Without it, requirement files named on the command line are taken as
self-contained (a nested one, ``requirements/prod.txt``, brings its whole
directory, since it may include its neighbours) and optional lock files are
copied with a ``*`` glob, so the COPY succeeds when they do not exist.
"""

from __future__ import annotations

import functools
import posixpath
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ..model import project
from ..model.packages import PackageInstall, package_call
from ..model.shell import SimpleCommand, parse_command
from ..style import Style
from ..syntax import Dockerfile, Instruction, Stage
from .base import Context, Rule

# ---------------------------------------------------------------------------
# Data table
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectTool:
    """How a project-based installer (poetry, uv, pipenv) reads its project."""

    name: str
    manifest: str
    lock: str
    lock_required_with: frozenset[str]
    extras: tuple[str, ...]
    deps_only: str
    project_done_with: frozenset[str]


@dataclass(frozen=True)
class Tables:
    projects: dict[str, ProjectTool]
    file_variables: frozenset[str]
    harmless: frozenset[str]
    path_args: frozenset[str]
    path_args_after_first: frozenset[str]


@cache
def tables() -> Tables:
    """``data/dependency_manifests.toml``, loaded once."""
    raw: dict[str, Any] = tomllib.loads(
        (resources.files("dockopt") / "data" / "dependency_manifests.toml").read_text("utf-8")
    )
    projects = {
        name: ProjectTool(
            name=name,
            manifest=entry["manifest"],
            lock=entry["lock"],
            lock_required_with=frozenset(entry["lock_required_with"]),
            extras=tuple(entry["extras"]),
            deps_only=entry["deps_only"],
            project_done_with=frozenset(entry["project_done_with"]),
        )
        for name, entry in raw["projects"].items()
    }
    cmds = raw["commands"]
    return Tables(
        projects=projects,
        file_variables=frozenset(raw["env"]["file_variables"]),
        harmless=frozenset(cmds["harmless"]),
        path_args=frozenset(cmds["path_args"]),
        path_args_after_first=frozenset(cmds["path_args_after_first"]),
    )


# ---------------------------------------------------------------------------
# Paths inside the image
# ---------------------------------------------------------------------------
# Paths are kept as absolute POSIX strings. The base image's WORKDIR is not
# known, so a stage without WORKDIR starts at UNKNOWN; a WORKDIR with a
# variable or quotes becomes an opaque root (OPAQUE + its text). Two paths on
# the same unknown root still compare lexically, which is all the rule needs
# to tell that `COPY . .` and `pip install -r requirements.txt` meet in the
# same directory.

UNKNOWN = "/\x00"
OPAQUE = "/\x01"


def resolve(base: str, path: str) -> str:
    if any(c in path for c in "$\"'\\`"):
        return OPAQUE + path
    if path.startswith("/"):
        return posixpath.normpath(path)
    if not literal(base) and ".." in path.split("/"):
        # `..` above an unknown directory leads nowhere dockopt can name.
        return OPAQUE + base + "/" + path
    return posixpath.normpath(posixpath.join(base, path))


def literal(path: str) -> bool:
    return not path.startswith((UNKNOWN, OPAQUE))


def under(path: str, root: str) -> bool:
    """``path`` is ``root`` or inside it (lexically)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def may_be_under(path: str, root: str) -> bool:
    """Whether ``path`` could be inside ``root`` once the unknown parts are known."""
    if literal(path) and literal(root):
        return under(path, root) or under(root, path)
    return True


def relative(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` when it is certainly inside it."""
    if path == root:
        return ""
    prefix = root.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


# ---------------------------------------------------------------------------
# The build context
# ---------------------------------------------------------------------------


class DockerIgnore:
    """``.dockerignore`` patterns, matched the way moby/patternmatcher matches them."""

    def __init__(self, text: str) -> None:
        self.patterns: list[tuple[re.Pattern[str], bool]] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            pattern = posixpath.normpath(line)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
            self.patterns.append((re.compile(_pattern_regex(pattern)), exclusion))

    def ignored(self, rel: str) -> bool:
        rel = posixpath.normpath(rel)
        parents = rel.split("/")[:-1]
        matched = False
        for regex, exclusion in self.patterns:
            if exclusion != matched:
                continue
            hit = regex.match(rel) is not None
            if not hit:
                hit = any(regex.match("/".join(parents[: i + 1])) for i in range(len(parents)))
            if hit:
                matched = not exclusion
        return matched


def _pattern_regex(pattern: str) -> str:
    out = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return "".join(out)


class ContextView:
    """Read-only questions about the build context; every answer is None when it is unknown."""

    def __init__(self, root: Path | None) -> None:
        self.root = Path(root) if root is not None else None
        self.ignore: DockerIgnore | None = None
        if self.root is not None:
            path = self.root / ".dockerignore"
            if path.is_file():
                self.ignore = DockerIgnore(path.read_text("utf-8", "replace"))

    @property
    def known(self) -> bool:
        return self.root is not None

    def exists(self, rel: str) -> bool | None:
        if self.root is None:
            return None
        return (self.root / rel).exists()

    def ignored(self, rel: str) -> bool:
        return self.ignore is not None and self.ignore.ignored(rel)

    def shipped(self, rel: str) -> bool | None:
        """The file exists and reaches the build (not excluded by .dockerignore)."""
        exists = self.exists(rel)
        return None if exists is None else exists and not self.ignored(rel)

    def read(self, rel: str) -> str | None:
        if self.root is None:
            return None
        path = self.root / rel
        if not path.is_file() or path.stat().st_size > 4_000_000:
            return None
        return path.read_text("utf-8", "replace")


# ---------------------------------------------------------------------------
# Analysis results
# ---------------------------------------------------------------------------

NeedKind = Literal["requirements", "file", "lock", "extra"]


@dataclass(frozen=True)
class Need:
    """A file an install reads, as an absolute path in the image."""

    path: str
    kind: NeedKind
    ins: Instruction


@dataclass
class Step:
    """What a RUN between the code COPY and the end of the install does."""

    ins: Instruction
    install: bool = False
    needs: list[Need] = field(default_factory=list)
    produces: list[str] = field(default_factory=list)
    projects: list[tuple[str, str]] = field(default_factory=list)  # (tool, manifest path) to check in the context
    first_step: Instruction | None = None  # deps-only command to run before the code COPY
    deps_only: str = ""


class Barrier(Exception):
    """An instruction the code COPY cannot be moved past."""

    def __init__(self, ins: Instruction, message: str, *, install: bool = False, report: bool = True) -> None:
        super().__init__(message)
        self.ins = ins
        self.message = message
        self.install = install  # the instruction is itself a dependency install
        self.report = report


class Decline(Exception):
    """The rewrite would be possible in shape but is not safe: skip with this reason."""

    def __init__(self, ins: Instruction, message: str, *, actionable: bool = True) -> None:
        super().__init__(message)
        self.ins = ins
        self.message = message
        self.actionable = actionable


@dataclass
class Plan:
    code_copy: Instruction
    manifest_copies: list[tuple[list[str], str]]  # (sources, destination)
    after: Instruction | None  # single step: put the code COPY after this RUN
    two_step: Step | None  # or: before this RUN, after its deps-only twin
    message: str


def _line(ins: Instruction) -> str:
    """Where an instruction is, for messages (instructions a pass wrote have no source line)."""
    return f"line {ins.line}" if ins.line is not None else "a line dockopt wrote"


# ---------------------------------------------------------------------------
# The pass
# ---------------------------------------------------------------------------


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    view = ContextView(ctx.context_dir)
    out = doc
    for stage in doc.stages:
        try:
            plan = plan_stage(doc, stage, ctx, view)
        except Decline as d:
            ctx.skip(RULE, d.ins, d.message, actionable=d.actionable)
            continue
        if plan is None:
            continue
        out = _rewrite(out, plan)
        ctx.change(RULE, plan.code_copy, plan.message)
    return out


_COPY_FLAGS_KEPT = frozenset({"chown", "chmod", "link"})


def is_code_copy(ins: Instruction) -> bool:
    """A COPY/ADD of the whole build context (``COPY . .``, ``ADD . /app``)."""
    if ins.keyword not in ("COPY", "ADD") or ins.heredocs:
        return False
    parts = ins.copy_sources_and_dest()
    return parts is not None and len(parts[0]) == 1 and parts[0][0] in (".", "./")


def initial_workdir(doc: Dockerfile, stage: Stage, depth: int = 0) -> str:
    """The WORKDIR a stage starts in: its parent stage's last one, or unknown for an image."""
    base = (stage.base or "").lower()
    for s in doc.stages[: stage.index]:
        if s.name and s.name.lower() == base and depth < 20:
            wd = initial_workdir(doc, s, depth + 1)
            for ins in s.instructions:
                if ins.keyword == "WORKDIR":
                    wd = resolve(wd, ins.args)
            return wd
    return UNKNOWN


def plan_stage(doc: Dockerfile, stage: Stage, ctx: Context, view: ContextView) -> Plan | None:
    instrs = stage.instructions
    wd = initial_workdir(doc, stage)
    env_files: list[tuple[str, Instruction]] = []
    seen_code_copy: Instruction | None = None
    for i, ins in enumerate(instrs):
        kw = ins.keyword
        if kw == "WORKDIR":
            wd = resolve(wd, ins.args)
        elif kw in ("ENV", "ARG"):
            env_files.extend((name, ins) for name in _declared_names(ins) if name in tables().file_variables)
        elif kw == "ONBUILD":
            child = ins.onbuild_child
            if child is not None and is_code_copy(child) and any(_mentions_install(x) for x in instrs[i + 1 :]):
                raise Decline(
                    ins,
                    "ONBUILD instructions run in the builds that start FROM this image; dockopt leaves them as written",
                    actionable=False,
                )
        elif kw == "SHELL" and not posix_shell(ins):
            return None  # RUN text is no longer POSIX shell (PowerShell, cmd): nothing below is understood
        elif is_code_copy(ins):
            plan = analyse(doc, stage, i, wd, ctx, view, env_files, seen_code_copy)
            if plan is not None:
                return plan
            seen_code_copy = ins
    return None


def posix_shell(ins: Instruction) -> bool:
    """``SHELL ["/bin/bash", "-o", "pipefail", "-c"]`` keeps RUN text POSIX shell; PowerShell or cmd does not."""
    argv = ins.json_args or []
    return bool(argv) and argv[0].rsplit("/", 1)[-1] in ("sh", "bash", "dash", "ash", "zsh") and argv[-1] == "-c"


def _declared_names(ins: Instruction) -> list[str]:
    if ins.keyword == "ENV":
        return [k for k, _ in ins.env_pairs]
    return [w.partition("=")[0] for w in ins.value]


def analyse(
    doc: Dockerfile,
    stage: Stage,
    index: int,
    wd: str,
    ctx: Context,
    view: ContextView,
    env_files: list[tuple[str, Instruction]],
    earlier_copy: Instruction | None,
) -> Plan | None:
    """Plan moving the code COPY at ``stage.instructions[index]`` below the installs after it."""
    instrs = stage.instructions
    copy = instrs[index]
    parts = copy.copy_sources_and_dest()
    assert parts is not None
    dest = parts[1]
    dest_abs = resolve(wd, dest)
    cwd = wd
    steps: list[Step] = []
    barrier: Barrier | None = None
    two_step: Step | None = None
    uses_vars = "$" in copy.logical
    chowned = any(f.name in ("chown", "chmod") for f in copy.flags)
    for j in range(index + 1, len(instrs)):
        x = instrs[j]
        kw = x.keyword
        try:
            if kw == "WORKDIR":
                if not dest.startswith("/") or chowned or uses_vars:
                    raise Barrier(
                        x,
                        f"the WORKDIR on {_line(x)} changes where the destination `{dest}` of the COPY on {_line(copy)} points",
                    )
                cwd = resolve(cwd, x.args)
            elif kw in ("ENV", "ARG"):
                if uses_vars:
                    raise Barrier(x, f"the {kw} on {_line(x)} may change a variable the COPY on {_line(copy)} uses")
                env_files.extend((name, x) for name in _declared_names(x) if name in tables().file_variables)
            elif kw == "VOLUME" or (kw == "SHELL" and not posix_shell(x)):
                raise Barrier(x, f"the {kw} on {_line(x)} changes how later instructions see the files")
            elif kw in ("COPY", "ADD"):
                _check_other_copy(x, dest_abs)
            elif kw == "RUN":
                step = classify_run(x, cwd, dest_abs, view, env_files)
                if not step.install:
                    continue
                if not ctx.allowed(RULE, x):
                    raise Barrier(x, "suppressed", report=False)
                if step.first_step is not None:
                    if _already_split(instrs[:index], step):
                        raise Barrier(x, "already split", report=False)
                    two_step = step
                    steps.append(step)
                    break
                steps.append(step)
            # LABEL, EXPOSE, USER, CMD, ENTRYPOINT, HEALTHCHECK, STOPSIGNAL, ONBUILD, MAINTAINER:
            # they neither read nor write the image's files during the build.
        except Barrier as b:
            barrier = b
            break
    if not steps:
        if barrier is None or not barrier.report:
            return None
        if barrier.install:
            raise Decline(barrier.ins, barrier.message)
        if any(_mentions_install(x) for x in instrs[instrs.index(barrier.ins) + 1 :]):
            raise Decline(
                barrier.ins,
                f"{barrier.message}; it runs between the code COPY on {_line(copy)} and the dependency install, "
                "so the COPY cannot move below the install",
            )
        return None
    if not ctx.allowed(RULE, copy):
        return None
    # The shape is right; now everything that could make the rewrite wrong.
    source_stage = copy.flag("from")
    if source_stage is not None:
        raise Decline(
            copy,
            f"the COPY on {_line(copy)} copies from `--from={source_stage.value}`, not from the build context; dockopt cannot tell which of those files the install reads",
        )
    odd = [f.raw for f in copy.flags if f.name not in _COPY_FLAGS_KEPT]
    if odd:
        raise Decline(
            copy,
            f"the COPY on {_line(copy)} has {' '.join(odd)}, which dockopt does not carry over to a manifest COPY",
        )
    if earlier_copy is not None:
        raise Decline(
            copy, f"the build context is copied twice before the install ({_line(earlier_copy)} and {_line(copy)})"
        )
    if env_files:
        name, where = env_files[0]
        raise Decline(where, f"{name} ({_line(where)}) makes the installer read a file dockopt does not follow")
    sources, notes = _manifests(steps, dest_abs, copy, instrs[:index], initial_workdir(doc, stage), view)
    groups = _group(sources, dest)
    last = steps[-1]
    tools = [s.deps_only for s in steps if s.first_step is not None]
    shown = f"`{copy.keyword_text} {copy.args}` ({_line(copy)})"
    if sources:
        what = ", ".join(f"`{s}`" for s in sources)
        message = (
            f"copy {what} and install the dependencies before {shown}, so code edits keep the install layer cached"
        )
    else:
        message = f"move {shown} below the dependency install (its manifests are already copied), so code edits keep the install layer cached"
    if tools:
        message += f"; the install runs first with {tools[0]} and again after the code to add the project"
    if notes:
        message += f" ({'; '.join(notes)})"
    return Plan(
        code_copy=copy,
        manifest_copies=groups,
        after=None if two_step is not None else last.ins,
        two_step=two_step,
        message=message,
    )


def _already_split(before: Sequence[Instruction], step: Step) -> bool:
    """An earlier RUN already runs the deps-only twin of this install (the file is in two-step form)."""
    return bool(step.deps_only) and any(ins.keyword == "RUN" and step.deps_only in ins.args.split() for ins in before)


def _check_other_copy(x: Instruction, dest_abs: str) -> None:
    parts = x.copy_sources_and_dest()
    if parts is None:
        raise Barrier(x, f"the {x.keyword} on {_line(x)} may write where the code goes")
    target = parts[1]
    if not target.startswith("/") or "$" in target or may_be_under(posixpath.normpath(target), dest_abs):
        raise Barrier(x, f"the {x.keyword} on {_line(x)} writes to `{target}`, where the code COPY also writes")


# ---------------------------------------------------------------------------
# RUN classification
# ---------------------------------------------------------------------------

_PYTHON_RE = re.compile(r"python[0-9]*(?:\.[0-9]+)*")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_REDIRECT_RE = re.compile(r"^([0-9]*)(&>>|&>|>>|>\||>&|<>|<&|<<<|<<-|<<|>|<)\s*(.*)$", re.S)
_SPECIAL_FILES = ("/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty")


def _mentions_install(ins: Instruction) -> bool:
    """A RUN that (at a glance) installs dependencies from files: used only to decide whether to report."""
    if ins.keyword == "ONBUILD":
        child = ins.onbuild_child
        return child is not None and _mentions_install(child)
    if ins.keyword != "RUN":
        return False
    texts = [ins.args, *(h.content for h in ins.heredocs)]
    for text in texts:
        for cmd in parse_command(text).items:
            call = package_call(cmd)
            if call is None or call.manager not in ("pip", "uv", "poetry", "pipenv"):
                continue
            if call.requirement_files or call.constraint_files or call.local_paths or call.editable:
                return True
            if call.action in ("install", "sync", "pip sync") and call.manager in ("poetry", "pipenv", "uv"):
                return True
    return False


def _words_with_substitution(cmd: SimpleCommand) -> bool:
    return any("$(" in w or "`" in w for w in (*cmd.words, *cmd.assignments))


def classify_run(
    x: Instruction,
    cwd: str,
    dest_abs: str,
    view: ContextView,
    env_files: list[tuple[str, Instruction]],
) -> Step:
    """What a RUN between the code COPY and the install does, or a Barrier."""
    hint = _mentions_install(x)
    if x.heredocs:
        raise Barrier(x, f"the RUN on {_line(x)} runs a heredoc script, which dockopt does not analyse", install=hint)
    if x.json_args is not None:
        raise Barrier(x, f"the exec-form RUN on {_line(x)} is not analysed", install=hint)
    cl = parse_command(x.args)
    if cl.complex:
        raise Barrier(x, f"the RUN on {_line(x)} is a shell construct dockopt does not analyse", install=hint)
    step = Step(x)
    here = cwd
    t = tables()
    for cmd in cl.items:
        if _words_with_substitution(cmd):
            raise Barrier(
                x, f"the RUN on {_line(x)} uses command substitution, which may read the copied code", install=hint
            )
        for assignment in cmd.assignments:
            var = assignment.partition("=")[0]
            if var in t.file_variables:
                env_files.append((var, x))
        name = cmd.name
        allowed_outputs: set[str] = set()
        if name is None:
            pass
        elif name == "cd":
            args = [a for a in cmd.args if a != "--"]
            if len(args) != 1 or args[0] == "-":
                raise Barrier(x, f"the `cd` on {_line(x)} is not understood", install=hint)
            here = resolve(here, args[0])
        elif name == "export":
            for word in cmd.args:
                if word.partition("=")[0] in t.file_variables:
                    env_files.append((word.partition("=")[0], x))
        else:
            call = package_call(cmd)
            if call is not None:
                allowed_outputs = _classify_call(call, cmd, x, here, dest_abs, view, step, len(cl.items))
            elif name in t.harmless:
                pass
            elif name in t.path_args or name in t.path_args_after_first:
                positionals = [a for a in cmd.args if not a.startswith("-")]
                if name in t.path_args_after_first:
                    positionals = positionals[1:]
                _check_paths(x, name, positionals, dest_abs)
            elif _PYTHON_RE.fullmatch(name) and cmd.args[:2] == ("-m", "venv"):
                _check_paths(x, f"{name} -m venv", [a for a in cmd.args[2:] if not a.startswith("-")], dest_abs)
            elif name in ("pip", "pip3", "uv", "poetry") and all(a.startswith("-") for a in cmd.args):
                pass  # `pip --version`
            elif hint:
                raise Barrier(
                    x,
                    f"the RUN on {_line(x)} installs dependencies but also runs `{name}`, which may use the copied code",
                    install=True,
                )
            else:
                raise Barrier(x, f"`{name}` ({_line(x)}) may use the copied code")
        for op, target in _redirects(cmd):
            if target in _SPECIAL_FILES or (op in ("<&", ">&") and (target.isdigit() or target == "-")):
                continue
            if op in ("<<<", "<<", "<<-"):
                continue
            path = resolve(here, target)
            if path in allowed_outputs:
                continue
            if may_be_under(path, dest_abs):
                kind = "reads" if op.startswith("<") else "writes"
                raise Barrier(x, f"the RUN on {_line(x)} {kind} `{target}`, where the code goes", install=hint)
    return step


def _redirects(cmd: SimpleCommand) -> Iterable[tuple[str, str]]:
    for raw in cmd.redirects:
        m = _REDIRECT_RE.match(raw)
        if m is None:
            continue
        target = m.group(3).strip()
        if len(target) >= 2 and target[0] == target[-1] and target[0] in "'\"":
            target = target[1:-1]
        yield m.group(2), target


def _check_paths(x: Instruction, name: str, paths: Sequence[str], dest_abs: str) -> None:
    for p in paths:
        if not p.startswith("/") or "$" in p or may_be_under(posixpath.normpath(p), dest_abs):
            raise Barrier(x, f"`{name} {p}` ({_line(x)}) may touch the copied code")


def _classify_call(
    call: PackageInstall,
    cmd: SimpleCommand,
    x: Instruction,
    cwd: str,
    dest_abs: str,
    view: ContextView,
    step: Step,
    commands: int,
) -> set[str]:
    """Record what a package-manager call reads; return the files it may write (exports)."""
    m = call.manager
    shown = " ".join(cmd.words[:6]) + (" …" if len(cmd.words) > 6 else "")
    # Every project command below is checked against the same install context.
    check_project = functools.partial(
        _project, call=call, cmd=cmd, x=x, cwd=cwd, dest_abs=dest_abs, view=view, step=step, commands=commands, shown=shown
    )
    if m in ("apt", "apk", "yum"):
        if call.local_paths:
            raise Barrier(x, f"`{shown}` ({_line(x)}) installs local package files")
        return set()
    if m == "pip" or (m == "uv" and call.action.startswith("pip ")):
        return _classify_pip(call, x, cwd, dest_abs, step, shown)
    if m == "uv":
        if call.action == "sync":
            check_project(
                t_name="uv",
            )
            return set()
        if call.action == "export":
            if not call.has_option("--no-emit-project", "--no-emit-workspace", "--only-group"):
                raise Barrier(
                    x,
                    f"`{shown}` ({_line(x)}) exports the project itself (`-e .`), which needs the source tree; add --no-emit-project",
                    install=True,
                )
            check_project(
                t_name="uv",
                export=True,
            )
            return _export_output(call, cmd, ("-o", "--output-file"), cwd, step)
        if call.action == "venv":
            paths = [a for a in call.arguments]
            if not paths:
                raise Barrier(x, f"`{shown}` ({_line(x)}) creates .venv where the code goes")
            _check_paths(x, "uv venv", paths, dest_abs)
            return set()
        if call.action == "tool install":
            return set()
        raise Barrier(
            x,
            f"`{shown}` ({_line(x)}) is a uv command dockopt does not analyse",
            install=call.action in ("add", "lock", "run"),
        )
    if m == "poetry":
        if call.action in ("install", "sync"):
            check_project(
                t_name="poetry",
            )
            return set()
        if call.action == "export":
            check_project(
                t_name="poetry",
                export=True,
            )
            return _export_output(call, cmd, ("-o", "--output"), cwd, step)
        if call.action == "config" and not call.has_option("--local"):
            return set()
        if call.action == "self":
            return set()
        raise Barrier(
            x,
            f"`{shown}` ({_line(x)}) is a poetry command dockopt does not analyse",
            install=call.action in ("add", "lock", "update"),
        )
    if m == "pipenv":
        if call.action in ("install", "sync"):
            if call.packages or call.requirement_files or call.local_paths or call.arguments:
                raise Barrier(
                    x,
                    f"`{shown}` ({_line(x)}) adds packages to the Pipfile, which dockopt does not move",
                    install=True,
                )
            check_project(
                t_name="pipenv",
                export=call.action == "sync",
            )
            return set()
        if call.action == "requirements":
            check_project(
                t_name="pipenv",
                export=True,
            )
            return _export_output(call, cmd, (), cwd, step)
        raise Barrier(x, f"`{shown}` ({_line(x)}) is a pipenv command dockopt does not analyse", install=True)
    raise Barrier(x, f"`{shown}` ({_line(x)}) is not analysed")


_PIP_FILE_ACTIONS = frozenset({"install", "download", "wheel", "uninstall", "sync"})
_PIP_LOCAL_OPTIONS = (
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "-i",
    "--index-url",
    "--extra-index-url",
)


def _classify_pip(call: PackageInstall, x: Instruction, cwd: str, dest_abs: str, step: Step, shown: str) -> set[str]:
    action = call.action.removeprefix("pip ")
    if action not in _PIP_FILE_ACTIONS:
        return set()  # freeze, list, show, config, check, cache: no project files
    files = [*call.requirement_files, *call.constraint_files]
    if action == "sync":
        files.extend(call.arguments)
    if call.local_paths or call.editable:
        if call.has_option("--no-deps") and not files:
            # The project after its dependencies: already the layout this rule makes.
            raise Barrier(x, "installs the project without dependencies", report=False)
        raise Barrier(
            x,
            f"{_line(x)} installs the project itself (`{shown}`), which needs the whole source tree; "
            "install its dependencies from a requirements file first and the project with --no-deps after the code",
            install=True,
        )
    for opt, value in call.option_values:
        if opt not in _PIP_LOCAL_OPTIONS or _URL_RE.match(value):
            continue
        if opt in ("-i", "--index-url", "--extra-index-url") and not value.startswith(("file:", ".", "/")):
            continue
        path = resolve(cwd, value.removeprefix("file://").removeprefix("file:"))
        if may_be_under(path, dest_abs):
            raise Barrier(x, f"`{shown}` ({_line(x)}) uses {opt} {value}, which is where the code goes", install=True)
    if not files:
        return set()
    step.install = True
    for f in files:
        if _URL_RE.match(f):
            continue
        if any(c in f for c in "$`"):
            raise Barrier(x, f"`{shown}` ({_line(x)}) names its requirement file `{f}` with a variable", install=True)
        path = resolve(cwd, f)
        # A file written earlier in the same RUN (`poetry export > r.txt && pip install -r r.txt`) is not copied.
        if path not in step.produces:
            step.needs.append(Need(path, "requirements", x))
    return set()


def _project(
    *,
    t_name: str,
    call: PackageInstall,
    cmd: SimpleCommand,
    x: Instruction,
    cwd: str,
    dest_abs: str,
    view: ContextView,
    step: Step,
    commands: int,
    shown: str,
    export: bool = False,
) -> None:
    """A poetry/uv/pipenv command that reads the project in ``cwd``."""
    tool = tables().projects[t_name]
    if call.has_option("--project", "--directory", "-C", "-P"):
        raise Barrier(
            x, f"`{shown}` ({_line(x)}) names another project directory, which dockopt does not follow", install=True
        )
    if call.has_option("--only-root"):
        raise Barrier(
            x, f"`{shown}` ({_line(x)}) installs only the project itself, which needs the source tree", install=True
        )
    step.install = True
    step.needs.append(Need(resolve(cwd, tool.manifest), "file", x))
    lock_required = call.has_option(*tool.lock_required_with) or (
        t_name == "pipenv" and call.action in ("sync", "requirements")
    )
    step.needs.append(Need(resolve(cwd, tool.lock), "file" if lock_required else "lock", x))
    step.needs.extend(Need(resolve(cwd, extra), "extra", x) for extra in tool.extras)
    step.projects.append((t_name, resolve(cwd, tool.manifest)))
    if export or not tool.deps_only or call.has_option(*tool.project_done_with):
        return
    rel = relative(resolve(cwd, tool.manifest), dest_abs)
    if t_name == "poetry" and rel is not None and project.poetry_package_mode_off(_load_toml(view, rel)):
        return  # package-mode = false: poetry never installs the project itself
    if t_name == "uv" and rel is not None and project.uv_virtual_project(_load_toml(view, rel)):
        return  # no [build-system]: uv treats the project as virtual and never installs it
    if commands != 1 or cmd.redirects or "--" in cmd.words:
        raise Barrier(
            x,
            f"`{shown}` ({_line(x)}) also installs the project, so it has to run again after the code COPY; "
            "dockopt splits it only when it is the only command of its RUN",
            install=True,
        )
    first = x.edit_args([(cmd.end, cmd.end, f" {tool.deps_only}")])
    if first is None:
        raise Barrier(x, f"`{shown}` ({_line(x)}) cannot be edited in place", install=True)
    step.first_step = first
    step.deps_only = tool.deps_only


def _export_output(call: PackageInstall, cmd: SimpleCommand, options: Sequence[str], cwd: str, step: Step) -> set[str]:
    outputs: set[str] = set()
    value = call.option_value(*options) if options else None
    if value is not None:
        outputs.add(resolve(cwd, value))
    for op, target in _redirects(cmd):
        if op in (">", ">>", ">|", "&>", "&>>") and target not in _SPECIAL_FILES:
            outputs.add(resolve(cwd, target))
    step.produces.extend(sorted(outputs))
    return outputs


# ---------------------------------------------------------------------------
# Reading the project in the build context
# ---------------------------------------------------------------------------


def _load_toml(view: ContextView, rel: str) -> dict[str, Any] | None:
    return project.load_toml(view.read(rel))



def _project_problem(tool: str, rel: str, view: ContextView) -> str | None:
    """A reason the project's dependencies need more than its manifests (path dependencies, workspaces)."""
    data = _load_toml(view, rel)
    if data is None:
        return None if view.read(rel) is None else f"`{rel}` is not valid TOML"
    if tool == "pipenv":
        for section in ("packages", "dev-packages"):
            for name, spec in (data.get(section) or {}).items():
                if isinstance(spec, dict) and ("path" in spec or "file" in spec):
                    return f"the Pipfile installs `{name}` from a local path, which needs the source tree"
        return None
    project = data.get("project") or {}
    for dep in project.get("dependencies") or []:
        if isinstance(dep, str) and ("file:" in dep or re.search(r"@\s*\.", dep)):
            return f"`{rel}` depends on a local path (`{dep}`), which needs the source tree"
    tool_tables = data.get("tool") or {}
    if tool == "uv":
        uv = tool_tables.get("uv") or {}
        if uv.get("workspace"):
            return (
                f"`{rel}` declares a uv workspace; its members need their sources (use --no-install-workspace by hand)"
            )
        for name, spec in (uv.get("sources") or {}).items():
            if isinstance(spec, dict) and ("path" in spec or "workspace" in spec):
                return f"`{rel}` takes `{name}` from a local path or workspace, which needs the source tree"
    if tool == "poetry":
        poetry = tool_tables.get("poetry") or {}
        tables_: list[dict[str, Any]] = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
        tables_.extend((g or {}).get("dependencies") or {} for g in (poetry.get("group") or {}).values())
        for deps in tables_:
            for name, spec in deps.items():
                if isinstance(spec, dict) and "path" in spec:
                    return f"`{rel}` takes `{name}` from a local path, which needs the source tree"
    return None


_REQ_OPTION_RE = re.compile(r"^(-r|--requirements?|-c|--constraints?)(?:\s*=\s*|\s+|(?<=^-r)|(?<=^-c))(\S+)")
_REQ_LOCAL_OPTION_RE = re.compile(r"^(-e|--editable|-f|--find-links)(?:\s*=\s*|\s+)(\S+)")


def requirement_closure(view: ContextView, rel: str, ins: Instruction, seen: list[str]) -> None:
    """Add ``rel`` and every file it includes with -r/-c (context paths) to ``seen``; Decline on local paths."""
    if rel in seen:
        return
    if len(seen) > 50:
        raise Decline(ins, "the requirement files include more than 50 others; dockopt stops following them")
    text = view.read(rel)
    if text is None or not view.shipped(rel):
        why = "is excluded by .dockerignore" if view.exists(rel) else "is not in the build context"
        raise Decline(ins, f"the install on {_line(ins)} reads `{rel}`, which {why}")
    seen.append(rel)
    base = posixpath.dirname(rel)
    for line in _logical_lines(text):
        m = _REQ_OPTION_RE.match(line)
        if m:
            target = m.group(2)
            if _URL_RE.match(target):
                continue
            if "$" in target:
                raise Decline(ins, f"`{rel}` includes `{target}`, whose name uses a variable")
            inc = posixpath.normpath(posixpath.join(base, target))
            if inc.startswith("../") or inc == ".." or target.startswith("/"):
                raise Decline(ins, f"`{rel}` includes `{target}`, which is outside the copied directory")
            requirement_closure(view, inc, ins, seen)
            continue
        local = _REQ_LOCAL_OPTION_RE.match(line)
        if (
            local
            and not _URL_RE.match(local.group(2))
            and not local.group(2).startswith(("git+", "hg+", "svn+", "bzr+"))
        ):
            raise Decline(
                ins,
                f"`{rel}` has `{line}`, which installs from the source tree; dockopt cannot install it before the code is copied",
            )
        word = line.split()[0] if line.split() else ""
        archive = word.endswith((".whl", ".tar.gz", ".tgz", ".zip")) and not _URL_RE.match(word)
        if archive or word.startswith((".", "/", "file:")) or re.search(r"@\s*(file:|\.|/)", line):
            raise Decline(ins, f"`{rel}` installs a local path (`{line}`), which needs the source tree")


def _logical_lines(text: str) -> Iterable[str]:
    """Requirement-file lines: continuations joined, comments removed."""
    buf = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            buf += raw[:-1]
            continue
        line = buf + raw
        buf = ""
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            yield line
    if buf.strip():
        yield buf.strip()


# ---------------------------------------------------------------------------
# Which files to copy
# ---------------------------------------------------------------------------

_GLOB_CHARS = frozenset("*?[]\\ \t\"'$")


def _manifests(
    steps: list[Step],
    dest_abs: str,
    copy: Instruction,
    before: Sequence[Instruction],
    start_wd: str,
    view: ContextView,
) -> tuple[list[str], list[str]]:
    """COPY sources (context paths; a trailing ``/`` for a directory, ``*`` for an optional lock) and notes."""
    produced: set[str] = set()
    out: list[str] = []
    notes: list[str] = []
    for step in steps:
        for need in step.needs:
            if need.path in produced:
                continue
            rel = relative(need.path, dest_abs)
            if rel is None or rel == "":
                raise Decline(
                    need.ins,
                    f"the install on {_line(need.ins)} reads `{_show(need.path)}`, which is outside the directory "
                    f"the COPY on {_line(copy)} fills; dockopt does not know where that file comes from",
                )
            if any(c in _GLOB_CHARS for c in rel) or rel.startswith("../"):
                raise Decline(
                    need.ins,
                    f"the install on {_line(need.ins)} reads `{rel}`, a name dockopt does not copy on its own",
                )
            for item in _sources_for(need, rel, view):
                if item not in out:
                    out.append(item)
        for tool, manifest in step.projects:
            rel = relative(manifest, dest_abs)
            if rel is not None and view.known:
                problem = _project_problem(tool, rel, view)
                if problem is not None:
                    raise Decline(step.ins, problem)
        for path in step.produces:
            produced.add(path)
            rel = relative(path, dest_abs)
            if rel is not None and view.shipped(rel):
                raise Decline(
                    step.ins,
                    f"the build context has its own `{rel}`, which the code COPY would now copy over the one "
                    f"{_line(step.ins)} writes",
                )
    # Drop directories' members, and files an earlier COPY already put in place.
    dirs = [s for s in out if s.endswith("/")]
    out = [s for s in out if s.endswith("/") or not any(s.startswith(d) for d in dirs)]
    out = [s for s in out if not _already_copied(s, dest_abs, before, start_wd)]
    if not view.known and any(s.endswith(".txt") or s.endswith("/") for s in out):
        notes.append("no build context given: -r includes inside the requirement files were not checked")
    return out, notes


def _sources_for(need: Need, rel: str, view: ContextView) -> list[str]:
    if need.kind == "requirements":
        if view.known:
            seen: list[str] = []
            requirement_closure(view, rel, need.ins, seen)
            return seen
        if "/" in rel:
            return [rel.split("/", 1)[0] + "/"]
        return [rel]
    if need.kind == "file":
        shipped = view.shipped(rel)
        if shipped is False:
            why = "is excluded by .dockerignore" if view.exists(rel) else "is not in the build context"
            raise Decline(need.ins, f"the install on {_line(need.ins)} reads `{rel}`, which {why}")
        return [rel]
    if need.kind == "lock":
        shipped = view.shipped(rel)
        if shipped is None:
            return [rel + "*"]
        return [rel] if shipped else []
    return [rel] if view.shipped(rel) else []


def _already_copied(source: str, dest_abs: str, before: Sequence[Instruction], start_wd: str) -> bool:
    """An earlier plain COPY in the stage put this exact context file at the same place."""
    if source.endswith(("/", "*")):
        return False
    target = posixpath.join(dest_abs, source)
    cwd = start_wd
    for ins in before:
        if ins.keyword == "WORKDIR":
            cwd = resolve(cwd, ins.args)
            continue
        if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        parts = ins.copy_sources_and_dest()
        if parts is None:
            continue
        srcs, d = parts
        d_abs = resolve(cwd, d)
        for s in srcs:
            if posixpath.normpath(s) == source and target in (posixpath.join(d_abs, posixpath.basename(source)), d_abs):
                return True
    return False


def _show(path: str) -> str:
    if path.startswith(OPAQUE):
        return path[len(OPAQUE) :]
    if path.startswith(UNKNOWN):
        return "./" + path[len(UNKNOWN) :].lstrip("/")
    return path


def _group(sources: list[str], dest: str) -> list[tuple[list[str], str]]:
    """One COPY per target directory, in first-seen order."""
    groups: dict[str, list[str]] = {}
    for s in sources:
        sub = s.rstrip("/") if s.endswith("/") else posixpath.dirname(s)
        groups.setdefault(sub, []).append(s)
    out = []
    for sub, items in groups.items():
        single = len(items) == 1 and not items[0].endswith("/") and not items[0].endswith("*")
        out.append((items, _destination(dest, sub, single)))
    return out


def _destination(dest: str, sub: str, single: bool) -> str:
    if dest in (".", "./"):
        if not sub:
            return "." if single else "./"
        return sub + "/"
    base = dest if dest.endswith("/") else dest + "/"
    return base + (sub + "/" if sub else "")


# ---------------------------------------------------------------------------
# Writing the result
# ---------------------------------------------------------------------------


def _rewrite(doc: Dockerfile, plan: Plan) -> Dockerfile:
    style = Style.detect(doc)
    copy = plan.code_copy
    flags = [f.raw for f in copy.flags if f.name in _COPY_FLAGS_KEPT]
    blanks = []
    for t in copy.leading:
        if t.kind != "blank":
            break
        blanks.append(t)
    new: list[Instruction] = []
    for k, (sources, target) in enumerate(plan.manifest_copies):
        ins = style.instruction("COPY", " ".join([*sources, target]), flags)
        new.append(ins.with_leading(blanks) if k == 0 and blanks else ins)
    was_last_without_eol = doc.instructions[-1].eol == "" and not doc.instructions[-1].heredocs
    following = _next(doc, copy)
    if new:
        out = doc.replace(copy, new)
        following = None
    else:
        # Nothing to copy first: the COPY just moves; its blank lines also stay where they were.
        out = doc.remove(copy, keep_leading=False)
    if plan.two_step is not None:
        step = plan.two_step
        assert step.first_step is not None
        first = step.first_step
        if following is step.ins and blanks:
            first = first.with_leading([*blanks, *first.leading])
            following = None
        out = out.replace(step.ins, [first, copy, step.ins.with_leading(())])
    else:
        assert plan.after is not None
        out = out.insert_after(plan.after, [copy])
    if following is not None and blanks:
        out = out.replace(following, following.with_leading([*blanks, *following.leading]))
    if was_last_without_eol and out.instructions[-1] is copy:
        out = out.with_instructions([*out.instructions[:-1], copy.with_eol("")])
    return out


def _next(doc: Dockerfile, ins: Instruction) -> Instruction | None:
    for i, x in enumerate(doc.instructions):
        if x is ins:
            return doc.instructions[i + 1] if i + 1 < len(doc.instructions) else None
    return None


_EXAMPLE_BEFORE = """\
FROM python:3.12
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "app.py"]
"""

_EXAMPLE_AFTER = """\
FROM python:3.12
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["python", "app.py"]
"""

RULE = Rule(
    id="DO001",
    name="deps-first",
    title="Copy dependency manifests and install before copying the code",
    why="""
Docker reuses a layer only while everything it was built from is unchanged.
With `COPY . .` before `RUN pip install -r requirements.txt`, editing any
source file changes the COPY layer, so the install runs again on every build:
minutes of downloads and compiles for a one-line code change. Copying first
only the files the install reads, installing, and then copying the rest keeps
the install layer cached until the dependencies themselves change. The image
holds the same files: the full COPY still happens, after the install.

The manifests come from the install command: the -r/-c files of pip (and the
files they include, when the build context is known), pyproject.toml and
poetry.lock for poetry, Pipfile and Pipfile.lock for pipenv, pyproject.toml
and uv.lock for uv. `poetry install` and `uv sync` also install the project
itself, so they run twice, as their documentation recommends for Docker:
`--no-root` / `--no-install-project` before the code, the original command
after it. The manifest COPY keeps the --chown/--chmod/--link of the original.
""",
    safety="safe",
    before=_EXAMPLE_BEFORE,
    after=_EXAMPLE_AFTER,
    apply=apply,
    notes="""
The code COPY is moved only past instructions known not to use the code:
package installs whose input files are known, ENV/ARG/LABEL/USER/EXPOSE and the
like, and a few commands (useradd, mkdir/rm/chmod of paths outside the code
directory ...). Left alone, with the reason: `pip install .` / `-e .` (needs the
whole tree), an install that is a shell construct or part of a RUN with other
commands that may read the code, a RUN between the COPY and the install that
may use the code (`python setup.py`, `chmod +x entrypoint.sh`), a manifest
outside the copied directory or missing from (or ignored in) the build
context, requirement files that install local paths (`-e .`), path or
workspace dependencies in pyproject/Pipfile, a COPY with --from or other
flags, a context copied twice, variables such as PIP_CONSTRAINT naming files,
and ONBUILD instructions. RUNs after the install that use the code stay after
the code COPY.
""",
)
