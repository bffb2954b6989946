"""The build context's inventory: the walk that lists what reaches the builder, against a brute-force reading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockopt.model.context import BuildContext, DockerIgnore

FILES = [
    "app.py",
    "pkg/__init__.py",
    "pkg/__pycache__/m.cpython-312.pyc",
    "pkg/data/big.bin",
    "pkg/data/keep.txt",
    "docs/build/index.html",
    "docs/src/index.md",
    "node_modules/x/index.js",
    "deep/a/b/c/d/e.py",
    "deep/a/b/skip/f.py",
    ".git/HEAD",
]

IGNORES = {
    "none": "",
    "folders": "node_modules\n.git\n**/__pycache__\ndocs/build\n",
    "nested-globs": "deep/**/skip\n*.md\n**/*.bin\n",
    "exceptions": "pkg/data\n!pkg/data/keep.txt\ndocs\n!docs/src/index.md\n",
    "exception-order": "!app.py\n*.py\n",
}


def _brute_force(root: Path, ignore: DockerIgnore) -> set[str]:
    """Every file under ``root`` that the full pattern matcher keeps (each path and all its parents tested)."""
    out = set()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            if rel != ".dockerignore" and not ignore.ignored(rel):
                out.add(rel)
    return out


@pytest.mark.parametrize("name", sorted(IGNORES))
def test_the_walk_keeps_what_the_pattern_matcher_keeps(name: str, tmp_path: Path) -> None:
    for rel in FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    (tmp_path / ".dockerignore").write_text(IGNORES[name] + ".dockerignore\n")
    inventory = BuildContext(tmp_path).inventory
    assert inventory is not None
    ignore = DockerIgnore((tmp_path / ".dockerignore").read_text())
    assert set(inventory.files) == _brute_force(tmp_path, ignore)


def test_a_kept_folder_spares_the_parent_tests_only_without_exceptions() -> None:
    """The walk's shortcut matches the path alone; with a `!` line it must fall back to the full test.

    Negative control: asked of a path under an ignored folder (which the walk never does), the shortcut
    says "kept" where the full matcher says "ignored"; so the walk's answers above come from its pruning.
    """
    plain = DockerIgnore("docs\n")
    assert plain.ignored("docs/a.md") and not plain.ignored_below_kept_folder("docs/a.md")
    assert plain.ignored_below_kept_folder("docs")
    with_exception = DockerIgnore("docs\n!docs/keep.md\n")
    assert with_exception.ignored_below_kept_folder("docs/a.md") == with_exception.ignored("docs/a.md") is True
    assert with_exception.ignored_below_kept_folder("docs/keep.md") is False


@pytest.mark.parametrize(
    ("ignore", "path", "ignored"),
    [
        # Each as Docker's BuildKit reads it (tests/e2e/test_dockerignore_engine.py builds them).
        ("\ufeffnode_modules\n", "node_modules/m.js", True),  # a byte-order mark is not part of the pattern
        ("[!a]*.md\n", "README.md", False),  # Go's classes negate with ^ only: [!a] is "! or a"
        ("[!a]*.md\n", "a.md", True),
        ("[^a]*.md\n", "README.md", True),
        ("[^a]*.md\n", "a.md", False),
        ("//app.py\n", "app.py", True),  # filepath.Clean makes "//" one slash
        ("docs/../README.md\n", "README.md", True),
        ("  node_modules  \r\n", "node_modules/m.js", True),
    ],
)
def test_patterns_read_as_docker_reads_them(ignore: str, path: str, ignored: bool) -> None:
    assert DockerIgnore(ignore).ignored(path) is ignored
