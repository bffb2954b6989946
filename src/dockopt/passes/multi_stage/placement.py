"""Where each instruction of the stage goes: the builder, the runtime stage, both, or the apt plan.

Up to the last install, ARG/ENV/WORKDIR/SHELL/USER go to both stages; the
install, tool and helper RUNs to the builder; apt steps to the apt plan (which
splits their packages); setup-only RUNs (useradd, mkdir ...) to the runtime
stage; other RUNs to both (the install may need them). COPYs of manifests go
to the builder (and to the runtime stage too unless a later ``COPY . .``
brings them again); code COPYs to the runtime stage, or to both when an
install reads the source tree; a COPY of what may be a requirements file
(``*.txt``, ``constraints*``) goes to both too when a requirements file's
includes (``-r``/``-c``) can't be read in the build context. Everything after the last install runs at
run time.
"""

from __future__ import annotations

import fnmatch
import posixpath

from ... import lazyre
from ...model import paths
from ...syntax import Instruction
from ..base import Decline
from .classify import Run
from .facts import Facts, basename
from .job import Job

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal
    Place = Literal["builder", "runtime", "both", "apt"]

Placement = dict[int, "Place"]


def is_whole_context(src: str) -> bool:
    return src in ("*", "./*") or posixpath.normpath(src) == "."


def place(job: Job, facts: Facts) -> Placement:
    out: Placement = {}
    manifest_copies, provided = _manifest_copies(job, facts)
    needed = facts.required - facts.generated
    all_provided = needed <= provided or all(any(fnmatch.fnmatchcase(r, p) for p in provided) for r in needed)
    generic_builder = [i for i, r in job.runs.items() if i <= job.last and r.kind == "generic" and not r.setup_only]
    whole = whole_context_copies(job)
    for i, ins in enumerate(job.body):
        kw = ins.keyword
        if i > job.last:
            out[i] = "runtime"
        elif kw in ("ARG", "ENV", "WORKDIR", "SHELL", "USER"):
            out[i] = "both"
        elif kw in ("COPY", "ADD"):
            out[i] = _place_copy(i, ins, facts, manifest_copies, all_provided, generic_builder, whole)
        elif kw == "RUN":
            run = job.runs[i]
            if run.kind in ("install", "tool", "helper"):
                out[i] = "apt" if run.kind == "install" and run.apt_installs else "builder"
            elif run.kind == "system":
                out[i] = "apt"
            elif run.setup_only or runtime_file_step(job, run):
                out[i] = "runtime"
            else:
                out[i] = "both"
        else:
            out[i] = "runtime"
    return _users_for_chown(job, out)


#: Commands that only put files in place; with their destinations known, such a RUN can be seen not to
#: help the install.
_FILE_STEP = frozenset({"curl", "wget", "chmod", "chown", "ln", "mkdir", "mv", "cp", "touch", "rm", "echo", "printf", "true"})
#: Where files would change how pip installs or what it installs into.
_INSTALL_INPUTS = ("/etc/pip.conf", "/etc/xdg/pip", "/root/.pip", "/root/.config/pip", "/root/.netrc", "/usr/local/lib/python", "/opt/venv")


def runtime_file_step(job: Job, run: Run) -> bool:
    """A RUN before the install that only fetches or places files the installs never name (a tini download).

    It belongs to the runtime stage alone: run in the builder too, it would
    cost the build twice and shed nothing. Every command must be a file step
    with absolute paths (``curl -o /usr/local/bin/tini URL``), no pipe into a
    shell, and no path an install or its configuration reads.
    """
    cl = run.script.commands
    if cl.complex or run.script.partly or not cl.items or "|" in cl.operators:
        return False
    if any((c.cmd.name or "") not in _FILE_STEP for c in run.items):
        return False
    targets = [w for c in run.items for w in c.cmd.args if w.startswith("/")]
    if not targets or any(w.startswith(_INSTALL_INPUTS) for w in targets):
        return False
    if any((c.cmd.name in ("curl", "wget")) and not _writes_file(c.cmd.args) for c in run.items):
        return False
    install_words = {w for r in job.runs.values() if r.kind in ("install", "helper", "tool") for w in r.script.words}
    return not any(posixpath.basename(w.rstrip("/")) in install_words for w in targets)


def _writes_file(args: tuple[str, ...]) -> bool:
    """``curl -o FILE``/``wget -O FILE``: the download goes to a file, not to stdout."""
    return any(a in ("-o", "-O", "--output", "--output-document") or a.startswith(("-o/", "-O/", "--output=")) for a in args)


def _manifest_copies(job: Job, facts: Facts) -> tuple[set[int], set[str]]:
    copies: set[int] = set()
    provided: set[str] = set()
    for i, ins in enumerate(job.body[: job.last + 1]):
        if ins.keyword in ("COPY", "ADD") and _is_manifest_copy(ins, facts):
            copies.add(i)
            sd = ins.copy_sources_and_dest()
            assert sd is not None
            provided.update(basename(s) for s in sd[0])
    return copies, provided


def _users_for_chown(job: Job, out: Placement) -> Placement:
    """A builder COPY --chown=name needs the user the runtime-only setup RUNs create."""
    chown = any(
        out[i] in ("builder", "both") and job.body[i].flag("chown") is not None
        for i in range(job.last + 1)
        if job.body[i].keyword in ("COPY", "ADD")
    )
    if not chown:
        return out
    for i in range(job.last + 1):
        run = job.runs.get(i)
        if out[i] == "runtime" and run is not None and run.names & {"useradd", "groupadd", "adduser", "addgroup"}:
            out[i] = "both"
    return out


def _is_manifest_copy(ins: Instruction, facts: Facts) -> bool:
    if ins.flag("from") is not None:
        return False
    sd = ins.copy_sources_and_dest()
    if sd is None:
        return False
    for src in sd[0]:
        if "://" in src or is_whole_context(src):
            return False
        name = basename(src)
        if name in facts.manifests or any(fnmatch.fnmatchcase(m, name) for m in facts.manifests):
            continue
        if src.rstrip("/").lstrip("./") in facts.manifest_dirs:
            continue
        return False
    return True


def whole_context_copies(job: Job) -> list[int]:
    out = []
    for i, ins in enumerate(job.body):
        if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
            sd = ins.copy_sources_and_dest()
            if sd and any(is_whole_context(s) for s in sd[0]):
                out.append(i)
    return out


def _place_copy(
    i: int,
    ins: Instruction,
    facts: Facts,
    manifest_copies: set[int],
    all_provided: bool,
    generic_builder: list[int],
    whole_copies: list[int],
) -> Place:
    src_from = ins.flag("from")
    if src_from is not None:
        return "builder" if "astral-sh/uv" in (src_from.value or "") else "both"
    if i in manifest_copies:
        return "builder" if any(j > i for j in whole_copies) else "both"
    sd = ins.copy_sources_and_dest()
    if sd is None or any(is_whole_context(s) or "://" in s for s in sd[0]):
        return "both"
    if facts.needs_tree or not all_provided or any(j > i for j in generic_builder):
        return "both"
    if facts.closure_unknown and any(_may_be_requirements(s) for s in sd[0]):
        return "both"
    return "runtime"


#: Names a requirements file includes with -r/-c: requirements-*.txt, constraints.txt, a requirements/ folder.
_REQUIREMENTS_NAME_RE = lazyre.compile(r"(?i)requirement|constraint|\.(?:txt|in)$")


def _may_be_requirements(src: str) -> bool:
    """A COPY source that may be a file a requirements file includes (when its includes can't be read)."""
    return _REQUIREMENTS_NAME_RE.search(basename(src)) is not None


def runtime_instructions(job: Job, placement: Placement) -> list[Instruction]:
    return [job.body[i] for i in range(len(job.body)) if placement[i] in ("runtime", "both")]


def check_same_path(job: Job, placement: Placement, facts: Facts) -> None:
    """An editable install links to its source directory: the runtime stage must have the code there."""
    ins = job.body[job.last]
    if facts.uses_cd:
        raise Decline(ins, "the project is installed in editable mode after a `cd`; the rule can't tell where its link points")
    scope = job.model.scope
    target = scope.workdir(ins)
    for i in whole_context_copies(job):
        copy = job.body[i]
        sd = copy.copy_sources_and_dest()
        if placement[i] not in ("runtime", "both") or sd is None:
            continue
        if scope.path(copy, sd[1]) == target and paths.literal(target):
            return
    raise Decline(
        ins,
        f"the project itself is installed in editable mode (a link to {paths.show(target)}), and the runtime stage doesn't "
        "copy the code to that directory; install with --no-root (poetry) or --no-install-project/--no-editable (uv)",
    )
