"""The editor set-ups in docs/editors.md: the files it quotes, and Neovim's check when a Neovim is at hand."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.cli.conftest import dockopt_command
from tests.conftest import FIXTURES, ROOT

EDITORS = ROOT / "editors"
DOC = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")


def test_the_doc_quotes_the_checked_files_verbatim() -> None:
    for path in (EDITORS / "neovim" / "dockopt.lua", EDITORS / "helix" / "languages.toml"):
        assert path.read_text(encoding="utf-8").strip() in DOC, path


def test_helix_config_uses_the_keys_helix_documents() -> None:
    config = tomllib.loads((EDITORS / "helix" / "languages.toml").read_text(encoding="utf-8"))
    server = config["language-server"]["dockopt"]
    assert server == {"command": "dockopt", "args": ["lsp"], "config": {"debounceMs": 150}}
    (language,) = config["language"]
    assert language["name"] == "dockerfile" and "dockopt" in language["language-servers"]


def test_vscode_manifest() -> None:
    manifest = json.loads((EDITORS / "vscode" / "package.json").read_text(encoding="utf-8"))
    assert manifest["main"] == "./extension.js" and (EDITORS / "vscode" / "extension.js").is_file()
    assert manifest["activationEvents"] == ["onLanguage:dockerfile"]
    assert manifest["dependencies"]["vscode-languageclient"].startswith("^9")
    props = manifest["contributes"]["configuration"]["properties"]
    assert props["dockopt.path"]["default"] == "dockopt" and props["dockopt.debounceMs"]["default"] == 150
    assert '["lsp"]' in (EDITORS / "vscode" / "extension.js").read_text(encoding="utf-8")


def _neovim() -> str | None:
    """An nvim of 0.8 or later (DOCKOPT_NVIM, else PATH), or None."""
    found = os.environ.get("DOCKOPT_NVIM") or shutil.which("nvim")
    if not found:
        return None
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=False).stdout
    m = re.search(r"NVIM v(\d+)\.(\d+)", out)
    return found if m and (int(m[1]), int(m[2])) >= (0, 8) else None


@pytest.mark.skipif(_neovim() is None, reason="no Neovim 0.8 or later (set DOCKOPT_NVIM or put nvim on PATH)")
def test_neovim_attaches_the_server_as_documented(tmp_path: Path) -> None:
    nvim = _neovim()
    assert nvim is not None
    for item in (FIXTURES / "lsp" / "service").iterdir():
        (tmp_path / item.name).write_bytes(item.read_bytes())
    command = dockopt_command()
    env = dict(os.environ)
    if len(command) == 1:
        env["DOCKOPT"] = command[0]
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-u", str(EDITORS / "neovim" / "check.lua"), "Dockerfile"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARN dockopt [DO006]" in proc.stdout
    assert "formatting: the buffer now equals" in proc.stdout
