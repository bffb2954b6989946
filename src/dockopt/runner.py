"""One Dockerfile's rewrite with its settings: the code path ``dockopt rewrite`` and ``dockopt lsp`` share.

A :class:`Job` says which settings (config file plus flags) and which build
context apply to a Dockerfile; :func:`buffer_job` makes the job for text that
is not read from its own path (stdin with ``--stdin-filename``, an editor's
buffer), and :func:`rewrite_text` runs the pipeline with the job's settings
and turns every failure into the report's error, so the command line and the
language server classify parse errors and rule crashes the same way.

Start-up matters (``dockopt.cli`` imports this module): only the standard
library's light modules load here, the pipeline inside the functions.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config
    from .pipeline import RewriteResult
    from .report import FileReport

#: How stdin (or an unnamed buffer) is named in messages and diff headers.
STDIN_NAME = "<stdin>"


@dataclass
class Job:
    display: str  # the name in messages and diff headers
    path: Path | None  # the file to read and write; None when the text comes from elsewhere
    config: Config
    context_dir: Path | None


def buffer_job(name: str | None, settings: Callable[[Path], Config], context_dir: Path | None = None) -> Job:
    """The job for text that does not come from its own path: stdin, or an editor's buffer.

    ``name`` is the file the text belongs to (``--stdin-filename``): its
    folder finds the config and is the build context unless ``context_dir``
    says otherwise. Without a name the config is looked for from the working
    directory and there is no build context.
    """
    named = Path(name) if name else None
    folder = named.parent if named is not None else Path.cwd()
    if context_dir is None and named is not None:
        context_dir = Path(os.path.abspath(folder))
    return Job(name or STDIN_NAME, None, settings(folder), context_dir)


def target(job: Job) -> Path | None:
    """The path the job's settings are about (its file, or the name given to its text)."""
    if job.path is not None:
        return job.path
    return Path(job.display) if job.display != STDIN_NAME else None


def is_excluded(job: Job) -> bool:
    """True when the config's ``exclude`` patterns leave this Dockerfile alone."""
    from .fileio import excluded

    where = target(job)
    cfg = job.config
    return bool(where is not None and cfg.exclude and excluded(where, cfg.exclude, cfg.root))


def rewrite_text(
    job: Job, text: str, *, debug: bool = False, select: tuple[str, ...] | None = None
) -> tuple[FileReport, RewriteResult | None]:
    """Rewrite ``text`` with the job's settings; a parse error or a crashing rule becomes ``report.error``.

    ``select`` narrows the rules to these (within the job's ``ignore`` and
    ``unsafe``), as ``--select`` does. The result is None when there was an
    error. With ``debug`` a crash's traceback goes to stderr.
    """
    from .pipeline import rewrite
    from .report import FileError as ReportedError
    from .report import FileReport
    from .syntax import ParseError
    from .treeview import printable

    cfg = job.config
    report = FileReport(job.display, config=cfg.path)
    try:
        result = rewrite(
            text,
            select=cfg.select if select is None else select,
            ignore=cfg.ignore,
            unsafe=cfg.unsafe,
            layout=cfg.layout,
            context_dir=job.context_dir,
        )
    except ParseError as exc:
        detail = printable(exc.format(job.display))
        report.error = ReportedError("parse", exc.message, detail=detail, line=exc.line, column=exc.column)
        return report, None
    except Exception as exc:
        rule = blame(exc, text, job)
        what = f"rule {rule}" if rule else "a rewrite rule"
        message = f"internal error in {what}, please report; file not changed"
        detail = f"{printable(job.display)}: {message}\n  {type(exc).__name__}: {printable(str(exc))}"
        if debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        else:
            detail += "\n  (run with --debug or DOCKOPT_DEBUG=1 for the traceback)"
        report.error = ReportedError("internal", f"{message} ({type(exc).__name__}: {exc})", detail=detail, rule=rule)
        return report, None
    report.changes = list(result.changes)
    report.skips = list(result.skips)
    report.skipped_file = result.skipped_file
    report.changed = result.changed
    return report, result


def blame(exc: BaseException, text: str, job: Job) -> str | None:
    """Which rule failed: the exception says, a frame in a pass module says, or each rule alone is retried."""
    from .passes import RULES
    from .pipeline import PassBug, rewrite, select_rules

    rule = getattr(exc, "rule", None)
    if isinstance(rule, str):
        return rule
    # The outermost frame running a rule's apply function (or, failing that,
    # code in the module defining it) is the rule the pipeline was calling.
    by_code: dict[object, set[str]] = {}
    by_module: dict[object, set[str]] = {}
    for r in RULES:
        by_code.setdefault(getattr(r.apply, "__code__", None), set()).add(r.id)
        by_module.setdefault(getattr(r.apply, "__module__", None), set()).add(r.id)
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for keys, table in (
        ([f.f_code for f in frames], by_code),
        ([f.f_globals.get("__name__") for f in frames], by_module),
    ):
        for key in keys:
            ids = table.get(key)
            if ids is not None and len(ids) == 1 and key is not None:
                return next(iter(ids))
    if isinstance(exc, PassBug):
        cfg = job.config
        for r in select_rules(cfg.select, cfg.ignore):
            if r.safety != "safe" and not cfg.unsafe:
                continue
            try:
                rewrite(text, select=[r.id], unsafe=cfg.unsafe, layout=cfg.layout, context_dir=job.context_dir)
            except Exception:
                return r.id
    return None
