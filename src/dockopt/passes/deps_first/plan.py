"""The plan for one stage: which code COPYs move, where to, which manifests are copied first, and why.

The phases run in order and hand each other values: find a code COPY
(:mod:`.copies`), walk down from it (:mod:`.scan`), settle which COPYs move
(a COPY that writes a file the install reads stays), check what makes the
move unsafe, and pick the manifests (:mod:`.manifests`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from ...model import paths
from ...model.analysis import Analysis
from ...records_base import Record
from ...style import Style
from ...syntax import Dockerfile, Instruction, Stage
from ..base import Context, Decline
from .common import line, shown
from .copies import CodeCopy, code_copy, is_whole_copy, origins
from .manifests import group, manifests
from .parts import left_origins, part
from .parts import message as split_message
from .scan import Scan, Walk, posix, scan
from .steps import Step, mentions_install
from .tables import tables

#: COPY flags a manifest COPY carries over from the code COPY it replaces.
COPY_FLAGS_KEPT = frozenset({"chown", "chmod", "link"})


class Plan(Record):
    _fields = ("copies", "manifest_copies", "after", "split", "message")
    __slots__ = _fields
    copies: tuple[CodeCopy, ...]  # the code COPYs that move, in order
    manifest_copies: tuple[tuple[tuple[str, ...], str], ...]  # (sources, destination) in place of the whole copy
    after: Instruction | None  # one-step installs: the COPYs go after this RUN
    split: Step | None  # or between the two halves of this install
    message: str

    def __init__(
        self,
        copies: tuple[CodeCopy, ...],
        manifest_copies: tuple[tuple[tuple[str, ...], str], ...],
        after: Instruction | None,
        split: Step | None,
        message: str,
    ) -> None:
        self._set(copies, manifest_copies, after, split, message)


def plan_stage(doc: Dockerfile, stage: Stage, ctx: Context, allowed: Callable[[Instruction], bool]) -> Plan | None:
    """The first code COPY of ``stage`` that can move, planned; None when none can."""
    model = ctx.model(doc)
    instrs = stage.instructions
    earlier: Instruction | None = None  # a whole-context COPY that did not move
    for i, ins in enumerate(instrs):
        if ins.keyword == "ONBUILD":
            child = ins.onbuild_child
            if child is not None and is_whole_copy(child) and any(mentions_install(x) for x in instrs[i + 1 :]):
                raise Decline(
                    ins,
                    "ONBUILD instructions run in the builds that start FROM this image; dockopt leaves them as written",
                    actionable=False,
                )
            continue
        if ins.keyword not in ("COPY", "ADD"):
            continue
        if not posix(model.scope.before(ins).shell):
            return None  # RUN text is no longer POSIX shell (PowerShell, cmd): nothing below is understood
        first = code_copy(ins, model, ctx.context)
        if first is None:
            continue
        walk = Walk(model, Style.detect(doc), origins(instrs[:i], model), model.graph.image(stage), allowed)
        plan = _plan(instrs, i, first, walk, earlier)
        if plan is not None:
            return plan
        if first.whole:
            earlier = ins
    return None


def _plan(
    instrs: tuple[Instruction, ...], index: int, first: CodeCopy, walk: Walk, earlier: Instruction | None
) -> Plan | None:
    result = _settle(instrs, index, first, walk)
    if result is None:
        return None
    if not result.steps:
        _report(result, instrs, first)
        return None
    if not walk.allowed(first.ins):
        return None
    _check_copies(result, earlier)
    _check_file_variables(walk.model, result)
    found = manifests(result, walk.origins, walk.model.context)
    whole = next((c for c in result.copies if c.whole), None)
    return Plan(
        copies=result.copies,
        manifest_copies=group(found.sources, whole.dest) if whole is not None else (),
        after=None if result.split is not None else result.steps[-1].ins,
        split=result.split,
        message=_message(result, found.sources, found.notes),
    )


def _settle(instrs: tuple[Instruction, ...], index: int, first: CodeCopy, walk: Walk) -> Scan | None:
    """Walk down; a part of the project that holds a file the installs read stays, and the walk is redone."""
    for _ in range(4):
        result = scan(instrs, index, first, walk)
        inputs = _inputs(result, walk)
        held = [c for c in result.copies if not c.whole and any(c.writes(p) for p in inputs)]
        if not held:
            return result
        if held[0] is result.copies[0]:
            # the first COPY brings a manifest: with code beside it (`COPY app.py requirements.txt ./`) it is
            # split in two, else it is not code
            parted = _part(first, result, walk)
            if parted is None:
                return None
            first = parted
            walk = walk.with_changes(origins={**walk.origins, **left_origins(parted)})
            continue
        walk = walk.with_changes(stay=walk.stay | {id(c.ins) for c in held})
    return None


def _part(copy: CodeCopy, result: Scan, walk: Walk) -> CodeCopy | None:
    inputs = _inputs(result, walk)
    requirements = [n.path for s in result.steps for n in s.needs if n.kind in ("requirements", "filtered")]
    workdir = walk.model.scope.workdir(copy.ins)
    return part(copy, inputs, requirements, workdir=workdir, context=walk.model.context, style=walk.style)


def _inputs(result: Scan, walk: Walk) -> list[str]:
    """The image paths the installs read or write: the files they name, the files a requirements file
    includes (``-r``/``-c``, followed in the build context), and what they produce."""
    out: list[str] = []
    for step in result.steps:
        for need in step.needs:
            out.append(need.path)
            if need.kind in ("requirements", "filtered"):
                out.extend(_included(need.path, result.copies, walk))
        out.extend(step.produces)
    return out


def _included(path: str, copies: tuple[CodeCopy, ...], walk: Walk) -> list[str]:
    """Where the files a requirements file includes are in the image: beside it, as in the build context
    (pip reads an include relative to the file that names it)."""
    context = walk.model.context
    rel = _context_file(path, copies, walk)
    if rel is None or not context.known:
        return []
    reqs = context.requirements(rel)
    top = posixpath.dirname(rel)
    return [posixpath.normpath(posixpath.join(posixpath.dirname(path), posixpath.relpath(f, top or "."))) for f in reqs.files[1:]]


def _context_file(path: str, copies: tuple[CodeCopy, ...], walk: Walk) -> str | None:
    """The build-context file a COPY puts at ``path`` (an earlier COPY, or one of the moving ones)."""
    if path in walk.origins:
        return walk.origins[path]
    for c in copies:
        if c.whole:
            rel = paths.relative(path, c.target)
            if rel:
                return rel
            continue
        for source, region in zip(c.sources, c.regions, strict=False):
            if region == path:
                return posixpath.normpath(source.lstrip("/"))
    return None


def _report(result: Scan, instrs: tuple[Instruction, ...], first: CodeCopy) -> None:
    """No install to move past: say why only when an install follows the instruction that stopped the COPY."""
    stop = result.stop
    if stop is None or not stop.report:
        return
    if stop.install:
        raise Decline(stop.ins, stop.message)
    at = next(k for k, x in enumerate(instrs) if x is stop.ins)
    if any(mentions_install(x) for x in instrs[at + 1 :]):
        raise Decline(
            stop.ins,
            f"{stop.message}; it runs between the code COPY on {line(first.ins)} and the dependency install, "
            "so the COPY cannot move below the install",
        )


def _check_copies(result: Scan, earlier: Instruction | None) -> None:
    for c in result.copies:
        if not c.whole:
            continue
        source = c.ins.flag("from")
        if source is not None:
            raise Decline(
                c.ins,
                f"the COPY on {line(c.ins)} copies from `--from={source.value}`, not from the build context; "
                "dockopt cannot tell which of those files the install reads",
            )
        odd = [f.raw for f in c.ins.flags if f.name not in COPY_FLAGS_KEPT]
        if odd:
            raise Decline(
                c.ins,
                f"the COPY on {line(c.ins)} has {' '.join(odd)}, which dockopt does not carry over to a manifest COPY",
            )
        if earlier is not None:
            raise Decline(
                c.ins, f"the build context is copied twice before the install ({line(earlier)} and {line(c.ins)})"
            )


def _check_file_variables(model: Analysis, result: Scan) -> None:
    """PIP_CONSTRAINT, UV_PROJECT ...: a variable in effect at the install that names a file dockopt does not follow."""
    last = result.steps[-1].ins
    names = tables().file_variables & model.scope.before(last).values.keys()
    found = _declared(model, last, names) if names else None
    if found is None:
        found = next((v for s in result.steps for v in s.file_vars), None)
    if found is not None:
        name, where = found
        raise Decline(where, f"{name} ({line(where)}) makes the installer read a file dockopt does not follow")


def _declared(model: Analysis, last: Instruction, names: frozenset[str] | set[str]) -> tuple[str, Instruction]:
    """The first ENV or ARG (in the stage or a stage it is built FROM) that sets one of ``names``."""
    stage = model.stage_of(last)
    for s in model.graph.ancestry(stage) if stage is not None else []:
        for ins in s.instructions:
            if ins is last:
                break
            hit = next((n for n in _names(ins) if n in names), None)
            if hit is not None:
                return hit, ins
    return sorted(names)[0], last


def _names(ins: Instruction) -> list[str]:
    """The names an ENV or ARG sets."""
    if ins.keyword == "ARG":
        return [w.partition("=")[0] for w in ins.value]
    if ins.keyword == "ENV":
        try:
            return [k for k, _ in ins.env_pairs]
        except ValueError:
            return []
    return []


def _message(result: Scan, sources: tuple[str, ...], notes: tuple[str, ...]) -> str:
    copies = [shown(c.ins) for c in result.copies]
    moved = copies[0] if len(copies) == 1 else ", ".join(copies[:-1]) + " and " + copies[-1]
    parted = [c for c in result.copies if c.left is not None]
    if parted:
        others = [shown(c.ins) for c in result.copies if c.left is None]
        message = "; ".join(split_message(c) for c in parted)
        if others:
            message += f"; {' and '.join(others)} move{'s' if len(others) == 1 else ''} below the install too"
        message += ", so code edits keep the install layer cached"
    elif sources:
        what = ", ".join(f"`{s}`" for s in sources)
        message = (
            f"copy {what} and install the dependencies before {moved}, so code edits keep the install layer cached"
        )
    elif any(c.whole for c in result.copies):
        message = f"move {moved} below the dependency install (its manifests are already copied), so code edits keep the install layer cached"
    else:
        install = result.steps[-1].ins
        message = f"move {moved} below the dependency install on {line(install)}, which reads none of its files, so code edits keep the install layer cached"
    split = result.split.split if result.split is not None else None
    if split is not None:
        message += _split_message(split.project.how, split.project.word)
    if notes:
        message += f" ({'; '.join(notes)})"
    return message


def _split_message(how: str, word: str) -> str:
    if how == "option":
        return f"; the install runs first with {word} and again after the code to add the project"
    if how == "reader":
        return (
            "; the dependencies listed in pyproject.toml's [project] table are read and installed first, "
            "and the project with --no-deps after the code"
        )
    return (
        f"; the install runs first from `{word}` without its lines that install from the source tree (`-e .`), "
        "and again after the code to add the project"
    )
