"""One Dockerfile through the rewrite: its settings, the rewrite, the report, the write.

Shared by ``dockopt rewrite`` (files and stdin), ``dockopt batch`` (files
read from a git checkout or from committed blobs) and ``dockopt lsp`` (an
editor's buffer, :func:`buffer_job`), so all of them resolve settings,
honour ``exclude``, report errors and blame a failing rule the same way.
:func:`rewrite_bytes` never touches a file; :func:`process` reads and (with
``--write``) writes.

Imports stay light at module level: the command line imports this module on
every start.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from .records_base import Mutable

TYPE_CHECKING = False
if TYPE_CHECKING:
    # pathlib is imported where a real path is handled: `dockopt rewrite -` (editors, every save) starts without it.
    from pathlib import Path

    from .config import Config, Resolver, StrPath
    from .pipeline import RewriteResult
    from .report import FileReport

#: How stdin is named in messages and diff headers without --stdin-filename.
STDIN_NAME = "<stdin>"


class Job(Mutable):
    """A Dockerfile to rewrite and the settings that apply to it."""

    _fields = ("display", "path", "config", "context_dir")
    __slots__ = _fields
    display: str  # the name in messages and diff headers
    path: Path | None  # the file on disk (for exclude patterns and --write); None for stdin
    config: Config
    context_dir: Path | None

    def __init__(self, display: str, path: Path | None, config: Config, context_dir: Path | None) -> None:
        self.display = display
        self.path = path
        self.config = config
        self.context_dir = context_dir


class Settings:
    """The settings for a folder: its config file with the command line's flags on top.

    Unknown rule names in ``select``/``ignore`` raise ConfigError naming the file or
    flag; each distinct selection is checked once.
    """

    def __init__(
        self,
        resolver: Resolver,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        unsafe: bool | None = None,
        layout: str | None = None,
        cache_mounts: bool | None = None,
        large_file_threshold: int | None = None,
        installer: str | None = None,
    ) -> None:
        self.resolver = resolver
        self._select, self._ignore, self._unsafe, self._layout = select, ignore, unsafe, layout
        self._cache_mounts, self._large_file_threshold = cache_mounts, large_file_threshold
        self._installer = installer
        self._checked: set[tuple[tuple[str, ...] | None, tuple[str, ...]]] = set()

    def for_folder(self, folder: StrPath) -> Config:
        """The config discovered from ``folder`` upwards, with the flags applied."""
        return self.apply(self.resolver.for_folder(folder))

    def apply(self, config: Config) -> Config:
        """The flags on top of a config found some other way (e.g. in a commit)."""
        cfg = config.override(
            select=self._select,
            ignore=self._ignore,
            unsafe=self._unsafe,
            layout=self._layout,
            installer=self._installer,
            cache_mounts=self._cache_mounts,
            large_file_threshold=self._large_file_threshold,
        )
        if (cfg.select, cfg.ignore) not in self._checked:
            cfg.check_rules()
            self._checked.add((cfg.select, cfg.ignore))
        return cfg


def is_excluded(job: Job) -> bool:
    """The file matches its config's ``exclude`` patterns."""
    cfg = job.config
    if not cfg.exclude or (job.path is None and job.display == STDIN_NAME):
        return False
    from .fileio import excluded  # fileio (pathlib, atomic writes) only when there are patterns to match

    return excluded(job.path if job.path is not None else job.display, cfg.exclude, cfg.root)


def buffer_job(name: str | None, settings: Callable[[StrPath], Config], context_dir: Path | None = None) -> Job:
    """The job for text that does not come from its own path: stdin, or an editor's buffer.

    ``name`` is the file the text belongs to (``--stdin-filename``): its
    folder finds the config and is the build context unless ``context_dir``
    says otherwise. Without a name the config is looked for from the working
    directory and there is no build context.
    """
    if not name:  # the working directory as a string: `dockopt rewrite -` starts without pathlib
        return Job(STDIN_NAME, None, settings(os.getcwd()), context_dir)
    from pathlib import Path

    folder = Path(name).parent
    if context_dir is None:
        context_dir = Path(os.path.abspath(folder))
    return Job(name, None, settings(folder), context_dir)


def rewrite_text(
    job: Job, text: str, *, debug: bool = False, select: tuple[str, ...] | None = None
) -> tuple[FileReport, RewriteResult | None]:
    """Rewrite ``text`` with the job's settings; a parse error or a crashing rule becomes ``report.error``.

    ``select`` narrows the rules to these (within the job's ``ignore`` and
    ``unsafe``), as ``--select`` does (the language server's one-rule fixes).
    The result is None when there was an error. With ``debug`` a crash's
    traceback goes to stderr.
    """
    from .pipeline import rewrite
    from .report import FileError as ReportedError
    from .report import FileReport
    from .syntax import ParseError
    from .treeview import printable

    cfg = job.config
    report = FileReport(job.display, config=cfg.path)
    try:
        options = cfg.rewrite_options()
        if select is not None:
            options["select"] = select
        result = rewrite(text, context_dir=job.context_dir, **options)
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


def rewrite_bytes(job: Job, original: bytes, *, debug: bool = False, diff: bool = True) -> tuple[FileReport, str | None]:
    """Rewrite a file's bytes; every failure becomes the report's error. Returns the report and the new text.

    The new text is None when nothing changed or the file could not be rewritten.
    ``diff=False`` leaves ``report.diff`` empty, for callers that show no diff.
    """
    from .textio import decode

    text = decode(original)
    report, result = rewrite_text(job, text, debug=debug)
    if result is None or not result.changed:
        return report, None
    if diff:
        from .report import unified_diff

        report.diff = unified_diff(text, result.text, job.display)
    return report, result.text


def write(job: Job, report: FileReport, original: bytes, new: str) -> None:
    """Write the rewrite in place (atomically, only if the file still holds ``original``); failures go to the report."""
    from .fileio import FileError, encode, write_atomic
    from .report import FileError as ReportedError
    from .treeview import printable

    assert job.path is not None
    try:
        write_atomic(job.path, encode(new), expected=original)
    except FileError as exc:
        message = str(exc).removeprefix(f"{job.path}: ")
        report.error = ReportedError("write", message, detail=printable(f"{job.display}: {message}"))
        return
    report.written = True


def process(
    job: Job, mode: str, debug: bool, *, claims: set[str] | None = None, diff: bool = True
) -> tuple[FileReport, bytes, str | None]:
    """Read, rewrite and (with mode ``write``) write one file or stdin; every failure becomes the report's error.

    Then the build-context step (DO010, :func:`context_step`) for a file on
    disk; ``claims`` are the contexts whose new .dockerignore an earlier file
    of the same run already planned. ``diff=False``: no ``report.diff`` for the
    Dockerfile (see :func:`rewrite_bytes`).
    """
    from .report import FileError as ReportedError
    from .report import FileReport
    from .textio import FileError, read_bytes, read_stdin
    from .treeview import printable

    if is_excluded(job):
        report = FileReport(job.display, config=job.config.path)
        report.excluded = True
        return report, (read_stdin() if job.path is None else b""), None
    try:
        original = read_stdin() if job.path is None else read_bytes(job.path)
    except FileError as exc:
        message = str(exc).removeprefix(f"{job.path}: ")
        report = FileReport(job.display, config=job.config.path)
        report.error = ReportedError("read", message, detail=printable(f"{job.display}: {message}"))
        return report, b"", None
    report, new = rewrite_bytes(job, original, debug=debug, diff=diff)
    if new is not None and mode == "write" and job.path is not None:
        write(job, report, original, new)
    if job.path is not None and report.error is None and not report.skipped_file:
        from .textio import decode

        context_step(job, report, new if new is not None else decode(original), mode, claims)
    return report, original, new


def context_step(
    job: Job,
    report: FileReport,
    text: str,
    mode: str,
    claims: set[str] | None = None,
    *,
    shown: str | None = None,
    dockerfile: Path | None = None,
) -> None:
    """DO010 on the build context of the (rewritten) ``text``: a new .dockerignore or the entries one lacks.

    Runs after the rewrite and never feeds back into it. The new file goes
    into the report (and its diff, as a second file); with mode ``write`` it
    is created, only if none exists. stdin (no ``job.path``) never gets here.
    ``shown`` names the new file in messages and the diff (``dockopt batch``:
    from the repository's top); by default it is named as the Dockerfile was.
    ``dockerfile``: where the Dockerfile is beside its context, when that is not
    ``job.path`` (``dockopt batch --git-branch`` reads both from a copy of HEAD).
    """
    import os
    from pathlib import Path

    from .fileio import FileError, create_new_atomic, encode
    from .model.context import BuildContext
    from .passes import dockerignore
    from .passes.base import Skip
    from .pipeline import select_rules
    from .report import FileError as ReportedError
    from .report import NewFile, new_file_diff
    from .syntax import ParseError, parse
    from .treeview import printable

    cfg = job.config
    if job.context_dir is None or dockerignore.RULE.id not in {r.id for r in select_rules(cfg.select, cfg.ignore, kind="context")}:
        return
    target = Path(job.context_dir) / dockerignore.NAME
    shown = shown if shown is not None else _shown(job, target)
    key = os.path.abspath(target)
    if claims is not None and key in claims:
        report.skips.append(Skip(dockerignore.RULE.id, None, f"{shown}: planned for another Dockerfile already", False))
        return
    try:
        doc = parse(text)
    except ParseError:  # pragma: no cover - the rewrite parsed it
        return
    plan = dockerignore.plan(doc, BuildContext(job.context_dir), dockerfile=dockerfile or job.path, shown=shown)
    report.changes.extend(plan.changes)
    report.skips.extend(plan.skips)
    if plan.content is None:
        return
    if claims is not None:
        claims.add(key)
    new_file = NewFile(shown, target, plan.content)
    report.new_files.append(new_file)
    report.diff += new_file_diff(plan.content, shown)
    if mode != "write":
        return
    try:
        create_new_atomic(target, encode(plan.content))
    except FileError as exc:
        message = str(exc).removeprefix(f"{target}: ")
        report.error = ReportedError("write", f"{shown}: {message}", detail=printable(f"{shown}: {message}"))
        return
    new_file.written = True


def _shown(job: Job, target: Path) -> str:
    """The new file's name in messages and diff headers, in the style the Dockerfile was named."""
    import os
    from pathlib import Path

    assert job.path is not None and job.context_dir is not None
    if os.path.abspath(job.path.parent) == os.path.abspath(job.context_dir):
        parent = Path(job.display).parent
        return target.name if str(parent) in ("", ".") else f"{parent.as_posix()}/{target.name}"
    absolute = os.path.abspath(target)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative


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
                rewrite(text, context_dir=job.context_dir, **{**cfg.rewrite_options(), "select": [r.id], "ignore": ()})
            except Exception:
                return r.id
    return None
