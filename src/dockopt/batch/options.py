"""The settings of one batch run that every repository's worker needs (plain, picklable data)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .records import Mode


@dataclass(frozen=True)
class Options:
    mode: Mode = "dry-run"
    branch: str | None = None  # --git-branch NAME
    patch_dir: Path | None = None  # --patch-dir DIR
    select: tuple[str, ...] | None = None  # the command line's rule selection, on top of each repository's config
    ignore: tuple[str, ...] | None = None
    unsafe: bool | None = None
    debug: bool = False
