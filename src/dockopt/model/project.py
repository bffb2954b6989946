"""Facts about a Python project's ``pyproject.toml`` that decide how its install can be split.

Both the deps-first and the multi-stage rules need to know whether
``poetry install`` / ``uv sync`` also installs the project itself (and so has
to run again after the code is copied); they read the manifest from the build
context in their own ways and ask here.
"""

from __future__ import annotations

from functools import cache

from .. import lazyre
from ..datafiles import load_table
from ..records_base import Record
from .packages import normalize_package_name, pep503_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def load_toml(text: str | None) -> dict[str, Any] | None:
    """The parsed TOML, or None when there is no text or it is not valid TOML."""
    if text is None:
        return None
    import tomllib  # here: the tables dockopt ships come parsed from the cache (datafiles.load_table)

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _table(data: object, *keys: str) -> dict[str, Any] | None:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, dict) else None


def poetry_package_mode_off(pyproject: dict[str, Any] | None) -> bool:
    """``[tool.poetry] package-mode = false``: poetry never installs the project itself."""
    poetry = _table(pyproject, "tool", "poetry")
    return poetry is not None and poetry.get("package-mode") is False


def uv_virtual_project(pyproject: dict[str, Any] | None) -> bool:
    """uv installs the project only when it is a package: a [build-system] table or ``tool.uv.package = true``."""
    if pyproject is None:
        return False
    uv = _table(pyproject, "tool", "uv")
    if uv is not None and "package" in uv:
        return uv.get("package") is False
    return "build-system" not in pyproject


# -- installing a project's dependencies before its code -------------------------------------------
#
# `pip install .` reads the dependencies from pyproject.toml and installs the project with them; to
# install the dependencies before the code is copied, dockopt writes a step that reads them at build
# time (so a change to pyproject.toml still invalidates the layer) and installs them from a file:
#
#   python -c "<READER>" > /tmp/dockopt-requirements.txt && pip install -r /tmp/dockopt-requirements.txt
#
# then `pip install --no-deps .` after the code. tomllib needs Python 3.11 or newer.

#: Where the reader writes the requirements (one a line).
READER_OUTPUT = "/tmp/dockopt-requirements.txt"


def dependency_reader(pyproject: str = "pyproject.toml", extras: tuple[str, ...] = ()) -> str:
    """The Python code printing ``[project] dependencies`` (and those of ``extras``), one a line."""
    wanted = "p.get('dependencies', [])"
    if extras:
        groups = ", ".join(repr(e) for e in extras)
        wanted += f" + [d for e in ({groups},) for d in p.get('optional-dependencies', {{}}).get(e, [])]"
    return f"import tomllib; p = tomllib.load(open({pyproject!r}, 'rb'))['project']; print(*{wanted}, sep=chr(10))"


def is_dependency_reader(words: tuple[str, ...]) -> bool:
    """Whether a command's words are ``python -c <a reader dockopt wrote>``."""
    return (
        len(words) == 3
        and words[0].rsplit("/", 1)[-1].startswith("python")
        and words[1] == "-c"
        and words[2].startswith("import tomllib; p = tomllib.load(open(")
        and "['project']" in words[2]
    )


_READER_INPUT_RE = lazyre.compile(r"^import tomllib; p = tomllib\.load\(open\('([^']*)', 'rb'\)\)\['project'\]")


def dependency_reader_input(words: tuple[str, ...]) -> str | None:
    """The pyproject.toml path a dependency reader reads (as written), or None if ``words`` are not one."""
    if not is_dependency_reader(words):
        return None
    m = _READER_INPUT_RE.match(words[2])
    return m.group(1) if m else None


def static_dependencies(pyproject: dict[str, Any] | None) -> str | None:
    """Why the ``[project]`` dependencies can't be read from pyproject.toml before the code, or None when they can."""
    if pyproject is None:
        return "the build context has no readable pyproject.toml"
    table = pyproject.get("project")
    if not isinstance(table, dict):
        return "pyproject.toml has no [project] table (the metadata comes from setup.py or the build backend)"
    dynamic = table.get("dynamic") or []
    if "dependencies" in dynamic or "optional-dependencies" in dynamic:
        return "pyproject.toml declares its dependencies dynamic (computed by the build backend at build time)"
    return None


def self_reference(pyproject: dict[str, Any], extras: tuple[str, ...] = ()) -> str | None:
    """A dependency (of the project or of the chosen extras) that names the project itself, or None.

    ``all = ["mypkg[web,db]"]`` works inside ``pip install ".[all]"``, where
    pip resolves it to the project's own extras; installed from a
    requirements file it would fetch ``mypkg`` from the index instead.
    """
    table = pyproject.get("project")
    if not isinstance(table, dict) or not isinstance(table.get("name"), str):
        return None
    own = pep503_name(table["name"])
    deps = list(table.get("dependencies") or [])
    optional = table.get("optional-dependencies") or {}
    for extra in extras:
        deps.extend(optional.get(extra) or [] if isinstance(optional, dict) else [])
    for dep in deps:
        if isinstance(dep, str) and normalize_package_name("pip", dep.strip()) == own:
            return dep
    return None



# -- installing a requirements file's dependencies before the project it also installs -------------
#
# A requirements file with `-e .` (or `./pkg`, `/abs/path`) installs the project from the source tree
# together with its dependencies. To install the dependencies before the code is copied, dockopt
# writes a step that drops those lines at build time (so a change to the file still invalidates the
# layer) and installs the rest:
#
#   sed -e '<LOCAL_LINE_PATTERNS[0]>d' ... requirements.txt > /tmp/dockopt-requirements.txt
#     && pip install -r /tmp/dockopt-requirements.txt
#
# then the original `pip install -r requirements.txt` after the code, which installs the project (the
# rest is already satisfied). sed is POSIX and in every Debian and Alpine image; it fails (and so
# does the RUN, through &&) when the file cannot be read. The patterns are POSIX basic regular
# expressions with `#` as the address delimiter, because the paths they match contain `/`.

#: The lines the filter deletes (POSIX BRE): `-e`/`--editable` of a path, and a bare path.
LOCAL_LINE_PATTERNS = (
    r"^[[:space:]]*-e[[:space:]=]*[./]",
    r"^[[:space:]]*--editable[[:space:]=]*[./]",
    r"^[[:space:]]*[./]",
)
#: The same lines, as a Python regular expression (for deciding before the build what the filter drops).
LOCAL_LINE_RE = lazyre.compile(r"^\s*(?:-e[\s=]*[./]|--editable[\s=]*[./]|[./])")


def local_filter(requirements: str) -> str:
    """The shell command printing ``requirements`` without its local lines (``requirements`` must need no quoting)."""
    expressions = " ".join(f"-e '\\#{p}#d'" for p in LOCAL_LINE_PATTERNS)
    return f"sed {expressions} {requirements}"


def local_filter_input(words: tuple[str, ...]) -> str | None:
    """The requirements file a filter dockopt wrote reads (as written), or None if ``words`` are not one."""
    expected: list[str] = []
    for p in LOCAL_LINE_PATTERNS:
        expected += ["-e", f"\\#{p}#d"]
    if len(words) == len(expected) + 2 and words[0] == "sed" and list(words[1:-1]) == expected:
        return words[-1]
    return None


def filtered_local_line(line: str) -> bool:
    """Whether the filter drops this requirements line (a logical line: comments removed)."""
    return LOCAL_LINE_RE.match(line) is not None


# -- tools that install dependencies (data/python_tools.toml) -----------------------------------------


class PythonTools(Record):
    _fields = ("tools", "installers")
    __slots__ = _fields
    tools: dict[str, str]  # PyPI project -> command
    installers: dict[str, str]  # installer URL text -> tool

    def __init__(self, tools: dict[str, str], installers: dict[str, str]) -> None:
        self._set(tools, installers)


@cache
def python_tools() -> PythonTools:
    raw = load_table("python_tools.toml")
    return PythonTools(
        tools={str(k): str(v) for k, v in raw["python-tools"].items()},
        installers={str(k): str(v) for k, v in raw["python-tool-installers"].items()},
    )
