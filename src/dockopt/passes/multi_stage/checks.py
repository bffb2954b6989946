"""When the split is not safe: the base image, the file's structure, and what stays at run time.

Each check raises :class:`Decline` with the reason and the instruction it is
about; a file that passes them can be split without changing what the image
does.
"""

from __future__ import annotations

from ... import lazyre
from ...model import args, debian, paths
from ...syntax import Instruction
from ..base import Decline
from .classify import PY_TOOL_COMMANDS, Run
from .facts import Facts
from .job import VENV_DIR, Job
from .placement import Placement, runtime_instructions
from .venv import Kept

_SECRET_MOUNT_RE = lazyre.compile(r"(?:^|,)type=(?:secret|ssh)(?:,|$)")
_DOT_VENV_RE = lazyre.compile(r"(?:^|[\s/\"'=])\.venv/")
_LOCAL_BIN_RE = lazyre.compile(r"/usr/local/bin/[A-Za-z0-9_.+-]+")
_WORD_RE = lazyre.compile(r"[A-Za-z0-9_.+-]+")
_LOCAL_BIN_NAME_RE = lazyre.compile(r"/usr/local/bin/([A-Za-z0-9_.+-]+)")

_USER_SWITCH = frozenset({"su", "sudo", "runuser", "doas"})
#: Commands that put a file in place (curl -o, mv, ln -s ...).
_FILE_MAKERS = frozenset({"curl", "wget", "mv", "cp", "ln", "install", "chmod", "tee", "tar", "unzip"})
_ROOT_USERS = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})
#: ENV keys that send an install somewhere else than the active virtualenv.
_REDIRECTING_ENV = frozenset(
    {
        "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_USER", "VIRTUAL_ENV", "PYTHONUSERBASE", "PYTHONHOME",
        "UV_SYSTEM_PYTHON", "UV_PYTHON", "PIPENV_PYTHON", "CONDA_PREFIX",
    }
)  # fmt: skip


def official_python(name: str) -> bool:
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        path = "/".join(parts[1:])
        return path in ("python", "library/python") or path.endswith("/library/python")
    return name in ("python", "library/python")


def split_image(ref: str) -> tuple[str, str]:
    """(name, tag) of an image reference, lower case; ``latest`` when untagged."""
    ref = ref.split("@", 1)[0]
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    return name.lower(), tag.lower()


def check_base(job: Job) -> None:
    from_ins = job.stage.from_instruction
    image = from_ins.from_image or ""
    resolved = args.expand(image, job.model.graph.global_values) if "$" in image else image
    if resolved is None:
        raise Decline(
            from_ins,
            f"the base image `{image}` comes from a build argument without a default; the rule can't tell it is a Python image",
        )
    name, tag = split_image(resolved)
    if not official_python(name):
        raise Decline(
            from_ins,
            f"the base image `{image}` isn't the official python image; the builder stage needs the same interpreter the runtime stage runs",
            actionable=False,
        )
    if "windowsservercore" in tag or "nanoserver" in tag:
        raise Decline(from_ins, f"`{image}` is a Windows image; the rule only splits Linux images", actionable=False)


def check_structure(job: Job) -> None:
    for i, ins in enumerate(job.body):
        kw = ins.keyword
        if kw == "ONBUILD":
            raise Decline(ins, "the file has ONBUILD triggers, which would run in both stages of a split")
        if i > job.last:
            continue
        if kw == "USER" and ins.args.strip() not in _ROOT_USERS:
            raise Decline(ins, f"the dependency install runs as USER {ins.args}; the builder's {VENV_DIR} would need that user too")
        if kw == "ENV":
            _check_env(ins)
        if kw == "RUN":
            _check_run(job, i, job.runs[i])


def _check_env(ins: Instruction) -> None:
    try:
        keys = [k for k, _ in ins.env_pairs]
    except ValueError:
        raise Decline(ins, "an ENV line before the install can't be read") from None
    bad = [k for k in keys if k in _REDIRECTING_ENV and k != "VIRTUAL_ENV"]
    if bad:
        raise Decline(ins, f"ENV {bad[0]} decides where packages are installed; the rule won't second-guess it")


def check_virtual_env(job: Job, kept: Kept | None) -> None:
    """ENV VIRTUAL_ENV before the install decides where pip, poetry and pipenv install; ``uv sync`` ignores it
    (without --active), so it may name the project environment uv keeps where it is."""
    for ins in job.body[: job.last + 1]:
        if ins.keyword != "ENV" or "VIRTUAL_ENV" not in {k for k, _ in ins.env_pairs}:
            continue
        value = job.model.scope.before(job.body[job.last]).values.get("VIRTUAL_ENV")
        if kept is not None and kept.tool == "uv" and value is not None and paths.resolve("/", value) == kept.path:
            continue
        raise Decline(ins, "ENV VIRTUAL_ENV decides where packages are installed; the rule won't second-guess it")


def _check_run(job: Job, i: int, run: Run) -> None:
    ins = run.ins
    for flag in ins.flags:
        if flag.name == "mount" and flag.value and _SECRET_MOUNT_RE.search(flag.value):
            raise Decline(ins, "a RUN before the install mounts a secret or an SSH agent; the rule leaves private builds alone")
    if run.kind == "tool" and i > job.first:
        raise Decline(ins, "a build tool is installed after the first dependency install; install it first")
    if run.problem and run.kind != "install":
        raise Decline(ins, run.problem)
    if run.kind == "generic" and job.first < i < job.last and not run.setup_only:
        raise Decline(ins, "a RUN between two dependency installs would see a different set of packages after the split")
    for c in run.items:
        if c.kind == "system" and c.pc is not None and c.pc.manager != "apt" and run.kind in ("system", "install"):
            if c.pc.manager == "apk":
                raise Decline(
                    ins,
                    "apk packages on an Alpine base: the rule only knows how Debian's apt packages split between build and run time",
                    actionable=False,
                )
            raise Decline(ins, f"{c.pc.tool} packages: the rule only knows how Debian's apt packages split between build and run time")
    if any(name.startswith("python") and "setup.py" in run.words for name in run.names):
        raise Decline(ins, "a RUN calls setup.py directly; the rule only moves pip/poetry/pipenv/uv installs")


def check_runtime(job: Job, placement: Placement, facts: Facts, uv_copied: bool, kept: Kept | None = None) -> None:
    """What stays in the runtime stage must not need what the builder keeps (compilers, tools, /usr/local).

    With ``kept`` (a virtualenv the installs make themselves, copied to its own path) the packages don't
    move: a step may name the ``.venv`` or the image's own python, but not a tool pip put in /usr/local."""
    toolchain = debian.table().toolchain_commands
    copied_bins = _copied_bins(job, placement)
    made_bins = _made_bins(job, placement)
    for i, ins in enumerate(job.body):
        if placement[i] not in ("runtime", "both"):
            continue
        kw = ins.keyword
        if kw not in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL"):
            continue
        s = job.model.script(ins)
        text = s.text if kw != "SHELL" else " ".join(ins.value)
        full = text + "".join(h.content for h in ins.heredocs)
        if kw == "RUN":
            run = job.runs[i]
            if run.kind == "system":
                continue
            names = set(run.names)
            compilers = sorted(names & toolchain)
            if compilers:
                raise Decline(
                    ins, f"a RUN that stays in the runtime stage calls `{compilers[0]}`, a build tool: the image compiles something at run time"
                )
            if any(n.startswith("python") for n in names) and "setup.py" in run.words:
                raise Decline(ins, "a RUN after the install calls setup.py, which needs the build tools")
        else:
            names = set(s.names) if kw != "SHELL" else set()
        tools = sorted(names & PY_TOOL_COMMANDS)
        if tools and kw != "SHELL" and not (uv_copied and set(tools) <= {"uv", "uvx"}):
            raise Decline(ins, f"`{tools[0]}` is used after the install, but it is a build tool that stays in the builder stage")
        switch = sorted(names & _USER_SWITCH)
        if switch:
            raise Decline(ins, f"`{switch[0]}` resets PATH, so the virtualenv's executables wouldn't be found")
        if "/usr/local/lib/python" in full or "site-packages" in full:
            raise Decline(ins, "a step after the install reads the installed packages under /usr/local, where they no longer are")
        for m in _LOCAL_BIN_NAME_RE.finditer(full):
            path, name = m.group(0), m.group(1)
            if not name.startswith(("python", "pip")) and (path in copied_bins or path in made_bins):
                continue
            if kept is not None:
                if name.startswith(("python", "pip")):
                    continue  # the image's own interpreter, which never had the packages
                raise Decline(ins, f"`{path}` is used after the install; what pip installed into /usr/local stays in the builder stage")
            raise Decline(ins, f"`{path}` is used after the install; the packages' scripts move to {VENV_DIR}/bin")
        if kept is None and _DOT_VENV_RE.search(full):
            raise Decline(ins, f"a step after the install refers to a .venv directory; the packages move to {VENV_DIR}")


def _copied_bins(job: Job, placement: Placement) -> set[str]:
    out: set[str] = set()
    for ins in runtime_instructions(job, placement):
        if ins.keyword in ("COPY", "ADD"):
            sd = ins.copy_sources_and_dest()
            if sd:
                out.add(sd[1])
                out.update(f"{sd[1].rstrip('/')}/{s.rstrip('/').rsplit('/', 1)[-1]}" for s in sd[0])
    return out


def _made_bins(job: Job, placement: Placement) -> set[str]:
    """/usr/local/bin/tini fetched with curl, moved or linked there by a RUN: the image's own file."""
    out: set[str] = set()
    for i, run in job.runs.items():
        if placement[i] in ("runtime", "both") and (run.names & _FILE_MAKERS or any(c.cmd.redirects for c in run.items)):
            out.update(_LOCAL_BIN_RE.findall(run.script.text))
    return out


def check_shebangs(job: Job, placement: Placement) -> set[str]:
    """Words of the shell scripts the image starts with (read from the build context); decline on a
    script whose shebang is the interpreter without the packages."""
    out: set[str] = set()
    for ins in runtime_instructions(job, placement):
        if ins.keyword not in ("CMD", "ENTRYPOINT"):
            continue
        argv = ins.json_args
        first = argv[0] if argv else (ins.args.split() or [""])[0]
        if not first or ("/" not in first and not first.endswith((".sh", ".py"))):
            continue
        text = job.text(first)
        if text is None:
            continue
        head = text.split("\n", 1)[0]
        if head.startswith("#!") and "/usr/local/bin/python" in head:
            raise Decline(None, f"{first} starts with `{head.strip()}`, the interpreter without the packages")
        out.update(_WORD_RE.findall(text[:65536]))
    return out
