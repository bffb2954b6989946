"""What one package-manager call reads and writes, and whether it installs the project itself.

apt/apk/yum installs read nothing of the project (unless they install a
local package file); pip calls are classified by :mod:`.pip` (with
:mod:`.pip_project` for ``pip install .`` and :mod:`.local_lines` for
requirement files with ``-e .``), poetry/uv/pipenv by :mod:`.tools`.
"""

from __future__ import annotations

from ...model.packages import PackageInstall
from ...model.shell import SimpleCommand
from .common import Stop, line, quoted
from .pip import classify_pip
from .site import Reads, Site
from .tools import classify_tool


def classify_call(call: PackageInstall, cmd: SimpleCommand, site: Site) -> Reads:
    """What a package-manager call reads; :class:`Stop` when the code COPY cannot move past it."""
    m = call.manager
    shown = quoted(cmd)
    if m in ("apt", "apk", "yum"):
        if call.local_paths:
            raise Stop(site.ins, f"`{shown}` ({line(site.ins)}) installs local package files")
        return Reads()
    if m == "pip" or (m == "uv" and call.action.startswith("pip ")):
        return classify_pip(call, cmd, site, shown)
    return classify_tool(call, cmd, site, shown)
