"""Whether a virtualenv can be made without pip: nothing in the stage that builds it needs pip inside it.

``python -m venv DIR`` runs ensurepip, which installs pip into the new
virtualenv from a bundled wheel: about two seconds of every cold build, for a
pip that a lean runtime (DO011) removes again. ``python -m venv
--without-pip DIR`` skips that, and the base image's own pip installs into
the virtualenv when ``PIP_PYTHON=DIR/bin/python`` is set (pip 22.3 and newer
re-run themselves under that interpreter, console scripts included).

That holds only where every later use of pip in the stage is a pip found on
PATH: a bare ``pip``/``pip3``/``pip3.12`` (the base's, as the virtualenv
listed first on PATH has none, or the one ``pip install --upgrade pip``
puts into it, which :func:`pip_installed_into` finds so pip is still removed
at the end). It fails for ``python -m pip`` (``python``
is the virtualenv's, which has no pip module), for the virtualenv's own
``bin/pip``, and for any program that runs pip inside the environment it is
given: poetry, pipenv, ``python -m spacy download``, a build script. What a
program does cannot be read from the Dockerfile, so only commands known not
to run Python code count; anything else keeps pip in the virtualenv.

Only for official ``python`` images whose tag names 3.12 or newer, written
in the FROM line rather than taken from a build argument (``FROM
python:${PY}`` builds whatever ``--build-arg PY=3.8`` says): they
carry pip 23.2 or newer (``PIP_PYTHON`` needs 22.3), and their virtualenvs
hold pip alone, so a virtualenv without pip, with pip removed at the end as
before, has the same files. Before 3.12 ``python -m venv`` also installs
setuptools, which code importing ``pkg_resources`` may need at run time.
"""

from __future__ import annotations

from .. import lazyre
from ..syntax import Instruction
from .scope import python_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .analysis import Analysis, VenvCopy

#: The first Python whose official images make a virtualenv with pip alone and carry a pip that knows PIP_PYTHON.
FIRST_PYTHON = (3, 12)
#: Commands that never run pip or Python code: a stage may run these after making the virtualenv.
PLAIN_COMMANDS = frozenset(
    {
        ":", "[", "adduser", "addgroup", "apk", "apt", "apt-get", "cat", "cd", "chgrp", "chmod", "chown", "cp",
        "curl", "dnf", "dpkg", "echo", "export", "false", "find", "git", "groupadd", "gunzip", "gzip", "ldconfig",
        "ln", "ls", "microdnf", "mkdir", "mv", "printf", "rm", "rmdir", "sed", "set", "tar", "test", "touch", "true",
        "unzip", "update-ca-certificates", "useradd", "wget", "yum",
    }
)  # fmt: skip
_PYTHON_RE = lazyre.compile(r"python[0-9.]*")
_BARE_PIP_RE = lazyre.compile(r"pip(3(\.\d+)?)?")
#: Modules a ``python -c`` may import and still run no pip.
_PLAIN_MODULES = frozenset({"tomllib", "json", "sys", "re"})
_PIP_OPTIONS_REFUSED = frozenset({"--python", "--user", "--prefix", "--root", "--isolated"})


def why_pip_stays(model: Analysis, found: VenvCopy) -> tuple[Instruction, str] | None:
    """Why ``found``'s virtualenv must be made with pip, as (instruction, reason); None when it need not.

    ``found.tool`` is ``venv`` (``python -m venv``): the only maker this
    replaces with ``--without-pip``.
    """
    source, created = found.source, found.created
    image = model.graph.image(source)
    version = python_version(image) if image and _official(image) else None
    if version is None:
        return created, f"which Python `{image or 'the base image'}` has is not named in its tag, or it is not the official image (3.12 or newer is needed)"
    if version < FIRST_PYTHON:
        return created, (
            f"`{image}` has Python {version[0]}.{version[1]}: before 3.12 `python -m venv` also installs setuptools, "
            "which code importing pkg_resources may need"
        )
    written = next((s.base for s in model.graph.ancestry(source) if s.base and "$" in s.base), None)
    if written is not None:
        return created, (
            f"the base image `{written}` takes its tag from a build argument (`{image}` by default), which a build "
            "may set to a Python before 3.12, whose virtualenv also needs setuptools, or to an image whose pip "
            "does not know PIP_PYTHON"
        )
    problem = _maker_problem(model, created, found.venv)
    if problem is not None:
        return created, problem
    graph = model.graph
    shipped = graph.shipped()
    for stage in graph.stages:
        if stage is source or stage.index in shipped:
            continue
        if graph.parent(stage) is source or source in graph.copied_from(stage):
            return stage.from_instruction, f"stage `{stage.name or stage.index}` also uses stage `{source.name or source.index}`"
    after = False
    for ins in source.instructions:
        if ins is created:
            after = True
            continue
        if not after:
            continue
        if ins.keyword in ("ONBUILD", "SHELL"):
            return ins, f"the {ins.keyword} at line {ins.line} comes after the virtualenv is made"
        if ins.keyword == "RUN":
            reason = _run_problem(model, ins)
            if reason is not None:
                return ins, reason
    return None


def pip_installed_into(model: Analysis, found: VenvCopy) -> Instruction | None:
    """The first RUN after the virtualenv is made that installs pip into it (``pip install --upgrade pip``).

    Made without pip, the virtualenv gets pip from that install (the base's
    pip, pointed at it by ``PIP_PYTHON``, installs the newest pip into it, and
    PATH finds that one from then on), so pip is still removed at the end.
    A requirements file that lists pip (``pip==24.0``, as ``uv pip compile``
    writes when requirements.in names it) installs it as well: the files the
    install reads, and those they include, count as its arguments do.
    """
    from .distributions import run_distributions  # only here: most files never make a virtualenv

    after = False
    for ins in found.source.instructions:
        if ins is found.created:
            after = True
        elif after and ins.keyword == "RUN" and any(d.name == "pip" for d in run_distributions(ins, model.context)):
            return ins
    return None


def _official(reference: str) -> bool:
    """Docker's own ``python`` image (``python``, ``library/python``, ``docker.io/library/python``)."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    repo = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return repo.lower() in ("python", "library/python", "docker.io/library/python", "index.docker.io/library/python")


def _plain_python(args: tuple[str, ...]) -> bool:
    """``python -c CODE`` whose code imports only modules that run no pip, and nothing dynamic.

    dockopt's own pyproject reader (DO001) is such a command: ``import
    tomllib`` and a print. Any other import, ``__import__``, ``exec``,
    ``eval`` or ``compile`` counts as code that may run pip.
    """
    if len(args) != 2 or args[0] != "-c":
        return False
    import ast  # only here: most files never ask, and the import costs a cold start

    try:
        tree = ast.parse(args[1])
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name not in _PLAIN_MODULES for a in node.names):
            return False
        if isinstance(node, ast.ImportFrom) and (node.level or node.module not in _PLAIN_MODULES):
            return False
        if isinstance(node, ast.Name) and node.id in ("__import__", "exec", "eval", "compile"):
            return False
    return True


def _maker_problem(model: Analysis, created: Instruction, venv: str) -> str | None:
    """Why the RUN that makes the virtualenv cannot simply gain ``--without-pip``, or None."""
    s = model.script(created)
    if created.heredocs or s.exec_form or s.partly or s.commands.complex:
        return f"the RUN at line {created.line} that makes {venv} is shell text dockopt does not edit"
    makers = [cmd for cmd in s.commands.items if _PYTHON_RE.fullmatch(cmd.name or "") and cmd.args[:2] == ("-m", "venv")]
    if len(makers) != 1:
        return f"the RUN at line {created.line} makes more than one virtualenv"
    maker = makers[0]
    if maker.args[2:] != (venv,) and tuple(a.rstrip("/") for a in maker.args[2:]) != (venv,):
        return f"`{maker.raw}` (line {created.line}) passes options to venv"
    later = s.commands.items[s.commands.items.index(maker) + 1 :]
    for cmd in later:
        if (cmd.name or "") not in PLAIN_COMMANDS:
            return f"the RUN at line {created.line} runs `{cmd.name}` after making {venv}"
    return None


def _run_problem(model: Analysis, ins: Instruction) -> str | None:
    """Why this RUN (after the virtualenv is made) needs pip inside it, or None."""
    s = model.script(ins)
    where = f"the RUN at line {ins.line}"
    if ins.heredocs or s.exec_form or s.partly or s.commands.complex:
        return f"{where} is shell text dockopt cannot read command by command"
    calls = {id(cmd): call for cmd, call in s.calls}
    for cmd in s.commands.items:
        name = cmd.name or ""
        call = calls.get(id(cmd))
        if call is not None and call.manager == "pip":
            program = cmd.program or ""
            if not _BARE_PIP_RE.fullmatch(program):
                return f"{where} runs `{call.tool}` by its path or through Python, which needs pip inside the virtualenv"
            refused = sorted(set(call.options) & _PIP_OPTIONS_REFUSED)
            if refused:
                return f"{where} runs pip with {refused[0]}"
            continue
        if call is not None and call.manager not in ("apt", "apk", "yum", "dnf"):
            return f"{where} runs {call.tool}, which may run pip inside the virtualenv"
        if _PYTHON_RE.fullmatch(name) and _plain_python(cmd.args):
            continue
        if name not in PLAIN_COMMANDS:
            return f"{where} runs `{name or cmd.raw}`, which dockopt cannot tell does not need pip inside the virtualenv"
    return None
