"""The ``dockopt`` console script: a fast path for ``dockopt parse``, click for everything else.

Editors and scripts call ``dockopt parse FILE|- [--json]`` and pay the start-up
on every call; importing click alone costs more than two bare Python starts.
That one plain shape is answered here with the same functions the click
command uses (``dockopt.treeview``), the same messages and exit codes. Any
other argument, ``--help`` and ``--debug`` included, goes to the click CLI, so
behaviour is defined once.
"""

from __future__ import annotations

import sys

EXIT_ERROR = 2
STDIN_NAME = "<stdin>"


def main() -> None:
    args = sys.argv[1:]
    if _is_plain_parse(args):
        raise SystemExit(_parse(args))
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
