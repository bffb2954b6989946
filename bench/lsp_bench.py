"""How fast ``dockopt lsp`` answers an editor: start-up, first diagnostics, edits, formatting.

A real client (pygls's) starts ``dockopt lsp`` as a subprocess, as an editor
does, and times over stdio:

* start-up: spawning the process until the ``initialize`` result arrives;
* first diagnostics: ``didOpen`` of a 200-line Dockerfile (sent right after
  ``initialized``, as an editor opening a file does) until its
  ``publishDiagnostics`` arrives — the issue's goal is 1 s;
* after an edit: ``didChange`` (debounce set to 0) until the new diagnostics;
* formatting: the ``textDocument/formatting`` round trip.

Each figure is the median and best of ``--runs`` fresh server processes,
after one uncounted run; the servers run without PYTHONDONTWRITEBYTECODE, as
an installed tool has its ``.pyc`` files (this checkout's environment sets it).
Run from the repository root with the project's virtualenv:

    python bench/lsp_bench.py [--runs 7] [--file fixtures/lsp/service/Dockerfile]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT / "fixtures" / "lsp" / "service" / "Dockerfile"
GOAL_FIRST_DIAGNOSTICS = 1.0  # seconds, from the issue


def server_command() -> list[str]:
    script = shutil.which("dockopt", path=str(Path(sys.executable).parent)) or shutil.which("dockopt")
    return [script, "lsp"] if script else [sys.executable, "-m", "dockopt", "lsp"]


async def one_run(folder: Path, text: str) -> dict[str, float]:
    client = LanguageClient("lsp-bench", "1")
    published: asyncio.Queue[tuple[float, types.PublishDiagnosticsParams]] = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait((time.perf_counter(), params))

    path = folder / "Dockerfile"
    uri = path.as_uri()
    spawned = time.perf_counter()
    command = server_command()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    await client.start_io(command[0], *command[1:], env=env)
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=folder.as_uri(),
            initialization_options={"debounceMs": 0},
        )
    )
    ready = time.perf_counter()
    client.initialized(types.InitializedParams())
    opened = time.perf_counter()
    item = types.TextDocumentItem(uri=uri, language_id="dockerfile", version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    first_at, first = await asyncio.wait_for(published.get(), 60)
    assert first.version == 1 and first.diagnostics, "no findings: pick a file dockopt would change"

    edited = text + "# an edit\n"
    changed = time.perf_counter()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    while True:
        again_at, again = await asyncio.wait_for(published.get(), 60)
        if again.version == 2:
            break

    asked = time.perf_counter()
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    formatted = time.perf_counter()
    assert edits, "formatting returned no edit"

    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        "start-up (spawn → initialize result)": ready - spawned,
        "first diagnostics (didOpen → publish)": first_at - opened,
        "first diagnostics from spawn": first_at - spawned,
        "after an edit (didChange → publish)": again_at - changed,
        "formatting round trip": formatted - asked,
    }


async def main_async(runs: int, file: Path) -> int:
    text = file.read_text(encoding="utf-8")
    results: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="dockopt-lsp-bench-") as tmp:
        folder = Path(tmp)
        for item in file.parent.iterdir():  # the build context: the file's folder
            if item.is_file():
                (folder / item.name).write_bytes(item.read_bytes())
        (folder / "Dockerfile").write_text(text, encoding="utf-8")
        await one_run(folder, text)  # writes the .pyc files and the grammar cache
        for _ in range(runs):
            results.append(await one_run(folder, text))
    lines = len(text.splitlines())
    print(
        f"dockopt lsp, {runs} fresh server processes, {file.relative_to(ROOT) if file.is_relative_to(ROOT) else file} ({lines} lines)"
    )
    print(f"{'':40} {'median':>9} {'best':>9}")
    for key in results[0]:
        values = [r[key] for r in results]
        print(f"{key:40} {statistics.median(values) * 1000:7.0f} ms {min(values) * 1000:6.0f} ms")
    first = statistics.median(r["first diagnostics (didOpen → publish)"] for r in results)
    verdict = "ok" if first <= GOAL_FIRST_DIAGNOSTICS else "ABOVE TARGET"
    print(f"goal: first diagnostics within {GOAL_FIRST_DIAGNOSTICS:.0f} s of didOpen: {first * 1000:.0f} ms, {verdict}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh server processes to time (default 7)")
    parser.add_argument(
        "--file", type=Path, default=DEFAULT_FILE, help="the Dockerfile to open (its folder is the build context)"
    )
    args = parser.parse_args()
    return asyncio.run(main_async(args.runs, args.file.resolve()))


if __name__ == "__main__":
    raise SystemExit(main())
