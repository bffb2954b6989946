"""``dockopt lsp``: a language server over stdio for editors, on pygls.

Modules, one job each: :mod:`.server` (pygls wiring and scheduling),
:mod:`.analysis` (one rewrite per document version), :mod:`.diagnostics`,
:mod:`.actions` (code actions and formatting), :mod:`.edits`,
:mod:`.positions` (offsets ↔ LSP positions) and :mod:`.settings` (config and
build context per buffer, the server's options). Nothing here is imported by
the other commands: pygls loads only when the server starts.
"""

from __future__ import annotations

import logging
import os
import sys


def serve(*, debug: bool = False) -> None:
    """Run the server on stdin/stdout until the client says exit."""
    level = logging.DEBUG if debug or os.environ.get("DOCKOPT_LSP_LOG", "").lower() == "debug" else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="dockopt lsp %(levelname)s %(name)s: %(message)s")
    # The protocol owns stdout: anything printed by mistake goes to the log instead of corrupting it.
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    from .server import create_server

    create_server().start_io(stdin, stdout)
