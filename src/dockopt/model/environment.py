"""Where a stage's Python dependencies live, and whether the image finds them on PATH.

Each installer decides on its own where the packages go, from its options,
its configuration and the environment it runs in:

* pip, ``uv pip`` and ``pipenv install --system`` install into the
  interpreter they run with (the image's own Python, or the virtualenv whose
  ``bin`` comes first on PATH): an ``interpreter`` environment;
* ``uv sync``/``uv add`` into the project's ``.venv`` (``UV_PROJECT_ENVIRONMENT``
  moves it), poetry with ``virtualenvs.in-project`` and pipenv with
  ``PIPENV_VENV_IN_PROJECT`` into ``<project>/.venv``, pip by a virtualenv's
  own path (``/venv/bin/pip``) into that virtualenv: a ``directory``
  environment, a virtualenv at a path the Dockerfile fixes;
* poetry by default (``virtualenvs.create`` true) and pipenv without
  ``--system`` into a virtualenv of their own, under ``~/.cache/pypoetry``
  or ``~/.local/share/virtualenvs``, named with a hash and reached with
  ``poetry run``/``pipenv run``: a ``tool`` environment.

A virtualenv is bound to its path (its scripts' ``#!`` lines and
``pyvenv.cfg`` name it), and which ``python`` the image runs depends on PATH;
so a rule that moves an install to another stage asks here where the
environment is and whether PATH names it, and keeps both as they were.
"""

from __future__ import annotations

import fnmatch
import posixpath

from .. import lazyre
from ..records_base import Record
from ..syntax import Instruction, Stage
from . import args, paths
from .packages import PackageInstall
from .shell import SimpleCommand

_ASSIGNMENT_RE = lazyre.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    from .analysis import Analysis
    EnvKind = Literal["interpreter", "directory", "tool"]


#: Prefixes of the image's own Python: a "virtualenv" there is the interpreter itself.
SYSTEM_PREFIXES = frozenset({"/usr/local", "/usr", "/"})
_TRUE = frozenset({"true", "1"})  # poetry's boolean settings
_PIPENV_TRUE = frozenset({"1", "y", "yes", "t", "true", "on"})  # pipenv's truthy environment values
_PIP_BY_PATH_RE = lazyre.compile(r"(/.+)/bin/(?:pip[0-9.]*|python[0-9.]*)")


class Environment(Record):
    """Where one install puts the packages.

    ``path`` is the virtualenv's directory (absolute, the WORKDIR resolved) for
    a ``directory`` environment, the folder the tool keeps its virtualenvs in
    for a ``tool`` one (for messages), and None for ``interpreter``. ``how``
    says what decided it, for messages.
    """

    _fields = ("kind", "tool", "how", "path")
    __slots__ = _fields
    kind: EnvKind
    tool: str  # pip, uv, poetry, pipenv
    how: str
    path: str | None

    def __init__(self, kind: EnvKind, tool: str, how: str, path: str | None = None) -> None:
        self._set(kind, tool, how, path)

    @property
    def in_system_prefix(self) -> bool:
        """A "project environment" that is the image's own Python prefix (``UV_PROJECT_ENVIRONMENT=/usr/local``)."""
        return self.kind == "directory" and self.path in SYSTEM_PREFIXES


class StageEnvironment(Record):
    """An install's environment as the stage's final state sees it."""

    _fields = ("ins", "env", "on_path", "active")
    __slots__ = _fields
    ins: Instruction
    env: Environment
    on_path: bool | None  # PATH at the end of the stage names <path>/bin (None: PATH can't be read)
    active: bool  # VIRTUAL_ENV at the end of the stage names <path>

    def __init__(self, ins: Instruction, env: Environment, on_path: bool | None, active: bool) -> None:
        self._set(ins, env, on_path, active)


def install_environment(model: Analysis, ins: Instruction, cmd: SimpleCommand, call: PackageInstall) -> Environment:
    """Where ``call`` (an install in RUN ``ins``) puts the packages."""
    values = _values(model, ins, cmd)
    cwd = _cwd(model, ins, cmd)
    if call.manager == "uv" and not call.action.startswith("pip "):
        return _uv_project(call, values, cwd)
    if call.manager == "poetry":
        return _poetry(model, ins, cmd, call, values, cwd)
    if call.manager == "pipenv":
        return _pipenv(call, values, cwd)
    program = cmd.program or ""
    m = _PIP_BY_PATH_RE.fullmatch(program)
    if m and m.group(1) not in SYSTEM_PREFIXES:
        return Environment("directory", call.manager, f"`{program}`, the virtualenv's own installer", paths.resolve(cwd, m.group(1)))
    return Environment("interpreter", call.manager, "the interpreter the installer runs with")


def stage_environments(model: Analysis, stage: Stage) -> list[StageEnvironment]:
    """Every Python install of ``stage`` with its environment, in order."""
    entries = path_entries(model, stage)
    end = model.scope.end(stage)
    out: list[StageEnvironment] = []
    for ins in stage.instructions:
        if ins.keyword != "RUN":
            continue
        for cmd, call in model.script(ins).calls:
            if call.manager not in ("pip", "uv", "poetry", "pipenv") or not call.is_install or call.action == "tool install":
                continue
            env = install_environment(model, ins, cmd, call)
            on_path: bool | None = None
            active = False
            if env.kind == "directory" and env.path is not None:
                on_path = None if entries is None else f"{env.path.rstrip('/')}/bin" in entries
                venv = end.values.get("VIRTUAL_ENV")
                active = venv is not None and paths.resolve("/", venv) == env.path
            out.append(StageEnvironment(ins, env, on_path, active))
    return out


def path_entries(model: Analysis, stage: Stage) -> list[str] | None:
    """The entries of PATH at the end of ``stage`` (the image's own as ``$PATH``); None when unknown."""
    entries = ["$PATH"]
    for s in model.graph.ancestry(stage):
        for ins in s.instructions:
            if ins.keyword != "ENV":
                continue
            try:
                pairs = ins.env_pairs
            except ValueError:
                return None
            values = dict(model.scope.before(ins).values)
            for name, raw in pairs:
                value = args.unquote(raw)
                if name == "PATH":
                    expanded = args.expand(value, values, keep=("PATH",)) if value is not None else None
                    if expanded is None:
                        return None
                    new: list[str] = []
                    for part in expanded.split(":"):
                        if part in ("$PATH", "${PATH}"):
                            new.extend(entries)
                        elif part:
                            new.append(posixpath.normpath(part))
                    entries = new
                values[name] = args.expand(value, values) if value is not None else None
    return entries


# -- the tools ------------------------------------------------------------------------------------------


def _uv_project(call: PackageInstall, values: dict[str, str | None], cwd: str) -> Environment:
    project = cwd
    for opt in ("--project", "--directory"):
        value = call.option_value(opt)
        if value is not None:
            project = paths.resolve(cwd, value)
    if call.has_option("--active"):
        active = values.get("VIRTUAL_ENV")
        if active:
            return Environment("directory", "uv", "`--active`: the virtualenv VIRTUAL_ENV names", paths.resolve(cwd, active))
        return Environment("interpreter", "uv", "`--active` without VIRTUAL_ENV")
    named = values.get("UV_PROJECT_ENVIRONMENT")
    if named:
        return Environment("directory", "uv", f"UV_PROJECT_ENVIRONMENT={named}", paths.resolve(project, named))
    return Environment("directory", "uv", "uv sync's default: the project's .venv", posixpath.join(project, ".venv"))


def _poetry(
    model: Analysis, ins: Instruction, cmd: SimpleCommand, call: PackageInstall, values: dict[str, str | None], cwd: str
) -> Environment:
    project = cwd
    for opt in ("-C", "--directory", "-P", "--project"):
        value = call.option_value(opt)
        if value is not None:
            project = paths.resolve(cwd, value)
    active = values.get("VIRTUAL_ENV")
    if active:
        return Environment("directory", "poetry", "the active virtualenv (VIRTUAL_ENV)", paths.resolve(cwd, active))
    settings = _poetry_settings(model, ins, cmd)
    create, create_how = _setting(values, settings, "POETRY_VIRTUALENVS_CREATE", "virtualenvs.create", True)
    if not create:
        return Environment("interpreter", "poetry", f"{create_how}: poetry installs into the interpreter it finds")
    in_project, in_project_how = _setting(values, settings, "POETRY_VIRTUALENVS_IN_PROJECT", "virtualenvs.in-project", False)
    if in_project:
        return Environment("directory", "poetry", in_project_how, posixpath.join(project, ".venv"))
    folder = values.get("POETRY_VIRTUALENVS_PATH") or posixpath.join(values.get("POETRY_CACHE_DIR") or "~/.cache/pypoetry", "virtualenvs")
    return Environment("tool", "poetry", "poetry's default (virtualenvs.create true, not in-project)", folder)


def _pipenv(call: PackageInstall, values: dict[str, str | None], cwd: str) -> Environment:
    if call.has_option("--system"):
        return Environment("interpreter", "pipenv", "`--system`")
    active = values.get("VIRTUAL_ENV")
    if active and not values.get("PIPENV_IGNORE_VIRTUALENVS"):
        return Environment("directory", "pipenv", "the active virtualenv (VIRTUAL_ENV)", paths.resolve(cwd, active))
    flag = (values.get("PIPENV_VENV_IN_PROJECT") or "").lower()
    if flag in _PIPENV_TRUE:
        return Environment("directory", "pipenv", f"PIPENV_VENV_IN_PROJECT={values.get('PIPENV_VENV_IN_PROJECT')}", posixpath.join(cwd, ".venv"))
    return Environment("tool", "pipenv", "pipenv's default (no --system)", values.get("WORKON_HOME") or "~/.local/share/virtualenvs")


def _setting(
    values: dict[str, str | None], settings: dict[str, tuple[str, str]], env_name: str, key: str, default: bool
) -> tuple[bool, str]:
    """A poetry boolean setting: its environment variable, else the last ``poetry config``, else the default."""
    raw = values.get(env_name)
    if raw is not None:
        return raw.lower() in _TRUE, f"{env_name}={raw}"
    if key in settings:
        value, how = settings[key]
        return value.lower() in _TRUE, how
    return default, f"poetry's default {key} {str(default).lower()}"


def _poetry_settings(model: Analysis, ins: Instruction, cmd: SimpleCommand) -> dict[str, tuple[str, str]]:
    """poetry settings in effect at ``cmd``: the project's poetry.toml (when a COPY brought it), then every
    ``poetry config KEY VALUE`` run before it in the stage (and the stages it is built FROM)."""
    out: dict[str, tuple[str, str]] = {}
    stage = model.stage_of(ins)
    chain = model.graph.ancestry(stage) if stage is not None else []
    if _copies_poetry_toml(model, chain, ins):
        data = model.context.toml("poetry.toml") or {}
        table = data.get("virtualenvs")
        if isinstance(table, dict):
            for key, value in table.items():
                out[f"virtualenvs.{key}"] = (str(value), f"poetry.toml's virtualenvs.{key} = {str(value).lower()}")
    for s in chain:
        for x in s.instructions:
            if x.keyword != "RUN":
                continue
            for c, call in model.script(x).calls:
                if x is ins and c.start >= cmd.start:
                    break
                if call.manager == "poetry" and call.action == "config" and len(call.arguments) == 2 and not call.has_option("--unset"):
                    key, value = call.arguments
                    out[key] = (value, f"`poetry config {key} {value}`")
            if x is ins:
                return out
    return out


def _copies_poetry_toml(model: Analysis, chain: list[Stage], before: Instruction) -> bool:
    """A COPY before ``before`` brings the context's poetry.toml (the whole context, or the file by name)."""
    if not model.context.shipped("poetry.toml"):
        return False
    for s in chain:
        for x in s.instructions:
            if x is before:
                return False
            if x.keyword not in ("COPY", "ADD") or x.flag("from") is not None:
                continue
            sd = x.copy_sources_and_dest()
            if sd is not None and any(
                posixpath.normpath(src.lstrip("/") or ".") == "." or fnmatch.fnmatchcase("poetry.toml", posixpath.basename(src))
                for src in sd[0]
            ):
                return True
    return False


# -- what a command runs under --------------------------------------------------------------------------


def _values(model: Analysis, ins: Instruction, cmd: SimpleCommand) -> dict[str, str | None]:
    """ARG and ENV values at ``ins``, with the command's own ``NAME=value`` prefixes and ``env NAME=value`` words,
    and ``export NAME=value`` earlier in the same RUN."""
    values = dict(model.scope.before(ins).values)
    for c in model.script(ins).commands.items:
        if c.start >= cmd.start:
            break
        if c.name == "export":
            for word in c.args:
                name, eq, value = word.partition("=")
                if eq:
                    values[name] = value
    assigned = list(cmd.assignments)
    words = cmd.words
    if words and posixpath.basename(words[0]) == "env":
        assigned += [w for w in words[1:] if _ASSIGNMENT_RE.fullmatch(w)]
    for word in assigned:
        name, _, value = word.partition("=")
        values[name] = args.expand(value, values) if "$" in value else value
    return values


def _cwd(model: Analysis, ins: Instruction, cmd: SimpleCommand) -> str:
    """The directory ``cmd`` runs in: the WORKDIR, or the last ``cd`` before it in the RUN."""
    cwd = model.scope.workdir(ins)
    for c in model.script(ins).commands.items:
        if c.start >= cmd.start:
            break
        if c.name == "cd":
            target = c.args[0] if c.args else "~"
            cwd = paths.resolve(cwd, target) if not target.startswith("~") and target != "-" else paths.OPAQUE + target
    return cwd
