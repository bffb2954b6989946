"""The wheel carries the grammar, and dockopt finds it there (not only in a checkout)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_ships_grammar_and_parses_from_it(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("dockopt-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "dockopt/grammar/dockerfile.lark" in names
        for table in ("caches", "large_files", "dockerignore"):  # the tables DO008-DO010 read
            assert f"dockopt/data/{table}.toml" in names
        zf.extractall(tmp_path / "site")
    # Import dockopt from the unpacked wheel, away from the checkout, with an empty table cache.
    site = str(tmp_path / "site")
    code = (
        "import dockopt, dockopt.syntax.parser as p\n"
        f"assert dockopt.__file__.startswith({site!r}), dockopt.__file__\n"
        "print(p.grammar_path())\n"
        "print(dockopt.parse('FROM a\\nRUN b\\n').instructions[1].keyword)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    grammar, keyword = out.stdout.split()
    assert grammar == str(tmp_path / "site" / "dockopt" / "grammar" / "dockerfile.lark")
    assert keyword == "RUN"
    assert list((tmp_path / "cache" / "dockopt").glob("lalr-table-*.marshal"))
