"""What is in effect before each instruction: ARG and ENV values, the WORKDIR, the SHELL, the USER.

Computed in one walk over the stages in file order (a stage's parent comes
before it): a stage built FROM another starts with that stage's ENV, WORKDIR,
SHELL and USER (not its ARGs, which BuildKit scopes to the stage); one built
FROM an image starts at that image's defaults where dockopt knows them (the
official images have no WORKDIR, so ``/``) and at :data:`paths.UNKNOWN`
otherwise. Values are the default build's (see :mod:`.args`).
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import lazyre
from ..records_base import Record
from ..syntax import Dockerfile, Instruction, Stage
from . import args, paths
from .stages import StageGraph

#: Images whose default WORKDIR is ``/`` (the official library images dockopt meets).
_ROOT_WORKDIR_IMAGES = frozenset({"python", "debian", "ubuntu", "alpine", "node", "busybox", "scratch"})
WINDOWS_MARKERS = ("windows", "nanoserver", "servercore", "mcr.microsoft.com/powershell")
DEFAULT_SHELL = ("/bin/sh", "-c")


class State(Record):
    """What an instruction runs under."""

    _fields = ("values", "workdir", "shell", "shell_from", "user", "windows")
    __slots__ = _fields
    values: Mapping[str, str | None]  # ARG and ENV values (default build)
    workdir: str  # absolute, or a marked unknown (model.paths)
    shell: tuple[str, ...]  # the SHELL a shell-form RUN runs with
    shell_from: Instruction | None  # the SHELL instruction that set it, if any
    user: str | None  # USER text, None for the image's default
    windows: bool  # the stage's image is a Windows one

    def __init__(
        self,
        values: Mapping[str, str | None],
        workdir: str,
        shell: tuple[str, ...],
        shell_from: Instruction | None,
        user: str | None,
        windows: bool,
    ) -> None:
        self._set(values, workdir, shell, shell_from, user, windows)


def image_name(reference: str) -> str:
    """``docker.io/library/python:3.12@sha256:…`` -> ``python``."""
    ref = reference.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    name = last.split(":", 1)[0]
    return name.lower()


_PYTHON_TAG_RE = lazyre.compile(r"(\d+)\.(\d+)")


def python_version(reference: str) -> tuple[int, int] | None:
    """The Python an official ``python`` image's tag names: ``python:3.12-slim`` -> ``(3, 12)``.

    None when the image is not ``python`` or its tag names no minor version
    (``python``, ``python:3``, ``python:latest``, ``python:slim``): those
    follow the newest release, so which Python they hold depends on when
    they were pulled.
    """
    if image_name(reference) != "python":
        return None
    last = reference.split("@", 1)[0].rsplit("/", 1)[-1]
    _, sep, tag = last.partition(":")
    m = _PYTHON_TAG_RE.match(tag) if sep else None
    return (int(m.group(1)), int(m.group(2))) if m else None


class Scope:
    """The state before every instruction of a tree."""

    def __init__(self, doc: Dockerfile, graph: StageGraph) -> None:
        self._before: dict[int, State] = {}
        self._end: dict[int, State] = {}
        self._env: dict[int, dict[str, str | None]] = {}  # ENV values at a stage's end (inherited by children)
        for stage in graph.stages:
            self._walk(stage, graph)

    def before(self, ins: Instruction) -> State:
        return self._before[id(ins)]

    def env(self, stage: Stage) -> Mapping[str, str | None]:
        """The ENV values at the end of ``stage``: what its image holds and a stage built FROM it starts with
        (its ARGs are not among them)."""
        return self._env[stage.index]

    def end(self, stage: Stage) -> State:
        return self._end[stage.index]

    def workdir(self, ins: Instruction) -> str:
        """The working directory ``ins`` runs in."""
        return self._before[id(ins)].workdir

    def path(self, ins: Instruction, written: str) -> str:
        """A path as written in ``ins`` (variables expanded where known) made absolute."""
        state = self._before[id(ins)]
        expanded = args.expand(written, state.values) if "$" in written else written
        return paths.resolve(state.workdir, expanded if expanded is not None else written)

    def _walk(self, stage: Stage, graph: StageGraph) -> None:
        parent = graph.parent(stage)
        if parent is not None:
            start = self._end[parent.index]
            values: dict[str, str | None] = dict(self._env[parent.index])
            env_only = dict(self._env[parent.index])
            workdir, shell, shell_from, user, windows = (
                start.workdir,
                start.shell,
                start.shell_from,
                start.user,
                start.windows,
            )
        else:
            image = graph.image(stage)
            name = image_name(image) if image is not None else None
            windows = image is not None and any(m in image.lower() for m in WINDOWS_MARKERS)
            values, env_only = {}, {}
            workdir = "/" if name in _ROOT_WORKDIR_IMAGES and not windows else paths.UNKNOWN
            shell, shell_from, user = (("cmd", "/S", "/C") if windows else DEFAULT_SHELL), None, None
        self._before[id(stage.from_instruction)] = State(
            dict(graph.global_values), workdir, shell, shell_from, user, windows
        )
        # One State per run of instructions that change nothing (most of them): instructions
        # share it, as they share its values, which nobody modifies (State.values is a Mapping).
        state: State | None = None
        for ins in stage.instructions:
            if state is None:
                state = State(values.copy(), workdir, shell, shell_from, user, windows)
            self._before[id(ins)] = state
            kw = ins.keyword
            if kw == "ARG":
                args.declare(ins, values, graph.global_values)
                state = None
            elif kw == "ENV":
                for name, value in args.env(ins, values):
                    env_only[name] = value
                state = None
            elif kw == "WORKDIR":
                text = ins.args
                expanded = args.expand(text, values) if "$" in text else text
                workdir = paths.resolve(workdir, expanded if expanded is not None else text)
                state = None
            elif kw == "SHELL" and ins.json_args:
                shell, shell_from = tuple(ins.json_args), ins
                state = None
            elif kw == "USER":
                user = ins.args
                state = None
        self._end[stage.index] = State(values, workdir, shell, shell_from, user, windows)
        self._env[stage.index] = env_only
