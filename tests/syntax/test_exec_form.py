"""The exec-form reader: its plain reading (no json import) agrees with the JSON decoder it stands in for.

``buildkit.parse_json_array`` reads an array of plain strings itself, so
``dockopt rewrite -`` starts without importing json; everything else goes to
``json.JSONDecoder``. Each case here is also read by the decoder alone (the
reference), and the two must agree, errors included.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockopt.syntax import buildkit

NEVER = r"(?!)"  # a plain reading that never matches: everything goes to the decoder


def _read(rest: str, pattern: str | None = None) -> list[str] | type[Exception] | None:
    """parse_json_array, with the plain reading's pattern replaced when one is given."""
    saved = buildkit._PLAIN_ARRAY_RE
    if pattern is not None:
        buildkit._PLAIN_ARRAY_RE = buildkit.lazyre.compile(pattern)
    try:
        return buildkit.parse_json_array(rest)
    except buildkit.NotStringArray:
        return buildkit.NotStringArray
    finally:
        buildkit._PLAIN_ARRAY_RE = saved


CASES = [
    '["python", "app.py"]',
    '[ "a" ,"b" ]  trailing',
    "[]",
    "[ \t\r\n]",
    '["a"]]',
    '["caf\u00e9", "\udc80"]',
    '["a\\"b"]',
    '["a\\\\"]',
    '["\\u00e9"]',
    '["\\ud800"]',
    '["a\tb"]',
    '["a", 1]',
    '["a", ["b"]]',
    '["a",]',
    '["a" "b"]',
    "['a']",
    '["a"',
    '["a\x7f"]',
    '["a"\x0b]',
    '[\u00a0"a"]',
    "[1e999]",
]


@pytest.mark.parametrize("rest", CASES)
def test_plain_reading_agrees_with_the_decoder(rest: str) -> None:
    assert _read(rest) == _read(rest, NEVER)


def test_plain_arrays_are_read_without_the_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoder() -> object:
        raise AssertionError("the JSON decoder was asked")

    monkeypatch.setattr(buildkit, "_json_decoder", no_decoder)
    assert buildkit.parse_json_array('["python", "app.py"]') == ["python", "app.py"]
    with pytest.raises(AssertionError):
        buildkit.parse_json_array('["a\\"b"]')


def test_a_looser_plain_reading_would_be_caught() -> None:
    # Negative control: a plain string that let backslashes through reads escapes wrongly.
    loose = r'\[(?:"[^"]*"(?:,[ ]*"[^"]*")*)?\]'
    assert _read('["a\\\\"]', loose) != _read('["a\\\\"]', NEVER)


@given(st.text(alphabet='[]", \t\r\n\\abu0\x01\x7f\u00e9\udc80:1e{}', max_size=24).map(lambda s: "[" + s))
def test_plain_reading_agrees_on_any_text(rest: str) -> None:
    assert _read(rest) == _read(rest, NEVER)
