"""Requirement files that also install the project (``-e .``, ``./pkg``): the dependencies first, without those lines.

The first step filters the file at build time
(:func:`dockopt.model.project.local_filter`) and installs the rest; the
original ``pip install -r`` after the code installs the project. It is made
only when the filter drops exactly the lines that need the source tree: they
are in the file the install names (not in a file it includes), they are
``-e``/``--editable`` of a path or a bare path, none continues on the next
line, and the file includes no other file by a relative path (the filtered
copy lives in /tmp).
"""

from __future__ import annotations

from ... import lazyre
from ...model import project
from ...model.context import BuildContext, Requirements
from .common import Need, Stop, line
from .site import PLAIN_RE, Project, Site

_LOCAL_OPTION_RE = lazyre.compile(r"(-e|--editable|-f|--find-links)\b")


def local_lines(site: Site, shown: str, requirements: list[tuple[str, Need]]) -> tuple[Project, Need] | None:
    """A requirements file that also installs the project (``-e .``): its first step drops those lines."""
    if not site.context.known:
        return None
    found: list[tuple[str, Need, str, Requirements]] = []
    for written, need in requirements:
        rel = site.context_path(need.path)
        if rel is None or not site.context.shipped(rel):
            continue
        reqs = site.context.requirements(rel)
        if reqs.local:
            found.append((written, need, rel, reqs))
    if not found:
        return None
    if len(found) > 1:
        raise Stop(
            site.ins,
            f"`{shown}` ({line(site.ins)}) reads more than one requirements file that installs from the source tree",
            install=True,
        )
    written, need, rel, reqs = found[0]
    problem = filter_problem(rel, reqs, site.context)
    if problem is None and not PLAIN_RE.fullmatch(written):
        problem = f"dockopt does not write the name `{written}` into a command"
    if problem is not None:
        raise Stop(site.ins, problem, install=True)
    return Project("filter", written), Need(need.path, "filtered", site.ins)


def filter_problem(rel: str, reqs: Requirements, context: BuildContext) -> str | None:
    """Why the first step cannot install ``rel`` without its local lines, or None when it can."""
    for file, text in reqs.local:
        if file != rel:
            return (
                f"`{file}`, which `{rel}` includes, has `{text}`, which installs from the source tree; "
                f"dockopt filters such lines only out of the file the install names"
            )
        if not project.filtered_local_line(text):
            return local_line_problem(file, text)
    if len(reqs.files) > 1:
        return (
            f"`{rel}` installs from the source tree (`{reqs.local[0][1]}`) and includes `{reqs.files[1]}`; "
            f"dockopt installs a filtered copy of `{rel}` first, from /tmp, where that include would not be found"
        )
    for raw in (context.read(rel) or "").splitlines():
        if project.filtered_local_line(raw) and raw.rstrip().endswith("\\"):
            return f"`{rel}` continues `{raw.strip()}` on the next line, which the line filter would leave behind"
    return None


def local_line_problem(file: str, text: str) -> str:
    """Why a requirements line that installs from the source tree stops the install from moving."""
    if _LOCAL_OPTION_RE.match(text):
        return f"`{file}` has `{text}`, which installs from the source tree; dockopt cannot install it before the code is copied"
    return f"`{file}` installs a local path (`{text}`), which needs the source tree"
