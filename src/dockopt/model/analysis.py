"""One analysis of a Dockerfile tree, computed once and asked by every rule.

In the manner of LibCST's ``MetadataWrapper`` and ruff's ``SemanticModel``:
:func:`analyse` returns the :class:`Analysis` of a tree (the same object for
the same tree), whose facts are computed on first use. Facts about a single
instruction (its script, its apt events) are cached by the instruction's
identity in :mod:`.runs` and :mod:`.apt`, so an instruction no pass touched
keeps them from one round to the next; facts about the whole tree (stages,
ARG/ENV values, WORKDIR, apt lists state) are computed once per tree.
"""

from __future__ import annotations

import posixpath
from functools import cached_property

from .. import lazyre
from ..records_base import Record
from ..syntax import Dockerfile, Instruction, Stage
from . import apt, runs
from .context import BuildContext
from .environment import StageEnvironment, stage_environments
from .runs import POSIX_SHELLS, Script
from .scope import WINDOWS_MARKERS, Scope, image_name
from .stages import StageGraph

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

#: Images that ship no apt lists (the official Debian-based images remove them).
_NO_LISTS_IMAGES = frozenset({"python", "debian", "ubuntu", "node", "buildpack-deps"})


_DRIVE_PATH = lazyre.compile(r"""^["']?[A-Za-z]:[\\/]""")


def _windows_clue(stage: Stage) -> tuple[Instruction, str] | None:
    """What in a stage whose image dockopt does not recognise says it is a Windows one.

    A Windows image from a private or community repository carries no marker in
    its name; the stage gives it away with a drive-letter path in WORKDIR or ENV.
    Its RUN runs cmd.exe or PowerShell, where a program an earlier RUN installed
    is often not on PATH until a new process starts, so RUNs can neither be
    merged nor have their text edited. (The backtick escape directive Windows
    files use is not a clue: it is style, and a Linux file may use it too.)
    """
    frm = stage.from_instruction
    for ins in stage.instructions:
        if ins.keyword not in ("WORKDIR", "ENV"):
            continue
        for word in ins.args.replace("=", " ").split():
            if _DRIVE_PATH.match(word):
                return ins, (
                    f"the stage at line {frm.line} looks like a Windows one ({ins.keyword} at line {ins.line} "
                    f"names the Windows path `{word}`), whose RUN may not run sh"
                )
    return None


class Installed(Record):
    """A package a stage (or a stage it is built FROM) installs, and the instruction that does."""

    _fields = ("manager", "name", "ins")
    __slots__ = _fields
    manager: str  # apt, apk, yum, pip, uv, poetry, pipenv
    name: str
    ins: Instruction

    def __init__(self, manager: str, name: str, ins: Instruction) -> None:
        self._set(manager, name, ins)


class Analysis:
    """The facts of one tree. Build it with :func:`analyse`."""

    def __init__(self, doc: Dockerfile, context: BuildContext) -> None:
        self.doc = doc
        self.context = context

    # -- structure ----------------------------------------------------------------
    @cached_property
    def graph(self) -> StageGraph:
        return StageGraph(self.doc)

    @cached_property
    def scope(self) -> Scope:
        return Scope(self.doc, self.graph)

    @cached_property
    def _stage_index(self) -> dict[int, Stage]:
        return {id(ins): stage for stage in self.doc.stages for ins in stage.all_instructions()}

    def stage_of(self, ins: Instruction) -> Stage | None:
        return self._stage_index.get(id(ins))

    # -- what instructions run ------------------------------------------------------
    @staticmethod
    def script(ins: Instruction) -> Script:
        return runs.script(ins)

    def shell_problem(self, stage: Stage) -> tuple[Instruction, str] | None:
        """Why this stage's RUN text may not be POSIX shell, with the instruction to blame.

        A Windows base (cmd.exe), or a ``SHELL`` in the stage or a stage it is
        built FROM whose program is not sh/bash/dash/ash.
        """
        posix_shell = False
        clue: tuple[Instruction, str] | None = None
        for s in self.graph.ancestry(stage):
            frm = s.from_instruction
            platform_flag = frm.flag("platform")
            platform = (platform_flag.value or "") if platform_flag else ""
            base = (self.graph.reference(s) or s.base or "").lower()
            if "windows" in platform.lower() or any(m in base for m in WINDOWS_MARKERS):
                return frm, f"the stage at line {frm.line} is based on a Windows image, whose RUN does not run sh"
            for ins in s.instructions:
                if ins.keyword != "SHELL":
                    continue
                argv = ins.json_args
                program = argv[0].replace("\\", "/").rsplit("/", 1)[-1].lower() if argv else ""
                if program not in POSIX_SHELLS:
                    shown = program or ins.args
                    return ins, (
                        f"SHELL at line {ins.line} runs RUN commands with `{shown}`; "
                        "dockopt only edits RUN text for sh, bash, dash and ash"
                    )
                posix_shell = True
            clue = clue or _windows_clue(s)
        if clue is not None and not posix_shell:
            return clue
        return None

    # -- apt lists --------------------------------------------------------------------
    @cached_property
    def _apt_states(self) -> dict[int, apt.ListsState]:
        """The lists' state before every RUN and ONBUILD of every stage (keyed by instruction id)."""
        out: dict[int, apt.ListsState] = {}
        end: dict[int, apt.ListsState] = {}
        for stage in self.doc.stages:
            parent = self.graph.parent(stage)
            if parent is not None:
                state = end[parent.index]
            else:
                image = self.graph.image(stage)
                known = image is not None and image_name(image) in _NO_LISTS_IMAGES and "alpine" not in image
                state = "absent" if known else "unknown"
            for ins in stage.instructions:
                out[id(ins)] = state
                if ins.keyword == "RUN":
                    state = apt.after(ins, state)
            end[stage.index] = state
        return out

    def apt_lists_before(self, ins: Instruction) -> apt.ListsState:
        return self._apt_states.get(id(ins), "unknown")

    # -- what stages install ------------------------------------------------------------
    def installed(self, stage: Stage, *, chain: bool = True) -> list[Installed]:
        """Packages installed in ``stage`` (and, with ``chain``, the stages it is built FROM), in order."""
        stages = self.graph.ancestry(stage) if chain else [stage]
        out: list[Installed] = []
        for s in stages:
            for ins in s.instructions:
                if ins.keyword != "RUN":
                    continue
                for _cmd, call in self.script(ins).all_calls:
                    if call.is_install:
                        out.extend(Installed(call.manager, name, ins) for name in call.package_names)
        return out

    @cached_property
    def venv_copies(self) -> list[VenvCopy]:
        """Every virtualenv a shipped stage copies from a (not shipped) stage that creates it."""
        graph = self.graph
        final = graph.final
        if final is None:
            return []
        shipped = graph.ancestry(final)
        out: list[VenvCopy] = []
        for stage in shipped:
            for ins in stage.instructions:
                frm = ins.flag("from")
                if ins.keyword != "COPY" or frm is None or not frm.value:
                    continue
                sd = ins.copy_sources_and_dest()
                if sd is None or len(sd[0]) != 1:
                    continue
                source = graph.named(frm.value, before=stage)
                venv = posixpath.normpath(sd[0][0]) if sd[0][0].startswith("/") else None
                if source is None or source in shipped or venv is None or not _VENV_DIR_RE.fullmatch(posixpath.basename(venv)):
                    continue
                if self.scope.path(ins, sd[1]) != venv:
                    continue
                for run in source.instructions:
                    made = _venv_made(run) if run.keyword == "RUN" else None
                    if made is not None and made[0] == venv:
                        out.append(VenvCopy(ins, source, venv, run, made[1]))
                        break
        return out

    def environments(self, stage: Stage) -> list[StageEnvironment]:
        """Where each Python install of ``stage`` puts the packages, and whether PATH names it (:mod:`.environment`)."""
        found = self._environments.get(stage.index)
        if found is None:
            found = self._environments[stage.index] = stage_environments(self, stage)
        return found

    @cached_property
    def _environments(self) -> dict[int, list[StageEnvironment]]:
        return {}

    def apt_installed(self, stage: Stage, *, chain: bool = True) -> frozenset[str]:
        return frozenset(i.name for i in self.installed(stage, chain=chain) if i.manager == "apt")

    @cached_property
    def image_runs_pip(self) -> Instruction | None:
        """An instruction of the shipped stages that runs pip (or whose started script does), or None.

        What a virtualenv copied without pip (DO011 removes it, ``uv venv`` never
        puts it in) would break: a RUN, HEALTHCHECK or ONBUILD calling pip, or an
        ENTRYPOINT/CMD that does or starts a script from the build context that does.
        """
        final = self.graph.final
        if final is None:
            return None
        for stage in self.graph.ancestry(final):
            for ins in stage.instructions:
                if ins.keyword not in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "ONBUILD"):
                    continue
                s = self.script(ins)
                if any(call.manager == "pip" for _, call in s.all_calls):
                    return ins
                if {"pip", "pip3", "ensurepip"} & set(s.words) or "-m pip" in s.text:
                    return ins
                if ins.keyword in ("CMD", "ENTRYPOINT") and self._started_script_runs_pip(ins):
                    return ins
        return None

    def _started_script_runs_pip(self, ins: Instruction) -> bool:
        """The script an ENTRYPOINT/CMD starts (read from the build context) runs pip."""
        argv = ins.json_args
        first = argv[0] if argv else (ins.args.split() or [""])[0]
        if not first or not ("/" in first or first.endswith(".sh")):
            return False
        for candidate in (first.lstrip("/"), posixpath.basename(first)):
            text = self.context.read(candidate)
            if text is not None:
                return _SCRIPT_PIP_RE.search(text) is not None
        return False


class VenvCopy(Record):
    """A virtualenv a shipped stage copies (``COPY --from=builder /opt/venv /opt/venv``) from the stage that made it."""

    _fields = ("copy", "source", "venv", "created", "tool")
    __slots__ = _fields
    copy: Instruction  # the COPY in the shipped stage
    source: Stage  # the stage that creates the virtualenv (not itself shipped)
    venv: str  # its directory
    created: Instruction  # the RUN that creates it
    tool: str  # "venv" (python -m venv, with pip), "venv-without-pip", "virtualenv", "uv" (uv venv: no pip)

    def __init__(self, copy: Instruction, source: Stage, venv: str, created: Instruction, tool: str) -> None:
        self._set(copy, source, venv, created, tool)


_VENV_DIR_RE = lazyre.compile(r"\.?[\w.-]*venv")
_SCRIPT_PIP_RE = lazyre.compile(r"(?<![\w-])pip[0-9.]*\s+(install|uninstall|download)|-m\s+pip\b")
_PYTHON_RE = lazyre.compile(r"python[0-9.]*")


def _venv_made(ins: Instruction) -> tuple[str, str] | None:
    """(directory, tool) of a virtualenv a RUN creates, or None."""
    for cmd in runs.script(ins).commands.items:
        name, args = cmd.name or "", cmd.args
        if _PYTHON_RE.fullmatch(name) and args[:2] in (("-m", "venv"), ("-m", "virtualenv")):
            target = next((a for a in args[2:] if not a.startswith("-")), None)
            without = "--without-pip" in args or "--no-pip" in args
            tool = "venv-without-pip" if without else ("venv" if args[1] == "venv" else "virtualenv")
        elif name == "virtualenv":
            target = next((a for a in args if not a.startswith("-")), None)
            tool = "venv-without-pip" if "--no-pip" in args else "virtualenv"
        elif name == "uv" and args[:1] == ("venv",):
            target = next((a for a in args[1:] if not a.startswith("-")), ".venv")
            tool = "uv"
        else:
            continue
        if target is not None and target.startswith("/"):
            return posixpath.normpath(target), tool
    return None


def analyse(doc: Dockerfile, context: BuildContext | Path | None = None) -> Analysis:
    """The analysis of ``doc`` (the same object while the tree and the context are the same)."""
    if not isinstance(context, BuildContext):
        context = BuildContext(context)
    found: Analysis | None = doc.__dict__.get(_KEY)
    if found is not None and (found.context is context or found.context.root == context.root):
        return found
    found = doc.__dict__[_KEY] = Analysis(doc, context)  # on the tree, as memo() keeps facts (see .memo)
    return found


_KEY = "_model_analysis"
