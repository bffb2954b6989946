"""Where the packages go: the environment the installs make themselves, or dockopt's virtualenv.

An install that makes its own virtualenv at a fixed path (``uv sync``'s
``.venv``, ``UV_PROJECT_ENVIRONMENT``, poetry's ``virtualenvs.in-project``,
``PIPENV_VENV_IN_PROJECT``) keeps it there: a virtualenv is bound to its path,
and the image may run ``.venv/bin/python`` or find it on PATH, so the
runtime stage copies it to the same path and PATH stays as the file has it
(:func:`kept_environment`, from the model's :mod:`dockopt.model.environment`).
A virtualenv of the tool's own (poetry's default, pipenv without
``--system``), reached with ``poetry run``, is declined.

Installs into the interpreter get dockopt's virtualenv, outside every
directory the app works in or copies files into:
``/opt/venv`` is the convention, but an app with ``WORKDIR /opt`` would find
the whole virtualenv in its working directory, and a build context with its
own ``venv/`` folder copied there would land on top of it. The first of a few
conventional paths that overlaps none of the stage's working directories,
COPY destinations, or the entries a whole-context COPY puts in place is used.
"""

from __future__ import annotations

import posixpath

from ...model import paths
from ...records_base import Record
from ..base import Decline
from .facts import Facts
from .job import VENV_DIR, Job

CANDIDATES = (VENV_DIR, "/venv", "/opt/python-venv", "/usr/local/venv")


class Kept(Record):
    """The virtualenv the installs make themselves, which stays at its path."""

    _fields = ("path", "tool", "how", "on_path")
    __slots__ = _fields
    path: str
    tool: str  # uv, poetry, pipenv
    how: str  # what put it there (uv's default, UV_PROJECT_ENVIRONMENT=..., poetry's virtualenvs.in-project ...)
    on_path: bool | None  # the original image's PATH names its bin (None: PATH can't be read)

    def __init__(self, path: str, tool: str, how: str, on_path: bool | None) -> None:
        self._set(path, tool, how, on_path)


def kept_environment(job: Job, facts: Facts) -> Kept | None:
    """The environment the installs make at a fixed path, None when they install into the interpreter
    (then dockopt's virtualenv takes its place), or Decline when the split can't keep it."""
    envs = facts.envs
    for ins, env in envs:
        if env.kind != "tool":
            continue
        if env.tool == "poetry":
            raise Decline(
                ins,
                f"poetry installs into a virtualenv of its own ({env.how}, under {env.path}), which the image reaches "
                "with `poetry run`; set `virtualenvs.create false` (POETRY_VIRTUALENVS_CREATE=false) or "
                "`virtualenvs.in-project true` (POETRY_VIRTUALENVS_IN_PROJECT=true) to let dockopt split it",
            )
        raise Decline(
            ins,
            f"`{env.tool} install` without --system installs into a virtualenv of its own (under {env.path}), which the "
            f"image reaches with `{env.tool} run`; use --system or PIPENV_VENV_IN_PROJECT=1 to let dockopt split it",
        )
    dirs = [(ins, env) for ins, env in envs if env.kind == "directory"]
    if not dirs:
        return None
    places = sorted({paths.show(env.path or "") for _, env in dirs} | ({"the interpreter"} if len(dirs) < len(envs) else set()))
    if len(places) > 1:
        raise Decline(
            dirs[0][0], f"the installs put packages in {len(places)} places ({', '.join(places)}); the rule moves one environment"
        )
    ins, env = dirs[0]
    path = env.path or ""
    if not paths.literal(path):
        raise Decline(ins, f"{env.how}: dockopt can't tell which directory the virtualenv is in ({paths.show(path)})")
    if env.in_system_prefix:
        raise Decline(
            ins,
            f"{env.how} installs into the image's own Python ({path}); the rule only moves a separate environment",
        )
    found = next((e for e in job.model.environments(job.stage) if e.ins is ins and e.env == env), None)
    return Kept(path, env.tool, env.how, found.on_path if found is not None else None)


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
