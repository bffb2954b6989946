"""The ``dockopt`` console script: fast paths for the plain shapes editors call, click for everything else.

Editors and scripts call ``dockopt rewrite -`` (on every save) and
``dockopt parse FILE|-`` and pay the start-up on every call; importing click
alone costs more than a bare Python start. These plain shapes are answered
here with the same functions the click commands use (``dockopt.rewriting``,
``dockopt.treeview``), so the output, messages and exit codes are the same:

* ``dockopt parse FILE|- [--json]``;
* ``dockopt rewrite [--diff] [--check] [--stdin-filename NAME] PATH...|-``.

Any other argument, ``--help`` and ``--debug`` included, and anything click
would refuse, goes to the click CLI, so behaviour is defined once.
"""

from __future__ import annotations

import sys

EXIT_ERROR = 2
STDIN_NAME = "<stdin>"
#: Set by a shell asking click for completions: click answers those.
COMPLETE_VAR = "_DOCKOPT_COMPLETE"


def main() -> None:
    args = sys.argv[1:]
    import os

    if COMPLETE_VAR not in os.environ:
        if _is_plain_parse(args):
            raise SystemExit(_parse(args))
        plain = _plain_rewrite(args)
        if plain is not None:
            raise SystemExit(_rewrite(plain))
    from .cli import main as cli_main

    cli_main()


def _is_plain_parse(args: list[str]) -> bool:
    if not args or args[0] != "parse":
        return False
    rest = args[1:]
    files = [a for a in rest if a != "--json"]
    return len(files) == 1 and len(rest) - len(files) <= 1 and (files[0] == "-" or not files[0].startswith("-"))


def _parse(args: list[str]) -> int:
    from .syntax import ParseError, parse
    from .textio import FileError, decode, dumps, read_bytes, read_stdin
    from .treeview import printable, tree_json, tree_text

    name = next(a for a in args[1:] if a != "--json")
    try:
        data = read_stdin() if name == "-" else read_bytes(name)
    except FileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        doc = parse(decode(data))
    except ParseError as exc:
        print(printable(exc.format(STDIN_NAME if name == "-" else name)), file=sys.stderr)
        return EXIT_ERROR
    if "--json" in args:
        sys.stdout.write(dumps(tree_json(doc)))
    else:
        sys.stdout.write(printable(tree_text(doc)))
    return 0


# -- dockopt rewrite -------------------------------------------------------------------------------


class _Rewrite:
    """A plain ``dockopt rewrite``: the paths and the few flags the fast path takes."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.show_diff = False
        self.check = False
        self.stdin_filename: str | None = None


_STDIN_FILENAME = "--stdin-filename"


def _plain_rewrite(args: list[str]) -> _Rewrite | None:
    """The request when ``args`` are a plain rewrite click would accept; None sends them to click."""
    if not args or args[0] != "rewrite":
        return None
    out = _Rewrite()
    rest = iter(args[1:])
    for arg in rest:
        if arg in ("--diff", "--check"):
            attr = "show_diff" if arg == "--diff" else "check"
            if getattr(out, attr):
                return None
            setattr(out, attr, True)
        elif arg == _STDIN_FILENAME or arg.startswith(_STDIN_FILENAME + "="):
            name = arg[len(_STDIN_FILENAME) + 1 :] if "=" in arg else next(rest, "")
            if out.stdin_filename is not None or not name or name.startswith("-"):
                return None
            out.stdin_filename = name
        elif arg == "-" or (arg and not arg.startswith("-")):
            out.paths.append(arg)
        else:
            return None  # any other option, --help, --, or an empty path: click's to answer
    stdin = out.paths == ["-"]
    if not out.paths or ("-" in out.paths and not stdin) or (out.stdin_filename is not None and not stdin):
        return None  # click's usage errors
    return out


def _rewrite(request: _Rewrite) -> int:
    """``rewriting.run`` as ``cli.rewrite_cmd`` calls it, with the errors click's main would handle."""
    from .rewriting import EXIT_ERROR, debug_from_env, mode_for, report_internal, run

    debug = debug_from_env()
    stdin = request.paths == ["-"]
    try:
        try:
            _load()
            return run(
                request.paths,
                mode_for(stdin=stdin, write=False, check=request.check, show_diff=request.show_diff),
                echo=_echo,
                debug=debug,
                show_diff=request.show_diff,
                stdin_filename=request.stdin_filename,
            )
        except Exception as exc:  # as cli._Group.invoke: a broken pipe passes, the rest is an internal error
            if isinstance(exc, OSError) and exc.errno == _epipe():
                raise
            report_internal(exc, debug, _echo)
            return EXIT_ERROR
    except OSError as exc:  # a closed pipe (`dockopt rewrite - | head`), as click's main: quietly, exit 1
        if exc.errno != _epipe():
            raise
        _pacify_stdout()
        return 1
    except KeyboardInterrupt:  # as click's main
        _echo("", err=True)
        _echo("Aborted!", err=True)
        return 1


def _load() -> None:
    """Import what a rewrite needs with the cycle collector paused, then freeze what was loaded.

    Importing the rules allocates many long-lived objects, and the collector
    would walk them again and again (about a tenth of the start-up). Frozen,
    they are never scanned; the rewrite itself runs with the collector on.
    """
    import gc

    gc.disable()
    try:
        from . import config, filejob, pipeline, report  # noqa: F401
        from .passes.base import Context

        # The rules a rewrite with the default options runs (the registry imports a rule's module
        # only when it runs); a config that turns on more has those imported during its rewrite.
        for rule in pipeline.rules_to_run(None, (), Context()):
            _ = rule.apply
    finally:
        gc.freeze()
        gc.enable()


def _echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` for a plain line to an ordinary text stream; anything else is left to click.echo itself.

    For text without ANSI codes on a stream with a real (non-ASCII) encoding,
    click.echo writes the text and flushes; so does this, without importing
    click. Escape sequences (click strips them off a non-terminal), an ASCII
    stream (click re-wraps it) and Windows consoles go to click.echo.
    """
    import io

    stream = sys.stderr if err else sys.stdout
    text = message + "\n" if nl else message
    if sys.platform == "win32" or "\x1b" in text or not isinstance(stream, io.TextIOWrapper) or _ascii(stream):
        import click

        click.echo(text, err=err, nl=False)
        return
    stream.write(text)
    stream.flush()


def _ascii(stream: object) -> bool:
    import codecs

    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        return False


def _epipe() -> int:
    import errno

    return errno.EPIPE


def _pacify_stdout() -> None:
    """After a broken pipe, the interpreter's last flush of stdout must not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
