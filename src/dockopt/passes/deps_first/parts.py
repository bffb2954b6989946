"""A COPY that brings a manifest together with code, split in two.

``COPY app.py requirements.txt ./`` followed by ``RUN pip install -r
requirements.txt`` re-runs the install on every edit of app.py. Split, the
manifest stays where it was and the code moves below the install::

    COPY requirements.txt ./
    RUN pip install -r requirements.txt
    COPY app.py ./

Only when the split is read as the original was: a COPY (not ADD, which
unpacks archives) from the build context, whose sources the context shows
are files (a directory's contents land in the destination itself, where the
install's files are too), with a destination that names a directory either
way: one ending in ``/``, or the working directory, which WORKDIR made a
directory (``.`` is written ``./``, ``/app`` is written ``/app/``). ``COPY a
b /dest`` puts both into /dest only when /dest is a directory already; with
one source it may be a file, so that is declined with the reason. Both halves keep the COPY's ``--chown``/``--chmod``/``--link``.
A requirements file the install reads brings the files it includes (``-r``,
``-c``, followed in the build context) into the manifest half.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from ...model import paths
from ...model.context import BuildContext
from ...style import Style
from ..base import Decline
from .common import shown
from .copies import CodeCopy

#: Flags both halves carry over as written.
FLAGS_KEPT = frozenset({"chown", "chmod", "link"})


def part(
    copy: CodeCopy,
    inputs: Iterable[str],
    requirements: Iterable[str],
    *,
    workdir: str,
    context: BuildContext,
    style: Style,
) -> CodeCopy | None:
    """``copy`` restricted to the sources the install doesn't read, with the COPY of the others left in its
    place (:attr:`CodeCopy.left`); None when every source may hold an input (nothing to move);
    Decline when the halves would not be read as the original.

    ``inputs``: the image paths the installs read or write; ``requirements``: those that are pip
    requirements files (their includes are inputs too); ``workdir``: the COPY's working directory."""
    ins = copy.ins
    if copy.whole or len(copy.sources) < 2 or copy.left is not None:
        return None
    wanted = [*inputs, *_includes(requirements, copy, context)]
    held = [i for i, r in enumerate(copy.regions) if any(paths.may_overlap(p, r) for p in wanted)]
    if not held or len(held) == len(copy.sources):
        return None
    if ins.keyword != "COPY" or any(copy.regions[i] == copy.target for i in held):
        return None  # ADD, or a directory whose contents land beside the manifest: no file of its own to split off
    odd = [f.raw for f in ins.flags if f.name not in FLAGS_KEPT]
    if odd:
        raise Decline(ins, f"{shown(ins)} brings the manifest with the code, and has {' '.join(odd)}, which dockopt does not carry over to a split")
    dest = copy.dest
    if dest in (".", "./"):
        dest = "./"
    elif not dest.endswith("/") and copy.target == workdir and paths.literal(workdir):
        dest += "/"  # the working directory: WORKDIR made it a directory
    elif not dest.endswith("/"):
        raise Decline(
            ins,
            f"{shown(ins)} brings the manifest with the code; split, a COPY of one source to `{dest}` may write a "
            f"file named `{dest}` instead of a file inside it: write `{dest}/` and dockopt can split it",
        )
    if any(c in dest for c in " \t\"'\\$"):
        return None
    flags = [f.raw for f in ins.flags]
    keep = [s for i, s in enumerate(copy.sources) if i in held]
    move = [i for i in range(len(copy.sources)) if i not in held]
    left = style.instruction("COPY", " ".join([*keep, dest]), flags, leading=ins.leading)
    moved = style.instruction("COPY", " ".join([*(copy.sources[i] for i in move), dest]), flags)
    return copy.with_changes(
        sources=tuple(copy.sources[i] for i in move),
        regions=tuple(copy.regions[i] for i in move),
        left=left,
        moved=moved,
    )


def left_origins(copy: CodeCopy) -> dict[str, str]:
    """The files the half left in place puts in the image: absolute path -> context path."""
    if copy.left is None:
        return {}
    sources = copy.left.copy_sources_and_dest()
    assert sources is not None
    return {posixpath.join(copy.target, posixpath.basename(s)): posixpath.normpath(s.lstrip("/")) for s in sources[0]}


def _includes(requirements: Iterable[str], copy: CodeCopy, context: BuildContext) -> list[str]:
    """Where pip reads the files that the requirements files among the COPY's sources include (``-r``,
    ``-c``): beside each, as in the build context."""
    out: list[str] = []
    by_path = dict(zip(copy.regions, copy.sources, strict=True))
    for path in requirements:
        source = by_path.get(path)
        if source is None:
            continue
        rel = posixpath.normpath(source.lstrip("/"))
        reqs = context.requirements(rel)
        if reqs.problem is not None:
            raise Decline(copy.ins, f"{shown(copy.ins)} brings `{rel}`, which dockopt can't follow: {reqs.problem}")
        top = posixpath.dirname(rel) or "."
        out += [posixpath.normpath(posixpath.join(posixpath.dirname(path), posixpath.relpath(f, top))) for f in reqs.files[1:]]
    return out


def message(copy: CodeCopy) -> str:
    """How a split COPY is described: `` `COPY app.py requirements.txt ./` (line 3) in two``."""
    assert copy.left is not None and copy.moved is not None
    left, moved = (f"`{x.keyword_text} {x.args.strip()}`" for x in (copy.left, copy.moved))
    return f"split {shown(copy.ins)} in two: {left} before the install, {moved} after it"
