"""The ``dockopt verify`` command: a thin front end over :func:`verify_texts`.

Imports only click at module level (``dockopt.cli`` registers it on every
start); everything else loads when the command runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

EXIT_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)


@click.command("verify")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--before", "before_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Compare two Dockerfiles: the original ...")
@click.option("--after", "after_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="... and its rewrite (e.g. a hand edit).")
@click.option("--context", "context_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Build context (default: the Dockerfile's folder).")
@click.option("--smoke", metavar="CMD", help="A command run in both images (docker run IMAGE CMD, no shell); "
              "same stdout and exit code expected.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-rebuild", is_flag=True, help="Skip the code-only rebuild (the dependency-layer figure).")
@click.option("--keep-images", is_flag=True, help="Keep the images built (tags dockopt-verify/...).")
@click.pass_context
def verify_cmd(
    ctx: click.Context,
    path: Path | None,
    before_path: Path | None,
    after_path: Path | None,
    context_dir: Path | None,
    smoke: str | None,
    fmt: str,
    no_rebuild: bool,
    keep_images: bool,
) -> None:
    """Build PATH (default ./Dockerfile) and dockopt's rewrite of it, and check they do the same thing.

    Checks, each reported by name: both build; the same Python distributions
    and versions; every module that imports in the original imports in the
    rewrite; the same image config; the entrypoint resolves; the same files
    under the working directory; the --smoke command gives the same output.
    Exit 0 equivalent, 1 different (listed), 2 cannot verify (no engine, the
    original does not build, bad input). Your files are not modified.
    """
    import shlex

    from ..textio import decode

    if (before_path is None) != (after_path is None):
        raise click.UsageError("--before and --after go together")
    if before_path is not None and path is not None:
        raise click.UsageError("give PATH, or --before and --after, not both")
    try:
        smoke_argv = shlex.split(smoke) if smoke else None
    except ValueError as exc:
        raise click.UsageError(f"--smoke: {exc}") from exc
    document: dict[str, Any]
    if before_path is not None and after_path is not None:
        original, rewritten = decode(before_path.read_bytes()), decode(after_path.read_bytes())
        context = context_dir or before_path.parent
        title = f"{before_path} (original) vs {after_path}"
        document = {"before": str(before_path), "after": str(after_path)}
        for p, text in ((before_path, original), (after_path, rewritten)):
            if not _parses(p, text):
                ctx.exit(EXIT_ERROR)
    else:
        path = path or Path("Dockerfile")
        if not path.is_file():
            _fail(f"{path}: no such file")
            ctx.exit(EXIT_ERROR)
        original = decode(path.read_bytes())
        context = context_dir or path.parent
        result = _rewrite(path, original, context)
        if result is None:
            ctx.exit(EXIT_ERROR)
        assert result is not None
        rewritten = result.text
        title = f"{path} (original) vs dockopt's rewrite"
        document = {
            "file": str(path),
            "changed": result.changed,
            "changes": [c.as_dict() for c in result.changes],
            "skips": [s.as_dict() for s in result.skips],
        }
        if not result.changed:
            document["verification"] = None
            if fmt == "json":
                import json

                click.echo(json.dumps(document, indent=2))
            else:
                click.echo(f"{path}: dockopt does not change this file; nothing to verify", err=True)
                for s in result.skips:
                    click.echo(f"  {s.rule} line {s.line}: {s.message}", err=True)
            ctx.exit(0)

    from .core import verify_texts
    from .report import text_report

    progress = None
    if fmt == "text" and sys.stderr.isatty():
        def progress(line: str) -> None:
            if line.startswith("#") and (" DONE " in line or " CACHED" in line or "ERROR" in line):
                click.echo(f"  {line[:110]}", err=True)
    click.echo(f"verify: building {title} ...", err=True)
    verification = verify_texts(
        original,
        rewritten,
        Path(os.path.abspath(context)),
        smoke=smoke_argv,
        measure_rebuild=not no_rebuild,
        keep_images=keep_images,
        progress=progress,
    )
    if fmt == "json":
        import json

        document["verification"] = verification.to_json()
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(text_report(verification, title))
    if verification.status == "cannot-verify":
        _fail(f"cannot verify: {verification.reason}")
    ctx.exit(verification.exit_code)


def _parses(path: Path, text: str) -> bool:
    from ..syntax import ParseError, parse

    try:
        parse(text)
    except ParseError as exc:
        _fail(exc.format(str(path)))
        return False
    return True


def _rewrite(path: Path, text: str, context: Path) -> Any:
    """dockopt's rewrite of ``path`` with the settings ``dockopt rewrite`` would use; None after an error."""
    from ..config import ConfigError, Resolver
    from ..pipeline import rewrite
    from ..syntax import ParseError

    try:
        cfg = Resolver().for_folder(path.parent)
        return rewrite(
            text, select=cfg.select, ignore=cfg.ignore, unsafe=cfg.unsafe, layout=cfg.layout,
            context_dir=Path(os.path.abspath(context)),
        )
    except ParseError as exc:
        _fail(exc.format(str(path)))
    except ConfigError as exc:
        _fail(str(exc))
    return None
