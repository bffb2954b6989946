"""``dockopt batch ROOT...`` and ``dockopt batch merge REPORT...``: the command line of the batch.

Registered on the main ``dockopt`` group by cli.py. Only click is imported
here; the batch modules load when the command runs. ``batch`` is a group whose
default command is ``run``, so ``dockopt batch ROOT`` and ``dockopt batch
merge A.json B.json`` both read naturally (``dockopt batch run merge`` reaches
a folder called ``merge``).

Exit status: 0 every file processed; 1 some files (or repositories) ended in
error, all others still processed; 2 the batch could not run (bad arguments,
no repositories found, --verify without its module or an engine).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

if TYPE_CHECKING:
    from .document import Report

EXIT_OK, EXIT_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2

#: How often (seconds) a running batch rewrites its --report, so an interrupted run can be resumed.
CHECKPOINT_SECONDS = 2.0


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    from ..cli import _set_debug as set_debug  # at run time: cli.py imports this module

    return set_debug(ctx, param, value)


_debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show the traceback of an internal error (also DOCKOPT_DEBUG=1).",
)


class _DefaultRun(click.Group):
    """``dockopt batch ARGS`` means ``dockopt batch run ARGS`` unless ARGS starts with a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("batch", cls=_DefaultRun)
def batch() -> None:
    """Rewrite the Dockerfiles of many git repositories (`dockopt batch run --help`), or merge reports."""


def _fail(ctx: click.Context, message: str) -> None:
    click.echo(f"error: {message}", err=True)
    ctx.exit(EXIT_CANNOT_RUN)


@batch.command("run")
@click.argument("roots", nargs=-1, type=click.Path(path_type=Path), metavar="[ROOT...]")
@click.option(
    "--repos-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also the repositories listed in FILE, one path a line (# comments).",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Repositories processed in parallel [default: the cores]."
)
@click.option("--write", "-w", is_flag=True, help="Rewrite the Dockerfiles in each working tree, in place.")
@click.option(
    "--git-branch",
    "branch",
    metavar="NAME",
    help="Commit the rewrite of each repository's HEAD on branch NAME; the checkout is not touched.",
)
@click.option(
    "--patch-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/<repository>.patch for each repository with changes (git apply).",
)
@click.option("--verify", is_flag=True, help="Build both images of each rewrite; apply only those proven equivalent.")
@click.option("--report", "report_path", metavar="FILE.json", help="Write the JSON report here (- for stdout).")
@click.option("--markdown", "markdown_path", metavar="FILE.md", help="Write a Markdown summary here (- for stdout).")
@click.option(
    "--resume",
    "resume_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Skip repositories this earlier report finished at the same HEAD (it may be the --report file).",
)
@click.option(
    "--shard", "shard_text", metavar="K/N", help="Process shard K of N (1-based); auto/N: JOB_COMPLETION_INDEX."
)
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="Print the identifiers of the repositories this run would process (after --shard) and stop.",
)
@click.option("--select", multiple=True, metavar="RULES", help="Only these rules, over every repository's config.")
@click.option("--ignore", multiple=True, metavar="RULES", help="Not these rules, over every repository's config.")
@click.option("--unsafe/--no-unsafe", default=None, help="Also apply rules whose fix is marked unsafe.")
@_debug_option
@click.pass_context
def run_cmd(
    ctx: click.Context,
    roots: tuple[Path, ...],
    repos_file: Path | None,
    jobs: int | None,
    write: bool,
    branch: str | None,
    patch_dir: Path | None,
    verify: bool,
    report_path: str | None,
    markdown_path: str | None,
    resume_path: Path | None,
    shard_text: str | None,
    list_only: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    unsafe: bool | None,
) -> None:
    """Rewrite the Dockerfiles of every git repository under each ROOT.

    A ROOT that is a repository is one; repositories nested in others are
    their own. Dockerfiles are the files git tracks with Dockerfile names,
    and each repository's .dockopt.toml / [tool.dockopt] applies to it.

    \b
    Modes:
      (default)          dry run: the summary, and --patch-dir patches
      --write            rewrite each working tree in place
      --git-branch NAME  commit the rewrite of HEAD on branch NAME, built
                         with git plumbing: the current branch, index and
                         working tree stay as they were; nothing is pushed

    \b
    Also: dockopt batch merge REPORT... joins the reports of shards.
    Reports and their use: docs/batch.md.

    Exit status: 0 every file processed; 1 some files or repositories ended
    in error (all others were processed); 2 the batch could not run.
    """
    from ..cli import _debug_enabled, _split_rules
    from . import verifying
    from .branch import check_name
    from .discover import DiscoveryError, find_repositories, read_repos_file, unique
    from .document import Report, ReportError, load, run_info
    from .options import Options
    from .records import Mode
    from .shard import ShardError, parse
    from .shard import select as in_shard

    if not roots and repos_file is None:
        raise click.UsageError("no repositories: give ROOT folders or --repos-file FILE")
    if write and branch:
        raise click.UsageError(
            "--write and --git-branch contradict each other: one changes the checkout, one never does"
        )
    if report_path == "-" and markdown_path == "-":
        raise click.UsageError("only one of --report and --markdown can go to stdout")
    if branch is not None:
        problem = check_name(branch)
        if problem is not None:
            raise click.UsageError(f"--git-branch {branch!r} is not a valid branch name ({problem})")
    try:
        shard = parse(shard_text) if shard_text is not None else None
    except ShardError as exc:
        raise click.UsageError(str(exc)) from None

    try:
        repos = find_repositories(list(roots))
        if repos_file is not None:
            repos = unique([*repos, *read_repos_file(repos_file)])
    except DiscoveryError as exc:
        _fail(ctx, str(exc))
    if not repos:
        where = ", ".join(str(r) for r in roots) or str(repos_file)
        _fail(ctx, f"no git repositories found in {where}")
    mine = in_shard(repos, shard)
    if list_only:
        for repo in mine:
            click.echo(repo.id)
        ctx.exit(EXIT_OK)

    previous: dict[str, Any] = {}
    if resume_path is not None:
        if resume_path.exists():
            try:
                previous = load(resume_path).by_repository()
            except ReportError as exc:
                _fail(ctx, str(exc))
        else:  # the first run of a job that passes the same --resume every time
            click.echo(f"{resume_path}: no report yet; nothing to resume", err=True)

    verifier = None
    if verify:
        try:
            verifier = verifying.load_verifier()
        except verifying.VerifyUnavailable as exc:
            _fail(ctx, str(exc))

    mode = "git-branch" if branch else ("write" if write else "dry-run")
    opts = Options(
        mode=cast(Mode, mode),
        branch=branch,
        patch_dir=Path(patch_dir).absolute() if patch_dir is not None else None,
        select=_split_rules(select),
        ignore=_split_rules(ignore),
        unsafe=unsafe,
        debug=_debug_enabled(ctx),
    )
    info = run_info(mode=mode, branch=branch, verify=verify, shard=str(shard) if shard else None, complete=False)
    report = Report([], info)
    _run(ctx, report, mine, opts, jobs, verifier, previous, report_path, markdown_path)


def _run(
    ctx: click.Context,
    report: Report,
    repos: list[Any],
    opts: Any,
    jobs: int | None,
    verifier: Any,
    previous: dict[str, Any],
    report_path: str | None,
    markdown_path: str | None,
) -> None:
    from . import progress, runner

    bar = progress.for_stream()
    last = time.monotonic()

    def on_result(result: Any) -> None:
        nonlocal last
        report.results.append(result)
        bar.update(result)
        if report_path not in (None, "-") and time.monotonic() - last >= CHECKPOINT_SECONDS:
            _save(report, report_path, None)
            last = time.monotonic()

    bar.start(len(repos))
    try:
        runner.run(
            repos, opts, jobs=jobs or runner.default_jobs(), verify=verifier, previous=previous, on_result=on_result
        )
    except KeyboardInterrupt:
        bar.stop()
        _save(report, report_path, markdown_path)
        click.echo("interrupted; the report holds the repositories finished so far (use --resume)", err=True)
        raise
    bar.stop()
    report.run["complete"] = True
    _save(report, report_path, markdown_path)
    ctx.exit(_finish(report))


def _save(report: Report, report_path: str | None, markdown_path: str | None) -> None:
    from ..fileio import write_new_atomic

    if report_path is not None:
        if report_path == "-":
            sys.stdout.write(report.dumps())
        else:
            write_new_atomic(Path(report_path), report.dumps().encode("utf-8"))
    if markdown_path is not None:
        from .markdown import render

        text = render(report)
        if markdown_path == "-":
            sys.stdout.write(text)
        else:
            write_new_atomic(Path(markdown_path), text.encode("utf-8"))


def _finish(report: Report) -> int:
    """Print errors and the summary on stderr; the exit status."""
    from .summary import error_lines, lines

    for line in (*error_lines(report), *lines(report)):
        click.echo(line, err=True)
    totals = report.totals()
    return EXIT_ERRORS if totals["errors"] or totals["repository_errors"] else EXIT_OK


@batch.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--report", "report_path", metavar="FILE.json", default="-", show_default=True, help="The merged report.")
@click.option("--markdown", "markdown_path", metavar="FILE.md", help="A Markdown summary of the merged report.")
@_debug_option
@click.pass_context
def merge_cmd(ctx: click.Context, reports: tuple[Path, ...], report_path: str, markdown_path: str | None) -> None:
    """Join the JSON reports of shards (--shard K/N) into one report of the whole fleet.

    Totals are recomputed from the joined records, so they equal those of one
    unsharded run. A repository in two reports must be recorded alike.
    Exit status: 0; 1 when the merged report holds errors; 2 when the
    reports cannot be read or joined.
    """
    from .document import ReportError, load, merge

    if report_path == "-" and markdown_path == "-":
        raise click.UsageError("only one of --report and --markdown can go to stdout")
    try:
        merged = merge([(str(p), load(p)) for p in reports])
    except ReportError as exc:
        _fail(ctx, str(exc))
    _save(merged, report_path, markdown_path)
    ctx.exit(_finish(merged))
