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


# -- compiled programs kept between runs ---------------------------------------------------------


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """An empty cache folder, and lazyre as a new process finds it (nothing read, nothing new)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(lazyre, "_kept", None)
    monkeypatch.setattr(lazyre, "_new", {})
    return tmp_path


def _next_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a later process sees: this one's programs saved, nothing read yet."""
    lazyre._save()
    monkeypatch.setattr(lazyre, "_kept", None)


SOURCES = [(r"(?P<name>[a-z]+)=(\d+)", re.IGNORECASE), (r"^\s*#\s*x\s*$", re.M), (rb"a+b", 0), (r"[^\w@%+=:,./-]", re.ASCII)]


@pytest.mark.parametrize(("source", "flags"), SOURCES)
def test_a_kept_program_makes_the_same_pattern(fresh_cache, monkeypatch, source, flags) -> None:  # type: ignore[no-untyped-def]
    first = lazyre._pattern(source, flags)
    assert first == re.compile(source, flags)
    assert (source, int(flags)) in lazyre._new
    _next_run(monkeypatch)

    compiles: list[object] = []
    real_compile = re.compile
    monkeypatch.setattr(re, "compile", lambda *a: compiles.append(a) or real_compile(*a))  # type: ignore[func-returns-value]
    again = lazyre._pattern(source, flags)
    assert compiles == []  # answered from the cache, not compiled again
    monkeypatch.undo()
    assert again == re.compile(source, flags)  # Pattern.__eq__ compares source, flags and compiled code
    assert again.groupindex == first.groupindex and again.groups == first.groups


def test_a_program_that_differs_is_never_kept(fresh_cache, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    wrong = lazyre._program("b+", 0)  # a valid program, for another pattern
    monkeypatch.setattr(lazyre, "_program", lambda source, flags: wrong)
    assert lazyre._pattern("a+", 0).match("aa") is not None
    assert lazyre._new == {}  # the check before keeping it refused it


def test_a_broken_entry_or_file_falls_back_to_re_compile(fresh_cache, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(lazyre, "_kept", {("a+", 0): ("not", "a", "program")})
    assert lazyre._pattern("a+", 0) == re.compile("a+")
    monkeypatch.setattr(lazyre, "_kept", None)
    path = lazyre._cache_file()
    import os

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"\x00garbage")
    assert lazyre._pattern("a+", 0) == re.compile("a+")


def test_a_program_with_other_group_names_is_never_kept(fresh_cache, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    source = r"(?P<name>a+)"
    right = lazyre._program(source, 0)
    assert right is not None
    flags, code, groups, _groupindex, _indexgroup = right
    monkeypatch.setattr(lazyre, "_program", lambda s, f: (flags, code, groups, {"other": 1}, (None, "other")))
    assert lazyre._pattern(source, 0).match("aa").group("name") == "aa"  # type: ignore[union-attr]
    assert lazyre._new == {}  # same code and flags, other group names: refused
