"""What ``dockopt rewrite`` does once its arguments are read: plan, rewrite, print, exit status.

Shared by the click command (``cli.rewrite_cmd``, which reads and checks the
options) and the console script's fast path (``dockopt.entry``, which answers
the plain shapes editors and hooks use without importing click), so the
messages, exit codes, config discovery and ``--stdin-filename`` handling are
defined once. No click here: the caller passes its ``echo`` (``click.echo``,
or the fast path's, which is the same for plain text).

Imports stay light at module level: the fast path imports this module on
every start.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Protocol

    from .config import Resolver
    from .filejob import Job
    from .report import FileReport

    class Echo(Protocol):
        """``click.echo``'s shape: a line to stdout, or to stderr with ``err``."""

        def __call__(self, message: str = ..., *, err: bool = ..., nl: bool = ...) -> None: ...


EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_ERROR = 2


def debug_from_env() -> bool:
    """``DOCKOPT_DEBUG`` set to anything but empty, 0, false or no."""
    return os.environ.get("DOCKOPT_DEBUG", "").lower() not in ("", "0", "false", "no")


def report_internal(exc: BaseException, debug: bool, echo: Echo) -> None:
    """An unexpected exception as one line on stderr (and the traceback with ``debug``); the caller exits 2."""
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    echo(f"error: internal error: {type(exc).__name__}: {exc}", err=True)
    if not debug:
        echo("Please report it; run with --debug (or DOCKOPT_DEBUG=1) for the traceback.", err=True)


def mode_for(*, stdin: bool, write: bool, check: bool, show_diff: bool) -> str:
    """``write``, ``check``, ``diff`` or ``stdout`` (``dockopt rewrite -``: the rewritten file on stdout)."""
    if write:
        return "write"
    if check and not show_diff:
        return "check"
    if show_diff or not stdin:
        return "diff"
    return "stdout"


def split_rules(values: Sequence[str]) -> tuple[str, ...] | None:
    """``--select a,b --select c`` → (a, b, c); None when the flag was not given."""
    if not values:
        return None
    return tuple(part.strip() for v in values for part in v.split(",") if part.strip())


def run(
    paths: Sequence[str],
    mode: str,
    *,
    echo: Echo,
    debug: bool,
    show_diff: bool = False,
    stdin_filename: str | None = None,
    select: tuple[str, ...] | None = None,
    ignore: tuple[str, ...] | None = None,
    unsafe: bool | None = None,
    layout: str | None = None,
    installer: str | None = None,
    context_dir: Path | None = None,
    cache_mounts: bool | None = None,
    large_file_threshold: int | None = None,
    fmt: str = "text",
    color: bool | None = None,
    quiet: bool = False,
    verbose: bool = False,
    config_path: Path | None = None,
    isolated: bool = False,
) -> int:
    """Rewrite ``paths`` in ``mode`` (options already checked); print the outcome; return the exit status.

    ``show_diff`` with mode ``write`` also prints what was written (``--write --diff``).
    """
    from .config import ConfigError, Resolver

    stdin = list(paths) == ["-"]
    try:
        resolver = Resolver(explicit=config_path, isolated=isolated)
        jobs, notes = plan(
            paths,
            stdin_filename,
            resolver,
            select,
            ignore,
            unsafe,
            layout,
            installer,
            context_dir,
            cache_mounts=cache_mounts,
            large_file_threshold=large_file_threshold,
        )
    except ConfigError as exc:
        echo(f"error: {exc}", err=True)
        return EXIT_ERROR

    show_text = fmt == "text" and not quiet
    print_diffs = fmt == "text" and (mode == "diff" or (mode == "write" and show_diff))
    color_out = False
    if print_diffs:
        from .report import use_color

        color_out = use_color(color, sys.stdout)
    if show_text:
        for note in notes:
            echo(note, err=True)

    reports: list[FileReport] = []
    worst = EXIT_OK
    claims: set[str] = set()  # build contexts whose new .dockerignore one of the files already planned
    from .filejob import process

    for job in jobs:
        # `rewrite -` shows the file, not a diff: only the JSON document would hold one.
        report, original, new = process(job, mode, debug, claims=claims, diff=not (mode == "stdout" and fmt == "text"))
        reports.append(report)
        worst = max(worst, exit_code(report, mode))
        if fmt == "text":
            if mode == "stdout":
                emit_stdin(report, original, new)
            elif print_diffs and report.diff:
                from .report import print_diff

                print_diff(report.diff, color=color_out)
        emit_messages(report, echo, show_text=show_text, verbose=verbose)

    if fmt == "text":
        if show_text and not stdin and reports:
            from .report import summary

            echo(summary(reports, mode), err=True)
    elif fmt == "github":
        from .report import github_annotations

        echo(github_annotations(reports), nl=False)
    else:
        from .passes import RULES
        from .report import dumps, json_document, sarif_document

        document = json_document(reports, RULES) if fmt == "json" else sarif_document(reports, RULES)
        echo(dumps(document), nl=False)
    return worst


def plan(
    paths: Sequence[str],
    stdin_filename: str | None,
    resolver: Resolver,
    select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    unsafe: bool | None,
    layout: str | None,
    installer: str | None,
    context_dir: Path | None,
    *,
    cache_mounts: bool | None = None,
    large_file_threshold: int | None = None,
) -> tuple[list[Job], list[str]]:
    """Every file to process with its settings; config errors surface here, before any file is touched."""
    from .filejob import Job, Settings, buffer_job

    if context_dir is not None:
        from pathlib import Path  # only for a path given: `dockopt rewrite -` (editors, every save) starts without it

        context_dir = Path(os.path.abspath(context_dir))
    settings = Settings(
        resolver,
        select=select,
        ignore=ignore,
        unsafe=unsafe,
        layout=layout,
        installer=installer,
        cache_mounts=cache_mounts,
        large_file_threshold=large_file_threshold,
    ).for_folder

    if list(paths) == ["-"]:
        return [buffer_job(stdin_filename, settings, context_dir)], []
    from pathlib import Path

    from .fileio import find_dockerfiles

    jobs: list[Job] = []
    notes: list[str] = []
    seen: set[str] = set()

    def add(file: Path, display: str) -> None:
        key = os.path.abspath(file)
        if key in seen:
            return
        seen.add(key)
        folder = file.parent
        ctx_dir = context_dir if context_dir is not None else Path(os.path.abspath(folder))
        jobs.append(Job(display, file, settings(folder), ctx_dir))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = list(find_dockerfiles(path))
            if not found:
                notes.append(f"warning: no Dockerfiles found in {raw}")
            for file in found:
                add(file, _display(file))
        else:
            add(path, raw)
    return jobs, notes


def _display(path: Path) -> str:
    text = str(path)
    return text[2:] if text.startswith("./") else text


def exit_code(report: FileReport, mode: str) -> int:
    if report.error is not None:
        return EXIT_ERROR
    if report.pending and mode in ("diff", "check"):
        return EXIT_CHANGES
    return EXIT_OK


def emit_stdin(report: FileReport, original: bytes, new: str | None) -> None:
    """`dockopt rewrite -`: the rewritten file, or the input byte for byte; nothing after an error."""
    from .textio import encode, write_stdout

    if report.error is not None and report.error.kind != "write":
        return
    write_stdout(encode(new) if new is not None else original)


def emit_messages(report: FileReport, echo: Echo, *, show_text: bool, verbose: bool) -> None:
    from .report import text_lines

    if show_text:
        lines = text_lines(report, verbose=verbose)
    elif report.error is not None:
        lines = [report.error.detail or f"{report.path}: {report.error.message}"]
    else:
        lines = []
    for line in lines:
        echo(line, err=True)
