"""The language server: pygls wiring, scheduling, and what each LSP message does.

Analyses run on one worker thread, off the event loop, so the server keeps
reading messages while a rewrite runs. An open is analysed at once; a change
after a pause of ``debounceMs`` (150 ms by default) with no further change.
A newer change cancels the older one's pending analysis (a wait, or a job
still queued for the worker); an analysis that was already running finishes
but its result is dropped when the document has moved on, so diagnostics are
only ever published for the version the editor holds. With one worker, at
most one stale analysis can be running while the newest waits.

The text is synced whole on every change (``TextDocumentSyncKind.Full``):
a Dockerfile is small, and it spares applying ranges with pygls's line
splitting (see :mod:`dockopt.lsp.positions`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__
from .actions import KINDS, code_actions, format_edits
from .analysis import Analysis, analyse
from .diagnostics import diagnostics
from .positions import LineIndex
from .settings import ServerOptions

log = logging.getLogger(__name__)

#: Files whose change can change the analysis of an open Dockerfile: the config, and what the
#: rules read in the build context (dependency manifests, .dockerignore).
WATCHED = "**/{.dockopt.toml,pyproject.toml,.dockerignore,requirements*.txt,*.lock,Pipfile,setup.py,setup.cfg}"


@dataclass
class _Document:
    task: asyncio.Task[None] | None = None
    analysis: Analysis | None = None
    diagnostics: list[types.Diagnostic] = field(default_factory=list)


class DockoptLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("dockopt", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.options = ServerOptions()
        self.option_warnings: list[str] = []
        self.documents: dict[str, _Document] = {}
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dockopt-analysis")

    # -- scheduling --------------------------------------------------------------------------
    def schedule(self, uri: str, delay: float) -> None:
        """Analyse ``uri`` after ``delay`` seconds, replacing any analysis still pending for it."""
        state = self.documents.setdefault(uri, _Document())
        if state.task is not None and not state.task.done():
            state.task.cancel()
        state.task = asyncio.ensure_future(self._analyse_later(uri, delay))

    async def _analyse_later(self, uri: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        await self.current(uri)

    async def current(self, uri: str) -> Analysis | None:
        """The analysis of the text the editor holds now (computed if needed, and published)."""
        state = self.documents.get(uri)
        if state is None:
            return None
        document = self.workspace.get_text_document(uri)
        version, text = document.version, document.source
        if state.analysis is not None and state.analysis.version == version and state.analysis.text == text:
            return state.analysis
        loop = asyncio.get_running_loop()
        analysis = await loop.run_in_executor(self.worker, analyse, uri, version, text, self.workspace.root_path)
        if self.documents.get(uri) is not state or self.workspace.get_text_document(uri).version != version:
            log.debug("dropped the analysis of %s v%s: the document moved on", uri, version)
            return None
        self.publish(state, analysis)
        return analysis

    def publish(self, state: _Document, analysis: Analysis) -> None:
        state.analysis = analysis
        try:
            state.diagnostics = diagnostics(analysis, self.index(analysis.text))
        except Exception as exc:  # a bug here must not cost the editor its server
            log.exception("diagnostics for %s failed", analysis.uri)
            analysis.internal_error = f"internal error in dockopt, please report: {type(exc).__name__}: {exc}"
            state.diagnostics = diagnostics(analysis, self.index(analysis.text))
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=analysis.uri, diagnostics=state.diagnostics, version=analysis.version)
        )

    def index(self, text: str) -> LineIndex:
        return LineIndex(text, str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16))

    def forget(self, uri: str) -> None:
        state = self.documents.pop(uri, None)
        if state is not None and state.task is not None:
            state.task.cancel()


def _warm_up() -> None:
    """Load the parser tables, the rules and their data once, before the first buffer arrives."""
    from ..pipeline import rewrite

    rewrite("FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n")


def create_server() -> DockoptLanguageServer:
    server = DockoptLanguageServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: DockoptLanguageServer, params: types.InitializeParams) -> None:
        ls.options, ls.option_warnings = ServerOptions.from_init(params.initialization_options)
        for warning in ls.option_warnings:
            log.warning("%s", warning)
        ls.worker.submit(_warm_up)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: DockoptLanguageServer, params: types.InitializedParams) -> None:
        for warning in ls.option_warnings:
            ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=warning))
        caps = ls.client_capabilities.workspace
        watch = caps.did_change_watched_files if caps is not None else None
        if watch is not None and watch.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=WATCHED)]
            )
            registration = types.Registration(
                id="dockopt-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
            )
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
            except Exception as exc:  # a client may refuse; config changes then count from the next edit
                log.info("the client did not register file watchers: %s", exc)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DockoptLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DockoptLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.options.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DockoptLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        # For clients without file watchers: a save picks up an edited config or manifest.
        state = ls.documents.get(params.text_document.uri)
        if state is not None:
            state.analysis = None
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DockoptLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget(uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: DockoptLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        for uri, state in ls.documents.items():
            state.analysis = None  # the text is the same, the settings or the build context may not be
            ls.schedule(uri, 0)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=False),
    )
    async def code_action(ls: DockoptLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        analysis = await ls.current(uri)
        state = ls.documents.get(uri)
        if analysis is None or state is None:
            return None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            ls.worker,
            _code_actions,
            ls,
            analysis,
            list(state.diagnostics),
            params.range,
            params.context.only,
        )

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    async def formatting(
        ls: DockoptLanguageServer, params: types.DocumentFormattingParams
    ) -> list[types.TextEdit] | None:
        analysis = await ls.current(params.text_document.uri)
        if analysis is None:
            return None
        return format_edits(analysis, ls.index(analysis.text))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: DockoptLanguageServer, params: Any) -> None:
        for uri in list(ls.documents):
            ls.forget(uri)
        ls.worker.shutdown(wait=False, cancel_futures=True)

    return server


def _code_actions(
    ls: DockoptLanguageServer,
    analysis: Analysis,
    found: list[types.Diagnostic],
    where: types.Range,
    only: Sequence[types.CodeActionKind | str] | None,
) -> list[types.CodeAction]:
    from ..syntax import ParseError, parse

    try:
        newline = parse(analysis.text).newline
    except ParseError:
        newline = "\n"
    return code_actions(analysis, ls.index(analysis.text), found, where, only, newline)
