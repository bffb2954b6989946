"""The ``dockopt`` command line.

Conventions follow ruff, black and hadolint:

* ``dockopt rewrite PATH...`` prints a unified diff by default, the safe
  choice (black writes by default; dockopt rewrites build files, so applying
  needs ``--write``). ``--check`` only reports. ``dockopt rewrite -`` reads
  stdin and writes the rewritten file to stdout, for editors.
* Exit codes: 0 nothing to change (or everything written), 1 changes found
  with ``--diff``/``--check`` (or the default diff), 2 an error: a file that
  does not parse or cannot be read, a bad option or config, an internal error.
  With several files every one is processed and the worst code wins.
* stdout carries the product (diff, rewritten file, JSON/SARIF document);
  messages go to stderr. A traceback is shown only with ``--debug`` or
  ``DOCKOPT_DEBUG=1``.

Start-up time matters (editors run ``dockopt rewrite -`` on every save), so
this module imports click and nothing heavy; the parser, the rules, rich and
json load inside the commands that need them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .filejob import STDIN_NAME
from .rewriting import EXIT_ERROR, debug_from_env, mode_for, report_internal, run, split_rules
from .treeview import printable

_DEBUG_KEY = "dockopt.debug"


# -- errors and --debug ------------------------------------------------------------------------


def _debug_enabled(ctx: click.Context | None = None) -> bool:
    if debug_from_env():
        return True
    ctx = ctx or click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_DEBUG_KEY))


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_DEBUG_KEY] = True  # ctx.meta is shared by the whole command chain
    return value


debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show the traceback of an internal error (also DOCKOPT_DEBUG=1).",
)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)


class _Group(click.Group):
    """Turns an unexpected exception into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as exc:
            import errno

            if exc.errno == errno.EPIPE:
                raise  # click quietly handles a closed pipe (`dockopt rules | head`)
            self._internal(ctx, exc)
        except Exception as exc:
            self._internal(ctx, exc)
        return None  # pragma: no cover - _internal exits

    @staticmethod
    def _internal(ctx: click.Context, exc: Exception) -> None:
        report_internal(exc, _debug_enabled(ctx), click.echo)
        ctx.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="dockopt", message="%(prog)s %(version)s")
@debug_option
def cli() -> None:
    """Rewrite Dockerfiles into smaller, faster-building ones, and show the change as a diff."""


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="dockopt")


# -- reading input ----------------------------------------------------------------------------------


def _read_input(name: str) -> bytes:
    """Bytes of a file, or of stdin for ``-``; raise FileError with the path in the message."""
    from .fileio import read_bytes, read_stdin

    if name == "-":
        return read_stdin()
    return read_bytes(Path(name))


# -- dockopt parse ----------------------------------------------------------------------------------


@cli.command("parse")
@click.argument("file", metavar="FILE|-")
@click.option("--json", "as_json", is_flag=True, help="Print the tree as JSON (to compare with BuildKit's parser).")
@debug_option
@click.pass_context
def parse_cmd(ctx: click.Context, file: str, as_json: bool) -> None:
    """Print how dockopt (and BuildKit) read FILE: stages and instructions.

    For each stage its index, name, base image and platform; for each
    instruction its line range, keyword, flags, BuildKit's value list,
    whether it is in JSON (exec) form, and its heredocs. A debugging aid.
    """
    from .fileio import FileError, decode
    from .syntax import ParseError, parse
    from .treeview import tree_json, tree_text

    try:
        data = _read_input(file)
    except FileError as exc:
        _fail(str(exc))
        ctx.exit(EXIT_ERROR)
    try:
        doc = parse(decode(data))
    except ParseError as exc:
        click.echo(printable(exc.format(STDIN_NAME if file == "-" else file)), err=True)
        ctx.exit(EXIT_ERROR)
    if as_json:
        from .report import dumps

        click.echo(dumps(tree_json(doc)), nl=False)
    else:
        click.echo(printable(tree_text(doc)), nl=False)


# -- dockopt rewrite ---------------------------------------------------------------------------------


def _size(value: str | None) -> int | None:
    """``--large-file-threshold 150MB`` in bytes; a bad size is a usage error (exit 2)."""
    if value is None:
        return None
    from .config import ConfigError, parse_size

    try:
        return parse_size(value, "--large-file-threshold")
    except ConfigError as exc:
        raise click.BadParameter(str(exc).removeprefix("--large-file-threshold "), param_hint="--large-file-threshold") from None


_split_rules = split_rules  # the batch command uses it too


@cli.command("rewrite")
@click.argument("paths", nargs=-1, metavar="[PATH...|-]")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the changes (the default for paths).")
@click.option("--check", is_flag=True, help="Report what would change; print no diff. Exit 1 if anything would.")
@click.option("--write", "-w", is_flag=True, help="Rewrite the files in place (atomically).")
@click.option(
    "--stdin-filename", metavar="NAME", help="With -, the file's name: used in messages and to find the config."
)
@click.option(
    "--select",
    multiple=True,
    metavar="RULES",
    help="Only these rules (ids or names, comma-separated, repeatable; ALL for every rule).",
)
@click.option(
    "--ignore", multiple=True, metavar="RULES", help="Not these rules (ids or names, comma-separated, repeatable)."
)
@click.option("--unsafe/--no-unsafe", default=None, help="Also apply rules whose fix is marked unsafe.")
@click.option(
    "--layout",
    type=click.Choice(["venv", "user"]),
    default=None,
    help="How dependencies are installed in a builder stage (default venv).",
)
@click.option(
    "--installer",
    type=click.Choice(["pip", "uv"]),
    default=None,
    help="What the builder stage installs dependencies with (default pip; uv: the uv-installer rule).",
)
@click.option(
    "--context",
    "context_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The build context (default: each Dockerfile's folder; none for stdin without --stdin-filename).",
)
@click.option(
    "--cache-mounts/--no-cache-mounts",
    default=None,
    help="BuildKit cache mounts for pip, uv and apt downloads instead of --no-cache-dir (DO008; needs BuildKit).",
)
@click.option(
    "--large-file-threshold",
    metavar="SIZE",
    callback=lambda _ctx, _param, value: _size(value),
    help="Report files a COPY/ADD brings into the image from this size (DO009; default 100MB).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="text: changes and skips on stderr; json/sarif: one report on stdout instead of diffs; "
    "github: GitHub Actions annotations on stdout.",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the diff (default: on a terminal, unless NO_COLOR is set)."
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (and the diff or file).")
@click.option(
    "-v", "--verbose", is_flag=True, help="Also say which files are unchanged, excluded, and which config applies."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this config file (.dockopt.toml or pyproject.toml) for every file.",
)
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@debug_option
@click.pass_context
def rewrite_cmd(
    ctx: click.Context,
    paths: tuple[str, ...],
    show_diff: bool,
    check: bool,
    write: bool,
    stdin_filename: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    unsafe: bool | None,
    layout: str | None,
    installer: str | None,
    context_dir: Path | None,
    cache_mounts: bool | None,
    large_file_threshold: int | None,
    fmt: str,
    color: bool | None,
    quiet: bool,
    verbose: bool,
    config_path: Path | None,
    isolated: bool,
) -> None:
    """Rewrite Dockerfiles: print the diff (default), --check, or --write in place.

    PATH may be a file or a folder (searched for Dockerfile, *.Dockerfile,
    Dockerfile.* and Containerfile, skipping .git, node_modules and .venv).
    With - the Dockerfile is read from stdin and the rewritten file (byte for
    byte the input when nothing changes) is written to stdout.

    Each change and each skipped rewrite (with the reason) is listed on
    stderr as PATH:LINE: RULE [changed|skipped] MESSAGE; --quiet hides them.

    Settings come from the nearest .dockopt.toml, or [tool.dockopt] in
    pyproject.toml, above each file; a flag replaces the file's value.

    --diff may be added to --write (print what was written) or to --check.
    With --format json, sarif or github, stdout holds only that report (json
    includes each file's diff; github is one workflow command per change,
    skip and error); messages still go to stderr.

    Exit status: 0 nothing to change, or written, or - (the rewritten file is
    the output); 1 changes found (the diff, or --check); 2 error. With
    several files, the worst.
    """
    stdin = paths == ("-",)
    if not paths:
        raise click.UsageError("no paths given: pass Dockerfiles, folders, or - to read stdin")
    if "-" in paths and not stdin:
        raise click.UsageError("- (stdin) cannot be combined with other paths")
    if write and check:
        raise click.UsageError("--write and --check contradict each other")
    if write and stdin:
        raise click.UsageError("--write needs files; with - the rewritten file goes to stdout")
    if stdin_filename is not None and not stdin:
        raise click.UsageError("--stdin-filename is only used with -")
    if config_path is not None and isolated:
        raise click.UsageError("--config and --isolated contradict each other")
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose contradict each other")

    mode = mode_for(stdin=stdin, write=write, check=check, show_diff=show_diff)
    ctx.exit(
        run(
            paths,
            mode,
            echo=click.echo,
            debug=_debug_enabled(ctx),
            show_diff=show_diff,
            stdin_filename=stdin_filename,
            select=split_rules(select),
            ignore=split_rules(ignore),
            unsafe=unsafe,
            layout=layout,
            installer=installer,
            context_dir=context_dir,
            cache_mounts=cache_mounts,
            large_file_threshold=large_file_threshold,
            fmt=fmt,
            color=color,
            quiet=quiet,
            verbose=verbose,
            config_path=config_path,
            isolated=isolated,
        )
    )


# -- dockopt rules / explain ---------------------------------------------------------------------


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@debug_option
def rules_cmd(fmt: str) -> None:
    """List the rules: id, name, fix safety, title (in the order they run)."""
    from .passes import RULES

    if fmt == "json":
        from .report import dumps

        rows = [
            {
                "id": r.id,
                "name": r.name,
                "safety": r.safety,
                "kind": r.kind,
                "option": r.option or None,
                "title": r.title,
                "why": r.why,
                "notes": r.notes,
                "before": r.before,
                "after": r.after,
            }
            for r in RULES
        ]
        click.echo(dumps({"rules": rows}), nl=False)
        return
    table = [("ID", "NAME", "SAFETY", "TITLE"), *((r.id, r.name, r.safety, r.title) for r in RULES)]
    click.echo(_columns(table))


def _columns(rows: Iterable[tuple[str, ...]]) -> str:
    rows = list(rows)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip() for row in rows
    )


@cli.command("explain")
@click.argument("rule", metavar="ID|NAME")
@debug_option
@click.pass_context
def explain_cmd(ctx: click.Context, rule: str) -> None:
    """Explain a rule: why it exists, when it declines, and an example."""
    from .passes import UnknownRule, resolve

    try:
        found = resolve([rule])
    except UnknownRule as exc:
        _fail(str(exc))
        ctx.exit(EXIT_ERROR)
    if len(found) != 1:
        _fail(f"explain takes one rule id or name, not {rule!r}")
        ctx.exit(EXIT_ERROR)
    click.echo(found[0].explain(), nl=False)


# -- dockopt lsp ------------------------------------------------------------------------------------


@cli.command("lsp")
@click.option("--stdio", is_flag=True, help="Use stdin/stdout (the only transport; accepted as clients pass it).")
@debug_option
def lsp_cmd(stdio: bool) -> None:
    """Run the language server on stdin/stdout, for editors (see docs/editors.md)."""
    from .lsp import serve  # pygls loads here only, so other commands start as fast as before

    serve(debug=_debug_enabled())


# -- dockopt measure -------------------------------------------------------------------------------


@cli.command("measure")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--context", "context_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Build context (default: the Dockerfile's folder).")
@click.option("--smoke", metavar="CMD", help="A command to run in both images (docker run IMAGE CMD); outputs must match.")
@click.option("--edit", "edit_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The code file to change for the rebuild timing (default: a Python file in the context).")
@click.option("--unsafe", is_flag=True, help="Also apply rules whose fix is marked unsafe.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@debug_option
@click.pass_context
def measure_cmd(
    ctx: click.Context,
    path: Path,
    context_dir: Path | None,
    smoke: str | None,
    edit_file: Path | None,
    unsafe: bool,
    fmt: str,
) -> None:
    """Build the original and the rewritten Dockerfile and compare size, layers and build times.

    Uses the local Docker engine (BuildKit). The rewritten file is piped to the
    engine and the code-only change happens in a scratch copy of the context:
    your files are not touched.
    """
    import shlex

    from .engine import BuildError, check_engine
    from .measure import format_table, measure
    from .syntax import ParseError

    status = check_engine()
    if status.engine is None:
        _fail(f"no Docker engine reachable: {status.reason}")
        ctx.exit(EXIT_ERROR)
    assert status.engine is not None
    context = context_dir or path.parent
    if edit_file is not None:
        edit_file = edit_file.resolve()
        if not edit_file.is_relative_to(context.resolve()):
            _fail(f"--edit {edit_file} is not inside the build context {context}")
            ctx.exit(EXIT_ERROR)
    progress = None
    if fmt == "text" and sys.stderr.isatty():
        def progress(line: str) -> None:
            if line.startswith("#") and (" DONE " in line or " CACHED" in line or "ERROR" in line):
                click.echo(f"  {line[:110]}", err=True)
    click.echo(f"building {path} before and after the rewrite ...", err=True)
    try:
        result = measure(
            status.engine,
            path,
            context.resolve(),
            smoke_args=shlex.split(smoke) if smoke else None,
            edit_file=edit_file,
            rewrite_options={"unsafe": unsafe},
            progress=progress,
        )
    except ParseError as exc:
        _fail(exc.format(str(path)))
        ctx.exit(EXIT_ERROR)
    except BuildError as exc:
        _fail(f"{exc}\n{exc.log_tail}")
        ctx.exit(EXIT_ERROR)
    if fmt == "json":
        import json

        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(format_table(result))
    if result.smoke_matches is False:
        ctx.exit(1)


# -- dockopt batch (src/dockopt/batch/) -------------------------------------------------------------

from .batch.command import batch as _batch  # noqa: E402  (after cli's helpers, which it uses at run time)

cli.add_command(_batch)


# -- dockopt verify (src/dockopt/verify/command.py; its module imports only click) ---------------

from .verify.command import verify_cmd  # noqa: E402

cli.add_command(verify_cmd)
