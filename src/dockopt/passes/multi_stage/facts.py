"""What the dependency installs read and need, and where their packages go (venv or ~/.local).

Reads every install and helper command up to the last install: which files
they read (so the manifest COPYs can go to the builder), whether they need
the whole source tree (``pip install .``, an editable line), whether the
project is installed in editable mode (then the runtime stage must have the
code at the same path), and the small edits the builder's copy of the RUN
needs (``uv pip --system`` loses ``--system``; a build tool installed in the
same RUN runs with the image's own pip).
"""

from __future__ import annotations

import posixpath
import re

from ... import lazyre
from ...model import project
from ...model.environment import Environment, install_environment
from ...model.packages import PackageInstall
from ...model.shell import SimpleCommand
from ...records_base import Mutable
from ...syntax import Instruction
from ..base import Decline
from .classify import Run
from .job import USER_BASE, VENV_DIR, Job

_URL_CREDENTIALS_RE = lazyre.compile(r"//[^/]*@")
_STDOUT_REDIRECT_RE = lazyre.compile(r"\s*1?>{1,2}\s*(\S+)\s*")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal
    #: venv: dockopt's virtualenv; user: pip --user into /root/.local; project: the virtualenv the installs make
    #: themselves (uv sync, poetry/pipenv in-project), kept at its path
    Layout = Literal["venv", "user", "project"]

_VERSIONED_RE = lazyre.compile(r"(?:pip|python)([0-9]+\.[0-9]+)")
_ASSIGNMENT_RE = lazyre.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*")
_ROOT_USERS = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})

#: (RUN index, start, end, replacement) in the RUN's argument text.
Edit = tuple[int, int, int, str]


class Facts(Mutable):
    """What the installs read and need (collected once, then only read)."""

    _fields = (
        "manifests", "required", "generated", "manifest_dirs", "needs_tree", "closure_unknown", "editable_project",
        "uv_project", "user_flags", "system_tools", "pip_only", "uses_cd", "interpreters", "edits", "notes", "envs",
        "tool_edits", "tool_notes",
    )
    __slots__ = _fields
    manifests: set[str]  # basenames a manifest COPY may carry
    required: set[str]  # basenames the installs can't do without
    generated: set[str]  # written by a helper (poetry export -o X)
    manifest_dirs: set[str]  # first path components of requirement paths
    needs_tree: bool  # an install reads the whole source tree
    closure_unknown: bool  # a requirements file couldn't be read: it may include any file copied before
    editable_project: bool  # the project is installed in editable mode (a link to its source)
    uv_project: bool  # uv sync/add: needs UV_PROJECT_ENVIRONMENT
    user_flags: list[bool]
    system_tools: bool  # a build tool installed with /usr/local/bin/pip in the install RUN
    pip_only: bool
    uses_cd: bool
    interpreters: set[str]
    edits: list[Edit]
    notes: list[str]
    #: where each dependency install puts the packages (the model's answer), in order
    envs: list[tuple[Instruction, Environment]]
    #: `/usr/local/bin/` before the pip that installs a build tool in the install RUN: needed only when
    #: the builder activates a virtualenv of dockopt's (see venv.kept_environment)
    tool_edits: list[Edit]
    tool_notes: list[str]

    def __init__(
        self,
        manifests: set[str] | None = None,
        required: set[str] | None = None,
        generated: set[str] | None = None,
        manifest_dirs: set[str] | None = None,
        needs_tree: bool = False,
        closure_unknown: bool = False,
        editable_project: bool = False,
        uv_project: bool = False,
        user_flags: list[bool] | None = None,
        system_tools: bool = False,
        pip_only: bool = True,
        uses_cd: bool = False,
        interpreters: set[str] | None = None,
        edits: list[Edit] | None = None,
        notes: list[str] | None = None,
        envs: list[tuple[Instruction, Environment]] | None = None,
        tool_edits: list[Edit] | None = None,
        tool_notes: list[str] | None = None,
    ) -> None:
        self.manifests = manifests if manifests is not None else set()
        self.required = required if required is not None else set()
        self.generated = generated if generated is not None else set()
        self.manifest_dirs = manifest_dirs if manifest_dirs is not None else set()
        self.needs_tree = needs_tree
        self.closure_unknown = closure_unknown
        self.editable_project = editable_project
        self.uv_project = uv_project
        self.user_flags = user_flags if user_flags is not None else []
        self.system_tools = system_tools
        self.pip_only = pip_only
        self.uses_cd = uses_cd
        self.interpreters = interpreters if interpreters is not None else set()
        self.edits = edits if edits is not None else []
        self.notes = notes if notes is not None else []
        self.envs = envs if envs is not None else []
        self.tool_edits = tool_edits if tool_edits is not None else []
        self.tool_notes = tool_notes if tool_notes is not None else []


def install_facts(job: Job) -> Facts:
    facts = Facts()
    for i, run in job.runs.items():
        if i > job.last:
            continue
        for c in run.items:
            if c.cmd.name == "cd" and run.kind == "install":
                facts.uses_cd = True
            if c.kind == "py-install" and c.pc is not None:
                _install_call(job, i, run, c.cmd, c.pc, facts)
            elif c.kind == "tool" and run.kind == "install":
                _system_tool(i, run, c.cmd, facts)
            elif c.kind == "py-helper":
                _helper_call(c.cmd, c.pc, facts)
    facts.required -= facts.generated
    return facts


def _install_call(job: Job, index: int, run: Run, cmd: SimpleCommand, pc: PackageInstall, facts: Facts) -> None:
    ins = run.ins
    if cmd.words and cmd.words[0] in ("sudo", "doas"):
        raise Decline(ins, f"`{cmd.words[0]}` resets PATH, so the install wouldn't use the virtualenv")
    facts.envs.append((ins, install_environment(job.model, ins, cmd, pc)))
    if pc.manager == "pip" or (pc.manager == "uv" and pc.action.startswith("pip ")):
        _pip_like(job, index, run, cmd, pc, facts)
    elif pc.manager == "poetry":
        facts.pip_only = False
        if pc.has_option("-C", "--directory", "-P", "--project"):
            raise Decline(ins, "poetry runs on another directory (-C/--directory); the rule can't follow it")
        facts.manifests |= {"pyproject.toml", "poetry.lock", "poetry.toml"}
        facts.required.add("pyproject.toml")
        if not pc.has_option("--no-root") and not project.poetry_package_mode_off(project.load_toml(job.text("pyproject.toml"))):
            facts.editable_project = True
            facts.needs_tree = True
    elif pc.manager == "pipenv":
        facts.pip_only = False
        # without --system pipenv makes a virtualenv: in the project (PIPENV_VENV_IN_PROJECT), kept there,
        # or one of its own, declined (venv.kept_environment)
        facts.manifests |= {"Pipfile", "Pipfile.lock"}
        facts.required.add("Pipfile")
        if "editable" in (job.text("Pipfile") or ""):
            raise Decline(ins, "the Pipfile has editable entries, which point into the builder's source tree")
    elif pc.manager == "uv":
        facts.pip_only = False
        facts.uv_project = True
        if pc.has_option("-p", "--python", "--project", "--directory", "--active"):
            raise Decline(ins, "`uv sync` is pointed at another interpreter or directory; the rule can't follow it")
        facts.manifests |= {"pyproject.toml", "uv.lock", ".python-version", "uv.toml"}
        facts.required.add("pyproject.toml")
        installs_project = not pc.has_option("--no-install-project", "--only-group") and not project.uv_virtual_project(
            project.load_toml(job.text("pyproject.toml"))
        )
        if installs_project:
            facts.needs_tree = True
            if not pc.has_option("--no-editable"):
                facts.editable_project = True
    else:  # pragma: no cover - package_call knows no other Python manager
        raise Decline(ins, f"the rule doesn't know how `{pc.tool}` installs")


def _system_tool(index: int, run: Run, cmd: SimpleCommand, facts: Facts) -> None:
    """``pip install poetry`` in the install RUN: run it with the image's own interpreter,
    so poetry lands in /usr/local of the builder and not in the copied virtualenv."""
    program = cmd.program or ""
    offset = _first_word(cmd.raw, program)
    if offset is None or (
        cmd.raw[:offset].strip() and not all(_ASSIGNMENT_RE.fullmatch(w) for w in cmd.raw[:offset].split())
    ):
        raise Decline(run.ins, "one RUN installs a build tool and the dependencies; split it in two RUNs first")
    start = cmd.start + offset
    facts.tool_edits.append((index, start, start, "/usr/local/bin/"))
    facts.pip_only = False
    if not facts.system_tools:
        facts.tool_notes.append(
            f"`{cmd.name}` installing the build tool runs as /usr/local/bin/{program}, so the tool stays out of {VENV_DIR}"
        )
    facts.system_tools = True


def _pip_like(job: Job, index: int, run: Run, cmd: SimpleCommand, pc: PackageInstall, facts: Facts) -> None:
    ins = run.ins
    if pc.editable:
        # `pip install -e .`: the link points at the source in the builder; the runtime stage
        # must have the code at the same path (checked with the placement).
        facts.editable_project = True
        facts.needs_tree = True
    if pc.has_option("-t", "--target", "--prefix", "--root"):
        raise Decline(
            ins, "the install goes to a --target/--prefix/--root directory; the rule only moves installs into the interpreter"
        )
    if pc.manager == "uv" and pc.has_option("-p", "--python"):
        raise Decline(ins, "`uv pip` is pointed at an interpreter (--python); it wouldn't use the virtualenv")
    for opt, value in pc.option_values:
        if opt in ("-i", "--index-url", "--extra-index-url", "--index", "--default-index") and (
            "$" in value or _URL_CREDENTIALS_RE.search(value)
        ):
            raise Decline(ins, "the install uses a private index with credentials; the rule leaves it alone")
    program = cmd.program or ""
    if "/" in program:
        raise Decline(ins, f"the install calls `{program}` by its path, which bypasses the virtualenv")
    m = _VERSIONED_RE.fullmatch(cmd.name or "")
    if m:
        facts.interpreters.add(f"python{m.group(1)}")
    if pc.manager == "uv":
        _uv_pip(index, run, cmd, pc, facts)
    facts.user_flags.append(pc.has_option("--user"))
    for f in [*pc.requirement_files, *pc.constraint_files]:
        facts.manifests.add(_basename(f))
        facts.required.add(_basename(f))
        stripped = f.lstrip("./")
        if "/" in stripped and not f.startswith("/"):
            facts.manifest_dirs.add(stripped.split("/", 1)[0])
        _requirements(job, f, facts)
    for path in pc.local_paths:
        if path.endswith((".whl", ".tar.gz", ".tgz", ".zip")):
            facts.manifests.add(_basename(path))
            facts.required.add(_basename(path))
        else:
            facts.needs_tree = True
    if any("file:" in spec for spec in pc.packages):
        facts.needs_tree = True
    if pc.has_option("-f", "--find-links") and "://" not in (pc.option_value("-f", "--find-links") or ""):
        facts.needs_tree = True


def _uv_pip(index: int, run: Run, cmd: SimpleCommand, pc: PackageInstall, facts: Facts) -> None:
    facts.pip_only = False
    if pc.has_option("--system"):
        if run.ins.json_args is not None or run.ins.heredocs:
            raise Decline(
                run.ins, "`uv pip --system` installs into the system interpreter and the flag can't be removed from this RUN"
            )
        offset = _find_word(cmd.raw, "--system")
        if offset is None:
            raise Decline(run.ins, "`uv pip --system` installs into the system interpreter and the flag can't be removed here")
        start = cmd.start + offset
        facts.edits.append((index, start - 1, start + len("--system"), ""))  # the flag and the blank before it
    if pc.action == "pip sync":
        facts.manifests.update(_basename(a) for a in pc.arguments)
        facts.required.update(_basename(a) for a in pc.arguments)


def _requirements(job: Job, rel: str, facts: Facts) -> None:
    """Nested -r/-c files are manifests too; local and editable lines need the source tree."""
    context = job.ctx.context
    candidates = [c for c in (_context_path(rel), _basename(rel)) if context.read(c) is not None]
    if not candidates:
        # not in the context (or no context): it may include (-r/-c) any file a COPY brings before the install
        facts.closure_unknown = True
        return
    reqs = context.requirements(candidates[0])
    if reqs.problem is not None:
        facts.closure_unknown = True
    for f in reqs.files[1:]:
        facts.manifests.add(_basename(f))
        facts.required.add(_basename(f))
    if reqs.local:
        facts.needs_tree = True
    if reqs.editable_local:
        facts.editable_project = True


def _context_path(rel: str) -> str:
    return rel.lstrip("/") if not rel.startswith("./") else rel[2:]


def _helper_call(cmd: SimpleCommand, pc: PackageInstall | None, facts: Facts) -> None:
    outputs: list[str] = []
    filtered = project.local_filter_input(cmd.words)
    if project.is_dependency_reader(cmd.words):
        facts.manifests.add("pyproject.toml")
        facts.required.add("pyproject.toml")
    elif filtered is not None:
        facts.manifests.add(basename(filtered))
        facts.required.add(basename(filtered))
    elif pc is not None and pc.manager == "poetry" and pc.action == "export":
        facts.manifests |= {"pyproject.toml", "poetry.lock"}
        facts.required.add("pyproject.toml")
        out = pc.option_value("-o", "--output")
        if out:
            outputs.append(out)
    elif pc is not None and pc.manager == "pipenv" and pc.action in ("requirements", "lock"):
        facts.manifests |= {"Pipfile", "Pipfile.lock"}
        facts.required.add("Pipfile")
    elif pc is not None and pc.manager == "uv" and pc.action in ("export", "lock"):
        facts.manifests |= {"pyproject.toml", "uv.lock"}
        facts.required.add("pyproject.toml")
        out = pc.option_value("-o", "--output-file")
        if out:
            outputs.append(out)
    for redirect in cmd.redirects:
        m = _STDOUT_REDIRECT_RE.fullmatch(redirect)
        if m:
            outputs.append(m.group(1))
    facts.generated.update(_basename(o) for o in outputs)


# -- where the packages go ----------------------------------------------------------------------------


def choose_layout(job: Job, facts: Facts) -> tuple[Layout, list[Edit], list[str]]:
    """venv (the default) or ``pip install --user`` into /root/.local; the edits and notes that come with it."""
    flags = facts.user_flags
    explicit = any(flags)
    if explicit and (not all(flags) or not facts.pip_only):
        raise Decline(None, "some installs use `pip --user` and some don't; the rule can't put them in one place")
    if explicit:
        return "user", [], [f"the file already installs with pip --user, so the builder keeps that and the runtime copies {USER_BASE}"]
    if job.ctx.layout != "user":
        return "venv", [], []
    if not facts.pip_only or any(r.kind == "tool" for r in job.runs.values()):
        return "venv", [], [f"layout=user needs plain pip installs; poetry/pipenv/uv install into {VENV_DIR} instead"]
    for ins in job.body:
        if ins.keyword == "USER" and ins.args.strip() not in _ROOT_USERS:
            return "venv", [], [
                f"layout=user not used: USER {ins.args} couldn't read {USER_BASE}, so the packages go to {VENV_DIR} instead"
            ]
    edits: list[Edit] = []
    for i, run in job.runs.items():
        if run.kind != "install":
            continue
        if run.ins.json_args is not None or run.ins.heredocs:
            return "venv", [], [
                f"layout=user not used: an exec-form install can't take --user, so the packages go to {VENV_DIR} instead"
            ]
        for c in run.calls("py-install"):
            offset = _first_word(c.cmd.raw, "install")
            if offset is None:
                return "venv", [], [
                    f"layout=user not used: an install line couldn't take --user, so the packages go to {VENV_DIR} instead"
                ]
            at = c.cmd.start + offset + len("install")
            edits.append((i, at, at, " --user"))
    return "user", edits, []


# -- text helpers ---------------------------------------------------------------------------------------


def _basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/")) or path


def basename(path: str) -> str:
    return _basename(path)


def _find_word(raw: str, word: str) -> int | None:
    """Offset of ``word`` as a whole blank-separated word in ``raw``, if it occurs exactly once."""
    hits = [m.start() for m in re.finditer(rf"(?<![^\s]){re.escape(word)}(?![^\s])", raw)]
    return hits[0] if len(hits) == 1 else None


def _first_word(raw: str, word: str) -> int | None:
    m = re.search(rf"(?<![^\s]){re.escape(word)}(?![^\s])", raw)
    return m.start() if m else None
