"""pip calls (and ``uv pip``): the requirement files they read, local options, and the project they install."""

from __future__ import annotations

from ... import lazyre
from ...model.packages import PackageInstall
from ...model.shell import SimpleCommand
from .common import Need, Stop, line
from .local_lines import local_lines
from .pip_project import pip_project
from .site import Reads, Site

_URL_RE = lazyre.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PIP_FILE_ACTIONS = frozenset({"install", "download", "wheel", "uninstall", "sync"})
_PIP_LOCAL_OPTIONS = frozenset(
    {"-f", "--find-links", "-t", "--target", "--prefix", "--root", "--src", "-i", "--index-url", "--extra-index-url"}
)


def classify_pip(call: PackageInstall, cmd: SimpleCommand, site: Site, shown: str) -> Reads:
    """What a pip call reads; the project it installs, when it does."""
    action = call.action.removeprefix("pip ")
    if action not in _PIP_FILE_ACTIONS:
        return Reads()  # freeze, list, show, config, check, cache: no project files
    files = [*call.requirement_files, *call.constraint_files]
    if action == "sync":
        files.extend(call.arguments)
    targets = (*call.local_paths, *call.editable)
    if targets and call.has_option("--no-deps") and not files:
        # The project after its dependencies: already the layout this rule makes.
        raise Stop(site.ins, "installs the project without dependencies", report=False)
    found = pip_project(call, cmd, site, shown, targets) if targets else None
    _check_local_options(call, site, shown)
    named = _requirement_files(files, site, shown)
    needs = [need for _, need in named]
    if found is not None:
        proj, pyproject = found
        return Reads(True, (pyproject, *needs), projects=(("pip", pyproject.path),), project=proj)
    if not needs:
        return Reads()
    requirements = [(written, need) for written, need in named if written in call.requirement_files]
    filtered = local_lines(site, shown, requirements)
    if filtered is None:
        return Reads(True, tuple(needs))
    proj, need = filtered
    return Reads(True, tuple(need if n.path == need.path else n for n in needs), project=proj)


def _requirement_files(files: list[str], site: Site, shown: str) -> list[tuple[str, Need]]:
    """The files a pip call names (as written) with what it needs of each; URLs are not files."""
    out = []
    for f in files:
        if _URL_RE.match(f):
            continue
        if any(c in f for c in "$`"):
            raise Stop(
                site.ins, f"`{shown}` ({line(site.ins)}) names its requirement file `{f}` with a variable", install=True
            )
        out.append((f, Need(site.path(f), "requirements", site.ins)))
    return out


def _check_local_options(call: PackageInstall, site: Site, shown: str) -> None:
    for opt, value in call.option_values:
        if opt not in _PIP_LOCAL_OPTIONS or _URL_RE.match(value):
            continue
        if opt in ("-i", "--index-url", "--extra-index-url") and not value.startswith(("file:", ".", "/")):
            continue
        if site.area.touches(site.path(value.removeprefix("file://").removeprefix("file:"))):
            raise Stop(
                site.ins, f"`{shown}` ({line(site.ins)}) uses {opt} {value}, which is where the code goes", install=True
            )
