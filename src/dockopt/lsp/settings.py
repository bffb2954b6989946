"""What applies to one editor buffer: the project's config, the build context, and the server's own options.

A buffer is handled as ``dockopt rewrite --stdin-filename PATH -`` handles
stdin: :func:`dockopt.filejob.buffer_job` finds the nearest ``.dockopt.toml``
or ``[tool.dockopt]`` above the file with :mod:`dockopt.config`, and the
file's folder is the build context. A buffer with no file behind it
(``untitled:``) takes the config of the workspace root and has no build
context, like stdin without a name. A fresh :class:`~dockopt.config.Resolver`
is used for every analysis, so an edited config file counts at once.

The server's own options come from the client's ``initializationOptions``:
``{"debounceMs": 150}`` — how long to wait after a change before analysing
(an open is analysed at once).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pygls.uris import to_fs_path

from ..config import Config, Resolver
from ..filejob import Job, buffer_job

DEFAULT_DEBOUNCE_MS = 150


@dataclass(frozen=True)
class ServerOptions:
    debounce: float = DEFAULT_DEBOUNCE_MS / 1000  # seconds

    @classmethod
    def from_init(cls, options: Any) -> tuple[ServerOptions, list[str]]:
        """The options in ``initializationOptions``, and a warning for each one not understood."""
        warnings: list[str] = []
        if not isinstance(options, dict):
            if options is not None:
                warnings.append(f"initializationOptions should be an object, not {options!r}; ignored")
            return cls(), warnings
        debounce = cls.debounce
        for key, value in options.items():
            if key == "debounceMs":
                if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 10_000:
                    debounce = value / 1000
                else:
                    warnings.append(f"debounceMs must be a number of milliseconds (0 to 10000), not {value!r}")
            else:
                warnings.append(f"unknown initialization option {key!r}; known: debounceMs")
        return cls(debounce=debounce), warnings


def document_path(uri: str) -> Path | None:
    """The file behind a ``file:`` URI, or None."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


def document_job(uri: str, workspace_root: str | None) -> Job:
    """The settings and build context for the buffer at ``uri``; raise ConfigError for a bad config."""
    resolver = Resolver()

    def settings(folder: str | os.PathLike[str]) -> Config:
        cfg = resolver.for_folder(folder)
        cfg.check_rules()
        return cfg

    path = document_path(uri)
    if path is not None:
        return buffer_job(str(path), settings)
    root = Path(workspace_root) if workspace_root else Path(os.getcwd())
    return buffer_job(None, lambda _cwd: settings(root))
