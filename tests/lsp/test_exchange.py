"""The language server over stdio, driven by a real client: open, diagnostics, actions, formatting, errors, exit.

Every test starts ``dockopt lsp`` as a subprocess and talks JSON-RPC to it
(pytest-lsp's client, which also checks the server's answers against the
client capabilities it announced). Expected texts come from running the real
``dockopt rewrite`` command on the same bytes.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from lsprotocol import types

from dockopt.report import rule_url
from tests.cli.conftest import dockopt_command
from tests.conftest import FIXTURES
from tests.lsp.conftest import DockoptClient, apply_edits, apply_workspace_edit, cli_rewrite

pytestmark = pytest.mark.asyncio

SERVICE = FIXTURES / "lsp" / "service"

#: Lines 2-3: an indented two-line RUN that run-cleanup changes; 4-6: a heredoc RUN it declines (advice);
#: 7: a base slim-base declines with advice.
RANGES = 'FROM python:3.12-slim\n  RUN apt-get update \\\n    && apt-get install -y curl\nRUN <<EOF\npip install flask\nEOF\nFROM python:${PY}\nCMD ["python"]\n'


def _service(tmp_path: Path, *, crlf: bool = False) -> tuple[Path, str]:
    """A copy of the 200-line service fixture (Dockerfile, requirements.txt, app.py) in ``tmp_path/service``."""
    folder = tmp_path / "service"
    folder.mkdir()
    for item in SERVICE.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    path = folder / "Dockerfile"
    text = path.read_bytes().decode()
    if crlf:
        text = text.replace("\n", "\r\n")
        path.write_bytes(text.encode())
    return path, text


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def _cli_report(path: Path, text: str, *extra: str) -> dict[str, object]:
    proc = subprocess.run(
        [*dockopt_command(), "rewrite", "--format", "json", *extra, "--stdin-filename", str(path), "-"],
        input=text.encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    files = json.loads(proc.stdout)["files"]
    assert isinstance(files, list)
    return dict(files[0])


def _at(line: int, character: int = 0) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=character), end=types.Position(line=line, character=character)
    )


def _span(d: types.Diagnostic) -> tuple[int, int, int, int]:
    return (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)


# -- initialize --------------------------------------------------------------------------------------


@pytest.mark.parametrize("editor", ["visual-studio-code", "neovim"])
async def test_initialize_says_what_the_server_does(client: DockoptClient, editor: str) -> None:
    result = await client.start(editor=editor)
    caps = result.capabilities
    assert result.server_info is not None and result.server_info.name == "dockopt"
    sync = caps.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.open_close and sync.change == types.TextDocumentSyncKind.Full
    assert caps.document_formatting_provider
    assert isinstance(caps.code_action_provider, types.CodeActionOptions)
    assert set(caps.code_action_provider.code_action_kinds or []) == {"quickfix", "source.fixAll.dockopt"}


# -- diagnostics ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("editor", ["visual-studio-code", "neovim"])
async def test_open_publishes_what_the_cli_reports(client: DockoptClient, tmp_path: Path, editor: str) -> None:
    path, text = _service(tmp_path)
    await client.start(tmp_path, editor=editor)
    uri = client.open(path, text)
    published = (await client.published(uri, version=1)).params
    report = _cli_report(path, text)
    changes = report["changes"]
    skips = report["skips"]
    assert isinstance(changes, list) and isinstance(skips, list) and changes, "the fixture must have changes"
    expected = sorted(
        [(c["rule"], c["line"], c["message"], types.DiagnosticSeverity.Warning) for c in changes]
        + [(s["rule"], s["line"], f"not rewritten: {s['message']}", None) for s in skips]
    )
    got = sorted(
        (
            d.code,
            d.range.start.line + 1,
            d.message,
            d.severity if d.severity == types.DiagnosticSeverity.Warning else None,
        )
        for d in published.diagnostics
    )
    assert got == expected
    for d in published.diagnostics:
        assert d.source == "dockopt"
        assert isinstance(d.code, str)
        assert d.code_description is not None and d.code_description.href == rule_url(d.code)
        assert d.code_description.href.endswith(f"/docs/rules/{d.code}.md")


async def test_ranges_cover_the_instruction_and_skips_are_information_or_hints(
    client: DockoptClient, tmp_path: Path
) -> None:
    path = _write(tmp_path / "Dockerfile", RANGES)
    other = _write(tmp_path / "ubuntu" / "Dockerfile", "FROM ubuntu:22.04\nRUN echo hi\n")
    await client.start(tmp_path)
    uri = client.open(path, RANGES)
    found = {(d.code, d.range.start.line): d for d in (await client.published(uri, 1)).params.diagnostics}
    run = found[("DO006", 1)]  # the two-line RUN, indent included, to the end of its last line
    assert run.severity == types.DiagnosticSeverity.Warning
    assert _span(run) == (1, 0, 2, len("    && apt-get install -y curl"))
    heredoc = found[("DO006", 3)]  # "add the package-manager cleanup by hand": advice
    assert heredoc.severity == types.DiagnosticSeverity.Information
    assert _span(heredoc) == (3, 0, 5, 3)  # through the heredoc's terminator
    pin = found[("DO004", 6)]  # "uses ${PY}, which no ARG ... declares": the user can act on it
    assert pin.severity == types.DiagnosticSeverity.Information
    ubuntu = client.open(other, "FROM ubuntu:22.04\nRUN echo hi\n")
    (hint,) = (await client.published(ubuntu, 1)).params.diagnostics
    assert hint.code == "DO004" and hint.severity == types.DiagnosticSeverity.Hint  # nothing to do about it
    assert hint.message.startswith("not rewritten: `ubuntu:22.04` is not an official image")


@pytest.mark.parametrize(("encoding", "units"), [("utf-16", 2), ("utf-8", 4), ("utf-32", 1)])
async def test_columns_are_in_the_negotiated_encoding(
    client: DockoptClient, tmp_path: Path, encoding: str, units: int
) -> None:
    text = "FROM python:3.12-slim\nRUN echo 🐳 && pip install flask\n"
    path = _write(tmp_path / "Dockerfile", text)
    result = await client.start(tmp_path, encodings=[encoding])
    assert result.capabilities.position_encoding == encoding
    uri = client.open(path, text)
    (d,) = [d for d in (await client.published(uri, 1)).params.diagnostics if d.code == "DO006"]
    assert d.range.end == types.Position(line=1, character=len("RUN echo  && pip install flask") + units)


async def test_a_syntax_error_is_an_error_at_its_position_and_the_server_lives_on(
    client: DockoptClient, tmp_path: Path
) -> None:
    path, text = _service(tmp_path)
    await client.start(tmp_path, options={"debounceMs": 0})
    uri = client.open(path, text)
    await client.published(uri, 1)
    broken = text.replace("ENV FEATURE_FLAG_07=off\n", "ENV FEATURE_FLAG_07\n")
    line = text.splitlines().index("ENV FEATURE_FLAG_07=off")
    client.change(uri, 2, broken)
    (error,) = (await client.published(uri, 2)).params.diagnostics
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.source == "dockopt" and error.code == "syntax"
    assert error.message == "ENV must have two arguments"
    assert error.range.start == types.Position(line=line, character=0)  # dockopt says line:col = N:1
    assert error.range.end == types.Position(line=line, character=len("ENV FEATURE_FLAG_07"))
    assert await client.format(uri) == []  # nothing to format in a file that does not parse
    assert await client.actions(uri, _at(line), [error]) == []
    client.change(uri, 3, text)  # fixed again: the findings come back
    again = (await client.published(uri, 3)).params.diagnostics
    assert again and all(d.severity != types.DiagnosticSeverity.Error for d in again)


@pytest.mark.parametrize(
    "text",
    ["# escape=x\nFROM python:3.12-slim\n", 'FROM python:3.12-slim\n    ENV ONLY_A_NAME\nCMD ["python"]\n'],
    ids=["directive", "indented"],
)
async def test_a_syntax_error_inside_a_line_is_at_the_clis_line_and_column(
    client: DockoptClient, tmp_path: Path, text: str
) -> None:
    path = _write(tmp_path / "Dockerfile", text)
    proc = subprocess.run([*dockopt_command(), "parse", "-"], input=text.encode(), capture_output=True, check=False)
    assert proc.returncode == 2
    _name, line, column, message = proc.stderr.decode().splitlines()[0].split(":", 3)  # <stdin>:LINE:COL: message
    assert int(column) > 1
    await client.start(tmp_path)
    uri = client.open(path, text)
    (error,) = (await client.published(uri, 1)).params.diagnostics
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.message == message.strip()
    assert error.range.start == types.Position(line=int(line) - 1, character=int(column) - 1)


async def test_rapid_changes_publish_only_the_latest_version(client: DockoptClient, tmp_path: Path) -> None:
    path, text = _service(tmp_path)
    # A debounce much longer than sending 20 notifications takes: the test does not depend on timing.
    await client.start(tmp_path, options={"debounceMs": 400})
    uri = client.open(path, text)
    await client.published(uri, 1)
    seen = len(client.recorder.published)
    for version in range(2, 22):
        client.change(uri, version, text + f"# edit {version}\n")
    final = text.replace("COPY . .\n", "COPY . .\nRUN pip install flask\n")
    client.change(uri, 22, final)
    last = await client.published(uri, 22, after=seen)
    versions = [p.params.version for p in client.recorder.published[seen:]]
    assert versions == [22], f"stale versions published: {versions}"
    report = _cli_report(path, final)
    assert isinstance(report["changes"], list)
    assert len([d for d in last.params.diagnostics if d.severity == types.DiagnosticSeverity.Warning]) == len(
        report["changes"]
    )


async def test_without_debounce_the_last_version_still_wins(client: DockoptClient, tmp_path: Path) -> None:
    path, text = _service(tmp_path)
    await client.start(tmp_path, options={"debounceMs": 0})
    uri = client.open(path, text)
    await client.published(uri, 1)
    seen = len(client.recorder.published)
    for version in range(2, 12):
        client.change(uri, version, text + f"# edit {version}\n")
    broken = text + "ENV ONLY_A_NAME\n"
    client.change(uri, 12, broken)
    last = await client.published(uri, 12, after=seen)
    (error,) = last.params.diagnostics
    assert error.severity == types.DiagnosticSeverity.Error
    versions = [p.params.version for p in client.recorder.published[seen:]]
    assert versions == sorted(versions) and versions[-1] == 12  # never an older version after a newer one
    # A request after the flood answers for the text the editor holds (version 12): no edits.
    assert await client.format(uri) == []


# -- formatting and code actions ------------------------------------------------------------------


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
async def test_formatting_is_dockopt_rewrite_byte_for_byte(client: DockoptClient, tmp_path: Path, crlf: bool) -> None:
    path, text = _service(tmp_path, crlf=crlf)
    await client.start(tmp_path)
    uri = client.open(path, text)
    await client.published(uri, 1)
    expected = cli_rewrite(path, text.encode())
    assert expected != text.encode()
    edits = await client.format(uri)
    assert edits
    assert apply_edits(text, edits).encode() == expected
    if crlf:
        assert b"\r\n" in expected and b"\n" not in expected.replace(b"\r\n", b"")
    # The same text from the fix-all source action editors run on save.
    actions = await client.actions(uri, _at(0), only=["source.fixAll"])
    (fix_all,) = actions
    assert fix_all.kind == "source.fixAll.dockopt"
    assert apply_workspace_edit(text, uri, fix_all.edit).encode() == expected
    assert isinstance(fix_all.edit, types.WorkspaceEdit) and fix_all.edit.document_changes
    change = fix_all.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 1


async def test_formatting_an_optimal_file_changes_nothing(client: DockoptClient, tmp_path: Path) -> None:
    text = 'FROM python:3.12-slim\nCMD ["python"]\n'
    path = _write(tmp_path / "Dockerfile", text)
    await client.start(tmp_path)
    uri = client.open(path, text)
    assert (await client.published(uri, 1)).params.diagnostics == ()
    assert await client.format(uri) == []
    assert await client.actions(uri, _at(0)) == []


async def test_quick_fixes_apply_one_rule_all_rules_or_add_a_suppression(client: DockoptClient, tmp_path: Path) -> None:
    path, text = _service(tmp_path)
    await client.start(tmp_path, options={"debounceMs": 0})
    uri = client.open(path, text)
    diagnostics = (await client.published(uri, 1)).params.diagnostics
    pip = text.splitlines().index("RUN pip install -r requirements.txt")
    here = [d for d in diagnostics if d.range.start.line == pip]
    assert [d.code for d in here] == ["DO006"]
    actions = {a.title: a for a in await client.actions(uri, _at(pip, 5), here)}
    assert set(actions) == {
        "Apply DO006 (run-cleanup)",
        "Apply all dockopt rewrites",
        "Ignore DO006 for this instruction (# dockopt: ignore=DO006)",
    }
    assert all(a.kind == types.CodeActionKind.QuickFix for a in actions.values())
    one = apply_workspace_edit(text, uri, actions["Apply DO006 (run-cleanup)"].edit)
    assert one.encode() == cli_rewrite(path, text.encode(), "--select", "DO006")
    every = apply_workspace_edit(text, uri, actions["Apply all dockopt rewrites"].edit)
    assert every.encode() == cli_rewrite(path, text.encode())
    ignored = apply_workspace_edit(
        text, uri, actions["Ignore DO006 for this instruction (# dockopt: ignore=DO006)"].edit
    )
    assert ignored.splitlines()[pip : pip + 2] == ["# dockopt: ignore=DO006", "RUN pip install -r requirements.txt"]
    client.change(uri, 2, ignored)
    after = (await client.published(uri, 2)).params.diagnostics
    assert not [d for d in after if d.code == "DO006" and d.range.start.line == pip + 1]
    assert len(after) == len(diagnostics) - 1  # the other findings stay


async def test_suppression_keeps_the_files_line_endings_and_the_instructions_indent(
    client: DockoptClient, tmp_path: Path
) -> None:
    text = RANGES.replace("\n", "\r\n")
    path = _write(tmp_path / "Dockerfile", text)
    await client.start(tmp_path, options={"debounceMs": 0})
    uri = client.open(path, text)
    (run,) = [
        d for d in (await client.published(uri, 1)).params.diagnostics if d.code == "DO006" and d.range.start.line == 1
    ]
    (ignore,) = [a for a in await client.actions(uri, run.range, [run]) if a.title.startswith("Ignore")]
    new = apply_workspace_edit(text, uri, ignore.edit)
    assert new.split("\r\n")[1:3] == ["  # dockopt: ignore=DO006", "  RUN apt-get update \\"]
    assert "\n" not in new.replace("\r\n", "")
    client.change(uri, 2, new)
    after = (await client.published(uri, 2)).params.diagnostics
    assert not [d for d in after if d.code == "DO006" and d.severity == types.DiagnosticSeverity.Warning]


#: Rules whose change survives a ``# dockopt: ignore=`` above the line it is reported on: none. (DO004
#: after a DO002 split did until the suppression above the FROM went with the runtime stage's FROM too.)
KNOWN_UNSUPPRESSIBLE: set[str] = set()


async def test_every_change_of_the_fixture_can_be_suppressed_where_it_is_reported(
    client: DockoptClient, tmp_path: Path
) -> None:
    """The suppression action puts the comment above the reported line; each rule must honour it there."""
    path, text = _service(tmp_path)
    await client.start(tmp_path, options={"debounceMs": 0})
    uri = client.open(path, text)
    diagnostics = [
        d for d in (await client.published(uri, 1)).params.diagnostics if d.severity == types.DiagnosticSeverity.Warning
    ]
    survived: set[str] = set()
    version = 1
    for d in diagnostics:
        assert isinstance(d.code, str)
        (ignore,) = [a for a in await client.actions(uri, d.range, [d]) if a.title.startswith(f"Ignore {d.code} ")]
        version += 1
        client.change(uri, version, apply_workspace_edit(text, uri, ignore.edit))
        after = (await client.published(uri, version)).params.diagnostics
        if any(x.code == d.code and x.message == d.message for x in after):
            survived.add(d.code)
        version += 1
        client.change(uri, version, text)  # back to the original for the next one
        await client.published(uri, version)
    assert survived == KNOWN_UNSUPPRESSIBLE


# -- settings and build context ----------------------------------------------------------------------


async def test_settings_come_from_the_projects_config(client: DockoptClient, tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.dockopt]\nignore = ["DO006"]\nunsafe = true\n')
    path = _write(tmp_path / "docker" / "Dockerfile", RANGES)
    await client.start(tmp_path)
    uri = client.open(path, RANGES)
    codes = {d.code for d in (await client.published(uri, 1)).params.diagnostics}
    assert "DO006" not in codes  # ignored by the config
    assert "DO007" in codes  # an unsafe rule, on by the config
    edits = await client.format(uri)
    assert edits is not None
    assert apply_edits(RANGES, edits).encode() == cli_rewrite(path, RANGES.encode())


async def test_a_bad_config_is_an_error_diagnostic_not_a_crash(client: DockoptClient, tmp_path: Path) -> None:
    config = _write(tmp_path / ".dockopt.toml", 'select = ["DO999"]\n')
    path = _write(tmp_path / "Dockerfile", RANGES)
    await client.start(tmp_path, options={"debounceMs": 0})
    uri = client.open(path, RANGES)
    (error,) = (await client.published(uri, 1)).params.diagnostics
    assert error.severity == types.DiagnosticSeverity.Error and error.code == "config"
    assert str(config) in error.message and "DO999" in error.message
    assert await client.format(uri) == []
    # Fixed on disk: the editor tells the server a watched file changed, and the findings are back.
    assert any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in client.recorder.registrations)
    config.write_text('ignore = ["DO004"]\n')
    seen = len(client.recorder.published)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    again = (await client.published(uri, 1, after=seen)).params.diagnostics
    report = _cli_report(path, RANGES)
    assert isinstance(report["changes"], list) and report["changes"]
    assert {d.code for d in again if d.severity == types.DiagnosticSeverity.Warning} == {
        c["rule"] for c in report["changes"]
    }
    assert "DO004" not in {d.code for d in again}


async def test_the_build_context_is_the_files_folder(client: DockoptClient, tmp_path: Path) -> None:
    text = "FROM python:3.12-slim\nCOPY . .\nRUN pip install -r requirements.txt\n"
    with_reqs = _write(tmp_path / "with" / "Dockerfile", text)
    _write(tmp_path / "with" / "requirements.txt", "flask\n")
    without = _write(tmp_path / "without" / "Dockerfile", text)
    await client.start(tmp_path)
    a = client.open(with_reqs, text)
    b = client.open(without, text)
    found_a = {(d.code, d.severity) for d in (await client.published(a, 1)).params.diagnostics}
    found_b = {(d.code, d.severity) for d in (await client.published(b, 1)).params.diagnostics}
    assert ("DO001", types.DiagnosticSeverity.Warning) in found_a  # requirements.txt is in the context
    assert not any(code == "DO001" and sev == types.DiagnosticSeverity.Warning for code, sev in found_b)
    assert any(code == "DO001" for code, _ in found_b)  # a skip: not in the build context


async def test_excluded_and_skip_file_buffers_have_no_findings(client: DockoptClient, tmp_path: Path) -> None:
    _write(tmp_path / ".dockopt.toml", 'exclude = ["legacy"]\n')
    excluded = _write(tmp_path / "legacy" / "Dockerfile", RANGES)
    skipped = _write(tmp_path / "Dockerfile", "# dockopt: skip-file\n" + RANGES)
    await client.start(tmp_path)
    a = client.open(excluded, RANGES)
    b = client.open(skipped, "# dockopt: skip-file\n" + RANGES)
    assert (await client.published(a, 1)).params.diagnostics == ()
    assert (await client.published(b, 1)).params.diagnostics == ()
    assert await client.format(a) == []


async def test_an_untitled_buffer_is_analysed_without_a_build_context(client: DockoptClient, tmp_path: Path) -> None:
    text = "FROM python:3.12-slim\nCOPY . .\nRUN pip install -r requirements.txt\n"
    _write(tmp_path / "requirements.txt", "flask\n")
    await client.start(tmp_path)
    uri = client.open("untitled:Untitled-1", text)
    found = (await client.published(uri, 1)).params.diagnostics
    # As `dockopt rewrite -` without --stdin-filename: no build context (deps-first then assumes the
    # manifest exists instead of looking), the config of the folder it runs in.
    proc = subprocess.run(
        [*dockopt_command(), "rewrite", "--format", "json", "-"], input=text.encode(), capture_output=True, cwd=tmp_path
    )
    report = json.loads(proc.stdout)["files"][0]
    assert sorted((d.code, d.range.start.line + 1) for d in found) == sorted(
        [(c["rule"], c["line"]) for c in report["changes"]] + [(s["rule"], s["line"]) for s in report["skips"]]
    )
    proc = subprocess.run([*dockopt_command(), "rewrite", "-"], input=text.encode(), capture_output=True, cwd=tmp_path)
    assert apply_edits(text, await client.format(uri)).encode() == proc.stdout


async def test_closing_clears_the_diagnostics(client: DockoptClient, tmp_path: Path) -> None:
    path = _write(tmp_path / "Dockerfile", RANGES)
    await client.start(tmp_path)
    uri = client.open(path, RANGES)
    assert (await client.published(uri, 1)).params.diagnostics
    seen = len(client.recorder.published)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert (await client.published(uri, after=seen)).params.diagnostics == ()


# -- lifetime -------------------------------------------------------------------------------------------


async def test_shutdown_then_exit_ends_the_process_cleanly(client: DockoptClient, tmp_path: Path) -> None:
    path = _write(tmp_path / "Dockerfile", RANGES)
    await client.start(tmp_path, options={"debounceMs": 5000})
    uri = client.open(path, RANGES)
    await client.published(uri, 1)
    client.change(uri, 2, RANGES + "# pending\n")  # an analysis waiting on the debounce when shutdown comes
    assert await asyncio.wait_for(client.stop_session(), 20) == 0


async def test_unknown_initialization_options_are_reported_not_fatal(client: DockoptClient, tmp_path: Path) -> None:
    await client.start(tmp_path, options={"debounceMs": "soon", "colour": True})
    path = _write(tmp_path / "Dockerfile", RANGES)
    uri = client.open(path, RANGES)
    assert (await client.published(uri, 1)).params.diagnostics
    messages = [m.message for m in client.log_messages]
    assert any("debounceMs" in m for m in messages) and any("colour" in m for m in messages)


async def test_a_save_picks_up_a_changed_config_without_file_watchers(client: DockoptClient, tmp_path: Path) -> None:
    config = _write(tmp_path / ".dockopt.toml", "ignore = []\n")
    path = _write(tmp_path / "Dockerfile", RANGES)
    await client.start(tmp_path, editor="neovim", options={"debounceMs": 0})  # Neovim registers no watchers
    assert client.recorder.registrations == []
    uri = client.open(path, RANGES)
    assert "DO006" in {d.code for d in (await client.published(uri, 1)).params.diagnostics}
    config.write_text('ignore = ["DO006"]\n')
    seen = len(client.recorder.published)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    again = (await client.published(uri, 1, after=seen)).params.diagnostics
    assert again and "DO006" not in {d.code for d in again}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"], ids=["empty", "blank", "comment"])
async def test_a_buffer_without_instructions_is_an_error_not_a_crash(
    client: DockoptClient, tmp_path: Path, text: str
) -> None:
    await client.start(tmp_path)
    uri = client.open(tmp_path / "Dockerfile", text)
    (error,) = (await client.published(uri, 1)).params.diagnostics
    assert error.severity == types.DiagnosticSeverity.Error and error.message == "file with no instructions"
    assert await client.format(uri) == []
