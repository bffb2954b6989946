"""What a RUN between the code COPY and the end of the install does.

Each command of the RUN (parsed once, by the model) is either a package
install whose input files are known (:mod:`.installs`), or one of a short
list of commands that neither read the project nor write where it goes
(``useradd``, ``mkdir``/``rm`` of absolute paths outside it, the official
poetry/uv installers piped into a shell, ``pipx install``), or the steps
dockopt itself writes (the pyproject reader, the local-line filter).
Anything else may use the code, and the code COPY stops there.
"""

from __future__ import annotations

from ... import lazyre
from ...model import project, runs
from ...model.shell import CommandList, SimpleCommand
from ...records_base import Record
from ...style import Style
from ...syntax import Instruction
from .common import SPECIAL_FILES, WRITES, Need, Stop, line, redirects
from .installs import classify_call
from .site import Project, Reads, Site, check_paths
from .split import Split, split
from .tables import tables

_PYTHON_RE = lazyre.compile(r"python[0-9]*(?:\.[0-9]+)*")
_STDIN_RUNNERS = frozenset({"sh", "bash", "dash", "ash"})


class Step(Record):
    """A RUN the code COPY moves past: what it reads and writes, and its two halves if it installs the project."""

    _fields = ("ins", "install", "needs", "produces", "projects", "file_vars", "split")
    __slots__ = _fields
    ins: Instruction
    install: bool
    needs: tuple[Need, ...]
    produces: tuple[str, ...]
    projects: tuple[tuple[str, str], ...]
    file_vars: tuple[tuple[str, Instruction], ...]
    split: Split | None

    def __init__(
        self,
        ins: Instruction,
        install: bool,
        needs: tuple[Need, ...] = (),
        produces: tuple[str, ...] = (),
        projects: tuple[tuple[str, str], ...] = (),
        file_vars: tuple[tuple[str, Instruction], ...] = (),
        split: Split | None = None,
    ) -> None:
        self._set(ins, install, needs, produces, projects, file_vars, split)


def mentions_install(ins: Instruction) -> bool:
    """A RUN (or ONBUILD RUN) that, at a glance, installs dependencies from files: used to decide what to report."""
    if ins.keyword not in ("RUN", "ONBUILD"):
        return False
    for _cmd, call in runs.script(ins).all_calls:
        if call.manager not in ("pip", "uv", "poetry", "pipenv"):
            continue
        if call.requirement_files or call.constraint_files or call.local_paths or call.editable:
            return True
        if call.action in ("install", "sync", "pip sync") and call.manager in ("poetry", "pipenv", "uv"):
            return True
    return False


def classify_run(x: Instruction, site: Site, style: Style) -> Step:
    """What the RUN ``x`` does; :class:`Stop` when the code COPY cannot move past it."""
    hint = mentions_install(x)
    if x.heredocs:
        raise Stop(x, f"the RUN on {line(x)} runs a heredoc script, which dockopt does not analyse", install=hint)
    if x.json_args is not None:
        raise Stop(x, f"the exec-form RUN on {line(x)} is not analysed", install=hint)
    cl = site.model.script(x).commands
    if cl.complex:
        raise Stop(x, f"the RUN on {line(x)} is a shell construct dockopt does not analyse", install=hint)
    calls = {id(cmd): call for cmd, call in site.model.script(x).calls}
    here = site.at(site.cwd)
    reads: list[Reads] = []
    file_vars: list[tuple[str, Instruction]] = []
    projects: list[tuple[int, Project, Site]] = []
    produced: set[str] = set()
    piped = -1  # the command an installer download is piped into
    for i, cmd in enumerate(cl.items):
        if any("$(" in w or "`" in w for w in (*cmd.words, *cmd.assignments)):
            raise Stop(
                x, f"the RUN on {line(x)} uses command substitution, which may read the copied code", install=hint
            )
        file_vars.extend(
            (a.partition("=")[0], x) for a in cmd.assignments if a.partition("=")[0] in tables().file_variables
        )
        call = calls.get(id(cmd))
        if call is not None:
            found = classify_call(call, cmd, here)
            # A file an earlier command of the RUN wrote (`poetry export > r.txt && pip install -r r.txt`) is not copied.
            found = found.with_changes(needs=tuple(n for n in found.needs if n.path not in produced))
        elif i == piped:
            found = Reads()
        else:
            found, here, pipe = _command(cmd, cl, i, here, hint)
            piped = i + 1 if pipe else piped
            if cmd.name == "export":
                file_vars.extend(
                    (w.partition("=")[0], x) for w in cmd.args if w.partition("=")[0] in tables().file_variables
                )
        _check_redirects(cmd, here, found.outputs, hint)
        produced.update(found.outputs)
        if found.project is not None:
            projects.append((i, found.project, here))
        reads.append(found)
    return Step(
        ins=x,
        install=any(r.install for r in reads),
        needs=tuple(n for r in reads for n in r.needs),
        produces=tuple(sorted(produced)),
        projects=tuple(p for r in reads for p in r.projects),
        file_vars=tuple(file_vars),
        split=_split(x, cl, projects, style),
    )


def _split(x: Instruction, cl: CommandList, projects: list[tuple[int, Project, Site]], style: Style) -> Split | None:
    if not projects:
        return None
    if len(projects) > 1:
        raise Stop(x, f"the RUN on {line(x)} installs the project in more than one command", install=True)
    index, proj, site = projects[0]
    reads = site.path(proj.pyproject if proj.how == "reader" else proj.word) if proj.how != "option" else ""
    return split(x, cl, index, proj, reads, style)


def _command(cmd: SimpleCommand, cl: CommandList, i: int, site: Site, hint: bool) -> tuple[Reads, Site, bool]:
    """A command that is not a package-manager call: (what it reads, the site after it, piped installer)."""
    x, name, t = site.ins, cmd.name, tables()
    if name is None or name == "export" or name in t.harmless:
        return Reads(), site, False
    if name == "cd":
        args = [a for a in cmd.args if a != "--"]
        if len(args) != 1 or args[0] == "-":
            raise Stop(x, f"the `cd` on {line(x)} is not understood", install=hint)
        return Reads(), site.at(site.path(args[0])), False
    if name in t.path_args or name in t.path_args_after_first:
        positionals = [a for a in cmd.args if not a.startswith("-")]
        check_paths(x, name, positionals[1:] if name in t.path_args_after_first else positionals, site.area)
        return Reads(), site, False
    if _PYTHON_RE.fullmatch(name) and cmd.args[:2] == ("-m", "venv"):
        check_paths(x, f"{name} -m venv", [a for a in cmd.args[2:] if not a.startswith("-")], site.area)
        return Reads(), site, False
    written = project.dependency_reader_input(cmd.words) or project.local_filter_input(cmd.words)
    if written is not None:
        need = Need(site.path(written), "file" if project.is_dependency_reader(cmd.words) else "filtered", x)
        outputs = tuple(site.path(target) for op, target in redirects(cmd) if op in WRITES)
        return Reads(needs=(need,), outputs=outputs), site, False
    if _installer_download(cmd, cl, i):
        return Reads(), site, True
    if name == "pipx" and _pipx_tool(cmd.args):
        return Reads(), site, False
    if name in ("pip", "pip3", "uv", "poetry") and all(a.startswith("-") for a in cmd.args):
        return Reads(), site, False  # `pip --version`
    if hint:
        raise Stop(
            x,
            f"the RUN on {line(x)} installs dependencies but also runs `{name}`, which may use the copied code",
            install=True,
        )
    raise Stop(x, f"`{name}` ({line(x)}) may use the copied code")


def _pipx_tool(args: tuple[str, ...]) -> bool:
    """``pipx install poetry``: a tool in its own venv under the home directory, not from the project."""
    return args[:1] in (("install",), ("upgrade",), ("inject",), ("ensurepath",)) and not any(
        a.startswith((".", "/", "~")) for a in args[1:]
    )


def _installer_download(cmd: SimpleCommand, cl: CommandList, i: int) -> bool:
    """``curl -sSL https://install.python-poetry.org | python3 -``: an official tool installer piped into its runner."""
    if cmd.name not in ("curl", "wget") or i + 1 >= len(cl.items) or cl.operators[i] != "|":
        return False
    urls = [a for a in cmd.args if "://" in a]
    if not urls or not all(u.startswith(tables().installers) for u in urls):
        return False
    if cmd.name == "curl" and any(a in ("-o", "--output", "-O", "--remote-name") for a in cmd.args):
        return False  # saves a file instead of printing the script
    if cmd.name == "wget" and not any(a.endswith("O-") or a == "-" for a in cmd.args):
        return False
    runner = cl.items[i + 1]
    name = runner.name or ""
    stdin = all(a == "-" or a.startswith("-") for a in runner.args)
    return stdin and not runner.redirects and (bool(_PYTHON_RE.fullmatch(name)) or name in _STDIN_RUNNERS)


def _check_redirects(cmd: SimpleCommand, site: Site, outputs: tuple[str, ...], hint: bool) -> None:
    for op, target in redirects(cmd):
        if target in SPECIAL_FILES or (op in ("<&", ">&") and (target.isdigit() or target == "-")):
            continue
        if op in ("<<<", "<<", "<<-"):
            continue
        path = site.path(target)
        if path in outputs or not site.area.touches(path):
            continue
        kind = "reads" if op.startswith("<") else "writes"
        raise Stop(site.ins, f"the RUN on {line(site.ins)} {kind} `{target}`, where the code goes", install=hint)
