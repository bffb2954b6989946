"""Settings from ``.dockopt.toml`` or ``[tool.dockopt]`` in ``pyproject.toml``.

Discovery works like ruff's: starting in the Dockerfile's folder and going
up, the first folder holding a ``.dockopt.toml`` (top-level keys) or a
``pyproject.toml`` with a ``[tool.dockopt]`` table wins; in one folder
``.dockopt.toml`` beats ``pyproject.toml``. A ``pyproject.toml`` without the
table is passed over. ``--config PATH`` names the file instead and
``--isolated`` ignores every file. A flag on the command line replaces the
value from the file.

Keys: ``select`` and ``ignore`` (rule ids or names), ``unsafe`` (bool),
``layout`` (``"venv"`` or ``"user"``), ``installer`` (``"pip"`` or ``"uv"``), ``exclude`` (globs, see
:func:`dockopt.fileio.excluded`), ``cache_mounts`` (bool, DO008),
``large_file_threshold`` (bytes, or a size such as ``"100MB"``, DO009).
Anything else is an error: a typo in a config file must not silently turn a
setting off.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from . import lazyre
from .records_base import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    # pathlib only once a config file is found: `dockopt rewrite -` (editors, every save) starts without it.
    from pathlib import Path
    from typing import Any, Literal, TypeAlias
    #: A folder or file as a string or a path (discovery walks folders as strings).
    StrPath: TypeAlias = "str | os.PathLike[str]"
    Layout = Literal["venv", "user"]
    Installer = Literal["pip", "uv"]

CONFIG_NAME = ".dockopt.toml"
PYPROJECT = "pyproject.toml"
KEYS = ("select", "ignore", "unsafe", "layout", "installer", "exclude", "cache_mounts", "large_file_threshold")
#: DO009 large-files reports files from this size (bytes): 100 MB, as docker prints sizes.
DEFAULT_LARGE_FILE_THRESHOLD = 100_000_000
LAYOUTS: tuple[Layout, ...] = ("venv", "user")
INSTALLERS: tuple[Installer, ...] = ("pip", "uv")


class ConfigError(ValueError):
    """A config file is unreadable, not TOML, or holds an unknown key or a bad value."""


class Config(Record):
    """The settings for one Dockerfile, and where they came from."""

    _fields = (
        "select", "ignore", "unsafe", "layout", "installer", "exclude", "cache_mounts", "large_file_threshold", "path",
        "sources",
    )
    __slots__ = _fields
    select: tuple[str, ...] | None  # None: every rule
    ignore: tuple[str, ...]
    unsafe: bool
    layout: Layout
    installer: Installer
    exclude: tuple[str, ...]
    cache_mounts: bool
    large_file_threshold: int
    path: Path | None  # the config file, None when there is none
    sources: dict[str, str]  # key -> where the value came from (not compared: two configs equal by their values)

    def __init__(
        self,
        select: tuple[str, ...] | None = None,
        ignore: tuple[str, ...] = (),
        unsafe: bool = False,
        layout: Layout = "venv",
        installer: Installer = "pip",
        exclude: tuple[str, ...] = (),
        cache_mounts: bool = False,
        large_file_threshold: int = DEFAULT_LARGE_FILE_THRESHOLD,
        path: Path | None = None,
        sources: dict[str, str] | None = None,
    ) -> None:
        self._set(
            select,
            ignore,
            unsafe,
            layout,
            installer,
            exclude,
            cache_mounts,
            large_file_threshold,
            path,
            sources if sources is not None else {},
        )

    def _compared(self) -> tuple[object, ...]:
        return self._values(self)[:-1]  # every field but ``sources``

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._compared() == other._compared()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._compared())

    @property
    def root(self) -> Path:
        """The folder ``exclude`` patterns are relative to: the config file's, else the working directory."""
        from pathlib import Path

        return self.path.parent if self.path is not None else Path.cwd()

    def override(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        unsafe: bool | None = None,
        layout: str | None = None,
        installer: str | None = None,
        cache_mounts: bool | None = None,
        large_file_threshold: int | None = None,
    ) -> Config:
        """The command line's values on top of the file's (a given flag replaces the setting)."""
        changes: dict[str, Any] = {}
        sources = dict(self.sources)
        if select is not None:
            changes["select"] = tuple(select)
            sources["select"] = "--select"
        if ignore is not None:
            changes["ignore"] = tuple(ignore)
            sources["ignore"] = "--ignore"
        if unsafe is not None:
            changes["unsafe"] = unsafe
        if layout is not None:
            changes["layout"] = _layout(layout, "--layout")
        if installer is not None:
            changes["installer"] = _installer(installer, "--installer")
        if cache_mounts is not None:
            changes["cache_mounts"] = cache_mounts
        if large_file_threshold is not None:
            changes["large_file_threshold"] = large_file_threshold
        return self.with_changes(sources=sources, **changes)

    def rewrite_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`dockopt.pipeline.rewrite` these settings give."""
        return {
            "select": self.select,
            "ignore": self.ignore,
            "unsafe": self.unsafe,
            "layout": self.layout,
            "installer": self.installer,
            "cache_mounts": self.cache_mounts,
            "large_file_threshold": self.large_file_threshold,
        }

    def check_rules(self) -> None:
        """Raise ConfigError naming the file or flag when ``select``/``ignore`` names an unknown rule."""
        from .passes import UnknownRule, resolve

        for key in ("select", "ignore"):
            values = getattr(self, key)
            if values is None:
                continue
            try:
                resolve(values)
            except UnknownRule as exc:
                where = self.sources.get(key, key)
                raise ConfigError(f"{where}: {exc}") from None


def load(path: Path, *, shown: Path | None = None) -> Config:
    """Read one config file: ``[tool.dockopt]`` of a ``pyproject.toml``, else top-level keys.

    ``shown`` is the file's real place when ``path`` is a copy of it (``dockopt batch``
    reads configs from a commit): messages and ``Config.path`` (the root of the
    ``exclude`` patterns) use it.
    """
    name = shown if shown is not None else path
    data = _read_toml(path, shown=name)
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("dockopt", {})
        where = f"{name} [tool.dockopt]"
    else:
        table, where = data, str(name)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    return _from_table(table, where, name)


def discover(start: StrPath, *, stop: StrPath | None = None) -> Path | None:
    """The nearest config file at or above folder ``start`` (and not above folder ``stop``), or None."""
    folders = _folders_up(os.path.abspath(start))
    if stop is not None:
        top = os.path.abspath(stop)
        if top not in folders:
            return None
        folders = folders[: folders.index(top) + 1]
    for folder in folders:
        for name in (CONFIG_NAME, PYPROJECT):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and (name == CONFIG_NAME or _has_dockopt_table(candidate)):
                from pathlib import Path

                return Path(candidate)
    return None


def _folders_up(directory: str) -> list[str]:
    """An absolute folder and every folder above it, nearest first (as ``Path.parents``, with strings)."""
    folders = [directory]
    while (parent := os.path.dirname(folders[-1])) != folders[-1]:
        folders.append(parent)
    return folders


class Resolver:
    """Finds and caches the config for each Dockerfile's folder."""

    def __init__(self, *, explicit: Path | None = None, isolated: bool = False) -> None:
        self.isolated = isolated
        self._explicit = load(explicit) if explicit is not None else None
        self._by_file: dict[Path, Config] = {}
        self._by_folder: dict[str, Config] = {}
        self._default = Config()

    def for_folder(self, folder: StrPath) -> Config:
        if self.isolated:
            return self._default
        if self._explicit is not None:
            return self._explicit
        where = os.path.abspath(folder)
        if where not in self._by_folder:
            found = discover(where)
            if found is None:
                self._by_folder[where] = self._default
            else:
                if found not in self._by_file:
                    self._by_file[found] = load(found)
                self._by_folder[where] = self._by_file[found]
        return self._by_folder[where]


# -- helpers ------------------------------------------------------------------------------


def _read_toml(path: StrPath, *, shown: StrPath | None = None) -> dict[str, Any]:
    name = shown if shown is not None else path
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read config ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}") from None
    kept = _kept_tables()
    table = kept.get(text)
    if isinstance(table, dict):
        return table
    import tomllib

    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}") from None
    _keep_table(kept, text, table)
    return table


#: Config files parsed before, by their exact text, in dockopt's cache folder (``cachefiles``).
_CACHE_STEM = "config-tables"
#: How many texts the cache keeps (the latest): a few projects' configs, not every repository ``dockopt batch`` reads.
_CACHE_KEEP = 16


def _kept_tables() -> dict[Any, Any]:
    """The parsed config texts kept in the cache, as read from it (possibly junk values: check each).

    Editors run ``dockopt rewrite -`` on every save, and every run reads the
    same config (or a ``pyproject.toml`` that names dockopt): importing
    tomllib, which brings typing, datetime and string, cost about a tenth of
    the start-up. A kept table is used only for exactly the text it was parsed
    from, so an edited file is parsed again; a file that does not parse is
    never kept, so its error still comes from tomllib.
    """
    from . import cachefiles

    found = cachefiles.read_marshal(cachefiles.cache_path(_CACHE_STEM))
    return found if isinstance(found, dict) else {}


def _keep_table(kept: dict[Any, Any], text: str, table: dict[str, Any]) -> None:
    """Add ``table`` (parsed from ``text``) to the cache, dropping the oldest beyond ``_CACHE_KEEP``."""
    from . import cachefiles

    entries = {k: v for k, v in kept.items() if isinstance(k, str) and k != text}
    entries[text] = table
    while len(entries) > _CACHE_KEEP:
        del entries[next(iter(entries))]
    cachefiles.write_marshal(cachefiles.cache_path(_CACHE_STEM), entries)  # a TOML date marshal cannot hold: not kept


def _has_dockopt_table(pyproject: str) -> bool:
    # A cheap look before parsing: most pyproject.toml files never mention dockopt.
    try:
        with open(pyproject, "rb") as fh:
            if b"dockopt" not in fh.read():
                return False
    except OSError:
        return False
    tool = _read_toml(pyproject).get("tool", {})
    return isinstance(tool, dict) and "dockopt" in tool


def _from_table(table: dict[str, Any], where: str, path: Path) -> Config:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise ConfigError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {names}; known keys: {', '.join(KEYS)}"
        )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in ("select", "ignore", "exclude"):
        if key in table:
            values[key] = _strings(table[key], f"{where}: {key}", split=key != "exclude")
            sources[key] = where
    if "unsafe" in table:
        if not isinstance(table["unsafe"], bool):
            raise ConfigError(f"{where}: unsafe must be true or false, not {table['unsafe']!r}")
        values["unsafe"] = table["unsafe"]
    if "layout" in table:
        values["layout"] = _layout(table["layout"], f"{where}: layout")
    if "installer" in table:
        values["installer"] = _installer(table["installer"], f"{where}: installer")
    if "cache_mounts" in table:
        if not isinstance(table["cache_mounts"], bool):
            raise ConfigError(f"{where}: cache_mounts must be true or false, not {table['cache_mounts']!r}")
        values["cache_mounts"] = table["cache_mounts"]
    if "large_file_threshold" in table:
        values["large_file_threshold"] = parse_size(table["large_file_threshold"], f"{where}: large_file_threshold")
    return Config(path=path, sources=sources, **values)


def _strings(value: object, where: str, *, split: bool) -> tuple[str, ...]:
    """A list of strings; for rule lists an item may hold comma-separated ids, as on the command line."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings, not {value!r}")
    if not split:
        return tuple(value)
    return tuple(part.strip() for v in value for part in v.split(",") if part.strip())


def _installer(value: object, where: str) -> Installer:
    for name in INSTALLERS:
        if value == name:
            return name
    raise ConfigError(f"{where} must be one of {', '.join(repr(x) for x in INSTALLERS)}, not {value!r}")


def _layout(value: object, where: str) -> Layout:
    for name in LAYOUTS:
        if value == name:
            return name
    raise ConfigError(f"{where} must be one of {', '.join(repr(x) for x in LAYOUTS)}, not {value!r}")


_SIZE_RE = lazyre.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?)?[bB]?\s*$")
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


def parse_size(value: object, where: str) -> int:
    """Bytes from ``150000000``, ``"150MB"``, ``"1.5 GB"`` or ``"100MiB"`` (k/M/G/T are powers of 1000).

    Ten lines rather than a dependency: the command line parses this on
    every run and start-up time matters.
    """
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a size such as 100MB, not {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise ConfigError(f"{where} must be at least 1 byte, not {value!r}")
        return value
    m = _SIZE_RE.match(value) if isinstance(value, str) else None
    if m is None:
        raise ConfigError(f"{where} must be a size such as 100MB, 1.5GB or 200MiB, not {value!r}")
    size = int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])
    if size < 1:
        raise ConfigError(f"{where} must be at least 1 byte, not {value!r}")
    return size
