"""A real LSP client (pytest-lsp, on pygls's client) talking to a ``dockopt lsp`` subprocess over stdio.

Nothing here calls the server's handlers: every test starts the installed
``dockopt lsp`` command and exchanges JSON-RPC messages with it. The helpers
record every ``textDocument/publishDiagnostics`` in arrival order, so a test
can check which versions were published, and apply returned edits with
pygls's own ``TextDocument`` (an implementation of LSP's edit semantics
independent of the server's).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pygls.workspace import PositionCodec, TextDocument
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.cli.conftest import dockopt_command

#: How long a test waits for the server before calling it a failure (generous: CI shares 2 cores).
TIMEOUT = 20.0


@dataclass
class Published:
    at: float  # time.perf_counter() when the client received it
    params: types.PublishDiagnosticsParams


@dataclass
class Recorder:
    published: list[Published] = field(default_factory=list)
    registrations: list[types.Registration] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)


class DockoptClient(LanguageClient):
    """pytest-lsp's client plus a log of every diagnostics notification and capability registration."""

    recorder: Recorder
    done: bool = False

    def sent_for(self, uri: str) -> list[types.PublishDiagnosticsParams]:
        return [p.params for p in self.recorder.published if p.params.uri == uri]

    async def published(self, uri: str, version: int | None = None, *, after: int = 0) -> Published:
        """The first publish for ``uri`` (with ``version`` when given) among those after index ``after``."""

        def find() -> Published | None:
            for item in self.recorder.published[after:]:
                if item.params.uri == uri and (version is None or item.params.version == version):
                    return item
            return None

        async def wait() -> Published:
            while (found := find()) is None:
                self.recorder.event.clear()
                await self.recorder.event.wait()
            return found

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def start(
        self,
        root: Path | None = None,
        *,
        editor: str = "visual-studio-code",
        options: dict[str, Any] | None = None,
        encodings: Sequence[str] | None = None,
    ) -> types.InitializeResult:
        caps = client_capabilities(editor)
        if encodings is not None:
            caps.general = types.GeneralClientCapabilities(position_encodings=list(encodings))
        params = types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri() if root is not None else None,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root is not None else None,
            initialization_options=options,
        )
        return await asyncio.wait_for(self.initialize_session(params), TIMEOUT)

    def open(self, path: Path | str, text: str, version: int = 1) -> str:
        uri = path if isinstance(path, str) else path.as_uri()
        item = types.TextDocumentItem(uri=uri, language_id="dockerfile", version=version, text=text)
        self.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def format(self, uri: str) -> list[types.TextEdit]:
        params = types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
        return list(await asyncio.wait_for(self.text_document_formatting_async(params), TIMEOUT) or [])

    async def actions(
        self,
        uri: str,
        where: types.Range,
        diagnostics: Sequence[types.Diagnostic] = (),
        only: Sequence[str] | None = None,
    ) -> list[types.CodeAction]:
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=where,
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=list(only) if only else None),
        )
        result = await asyncio.wait_for(self.text_document_code_action_async(params), TIMEOUT)
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    async def stop_session(self) -> int | None:
        """shutdown, then exit; the server process's exit code."""
        await asyncio.wait_for(self.shutdown_async(None), TIMEOUT)
        self.exit(None)
        self.done = True
        assert self._server is not None
        return await asyncio.wait_for(self._server.wait(), TIMEOUT)


def _make_client() -> DockoptClient:
    client = DockoptClient(converter_factory=default_converter)
    client.recorder = Recorder()
    features = dict(DEFAULT_CLIENT_FEATURES)
    default_publish = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def publish(ls: DockoptClient, params: types.PublishDiagnosticsParams) -> None:
        ls.recorder.published.append(Published(time.perf_counter(), params))
        ls.recorder.event.set()
        default_publish(ls, params)

    def register(ls: DockoptClient, params: types.RegistrationParams) -> None:
        ls.recorder.registrations.extend(params.registrations)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


SERVER_ENV = {k: v for k, v in os.environ.items() if k not in ("DOCKOPT_DEBUG",)}


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[*dockopt_command(), "lsp"], client_factory=_make_client, server_env=SERVER_ENV
    )
)
async def client(lsp_client: DockoptClient) -> AsyncIterator[None]:
    yield
    if not lsp_client.done and lsp_client.capabilities is not None and lsp_client.error is None:
        await lsp_client.stop_session()


# -- applying what the server returns ------------------------------------------------------------


def apply_edits(text: str, edits: Sequence[types.TextEdit], encoding: str = types.PositionEncodingKind.Utf16) -> str:
    """``text`` with LSP ``edits`` applied (last first, as the spec's non-overlapping edits allow), by pygls."""
    document = TextDocument("file:///buffer", text, version=0, position_codec=PositionCodec(encoding=encoding))
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    for edit in ordered:
        document.apply_change(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
    return document.source


def apply_workspace_edit(text: str, uri: str, edit: types.WorkspaceEdit | None) -> str:
    assert edit is not None
    changes = edit.document_changes or []
    edits: list[types.TextEdit] = []
    for change in changes:
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        edits.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    return apply_edits(text, edits)


def cli_rewrite(path: Path, data: bytes, *extra: str) -> bytes:
    """What ``dockopt rewrite --stdin-filename PATH -`` prints for ``data`` (the real command)."""
    proc = subprocess.run(
        [*dockopt_command(), "rewrite", *extra, "--stdin-filename", str(path), "-"],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout
