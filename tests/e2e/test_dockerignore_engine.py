"""dockopt's reading of ``.dockerignore`` against Docker's BuildKit: the files each sends to a build.

dockopt decides from its reading of ``.dockerignore`` what ``COPY . .`` brings
in (DO001's manifests, DO009's large files, DO010's entries). Here BuildKit
itself says what reaches the build: each case's context is copied whole into
``scratch`` (``COPY . /``) and exported with ``--output type=local``, and the
files found there must be the files of dockopt's inventory
(``BuildContext.inventory``), one by one. Nothing is cached between runs: every
build has ``--no-cache`` and its own context and output folders.

The cases are the pattern shapes where matchers differ: ``**`` at either end,
``!`` exceptions (before and after the pattern they undo, inside an ignored
folder), a pattern naming a folder, a leading ``/`` or ``./``, classes and
escapes, a byte-order mark, CRLF lines and spaces around a pattern. (A form
feed inside a pattern is not among them: Docker 20.10 fails to send such a
context at all, "stream terminated by RST_STREAM".)

The COPY sources with wildcards are compared the same way: the files BuildKit
copies against ``Inventory.matching``.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path

import pytest

from dockopt.engine import Engine, _env
from dockopt.model.context import BuildContext

pytestmark = pytest.mark.docker

FILES = [
    "app.py",
    "a.txt",
    "b1.txt",
    "#hash",
    ".env",
    ".hidden/x.cfg",
    "README.md",
    "pkg/__init__.py",
    "pkg/__pycache__/m.pyc",
    "pkg/data/big.bin",
    "pkg/data/keep.txt",
    "pkg/data/sub/deep.txt",
    "docs/index.md",
    "docs/api/ref.md",
    "build/out.o",
    "src/build/gen.py",
    "logs/app.log",
    "logs/important.log",
    "x/y/foo/bar.txt",
    "node_modules/m/index.js",
]

#: name -> .dockerignore text (the .dockerignore file itself is part of the context, as in a real one).
CASES = {
    "nothing ignored": "",
    "folders": "node_modules\n**/__pycache__\nbuild\n",
    "a folder found anywhere": "**/build\n**/foo\n",
    "everything below, not the folder": "docs/**\n",
    "one level only": "docs/*\n",
    "exception inside an ignored folder": "pkg/data\n!pkg/data/keep.txt\n",
    "exception of a deeper file": "pkg\n!pkg/data/sub/deep.txt\n",
    "exception before its pattern": "!app.py\n*.py\n",
    "all but one folder": "*\n!pkg\n",
    "star-star files with an exception": "**/*.log\n!logs/important.log\n",
    "leading slash and dot": "/app.py\n./README.md\n",
    "trailing slash": "build/\n",
    "character classes": "b[0-9].txt\n[!a]*.md\n",
    "a range after !": "[!a-c].txt\n",
    "question mark": "?.txt\n",
    "escaped hash": "\\#hash\n",
    "hidden files": ".*\n",
    "CRLF and spaces": "  node_modules  \r\n\tdocs\r\n",
    "byte-order mark": "\ufeffnode_modules\n",
    "comment and blank lines": "# node_modules\n\n   \n#docs\nlogs\n",
    "exception then re-exclusion": "logs\n!logs\nlogs/app.log\n",
    "class negated with a caret": "[^a]*.txt\n",
    "double leading slash": "//app.py\n",
    "dot-dot inside": "docs/../README.md\n",
}


def _context(root: Path, ignore: str) -> None:
    for rel in FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{rel}\n")
    (root / ".dockerignore").write_bytes(ignore.encode("utf-8"))


def _files_under(root: Path) -> set[str]:
    out = set()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            out.add(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return out


def buildkit_sends(engine: Engine, context: Path, out: Path) -> set[str]:
    """The files BuildKit copies from ``context`` with ``COPY . /`` (the Dockerfile comes on stdin)."""
    proc = subprocess.run(
        [
            engine.docker,
            "build",
            "--no-cache",
            "--progress=plain",
            "-o",
            f"type=local,dest={out}",
            "-f",
            "-",
            str(context),
        ],
        input="FROM scratch\nCOPY . /\n",
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return _files_under(out)


@pytest.mark.parametrize("name", sorted(CASES))
def test_dockopt_reads_dockerignore_as_buildkit_does(engine: Engine, tmp_path: Path, name: str) -> None:
    context = tmp_path / "context"
    _context(context, CASES[name])
    sent = buildkit_sends(engine, context, tmp_path / "out")
    inventory = BuildContext(context).inventory
    assert inventory is not None
    assert set(inventory.files) == sent


#: COPY sources with wildcards (Go's filepath.Match, as for .dockerignore): each names files only.
GLOBS = ["[!a]*.md", "[^a]*.txt", "?.txt", "b[0-9].txt", "*.py", "pkg/*/keep.txt", "logs/*.log"]


@pytest.mark.parametrize("source", GLOBS)
def test_dockopt_matches_copy_sources_as_buildkit_does(engine: Engine, tmp_path: Path, source: str) -> None:
    context = tmp_path / "context"
    _context(context, "")
    (context / "a.md").write_text("a.md\n")
    proc = subprocess.run(
        [engine.docker, "build", "--no-cache", "-o", f"type=local,dest={tmp_path / 'out'}", "-f", "-", str(context)],
        input=f"FROM scratch\nCOPY {source} /out/\n",
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    copied = {p.removeprefix("out/") for p in _files_under(tmp_path / "out")}
    inventory = BuildContext(context).inventory
    assert inventory is not None
    assert {posixpath.basename(p) for p in inventory.matching(source)} == copied


def test_negative_control_a_wrong_reading_is_seen(engine: Engine, tmp_path: Path) -> None:
    """The comparison can fail: an ignore file dockopt is not given reads as "everything is sent"."""
    context = tmp_path / "context"
    _context(context, "node_modules\n")
    sent = buildkit_sends(engine, context, tmp_path / "out")
    assert "node_modules/m/index.js" not in sent
    (context / ".dockerignore").unlink()
    inventory = BuildContext(context).inventory
    assert inventory is not None
    assert set(inventory.files) != sent
