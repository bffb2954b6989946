"""dockopt.lazyre: a module-level pattern compiles on first use and then answers as re.compile's would."""

from __future__ import annotations

import re

import pytest

from dockopt import lazyre


def test_answers_as_re_compile() -> None:
    source = r"(?P<name>[a-z]+)=(\d+)"
    lazy, real = lazyre.compile(source, re.IGNORECASE), re.compile(source, re.IGNORECASE)
    text = "A=1 bb=22 c=x"
    assert lazy.match(text).groups() == real.match(text).groups()  # type: ignore[union-attr]
    assert lazy.search(text, 2).span() == real.search(text, 2).span()  # type: ignore[union-attr]
    assert lazy.fullmatch("abc=3") is not None and lazy.fullmatch(text) is None
    assert lazy.findall(text) == real.findall(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in real.finditer(text)]
    assert lazy.sub(r"\2", text) == real.sub(r"\2", text) and lazy.subn("", text) == real.subn("", text)
    assert lazy.split(text) == real.split(text)
    assert (lazy.pattern, lazy.flags, lazy.groups, lazy.groupindex) == (
        real.pattern,
        real.flags,
        real.groups,
        real.groupindex,
    )
    assert lazyre.compile(rb"a+").findall(b"caaab") == [b"aaa"]


def test_compiles_on_first_use_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: a broken pattern is accepted until it is used; then each use is a plain slot read."""
    broken = lazyre.compile("(unclosed")
    with pytest.raises(re.error):
        broken.match("x")
    pattern = lazyre.compile("ab+")
    calls: list[str] = []
    real_getattr = lazyre._Lazy.__getattr__

    def counting(self: lazyre._Lazy, name: str) -> object:
        calls.append(name)
        return real_getattr(self, name)

    monkeypatch.setattr(lazyre._Lazy, "__getattr__", counting)
    assert pattern.search("xabbb") is not None
    assert pattern.search("ab") is not None and pattern.sub("-", "abab") == "--"
    assert calls == ["search"]


def test_other_attributes_are_refused() -> None:
    with pytest.raises(AttributeError):
        lazyre.compile("a").scanner  # noqa: B018
