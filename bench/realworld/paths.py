"""Do dockopt's user-facing paths give the same answer on real Dockerfiles?

``scan.py`` checks the library rewrite and that ``dockopt rewrite --diff`` does
not crash. This asks whether the other ways in agree with the library, file by
file, on the same corpus (``scan.toml``, loaded and unpacked with scan.py's own
functions; the build context is the file's folder of the repository snapshot):

- lib, lib+ctx: ``dockopt.rewrite(text)`` and ``dockopt.rewrite(text, context_dir=folder)`` — the reference;
- stdin: ``dockopt rewrite -`` (the console script's fast path; run in an empty folder: no
  config, no build context, as ``filejob.buffer_job`` does without a name) == lib, byte for byte;
  exit 0, or 2 with nothing on stdout when the library raises ParseError;
- stdin-name: ``dockopt rewrite --stdin-filename FOLDER/NAME -`` (what editors run: the name's folder
  is the build context) == lib+ctx, byte for byte, same exit codes;
- diff: ``dockopt rewrite --diff NAME`` in the folder (fast path): exit 1 exactly when lib+ctx
  changed the text (or DO010 plans a .dockerignore), 0 when not, 2 with ``NAME:line:col: message``
  at the ParseError's line and column; its diff, applied with ``patch`` to a copy of the file, gives
  lib+ctx's text; its ``[changed]``/``[skipped]`` lines name the rules and lines of lib+ctx's changes
  and actionable skips (DO010, the build-context step, is only run for files on disk);
- json: ``dockopt rewrite --format json --diff NAME`` (the click CLI): the same exit code, diff,
  changes and skips as the fast path's text;
- lsp-*: one ``dockopt lsp`` process over stdio for all files (the test suite's client,
  ``tests/lsp/conftest.py``), initialized with the snapshots' folder as workspace; each file is
  opened at its real path (so its folder is the context, as for stdin-name), and:
  lsp-diag: one Warning per change and one Information per actionable skip of ``--diff``/json,
  same rules and lines, and one Hint per skip that asks nothing (``[info]``, only with ``-v``); for a file the CLI refuses, exactly one Error at the CLI's line:col;
  lsp-format: the formatting edits applied (by pygls) give stdin-name's bytes;
  lsp-fixall: the ``source.fixAll.dockopt`` action's edit gives them too (no action when unchanged);
  lsp-untitled: the same text in an ``untitled:`` buffer (no file, no context) formats to stdin's bytes;
  the time from didOpen to the first publishDiagnostics is recorded; a server crash, a
  Traceback or an error log line on its stderr fails the file it was handling;
- batch (``--batch``): a handful of snapshots checked out as git work trees in a temp folder;
  ``dockopt batch FLEET`` (dry run, then ``--write``) against ``dockopt rewrite --format json
  --diff`` of the same files in the same order (so DO010's claims match): each file's outcome,
  rules, lines, diff and error; the bytes ``--write`` leaves == ``--stdin-filename`` output; the
  report's totals == counts of the CLI's results; the closing line on stderr, the error lines and
  the exit status (1 exactly when a file ended in error) agree with the records.

``--mode uv+cache`` runs it all with ``installer = "uv"`` and ``cache_mounts = true`` in a
``.dockopt.toml`` that every path must find (each folder is linked into a workspace holding the
config; batch gets it above the repositories), against the library called with those options.

It is a benchmark, not a test: it needs the snapshots. Exit 1 when any check failed.

    .venv/bin/python bench/realworld/paths.py                       # all files, no batch
    .venv/bin/python bench/realworld/paths.py --only psf/black --limit 20 --verbose
    .venv/bin/python bench/realworld/paths.py --batch               # + dockopt batch on BATCH_REPOS
    .venv/bin/python bench/realworld/paths.py --mode uv+cache --batch   # the settings from a config file
    .venv/bin/python bench/realworld/paths.py --controls            # a planted fault per check
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scan  # noqa: E402  (puts src/ and the repository root on sys.path)
from common import unpack_present  # noqa: E402
from lsprotocol import types  # noqa: E402
from tests.lsp.conftest import DockoptClient, _make_client, apply_edits, apply_workspace_edit  # noqa: E402

import dockopt  # noqa: E402
from dockopt.syntax import ParseError  # noqa: E402
from dockopt.textio import decode, encode  # noqa: E402

OK, NA = "ok", "-"
TIMEOUT = 120  # seconds for one subprocess or one LSP answer
CONTEXT_RULE = "DO010"  # the build-context step: `dockopt rewrite FILE` and batch only, never stdin or the server
#: Repositories `--batch` checks out as work trees (small to medium; Python, multi-stage, Windows,
#: CRLF, heredocs, files BuildKit refuses, several Dockerfiles per folder between them).
BATCH_REPOS = [
    "tiangolo/full-stack-fastapi-template",
    "docker/awesome-compose",
    "cookiecutter/cookiecutter-django",
    "convox/rack",
    "StefanScherer/dockerfiles-windows",
    "psf/black",
    "lexara-prime-ai/RENDER_CDK",
    # Python services whose rewrite reads the context (requirements includes, `-e .`, pipenv, uv):
    # --git-branch copies HEAD's context to a scratch folder, which must hold what the rules read
    "testdrivenio/fastapi-tdd-docker",
    "oceanprotocol/pdr-backend",
    "qiyomovalaziz-art/Botnotcoin",
    "sigord/coins_forecasting",
    "ozcanyarimdunya/schedo",
    "dockersamples/example-voting-app",
    "AntonNovozhilov/treadbook_users",
]
MESSAGE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<rest>.*)$")
FINDING = re.compile(r"^(?P<rule>DO\d{3}) \[(?P<label>changed|skipped|info)\] ")

#: The commands under test; the controls swap in wrappers that plant a fault.
COMMANDS: dict[str, list[str]] = {"rewrite": scan.dockopt_cli(), "lsp": scan.dockopt_cli(), "batch": scan.dockopt_cli()}


def command(kind: str) -> list[str]:
    return list(COMMANDS[kind])


@dataclass
class Item:
    """One real file: its bytes and the folder it lives in (its build context), when a snapshot is here."""

    key: str
    data: bytes
    folder: Path | None
    name: str
    linked: bool = False  # folder is a link into a workspace (--mode uv+cache)

    @property
    def shown(self) -> str:
        """How ``dockopt rewrite FILE`` (run in the folder) is given the file: by name; by its whole path
        in a linked folder, where the working directory would be the link's target and the config not found."""
        return str(self.path) if self.linked else self.name

    @property
    def path(self) -> Path | None:
        return self.folder / self.name if self.folder is not None else None


@dataclass
class Expected:
    """What the library says, with and without the context: the reference the paths are held to."""

    text: str | None = None  # None: ParseError
    changed: bool = False
    error: tuple[int, int, str] | None = None  # ParseError's line, column, message
    findings: Counter[tuple[str, int | None, str]] = field(default_factory=Counter)  # (rule, line, changed|skipped)
    hints: Counter[tuple[str, int | None]] = field(default_factory=Counter)  # skips that ask nothing (`[info]`)


@dataclass
class Row:
    key: str
    checks: dict[str, str] = field(default_factory=dict)
    latency: float | None = None  # didOpen → first publishDiagnostics, seconds
    cli: dict[str, Any] = field(default_factory=dict)  # what the later phases compare with


def library(text: str, ctx: Path | None, options: dict[str, Any]) -> Expected:
    out = Expected()
    try:
        result = dockopt.rewrite(text, context_dir=ctx, **options)
    except ParseError as exc:
        out.error = (exc.line, exc.column, exc.message)
        return out
    out.text, out.changed = result.text, bool(result.changed)
    for c in result.changes:
        out.findings[(c.rule, c.line, "changed")] += 1
    for s in result.skips:
        if s.actionable:
            out.findings[(s.rule, s.line, "skipped")] += 1
        else:
            out.hints[(s.rule, s.line)] += 1
    return out


def run(args: list[str], *, data: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKOPT_DEBUG", "NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(args, input=data, cwd=cwd, env=env, capture_output=True, timeout=TIMEOUT, check=False)


def _traceback(proc: subprocess.CompletedProcess[bytes]) -> str | None:
    err = proc.stderr.decode("utf-8", "replace")
    return "FAIL traceback: " + err.strip().splitlines()[-1][:200] if "Traceback" in err else None


def _first_diff(a: bytes, b: bytes) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            line = a[:i].count(b"\n") + 1
            return f"first difference at byte {i} (line {line}): {a[i:i + 30]!r} vs {b[i:i + 30]!r}"
    return f"one is a prefix of the other ({len(a)} vs {len(b)} bytes)"


def check_stdin(proc: subprocess.CompletedProcess[bytes], want: Expected, name: str = "<stdin>") -> str:
    """``dockopt rewrite -``'s answer against the library's."""
    if (tb := _traceback(proc)) is not None:
        return tb
    if want.text is None:
        if proc.returncode != 2 or proc.stdout:
            return f"FAIL library refuses the file; exit {proc.returncode}, {len(proc.stdout)} bytes on stdout"
        return _check_error_message(proc, want, name)
    if proc.returncode != 0:
        return f"FAIL exit {proc.returncode}: " + proc.stderr.decode("utf-8", "replace").strip()[-200:]
    wanted = encode(want.text)
    if proc.stdout != wanted:
        return "FAIL stdout is not the library's text: " + _first_diff(proc.stdout, wanted)
    return OK


def _check_error_message(proc: subprocess.CompletedProcess[bytes], want: Expected, name: str) -> str:
    assert want.error is not None
    line, col, _message = want.error
    first = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
    m = MESSAGE.match(first[0]) if first else None
    if m is None or not m.group("file").endswith(name):
        return "FAIL exit 2 without file:line:col: " + (first[0][:200] if first else "(no stderr)")
    if (int(m.group("line")), int(m.group("col") or 0)) != (line, col):
        return f"FAIL error at {m.group('line')}:{m.group('col')}, the library says {line}:{col}"
    return OK


def text_findings(stderr: str, name: str) -> Counter[tuple[str, int | None, str]]:
    """``PATH:LINE: RULE [changed|skipped] MESSAGE`` lines of ``dockopt rewrite``'s stderr, for ``name``."""
    out: Counter[tuple[str, int | None, str]] = Counter()
    for raw in stderr.splitlines():
        if not raw.startswith(name + ":"):
            continue
        rest = raw[len(name) + 1 :]
        line: int | None = None
        m = re.match(r"(\d+): ", rest)
        if m:
            line, rest = int(m.group(1)), rest[m.end() :]
        else:
            rest = rest.lstrip()
        f = FINDING.match(rest)
        if f and f.group("rule") != CONTEXT_RULE:
            out[(f.group("rule"), line, "changed" if f.group("label") == "changed" else "skipped")] += 1
    return out


def _without_context_rule(found: Counter[tuple[str, int | None, str]]) -> Counter[tuple[str, int | None, str]]:
    return Counter({k: n for k, n in found.items() if k[0] != CONTEXT_RULE})


def _counter_diff(got: Counter[Any], want: Counter[Any]) -> str:
    extra, missing = got - want, want - got
    return f"extra {sorted(extra.elements(), key=str)[:4]}, missing {sorted(missing.elements(), key=str)[:4]}"


def apply_patch(original: bytes, diff: bytes, name: str) -> bytes | None:
    """``original`` with the part of ``diff`` about ``name`` applied by GNU patch; None when it does not apply."""
    part = _part(diff, name)
    if not part:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "f"
        target.write_bytes(original)
        # Only the Dockerfile's part: patch would create the planned .dockerignore as well.
        proc = subprocess.run(
            ["patch", "--binary", "--quiet", "--force", "--no-backup-if-mismatch", "-r", "-", str(target)],
            input=part, capture_output=True, timeout=TIMEOUT, check=False,
        )
        return target.read_bytes() if proc.returncode == 0 else None


def _part(diff: bytes, name: str) -> bytes:
    """The file ``name``'s section of a unified diff of several files (hunk lengths followed, not guessed)."""
    lines = diff.splitlines(keepends=True)
    out: list[bytes] = []
    i, taking = 0, False
    while i < len(lines):
        line = lines[i]
        if line.startswith(b"--- ") and i + 1 < len(lines) and lines[i + 1].startswith(b"+++ "):
            header = line[4:].split(b"\t")[0].strip()
            taking = header.removeprefix(b"a/").lstrip(b"/") == name.encode().lstrip(b"/")
            if taking:
                out += lines[i : i + 2]
            i += 2
            continue
        m = re.match(rb"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@", line)
        if m:
            old = int(m.group(1)) if m.group(1) is not None else 1
            new = int(m.group(2)) if m.group(2) is not None else 1
            hunk = [line]
            i += 1
            while (old > 0 or new > 0 or (i < len(lines) and lines[i].startswith(b"\\"))) and i < len(lines):
                body = lines[i]
                if body.startswith(b"\\"):
                    pass
                elif body.startswith(b"-"):
                    old -= 1
                elif body.startswith(b"+"):
                    new -= 1
                else:
                    old, new = old - 1, new - 1
                hunk.append(body)
                i += 1
            if taking:
                out += hunk
            continue
        i += 1
    return b"".join(out)


# -- phase 1: the library and the command line ------------------------------------------------------


def cli_checks(item: Item, row: Row, neutral: Path, options: dict[str, Any]) -> None:
    text = decode(item.data)
    bare = library(text, None, options)
    row.cli["bare"] = bare
    row.checks["lib"] = "refused" if bare.text is None else OK
    proc = run([*command("rewrite"), "rewrite", "-"], data=item.data, cwd=neutral)
    row.checks["stdin"] = check_stdin(proc, bare)
    if item.folder is None or item.path is None:
        for name in ("stdin-name", "diff", "json"):
            row.checks[name] = NA
        return
    want = library(text, item.folder, options)
    row.cli["expected"] = want
    proc = run([*command("rewrite"), "rewrite", "--stdin-filename", str(item.path), "-"], data=item.data, cwd=neutral)
    row.checks["stdin-name"] = check_stdin(proc, want, str(item.path))
    row.cli["stdin-name"] = proc.stdout if proc.returncode == 0 else None
    diff = run([*command("rewrite"), "rewrite", "--diff", item.shown], cwd=item.folder)
    row.checks["diff"] = check_diff(diff, want, item)
    row.cli["findings"] = text_findings(diff.stderr.decode("utf-8", "replace"), item.shown)
    as_json = run([*command("rewrite"), "rewrite", "--format", "json", "--diff", item.shown], cwd=item.folder)
    row.checks["json"] = check_json(as_json, diff, item)


def check_diff(proc: subprocess.CompletedProcess[bytes], want: Expected, item: Item) -> str:
    if (tb := _traceback(proc)) is not None:
        return tb
    if want.text is None:
        if proc.returncode != 2:
            return f"FAIL library refuses the file; --diff exits {proc.returncode}"
        return _check_error_message(proc, want, item.shown)
    stderr = proc.stderr.decode("utf-8", "replace")
    plans_ignore = re.search(rb"^\+\+\+ (b/)?(\S*/)?\.dockerignore", proc.stdout, re.M) is not None
    expected_exit = 1 if (want.changed or plans_ignore) else 0
    if proc.returncode != expected_exit:
        return f"FAIL exit {proc.returncode}, expected {expected_exit} (library changed: {want.changed})"
    got = text_findings(stderr, item.shown)
    if got != want.findings:
        return "FAIL messages differ from the library's changes/skips: " + _counter_diff(got, want.findings)
    if want.changed:
        applied = apply_patch(item.data, proc.stdout, item.shown)
        if applied is None:
            return "FAIL the diff does not apply to the file"
        if applied != encode(want.text or ""):
            return "FAIL the diff applied is not the library's text: " + _first_diff(applied, encode(want.text or ""))
    elif item.shown.encode() in proc.stdout.split(b"\n", 1)[0]:
        return "FAIL a diff of the Dockerfile though the library changed nothing"
    return OK


def check_json(proc: subprocess.CompletedProcess[bytes], text_run: subprocess.CompletedProcess[bytes], item: Item) -> str:
    """The click CLI's JSON against the fast path's text output of the same run."""
    if (tb := _traceback(proc)) is not None:
        return tb
    if proc.returncode != text_run.returncode:
        return f"FAIL exit {proc.returncode}, the fast path's --diff exits {text_run.returncode}"
    try:
        (record,) = json.loads(proc.stdout)["files"]
    except (ValueError, KeyError, TypeError) as exc:
        return f"FAIL no JSON report: {exc}"
    if record["error"] is not None:
        return OK if text_run.returncode == 2 else "FAIL JSON has an error, the fast path none"
    if (record["diff"] or "").encode("utf-8", "surrogateescape") != text_run.stdout:
        return "FAIL JSON's diff is not the fast path's: " + _first_diff(
            (record["diff"] or "").encode("utf-8", "surrogateescape"), text_run.stdout
        )
    found: Counter[tuple[str, int | None, str]] = Counter()
    for c in record["changes"]:
        found[(c["rule"], c["line"], "changed")] += 1
    for s in record["skips"]:
        if s["actionable"]:
            found[(s["rule"], s["line"], "skipped")] += 1
    theirs = text_findings(text_run.stderr.decode("utf-8", "replace"), item.shown)
    if _without_context_rule(found) != theirs:
        return "FAIL JSON's changes/skips are not the fast path's messages: " + _counter_diff(
            _without_context_rule(found), theirs
        )
    return OK


# -- phase 2: the language server ------------------------------------------------------------------


class Server:
    """One ``dockopt lsp`` process and the test suite's client talking to it; its stderr kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client: DockoptClient | None = None
        self.stderr: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        client = _make_client()
        cmd = command("lsp")
        env = {k: v for k, v in os.environ.items() if k != "DOCKOPT_DEBUG"}
        await client.start_io(cmd[0], *cmd[1:], "lsp", env=env)
        forwarder = getattr(client, "_stderr_forwarder", None)
        if forwarder is not None:  # pytest-lsp copies the server's stderr to ours: keep it instead
            forwarder.cancel()
        process = client._server
        assert process is not None and process.stderr is not None
        stream = process.stderr

        async def read() -> None:
            while line := await stream.readline():
                self.stderr.append(line.decode("utf-8", "replace"))

        self._reader = asyncio.ensure_future(read())
        await client.start(self.root, options={"debounceMs": 0})
        self.client = client

    @property
    def alive(self) -> bool:
        return self.client is not None and self.client._server is not None and self.client._server.returncode is None

    async def stop(self) -> int | None:
        code: int | None = None
        if self.client is not None and self.alive:
            try:
                code = await self.client.stop_session()
            except Exception:
                code = None
        if self.client is not None:
            await self.client.stop()
        if self._reader is not None:
            self._reader.cancel()
        return code


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


async def lsp_checks(server: Server, item: Item, row: Row, version: int) -> None:
    client = server.client
    assert client is not None and item.path is not None
    want: Expected = row.cli["expected"]
    text = decode(item.data)
    if any(0xDC80 <= ord(ch) <= 0xDCFF for ch in text):
        for name in ("lsp-diag", "lsp-format", "lsp-fixall", "lsp-untitled"):
            row.checks[name] = "- not UTF-8: an editor sends no such text"
        return
    uri = item.path.as_uri()
    seen = len(client.recorder.published)
    logs = len(client.log_messages)
    errors_before = len(server.stderr)
    opened = time.perf_counter()
    client.open(uri, text, version)
    published = await client.published(uri, version, after=seen)
    row.latency = published.at - opened
    found = published.params.diagnostics
    row.checks["lsp-diag"] = check_diagnostics(found, want, text)
    cli_out: bytes | None = row.cli.get("stdin-name")
    target = decode(cli_out) if cli_out is not None else text
    edits = await client.format(uri)
    formatted = apply_edits(text, edits)
    row.checks["lsp-format"] = OK if formatted == target else "FAIL formatting: " + _first_diff(
        encode(formatted), encode(target)
    )
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=text.count("\n") + 1, character=0))
    actions = await client.actions(uri, whole, found, only=["source.fixAll.dockopt"])
    fixes = [a for a in actions if a.kind == "source.fixAll.dockopt"]
    if cli_out is None or target == text:
        row.checks["lsp-fixall"] = OK if not fixes else f"FAIL {len(fixes)} fix-all action(s) on a file the CLI leaves alone"
    elif len(fixes) != 1:
        row.checks["lsp-fixall"] = f"FAIL {len(fixes)} fix-all actions, expected 1"
    else:
        fixed = apply_workspace_edit(text, uri, fixes[0].edit)
        row.checks["lsp-fixall"] = OK if fixed == target else "FAIL fix-all: " + _first_diff(encode(fixed), encode(target))
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    # The same text in a buffer with no file behind it: no build context, as `dockopt rewrite -`.
    bare: Expected = row.cli["bare"]
    untitled = f"untitled:Untitled-{version}"
    seen = len(client.recorder.published)
    client.open(untitled, text, version)
    await client.published(untitled, version, after=seen)
    formatted = apply_edits(text, await client.format(untitled))
    wanted = bare.text if bare.text is not None else text
    row.checks["lsp-untitled"] = OK if formatted == wanted else "FAIL formatting without a file: " + _first_diff(
        encode(formatted), encode(wanted)
    )
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=untitled))
    )
    trouble = [line for line in server.stderr[errors_before:] if "Traceback" in line or "ERROR" in line]
    trouble += [m.message for m in client.log_messages[logs:] if m.type == types.MessageType.Error]
    if trouble:
        row.checks["lsp-stderr"] = "FAIL " + trouble[0].strip()[:200]


def check_diagnostics(found: list[types.Diagnostic], want: Expected, text: str) -> str:
    if want.text is None:
        assert want.error is not None
        line, col, message = want.error
        errors = [d for d in found if d.severity == types.DiagnosticSeverity.Error]
        if len(found) != 1 or len(errors) != 1:
            return f"FAIL {len(found)} diagnostics ({len(errors)} errors) for a file the CLI refuses; expected 1 error"
        lines = text.split("\n")
        character = _utf16(lines[line - 1][: col - 1]) if line <= len(lines) else 0
        start = (errors[0].range.start.line, errors[0].range.start.character)
        lsp_line = text[: sum(len(x) + 1 for x in lines[: line - 1])]
        expected_line = len(re.findall(r"\r\n|\n|\r", lsp_line))  # LSP counts a lone \r as a line end too
        if start != (expected_line, character):
            return f"FAIL error at {start}, the CLI says {line}:{col} (LSP {expected_line}:{character})"
        if errors[0].message != message:
            return f"FAIL error message {errors[0].message!r}, the CLI's {message!r}"
        return OK
    got: Counter[tuple[str, int | None, str]] = Counter()
    hints: Counter[tuple[str, int | None]] = Counter()
    for d in found:
        data = d.data if isinstance(d.data, dict) else {}
        kind = data.get("kind")
        if kind == "change" and d.severity == types.DiagnosticSeverity.Warning:
            got[(str(d.code), data.get("line"), "changed")] += 1
        elif kind == "skip" and d.severity == types.DiagnosticSeverity.Information:
            got[(str(d.code), data.get("line"), "skipped")] += 1
        elif kind == "skip" and d.severity == types.DiagnosticSeverity.Hint:
            hints[(str(d.code), data.get("line"))] += 1
        else:
            return f"FAIL unexpected diagnostic: {d.severity} {d.code} {d.message[:120]}"
    if got != want.findings:
        return "FAIL diagnostics differ from the CLI's changes/skips: " + _counter_diff(got, want.findings)
    if hints != want.hints:
        return "FAIL hints differ from the library's skips that ask nothing: " + _counter_diff(hints, want.hints)
    return OK


async def lsp_phase(items: list[Item], rows: dict[str, Row], root: Path) -> dict[str, Any]:
    server = Server(root)
    await server.start()
    restarts = 0
    for n, item in enumerate(items, 1):
        row = rows[item.key]
        if item.path is None or "expected" not in row.cli:
            continue
        print(f"[lsp {n}/{len(items)}] {item.key}", file=sys.stderr, flush=True)
        try:
            await asyncio.wait_for(lsp_checks(server, item, row, n), TIMEOUT)
        except Exception as exc:
            crashed = not server.alive
            row.checks["lsp-diag"] = ("FAIL server died: " if crashed else "FAIL ") + scan._short(exc)
            await server.stop()
            server = Server(root)
            await server.start()
            restarts += 1
    code = await server.stop()
    tail = "".join(server.stderr)
    return {"restarts": restarts, "exit": code, "traceback": "Traceback" in tail}


# -- phase 3: dockopt batch ------------------------------------------------------------------------


def work_tree(entry: scan.Entry, fleet: Path) -> Path | None:
    """The snapshot at the scan's commit as a git repository with a work tree (one commit), in ``fleet``."""
    if not entry.mirror.is_dir():
        return None
    target = fleet / entry.repo.replace("/", "+")
    if target.is_dir():
        return target
    target.mkdir(parents=True)
    archive = target / ".src.tar"
    with archive.open("wb") as fh:
        done = subprocess.run(
            ["git", "--git-dir", str(entry.mirror), "archive", "--format=tar", entry.commit or "HEAD"],
            stdout=fh, stderr=subprocess.DEVNULL, check=False,
        )
    if done.returncode == 0:
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="tar")
    else:
        unpack_present(entry.mirror, [entry.commit or "HEAD"], target)
    archive.unlink()
    env = {**os.environ, "GIT_AUTHOR_NAME": "paths", "GIT_AUTHOR_EMAIL": "paths@localhost",
           "GIT_COMMITTER_NAME": "paths", "GIT_COMMITTER_EMAIL": "paths@localhost"}
    for args in (["init", "-q"], ["add", "-A", "-f"], ["commit", "-q", "--no-verify", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=target, env=env, capture_output=True, check=True)
    return target


def batch_phase(entries: list[scan.Entry], repos: list[str], mode: str = "default") -> tuple[list[Row], dict[str, Any]]:
    rows: list[Row] = []
    info: dict[str, Any] = {}
    by_repo = {e.repo: e for e in entries}
    with tempfile.TemporaryDirectory(prefix="dockopt-paths-") as tmp:
        fleet = Path(tmp) / "fleet"
        fleet.mkdir()
        if CONFIGS[mode]:
            (Path(tmp) / ".dockopt.toml").write_text(CONFIGS[mode])  # above the repositories: applies to all
        trees = {}
        for repo in repos:
            if repo in by_repo:
                tree = work_tree(by_repo[repo], fleet)
                if tree is not None:
                    trees[tree.name] = tree
        info["repositories"] = sorted(trees)
        rows, more = _batch(fleet, trees, jobs=2)  # the process pool, as a fleet run uses it
        info.update(more)
    return rows, info


def _expected_outcome(cli: dict[str, Any], path: Path) -> set[str]:
    if path.is_symlink():
        return {"skipped-file"}
    if cli["error"] is not None:
        return {"error"}
    if cli["skipped_file"] or cli["excluded"]:
        return {"skipped-file"}
    return {"changed"} if (cli["changed"] or cli["new_files"]) else {"unchanged"}


def check_batch_file(record: dict[str, Any], cli: dict[str, Any] | None, tree: Path) -> str:
    if cli is None:
        return "FAIL the CLI gave no record for this file"
    path = tree / record["path"]
    outcome = record["outcome"]
    wanted = _expected_outcome(cli, path)
    if outcome == "skipped-file" and record.get("reason") and ("binary" in record["reason"] or "MiB" in record["reason"]):
        wanted.add("skipped-file")
    if outcome not in wanted:
        return f"FAIL outcome {outcome}, the CLI's would be {sorted(wanted)} ({record.get('reason') or record.get('error')})"
    if outcome == "error":
        err, theirs = record["error"] or {}, cli["error"]
        if (err.get("line"), err.get("column")) != (theirs["line"], theirs["column"]):
            return f"FAIL error at {err.get('line')}:{err.get('column')}, the CLI's at {theirs['line']}:{theirs['column']}"
        return OK
    if outcome == "skipped-file":
        return OK
    mine = Counter((c["rule"], c["line"]) for c in record["changes"])
    theirs_c = Counter((c["rule"], c["line"]) for c in cli["changes"])
    if mine != theirs_c:
        return "FAIL changes differ from the CLI's: " + _counter_diff(mine, theirs_c)
    if (record["diff"] or "") != (cli["diff"] or ""):
        return "FAIL diff differs from the CLI's: " + _first_diff(
            (record["diff"] or "").encode("utf-8", "surrogateescape"), (cli["diff"] or "").encode("utf-8", "surrogateescape")
        )
    return OK


def check_branch(record: dict[str, Any], cli_out: bytes | None, tree: Path, branch: str) -> str:
    if record["outcome"] != "changed":
        return OK
    if cli_out is None:
        return "FAIL batch committed a file the CLI refuses"
    shown = subprocess.run(["git", "show", f"{branch}:{record['path']}"], cwd=tree, capture_output=True, check=False)
    if shown.returncode != 0:
        return f"FAIL not on branch {branch}: {shown.stderr.decode()[:200]}"
    if shown.stdout == (tree / record["path"]).read_bytes() and cli_out != shown.stdout:
        return "FAIL the branch holds the file unchanged"
    return OK if shown.stdout == cli_out else "FAIL committed bytes are not the CLI's: " + _first_diff(shown.stdout, cli_out)


def check_written(record: dict[str, Any], cli_out: bytes | None, path: Path) -> str:
    if record["outcome"] != "changed":
        return OK
    if cli_out is None:
        return "FAIL batch wrote a file the CLI refuses"
    data = path.read_bytes()
    return OK if data == cli_out else "FAIL written bytes are not the CLI's: " + _first_diff(data, cli_out)


def check_totals(totals: dict[str, Any], files: list[dict[str, Any]], cli: dict[tuple[str, str], dict[str, Any]]) -> str:
    outcomes = Counter(f["outcome"] for f in files)
    want = {
        "files": len(files),
        "changed": outcomes["changed"],
        "unchanged": outcomes["unchanged"],
        "errors": outcomes["error"],
        "skipped_files": outcomes["skipped-file"],
        "changes": sum(len(c["changes"]) for k, c in cli.items() if _counted(k, files)),
        "new_files": sum(len(c["new_files"]) for k, c in cli.items() if _counted(k, files)),
    }
    wrong = {k: (totals.get(k), v) for k, v in want.items() if totals.get(k) != v}
    return OK if not wrong else f"FAIL totals (report, expected): {wrong}"


def check_summary(proc: subprocess.CompletedProcess[bytes], files: list[dict[str, Any]], repos: int) -> str:
    """The closing line on stderr and the exit status, against the file records."""
    outcomes = Counter(f["outcome"] for f in files)
    want_exit = 1 if outcomes["error"] else 0
    if proc.returncode != want_exit:
        return f"FAIL exit {proc.returncode} with {outcomes['error']} files in error"
    parts = [f"{outcomes['changed']} would be rewritten", f"{outcomes['unchanged']} unchanged"]
    if outcomes["skipped-file"]:
        parts.append(f"{outcomes['skipped-file']} skipped")
    if outcomes["error"]:
        parts.append(f"{outcomes['error']} error" + ("s" if outcomes["error"] != 1 else ""))
    repos_text = f"{repos} repositor" + ("ies" if repos != 1 else "y")
    files_text = f"{len(files)} Dockerfile" + ("s" if len(files) != 1 else "")
    line = f"dockopt batch: {repos_text}, {files_text}: {', '.join(parts)}."
    stderr = proc.stderr.decode("utf-8", "replace").splitlines()
    if line not in stderr:
        return f"FAIL closing line {stderr[-1:]} , expected {line!r}"
    errors = [f for f in files if f["outcome"] == "error"]
    shown = [x for x in stderr if x != line]
    missing = [f["path"] for f in errors if not any(x.endswith(f["error"]["text"]) for x in shown)]
    if missing:
        return f"FAIL files in error without their line on stderr: {missing[:3]}"
    return OK


def _counted(key: tuple[str, str], files: list[dict[str, Any]]) -> bool:
    return any((f["repository"], f["path"]) == key and f["outcome"] in ("changed", "unchanged") for f in files)


# -- reporting ---------------------------------------------------------------------------------------

COLUMNS = ["lib", "stdin", "stdin-name", "diff", "json", "lsp-diag", "lsp-format", "lsp-fixall", "lsp-untitled", "lsp-stderr"]


def report(rows: list[Row], *, verbose: bool, extra: dict[str, Any]) -> str:
    lines: list[str] = []
    shown = rows if verbose else [r for r in rows if any(v.startswith("FAIL") for v in r.checks.values())]
    width = max([len(r.key) for r in shown] + [4])
    cols = [c for c in [*COLUMNS, "batch", "batch-branch", "batch-write"] if any(c in r.checks for r in rows)]
    if shown:
        lines.append(f"{'file':<{width}}  " + "  ".join(f"{c:<10}" for c in cols))
        for r in shown:
            lines.append(f"{r.key:<{width}}  " + "  ".join(f"{scan.cell(r.checks.get(c)):<10}" for c in cols))
        lines.append("")
    for r in rows:
        for c, v in r.checks.items():
            if v.startswith("FAIL"):
                lines.append(f"{r.key} [{c}]: {v}")
    lines.append(f"files: {len([r for r in rows if not r.key.startswith('batch ')])}")
    lines.append("| check | ok | n.a. / refused | failed |")
    lines.append("|---|---|---|---|")
    for c in cols:
        values = [r.checks[c] for r in rows if c in r.checks]
        ok = sum(v.startswith("ok") for v in values)
        fail = sum(v.startswith("FAIL") for v in values)
        lines.append(f"| {c} | {ok} | {len(values) - ok - fail} | {fail} |")
    timed = sorted((r.latency, r.key) for r in rows if r.latency is not None)
    if timed:
        values = [t for t, _ in timed]
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        lines.append(
            f"didOpen → diagnostics over {len(values)} files: median {statistics.median(values) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms"
        )
        lines.append("slowest: " + ", ".join(f"{k} {t * 1000:.0f} ms" for t, k in reversed(timed[-5:])))
    for k, v in extra.items():
        lines.append(f"{k}: {v}")
    return "\n".join(lines)


def failed(rows: list[Row], extra: dict[str, Any]) -> bool:
    return any(v.startswith("FAIL") for r in rows for v in r.checks.values()) or any(
        isinstance(v, str) and v.startswith("FAIL") for v in _flat(extra)
    )


def _flat(d: Any) -> Iterator[Any]:
    if isinstance(d, dict):
        for v in d.values():
            yield from _flat(v)
    else:
        yield d


# -- the run -----------------------------------------------------------------------------------------


def items_of(entries: list[scan.Entry], texts: Path | None) -> list[Item]:
    out = []
    for entry in entries:
        cached = scan.fetch_text(entry, texts)
        ctx = scan.context_dir(entry)
        name = Path(entry.path).name
        real = ctx / name if ctx is not None else None
        if real is not None and real.is_file():
            out.append(Item(entry.key, real.read_bytes(), ctx, name))
        elif cached is not None:
            out.append(Item(entry.key, cached.read_bytes(), None, name))
    return out


#: The settings of a mode as a config file (the library gets them as scan.MODES' options): every path
#: must find it, the CLI and the server from the file's folder upwards, batch from above the repository.
CONFIGS = {"default": "", "uv+cache": 'installer = "uv"\ncache_mounts = true\n'}


def check_all(
    items: list[Item], *, lsp: bool, jobs: int, root: Path, mode: str = "default"
) -> tuple[list[Row], dict[str, Any]]:
    rows = {item.key: Row(item.key) for item in items}
    options = scan.MODES[mode]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dockopt-paths-ws-") as tmp, ThreadPoolExecutor(jobs) as pool:
        neutral = Path(tmp)
        if CONFIGS[mode]:
            # A workspace whose config applies to every file: each folder linked into it (config discovery
            # walks the path as given, not the link's target), the config at its top.
            (neutral / ".dockopt.toml").write_text(CONFIGS[mode])
            root = neutral
            items = [
                Item(it.key, it.data, _link(neutral / f"f{i}", it.folder), it.name, linked=True) if it.folder is not None else it
                for i, it in enumerate(items)
            ]
        done = 0

        def one(item: Item) -> None:
            nonlocal done
            try:
                cli_checks(item, rows[item.key], neutral, options)
            except Exception as exc:
                rows[item.key].checks["cli"] = "FAIL " + scan._short(exc)
            done += 1
            print(f"[cli {done}/{len(items)}] {item.key}", file=sys.stderr, flush=True)

        list(pool.map(one, items))
        extra: dict[str, Any] = {"mode": mode, "cli seconds": round(time.monotonic() - started)}
        if lsp:
            started = time.monotonic()
            extra["lsp server"] = asyncio.run(lsp_phase(items, rows, root))
            extra["lsp seconds"] = round(time.monotonic() - started)
    return list(rows.values()), extra


def _link(link: Path, target: Path) -> Path:
    link.symlink_to(target, target_is_directory=True)
    return link


@contextmanager
def planted(kind: str, code: str) -> Iterator[None]:
    """Run ``kind``'s command through a wrapper that executes ``code`` before dockopt's entry point."""
    saved = COMMANDS[kind]
    COMMANDS[kind] = [sys.executable, "-c", code + "\nfrom dockopt.entry import main\nmain()\n"]
    try:
        yield
    finally:
        COMMANDS[kind] = saved


CONTROL_FILES = {
    "changed": scan.CONTROL_TEXT,
    "refused": "FROM python:3.12\nRUN true\nFOO bar\n",
    "unchanged": "FROM python:3.12-slim\nCMD [\"python\"]\n",
    # unchanged, with a skip that asks nothing (DO002: a split would shed nothing from a slim base)
    "hint": "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n",
}


def controls() -> int:
    """Negative controls: each planted fault must fail its own check; nothing fails without one."""
    faults: dict[str, tuple[set[str], str, str] | tuple[set[str], str, str, str]] = {
        "none": (set(), "rewrite", ""),
        "none, config mode": (set(), "rewrite", "", "uv+cache"),
        "server ignores config": ({"lsp-diag", "lsp-format", "lsp-fixall", "lsp-untitled"}, "lsp",
            "import dockopt.lsp.settings as s, dockopt.config as c\ns.Resolver = lambda: c.Resolver(isolated=True)",
            "uv+cache"),
        "stdin output differs": ({"stdin", "stdin-name"}, "rewrite",
            "import dockopt.textio as t\nw = t.write_stdout\nt.write_stdout = lambda d: w(d + b'#')"),
        "--diff exit 0": ({"diff"}, "rewrite",
            "import dockopt.rewriting as r\ne = r.exit_code\nr.exit_code = lambda rep, mode: 0 if e(rep, mode) == 1 else e(rep, mode)"),
        "message line off": ({"diff"}, "rewrite",
            "import dockopt.report as r\nw = r._where\nr._where = lambda p, n: w(p, n + 1 if n else n)"),
        "error column off": ({"stdin", "stdin-name", "diff"}, "rewrite",
            "import dockopt.syntax as s\nf = s.ParseError.format\ns.ParseError.format = lambda self, name: f(self, name).replace(f':{self.column}:', f':{self.column + 1}:', 1)"),
        "formatting differs": ({"lsp-format", "lsp-untitled"}, "lsp",
            "import dockopt.lsp.server as s\nf = s.format_edits\n"
            "def g(a, i):\n    out = f(a, i)\n    for e in out: e.new_text += '#'\n    return out\ns.format_edits = g"),
        "no fix-all": ({"lsp-fixall"}, "lsp",
            "import dockopt.lsp.server as s\nf = s.code_actions\ns.code_actions = lambda *a: [x for x in f(*a) if x.kind != 'source.fixAll.dockopt']"),
        "hint as information": ({"lsp-diag"}, "lsp",
            "import dockopt.lsp.diagnostics as d\nfrom lsprotocol import types as T\nd.skip_severity = lambda s: T.DiagnosticSeverity.Information"),
        "diagnostic dropped": ({"lsp-diag"}, "lsp",
            "import dockopt.lsp.server as s\nf = s.diagnostics\ns.diagnostics = lambda a, i: f(a, i)[1:]"),
        "error diagnostic moved": ({"lsp-diag"}, "lsp",
            "import dockopt.lsp.diagnostics as d\nfrom lsprotocol import types as T\nf = d._error\n"
            "d._error = lambda r, m, c: f(T.Range(start=T.Position(line=r.start.line + 1, character=0), end=r.end), m, c)"),
        "server traceback": ({"lsp-stderr"}, "lsp",
            "import dockopt.lsp.server as s, sys\nf = s.format_edits\n"
            "def g(a, i):\n    print('Traceback (most recent call last):', file=sys.stderr, flush=True)\n    return f(a, i)\ns.format_edits = g"),
        "server crash": ({"lsp-diag"}, "lsp",
            "import dockopt.lsp.server as s, os\ns.format_edits = lambda a, i: os._exit(3)"),
    }
    batch_faults: dict[str, tuple[str, str]] = {
        "none": ("", ""),
        "batch writes other bytes": ("batch-write",
            "import dockopt.fileio as f\nw = f.write_atomic\nf.write_atomic = lambda p, d, **k: w(p, d + b'#', **k)"),
        "batch summary off": ("summary",
            "import dockopt.batch.summary as s\nf = s.lines\ns.lines = lambda r: [x.replace(' unchanged', ' unchanged, 1 skipped') for x in f(r)]"),
        "batch commits other bytes": ("batch-branch",
            "import dockopt.batch.repository as j\nb = j.rewrite_bytes\n"
            "def g(job, data, **k):\n    rep, new = b(job, data, **k)\n"
            "    import sys\n    return rep, (new + '#' if new is not None and '--git-branch' in sys.argv else new)\nj.rewrite_bytes = g"),
        "batch totals off": ("totals",
            "import dockopt.batch.totals as t\nc = t.compute\n"
            "def g(*a):\n    out = c(*a)\n    out['changes'] += 1\n    return out\nt.compute = g"),
        "batch outcome off": ("batch",
            "import dockopt.batch.repository as j\nb = j.rewrite_bytes\n"
            "def g(job, data, **k):\n    rep, new = b(job, data, **k)\n    rep.changes = rep.changes[1:]\n    return rep, new\nj.rewrite_bytes = g"),
    }
    failures = 0
    with tempfile.TemporaryDirectory(prefix="dockopt-paths-controls-") as tmp:
        root = Path(tmp)
        items = []
        for name, text in CONTROL_FILES.items():
            folder = root / name
            folder.mkdir()
            (folder / "Dockerfile").write_text(text)
            (folder / "requirements.txt").write_text("flask\n")
            items.append(Item(f"control:{name}", text.encode(), folder, "Dockerfile"))
        for fault, (columns, kind, code, *mode) in faults.items():
            with planted(kind, code) if code else _nothing():
                rows, extra = check_all(items, lsp=True, jobs=1, root=root, mode=mode[0] if mode else "default")
            bad = {c for r in rows for c, v in r.checks.items() if v.startswith("FAIL")}
            good = (columns <= bad and bool(bad)) if columns else not bad and not failed(rows, extra)
            failures += not good
            print(f"{'ok  ' if good else 'MISS'} {fault:<24} expect FAIL in {sorted(columns) or 'no check'}: got {sorted(bad)}")
        # batch: a fleet of one repository holding the control files
        fleet_root = root / "batchfleet"
        for fault, (column, code) in batch_faults.items():
            if fleet_root.exists():
                shutil.rmtree(fleet_root)
            repo = fleet_root / "control"
            for name, text in CONTROL_FILES.items():
                (repo / name).mkdir(parents=True)
                (repo / name / "Dockerfile").write_text(text)
                (repo / name / "requirements.txt").write_text("flask\n")
            env = {**os.environ, "GIT_AUTHOR_NAME": "c", "GIT_AUTHOR_EMAIL": "c@l", "GIT_COMMITTER_NAME": "c",
                   "GIT_COMMITTER_EMAIL": "c@l"}
            for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "c"]):
                subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, check=True)
            with planted("batch", code) if code else _nothing():
                rows, info = batch_on(fleet_root)
            bad = {c for r in rows for c, v in r.checks.items() if v.startswith("FAIL")}
            bad |= {k for k, v in info.items() if isinstance(v, str) and v.startswith("FAIL")}
            good = column in bad if column else not bad and len(rows) == len(CONTROL_FILES)
            failures += not good
            print(f"{'ok  ' if good else 'MISS'} {fault:<24} expect FAIL in {column or 'no check'}: got {sorted(bad)}")
    return 1 if failures else 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def batch_on(fleet: Path) -> tuple[list[Row], dict[str, Any]]:
    """The batch phase on an existing fleet folder (its repositories already git work trees)."""
    trees = {p.name: p for p in fleet.iterdir() if (p / ".git").exists()}
    return _batch(fleet, trees)


def _batch(fleet: Path, trees: dict[str, Path], jobs: int = 1) -> tuple[list[Row], dict[str, Any]]:
    """``dockopt batch`` (dry run, then --write) on ``fleet`` against the CLI on the same files."""
    rows: list[Row] = []
    info: dict[str, Any] = {}
    dry_report = fleet.parent / "dry.json"
    dry = run([*command("batch"), "batch", str(fleet), "--report", str(dry_report), "-j", str(jobs)])
    if (tb := _traceback(dry)) is not None or not dry_report.is_file():
        info["dry"] = tb or f"FAIL no report (exit {dry.returncode}): {dry.stderr.decode()[-300:]}"
        return rows, info
    report = json.loads(dry_report.read_text())
    files = sorted(report["files"], key=lambda f: (f["repository"], f["path"]))
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    stdin_out: dict[tuple[str, str], bytes | None] = {}
    for ident, tree in sorted(trees.items()):
        paths = [f["path"] for f in files if f["repository"] == ident]
        if not paths:
            continue
        proc = run([*command("rewrite"), "rewrite", "--format", "json", "--diff", *paths], cwd=tree)
        for record in json.loads(proc.stdout)["files"]:
            expected[(ident, record["path"])] = record
        for p in paths:
            one = run([*command("rewrite"), "rewrite", "--stdin-filename", str(tree / p), "-"],
                      data=(tree / p).read_bytes() if (tree / p).is_file() else b"", cwd=fleet.parent)
            stdin_out[(ident, p)] = one.stdout if one.returncode == 0 else None
    for f in files:
        row = Row(f"batch {f['repository']}:{f['path']}")
        row.checks["batch"] = check_batch_file(f, expected.get((f["repository"], f["path"])), trees[f["repository"]])
        rows.append(row)
    info["outcomes"] = dict(sorted(Counter(f["outcome"] for f in files).items()))
    info["totals"] = check_totals(report["totals"], files, expected)
    info["summary"] = check_summary(dry, files, len(trees))
    # --git-branch: the commit's blobs, made from HEAD's blobs and HEAD's context copied to a scratch folder
    branched = fleet.parent / "branch.json"
    branch = "dockopt/paths-check"
    made = run([*command("batch"), "batch", str(fleet), "--git-branch", branch, "--report", str(branched), "-j", str(jobs)])
    info["git-branch"] = _traceback(made) or (OK if branched.is_file() else f"FAIL no report (exit {made.returncode})")
    if branched.is_file():
        for f in json.loads(branched.read_text())["files"]:
            key = (f["repository"], f["path"])
            row = next(r for r in rows if r.key == f"batch {key[0]}:{key[1]}")
            row.checks["batch-branch"] = check_branch(f, stdin_out.get(key), trees[key[0]], branch)
    # --write: the bytes each changed file is left with
    written = fleet.parent / "write.json"
    wrote = run([*command("batch"), "batch", str(fleet), "--write", "--report", str(written), "-j", str(jobs)])
    info["write"] = _traceback(wrote) or (OK if written.is_file() else f"FAIL no report (exit {wrote.returncode})")
    if written.is_file():
        for f in json.loads(written.read_text())["files"]:
            key = (f["repository"], f["path"])
            row = next(r for r in rows if r.key == f"batch {key[0]}:{key[1]}")
            row.checks["batch-write"] = check_written(f, stdin_out.get(key), trees[key[0]] / key[1])
    return rows, info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--manifest", type=Path, default=scan.MANIFEST)
    ap.add_argument("--texts", type=Path, help="as scan.py's --texts")
    ap.add_argument("--only", nargs="*", default=[], help="only entries whose repo:path holds one of these")
    ap.add_argument("--limit", type=int, help="at most this many files (after --only)")
    ap.add_argument("--no-lsp", action="store_true", help="skip the language server phase")
    ap.add_argument("--mode", choices=sorted(scan.MODES), default="default",
                    help="the settings: default, or uv+cache (installer uv, cache mounts) from a config file")
    ap.add_argument("--batch", nargs="*", metavar="REPO", help=f"also run dockopt batch on these (default {BATCH_REPOS})")
    ap.add_argument("--jobs", type=int, default=2, help="files whose CLI checks run at once (default 2)")
    ap.add_argument("--verbose", action="store_true", help="a row for every file")
    ap.add_argument("--json", type=Path, help="also write every row here")
    ap.add_argument("--controls", action="store_true", help="run the negative controls")
    args = ap.parse_args(argv)
    if args.controls:
        return controls()
    entries = [e for e in scan.load(args.manifest) if not args.only or any(s in e.key for s in args.only)]
    if args.limit is not None:
        entries = entries[: args.limit]
    items = items_of(entries, args.texts)
    rows, extra = check_all(items, lsp=not args.no_lsp, jobs=args.jobs, root=scan.CACHE / "src", mode=args.mode)
    if args.batch is not None:
        batch_rows, info = batch_phase(scan.load(args.manifest), args.batch or BATCH_REPOS, args.mode)
        rows += batch_rows
        extra["batch"] = info
    if args.json:
        args.json.write_text(json.dumps(
            [{"file": r.key, "checks": r.checks, "latency": r.latency} for r in rows], indent=1))
    print(report(rows, verbose=args.verbose, extra=extra))
    return 1 if failed(rows, extra) else 0


if __name__ == "__main__":
    sys.exit(main())
