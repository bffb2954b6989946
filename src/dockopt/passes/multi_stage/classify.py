"""What each RUN of the stage is, as far as the split is concerned.

A RUN is a dependency ``install`` (pip/uv/poetry/pipenv installing the app's
dependencies), a build ``tool`` install (poetry, pipenv, uv themselves), a
Python ``helper`` (``poetry export``, the build-time reader of a pyproject's
dependencies), a ``system`` step (apt), or ``generic`` (anything else). The
commands of a RUN are classified the same way one by one; ``problem`` says
why an install in it cannot be moved.
"""

from __future__ import annotations

from collections.abc import Sequence

from ... import lazyre
from ...model import project
from ...model.packages import PackageInstall, package_call, unmodelled_install
from ...model.runs import Script, script
from ...model.shell import SimpleCommand
from ...records_base import Record
from ...syntax import Instruction

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal
    CommandKind = Literal["py-install", "tool", "py-helper", "system", "venv", "neutral", "other"]
    RunKind = Literal["install", "tool", "helper", "system", "generic"]


_NEUTRAL = frozenset(
    {"cd", "true", ":", "set", "export", "echo", "printf", "rm", "mkdir", "touch", "ls", "cat", "which"}
)
#: RUN steps made only of these prepare the runtime image and don't help an install.
SETUP_ONLY = frozenset(
    {"useradd", "groupadd", "adduser", "addgroup", "usermod", "groupmod", "chown", "chmod", "mkdir", "ln", "touch", "true"}
)
PY_TOOL_COMMANDS = frozenset({"poetry", "pipenv", "uv", "uvx"})
_PIP_RE = lazyre.compile(r"pip[0-9]*(?:\.[0-9]+)*")
PYTHON_RE = lazyre.compile(r"python([0-9]*(?:\.[0-9]+)?)")
_PIP_TOOL_NEUTRAL = frozenset({"pip", "setuptools", "wheel"})
_HEREDOC_INSTALL_RE = lazyre.compile(r"\b(?:pip[0-9.]*|poetry|pipenv|uv)\s+(?:install|sync|add)\b|-m\s+pip\s+install\b")


class Command(Record):
    _fields = ("cmd", "kind", "pc")
    __slots__ = _fields
    cmd: SimpleCommand
    kind: CommandKind
    pc: PackageInstall | None

    def __init__(self, cmd: SimpleCommand, kind: CommandKind, pc: PackageInstall | None = None) -> None:
        self._set(cmd, kind, pc)


class Run(Record):
    _fields = ("index", "ins", "script", "items", "kind", "problem")
    __slots__ = _fields
    index: int
    ins: Instruction
    script: Script
    items: tuple[Command, ...]
    kind: RunKind
    problem: str | None  # why an install here can't be moved

    def __init__(
        self,
        index: int,
        ins: Instruction,
        script: Script,
        items: tuple[Command, ...],
        kind: RunKind,
        problem: str | None = None,
    ) -> None:
        self._set(index, ins, script, items, kind, problem)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(c.cmd.name for c in self.items if c.cmd.name)

    @property
    def words(self) -> frozenset[str]:
        return self.script.words

    def calls(self, kind: CommandKind) -> list[Command]:
        return [c for c in self.items if c.kind == kind]

    @property
    def apt_installs(self) -> list[PackageInstall]:
        return [c.pc for c in self.items if c.kind == "system" and c.pc is not None and c.pc.manager == "apt" and c.pc.is_install]

    @property
    def setup_only(self) -> bool:
        """Only useradd/mkdir/chown and kin: it prepares the runtime image and helps no install."""
        return bool(self.items) and not self.script.commands.complex and all((c.cmd.name or "") in SETUP_ONLY for c in self.items)


def is_tool_install(pc: PackageInstall) -> bool:
    """``pip install poetry`` (and pip/setuptools/wheel with it): a build tool, not a dependency."""
    if pc.manager != "pip" or pc.requirement_files or pc.local_paths or pc.editable:
        return False
    names = set(pc.package_names)
    tools = set(project.python_tools().tools)
    return bool(names & tools) and names <= tools | _PIP_TOOL_NEUTRAL


def is_pip_upgrade(pc: PackageInstall) -> bool:
    """``pip install --upgrade pip setuptools wheel``: the installer itself, no dependency."""
    return (
        pc.manager == "pip"
        and bool(pc.packages)
        and set(pc.package_names) <= _PIP_TOOL_NEUTRAL
        and not (pc.requirement_files or pc.local_paths or pc.editable)
    )


def classify_command(cmd: SimpleCommand) -> Command:
    name = cmd.name
    if name is None:
        return Command(cmd, "neutral")
    args = cmd.args
    if PYTHON_RE.fullmatch(name) and len(args) >= 2 and args[0] == "-m" and args[1] in ("venv", "virtualenv"):
        return Command(cmd, "venv")
    if name == "virtualenv" or (name == "uv" and args[:1] == ("venv",)):
        return Command(cmd, "venv")
    if project.is_dependency_reader(cmd.words) or project.local_filter_input(cmd.words) is not None:
        # deps-first's build-time steps: pyproject.toml's dependencies, or a requirements file without
        # its local lines, into a file the install reads
        return Command(cmd, "py-helper")
    pc = package_call(cmd)
    if pc is not None:
        if pc.manager in ("apt", "apk", "yum"):
            return Command(cmd, "system", pc)
        if pc.manager in ("poetry", "pipenv", "uv") and pc.action == "run":
            return Command(cmd, "other", pc)
        if pc.manager == "poetry" and pc.action == "self":
            return Command(cmd, "tool", pc)
        if pc.manager == "uv" and pc.action == "tool install":
            return Command(cmd, "other", pc)
        if pc.is_install:
            return Command(cmd, "tool" if is_tool_install(pc) else "py-install", pc)
        return Command(cmd, "py-helper", pc)
    if _PIP_RE.fullmatch(name) or name in PY_TOOL_COMMANDS:
        return Command(cmd, "py-helper")
    if name in _NEUTRAL:
        return Command(cmd, "neutral")
    return Command(cmd, "other")


def classify_run(ins: Instruction, index: int = 0) -> Run:
    """Classify a RUN: a dependency install, a build-tool install, a Python helper, a system step or generic."""
    s = script(ins)
    commands = s.commands
    items = tuple(classify_command(c) for c in commands.items)
    kinds = {c.kind for c in items}
    problem: str | None = None
    kind: RunKind
    unmodelled = next(
        (u for c in commands.items if c.name is not None and (u := unmodelled_install((c.name, *c.args)))), None
    )
    if ins.heredocs and _HEREDOC_INSTALL_RE.search(s.text + "".join(h.content for h in ins.heredocs)):
        kind = "install"
        problem = "the dependency install is in a heredoc, which the rule doesn't move"
    elif unmodelled is not None:
        # pdm, conda, pip-sync ...: where they install is not modelled, so the RUN can go to neither
        # stage; left behind it would install in the slim runtime stage, without the compilers.
        kind = "install"
        problem = (
            f"the RUN at line {ins.line} installs Python packages with `{unmodelled}`, which the rule does not "
            "model; it would stay in the runtime stage, without the builder's compilers"
        )
    elif "py-install" in kinds:
        kind = "install"
        others = [c.cmd.name or c.cmd.raw for c in items if c.kind == "other"]
        if commands.complex or s.partly:
            problem = "the install RUN uses shell syntax the rule doesn't model (if/for/subshells/heredocs)"
        elif others:
            problem = f"the install RUN also runs `{others[0]}`, which the rule can't place in either stage"
        elif "tool" in kinds and not _tools_first(items, ins):
            problem = "one RUN installs a build tool (poetry/pipenv/uv) after the dependencies; split it in two RUNs first"
        elif "venv" in kinds:
            problem = "the file creates its own virtualenv; the rule only splits installs into the system interpreter"
    elif "tool" in kinds or _tool_installer(s.text, items):
        kind = "tool"
        if commands.complex and not _tool_installer(s.text, items):
            problem = "the build-tool install uses shell syntax the rule doesn't model"
    elif "venv" in kinds:
        kind = "generic"
        problem = "the file creates its own virtualenv; the rule only splits installs into the system interpreter"
    elif "py-helper" in kinds and kinds <= {"py-helper", "neutral"} and not commands.complex:
        kind = "helper"
    elif "system" in kinds and kinds <= {"system", "neutral"} and not commands.complex and not s.partly:
        kind = "system"
    else:
        kind = "generic"
    return Run(index, ins, s, items, kind, problem)


def classify_runs(body: Sequence[Instruction]) -> dict[int, Run]:
    """Every RUN of the stage by its index, with pip upgrades before a tool install counted as that tool's."""
    runs = {i: classify_run(ins, i) for i, ins in enumerate(body) if ins.keyword == "RUN"}
    tools = [i for i, r in runs.items() if r.kind == "tool"]
    for i, run in list(runs.items()):
        if run.kind != "install" or run.problem or not any(t > i for t in tools):
            continue
        # `pip install -U pip` before `pip install poetry` upgrades the pip that installs the tool:
        # it belongs with the tool, outside the virtualenv.
        installs = run.calls("py-install")
        if installs and all(c.pc is not None and is_pip_upgrade(c.pc) for c in installs):
            items = tuple(c.with_changes(kind="tool") if c.kind == "py-install" else c for c in run.items)
            runs[i] = run.with_changes(kind="tool", items=items)
    return runs


def _tools_first(items: Sequence[Command], ins: Instruction) -> bool:
    """In ``pip install poetry && poetry install``, every build-tool install comes before the first
    dependency install, by plain ``pip``/``python -m pip``, in a shell-form RUN."""
    if ins.json_args is not None or ins.heredocs:
        return False
    seen_install = False
    for c in items:
        if c.kind == "py-install":
            seen_install = True
        elif c.kind == "tool" and (seen_install or c.pc is None or c.pc.manager != "pip" or "/" in (c.cmd.program or "")):
            return False
    return True


def _tool_installer(text: str, items: Sequence[Command]) -> bool:
    """``curl -sSL https://install.python-poetry.org | python3 -``: a build tool, fetched and installed."""
    if not any(url in text for url in project.python_tools().installers):
        return False
    allowed = {"curl", "wget", "sh", "bash"}
    return all(
        c.kind in ("neutral", "tool") or (c.cmd.name or "") in allowed or PYTHON_RE.fullmatch(c.cmd.name or "")
        for c in items
    )
