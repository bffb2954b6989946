"""parse_words' unquoted case splits with str.split() where that is Go's split, and with the pattern elsewhere.

str.split() takes Go's unicode.IsSpace characters for whitespace plus
\\x1c-\\x1f; the pattern (``_GO_SPACE_RUN``) is the reference for both.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dockopt.syntax import buildkit

SPACES = buildkit.GO_SPACE + buildkit._PY_ONLY_SPACE


def _reference(rest: str) -> list[str]:
    return [w for w in buildkit._GO_SPACE_RUN.split(rest) if w]


@given(st.text(alphabet=SPACES + "ab=\u00e9", max_size=30))
def test_unquoted_words_split_at_go_spaces_only(rest: str) -> None:
    assert buildkit.parse_words(rest, "\\") == _reference(rest)


def test_python_only_spaces_are_not_separators() -> None:
    # Negative control: plain str.split() would split here; parse_words must not.
    text = "a\x1cb c"
    assert text.split() != _reference(text)
    assert buildkit.parse_words(text, "\\") == ["a\x1cb", "c"]
