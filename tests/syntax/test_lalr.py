"""The table driver builds the same trees as lark's own LALR parser, and caches its table safely."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import lark
import pytest
from lark import Lark, Tree
from lark.lexer import Lexer

from dockopt.cachefiles import read_marshal
from dockopt.syntax.lalr import Node, Table, build_table_data, load_table
from dockopt.syntax.lexer import DockerfileLexer
from dockopt.syntax.parser import grammar_text
from dockopt.syntax.tokens import Token
from tests.conftest import ROOT, all_dockerfiles, read_exact


class _OurTokens(Lexer):
    """Feeds dockopt's tokens to lark's parser, so both parsers see the same input."""

    def __init__(self, conf: object) -> None:
        pass

    def lex(self, data: str) -> Iterator[lark.Token]:  # type: ignore[override]
        for t in DockerfileLexer().lex(data):
            yield lark.Token(t.type, str(t), line=t.line, column=t.column)


LARK = Lark(grammar_text(), parser="lalr", lexer=_OurTokens)
TABLE = Table(build_table_data(grammar_text()))


def _shape(tree: Tree[lark.Token] | Node | Token | lark.Token) -> object:
    if isinstance(tree, str):  # a token of either kind
        return (tree.type, str(tree))
    name = tree.data if isinstance(tree, Node) else str(tree.data)
    return (name, [_shape(c) for c in tree.children])  # type: ignore[arg-type]


@pytest.mark.parametrize("path", all_dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_same_tree_as_lark(path: Path) -> None:
    text = read_exact(path)
    assert _shape(TABLE.parse(DockerfileLexer().lex(text))) == _shape(LARK.parse(text))


def _same_parse(table: Table) -> bool:
    """Lark numbers states differently from run to run; compare what the tables do."""
    text = read_exact(ROOT / "fixtures" / "syntax" / "heredocs.Dockerfile")
    return _shape(table.parse(DockerfileLexer().lex(text))) == _shape(TABLE.parse(DockerfileLexer().lex(text)))


def test_cache_is_written_then_used(tmp_path: Path) -> None:
    grammar = grammar_text()
    first = load_table(grammar, cache=str(tmp_path))
    (cached,) = tmp_path.iterdir()
    assert cached.name.startswith("lalr-table-") and cached.suffix == ".marshal"
    os.utime(cached, (1, 1))
    second = load_table(grammar, cache=str(tmp_path))
    assert second.states == first.states and second.rules == first.rules
    assert cached.stat().st_mtime == 1  # read, not rewritten


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    grammar = grammar_text()
    load_table(grammar, cache=str(tmp_path))
    (cached,) = tmp_path.iterdir()
    good = cached.read_bytes()
    cached.write_bytes(good[: len(good) // 2])
    table = load_table(grammar, cache=str(tmp_path))
    assert _same_parse(table)
    kept = read_marshal(str(cached))  # written again (lark numbers the states differently each time)
    assert isinstance(kept, tuple) and kept[0] == grammar


def test_unwritable_cache_still_parses(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    table = load_table(grammar_text(), cache=str(blocker / "sub"))
    assert _same_parse(table)
