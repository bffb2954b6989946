"""poetry, uv and pipenv: the project files they read, and whether the install needs a ``--no-root`` twin."""

from __future__ import annotations

from collections.abc import Callable

from ...model import project
from ...model.packages import PackageInstall
from ...model.shell import SimpleCommand
from .common import SPECIAL_FILES, WRITES, Need, Stop, line, redirects
from .site import Project, Reads, Site, check_paths
from .tables import tables


def classify_tool(call: PackageInstall, cmd: SimpleCommand, site: Site, shown: str) -> Reads:
    """A uv, poetry or pipenv call."""
    handler = _HANDLERS.get(call.manager)
    if handler is None:
        raise Stop(site.ins, f"`{shown}` ({line(site.ins)}) is not analysed")
    return handler(call, cmd, site, shown)


def _uv(call: PackageInstall, cmd: SimpleCommand, site: Site, shown: str) -> Reads:
    x = site.ins
    if call.action == "sync":
        return _project_files("uv", call, site, shown)
    if call.action == "export":
        if not call.has_option("--no-emit-project", "--no-emit-workspace", "--only-group"):
            raise Stop(
                x,
                f"`{shown}` ({line(x)}) exports the project itself (`-e .`), which needs the source tree; add --no-emit-project",
                install=True,
            )
        reads = _project_files("uv", call, site, shown, export=True)
        return reads.with_changes(outputs=_export_outputs(call, cmd, ("-o", "--output-file"), site))
    if call.action == "venv":
        if not call.arguments:
            raise Stop(x, f"`{shown}` ({line(x)}) creates .venv where the code goes")
        check_paths(x, "uv venv", call.arguments, site.area)
        return Reads()
    if call.action == "tool install":
        return Reads()
    raise Stop(
        x,
        f"`{shown}` ({line(x)}) is a uv command dockopt does not analyse",
        install=call.action in ("add", "lock", "run"),
    )


def _poetry(call: PackageInstall, cmd: SimpleCommand, site: Site, shown: str) -> Reads:
    if call.action in ("install", "sync"):
        return _project_files("poetry", call, site, shown)
    if call.action == "export":
        reads = _project_files("poetry", call, site, shown, export=True)
        return reads.with_changes(outputs=_export_outputs(call, cmd, ("-o", "--output"), site))
    if (call.action == "config" and not call.has_option("--local")) or call.action == "self":
        return Reads()
    raise Stop(
        site.ins,
        f"`{shown}` ({line(site.ins)}) is a poetry command dockopt does not analyse",
        install=call.action in ("add", "lock", "update"),
    )


def _pipenv(call: PackageInstall, cmd: SimpleCommand, site: Site, shown: str) -> Reads:
    x = site.ins
    if call.action in ("install", "sync"):
        if call.packages or call.requirement_files or call.local_paths or call.arguments:
            raise Stop(
                x, f"`{shown}` ({line(x)}) adds packages to the Pipfile, which dockopt does not move", install=True
            )
        return _project_files("pipenv", call, site, shown, export=call.action == "sync")
    if call.action == "requirements":
        reads = _project_files("pipenv", call, site, shown, export=True)
        return reads.with_changes(outputs=_export_outputs(call, cmd, (), site))
    raise Stop(x, f"`{shown}` ({line(x)}) is a pipenv command dockopt does not analyse", install=True)


_HANDLERS: dict[str, Callable[[PackageInstall, SimpleCommand, Site, str], Reads]] = {
    "uv": _uv,
    "poetry": _poetry,
    "pipenv": _pipenv,
}


def _project_files(name: str, call: PackageInstall, site: Site, shown: str, *, export: bool = False) -> Reads:
    """A poetry/uv/pipenv command reading the project in the working directory."""
    x = site.ins
    tool = tables().projects[name]
    if call.has_option("--project", "--directory", "-C", "-P"):
        raise Stop(
            x, f"`{shown}` ({line(x)}) names another project directory, which dockopt does not follow", install=True
        )
    if call.has_option("--only-root"):
        raise Stop(
            x, f"`{shown}` ({line(x)}) installs only the project itself, which needs the source tree", install=True
        )
    manifest = site.path(tool.manifest)
    lock_required = call.has_option(*tool.lock_required_with) or (
        name == "pipenv" and call.action in ("sync", "requirements")
    )
    needs = (
        Need(manifest, "file", x),
        Need(site.path(tool.lock), "file" if lock_required else "lock", x),
        *(Need(site.path(extra), "extra", x) for extra in tool.extras),
    )
    reads = Reads(install=True, needs=needs, projects=((name, manifest),))
    if export or not tool.deps_only or call.has_option(*tool.project_done_with):
        return reads
    rel = site.context_path(manifest)
    data = site.context.toml(rel) if rel is not None else None
    if name == "poetry" and project.poetry_package_mode_off(data):
        return reads  # package-mode = false: poetry never installs the project itself
    if name == "uv" and project.uv_virtual_project(data):
        return reads  # no [build-system]: uv treats the project as virtual and never installs it
    return reads.with_changes(project=Project("option", tool.deps_only))


def _export_outputs(call: PackageInstall, cmd: SimpleCommand, options: tuple[str, ...], site: Site) -> tuple[str, ...]:
    outputs: set[str] = set()
    value = call.option_value(*options) if options else None
    if value is not None:
        outputs.add(site.path(value))
    for op, target in redirects(cmd):
        if op in WRITES and target not in SPECIAL_FILES:
            outputs.add(site.path(target))
    return tuple(sorted(outputs))
