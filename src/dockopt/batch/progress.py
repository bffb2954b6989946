"""The progress bar: rich on a terminal (repositories done, files, changes, errors), nothing otherwise."""

from __future__ import annotations

import sys
from typing import Any, Protocol

from .records import RepoResult


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def update(self, result: RepoResult) -> None: ...
    def stop(self) -> None: ...


class Quiet:
    """Not a terminal: only the summary at the end."""

    def start(self, total: int) -> None:
        pass

    def update(self, result: RepoResult) -> None:
        pass

    def stop(self) -> None:
        pass


class Bar:
    """A rich progress bar on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("repositories"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task: Any = None
        self.files = self.changes = self.errors = 0

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("batch", total=total, stats=self._stats())

    def update(self, result: RepoResult) -> None:
        self.files += len(result.files)
        self.changes += sum(1 for f in result.files if f.outcome == "changed")
        self.errors += sum(1 for f in result.files if f.outcome == "error") + (result.repo.status == "error")
        self._progress.update(self._task, advance=1, stats=self._stats())

    def stop(self) -> None:
        self._progress.stop()

    def _stats(self) -> str:
        return f"files {self.files} · changed {self.changes} · errors {self.errors}"


def for_stream(stream: Any = None) -> Progress:
    stream = sys.stderr if stream is None else stream
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    return Bar() if tty else Quiet()
