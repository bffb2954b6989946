"""Where the virtualenv goes: outside every directory the app works in or copies files into.

``/opt/venv`` is the convention, but an app with ``WORKDIR /opt`` would find
the whole virtualenv in its working directory, and a build context with its
own ``venv/`` folder copied there would land on top of it. The first of a few
conventional paths that overlaps none of the stage's working directories,
COPY destinations, or the entries a whole-context COPY puts in place is used.
"""

from __future__ import annotations

import posixpath

from ...model import paths
from ..base import Decline
from .job import VENV_DIR, Job

CANDIDATES = (VENV_DIR, "/venv", "/opt/python-venv", "/usr/local/venv")


def app_directories(job: Job) -> tuple[set[str], set[str]]:
    """(directories the app works in or copies into, paths a whole-context COPY fills) in the stage."""
    scope = job.model.scope
    dirs: set[str] = set()
    filled: set[str] = set()
    top = job.ctx.context.top_level()
    for ins in job.body:
        if ins.keyword == "WORKDIR":
            dirs.add(scope.path(ins, ins.args))
        elif ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
            sd = ins.copy_sources_and_dest()
            if sd is None:
                continue
            dest = scope.path(ins, sd[1])
            whole = any(posixpath.normpath(s) == "." or s in ("*", "./*") for s in sd[0])
            directory = sd[1].endswith("/") or posixpath.normpath(sd[1]) == "." or len(sd[0]) > 1
            if whole and top is not None:
                filled.update(posixpath.join(dest, name) for name in top)  # what lands there, one entry each
            elif whole or directory:
                dirs.add(dest)
            else:
                filled.add(dest)
    dirs.discard("/")
    return dirs, filled


def choose_venv_dir(job: Job) -> str:
    dirs, filled = app_directories(job)
    for candidate in CANDIDATES:
        if any(paths.overlap(candidate, d) for d in dirs):
            continue
        if any(paths.may_be_under(candidate, f) for f in filled):
            continue
        return candidate
    unknown = sorted(paths.show(d) for d in dirs if not paths.literal(d))
    if unknown:
        raise Decline(
            None,
            f"the app's directory ({unknown[0]}) can't be told from the file, so dockopt can't place the virtualenv "
            "outside it",
        )
    raise Decline(None, f"every place dockopt would put the virtualenv ({', '.join(CANDIDATES)}) is inside the app's directories")
