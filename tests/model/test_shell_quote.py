"""model.shell.quote / quote_join give shlex.quote / shlex.join's text, byte for byte."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockopt.model.shell import quote, quote_join

CASES = ["", "a", "app.py", "a b", "it's", "$HOME", "x=1", "--opt=v,w", "ü", "é-1", "a\nb", "'", '"', "@%+=:,./-", "*.txt", "a\tb"]


@pytest.mark.parametrize("word", CASES)
def test_quote_matches_shlex(word: str) -> None:
    assert quote(word) == shlex.quote(word)


def test_safe_word_is_unchanged_and_unsafe_is_quoted() -> None:
    assert quote("requirements.txt") == "requirements.txt"  # negative control: nothing to quote
    assert quote("a b") == "'a b'"


@given(st.lists(st.text(max_size=12), max_size=5))
def test_quote_join_matches_shlex(words: list[str]) -> None:
    assert quote_join(words) == shlex.join(words)
