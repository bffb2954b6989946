"""Module-level regular expressions compiled when first used, not when the module is imported.

``dockopt rewrite -`` imports every rule to rewrite one small file, and each
rule module compiled its patterns at import: some sixty ``re.compile`` calls,
most of them for instructions the file does not have. :func:`compile` returns
a stand-in that compiles on the first method call and then puts the compiled
pattern's bound methods on itself, so from then on ``_RE.match(text)`` costs
what it cost before (an attribute read and the call).

Only the methods are available (``match``, ``search``, ``fullmatch``, ``sub``,
``subn``, ``split``, ``findall``, ``finditer``, ``pattern``, ``flags``,
``groups``, ``groupindex``): a stand-in is not an ``re.Pattern``, so it must
not be handed to ``re.sub(pattern, ...)`` and the like.

Compiled programs are kept between runs. ``re`` compiles a pattern in pure
Python (parse, then code generation) and only the last step,
``_sre.compile``, is C; the twenty-odd patterns one small rewrite uses cost
about 3.5 ms of a 38 ms cold start. :func:`_pattern` keeps the arguments of
that last step in the cache folder (``regex-<python build>.marshal``, next to
the parser's table) and, on the next run, hands them straight to
``_sre.compile``. Why trust it: an entry is stored only after the pattern it
makes has compared equal to ``re.compile``'s (``Pattern.__eq__`` compares the
source, the flags and the compiled code; the group names are compared too), it is read only by the Python build
that wrote it, and it is keyed by the pattern's own source and flags, so it
cannot go stale; anything unexpected (another ``_sre`` signature, a broken
file) falls back to ``re.compile``.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, AnyStr

_NAMES = ("match", "search", "fullmatch", "sub", "subn", "split", "findall", "finditer", "pattern", "flags", "groups", "groupindex")


class _Lazy:
    __slots__ = ("_source", "_flags", *_NAMES)

    def __init__(self, source: str | bytes, flags: int) -> None:
        self._source = source
        self._flags = flags

    def __getattr__(self, name: str) -> object:
        # Called only while the slots are empty, i.e. before the first use.
        if name not in _NAMES:
            raise AttributeError(name)
        compiled = _pattern(self._source, self._flags)
        for attr in _NAMES:
            object.__setattr__(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazyre.compile({self._source!r}, {self._flags!r})"


#: (source, flags) -> the arguments of ``_sre.compile`` after the source; None until first read.
_kept: dict[tuple[str | bytes, int], tuple[object, ...]] | None = None
_new: dict[tuple[str | bytes, int], tuple[object, ...]] = {}
_CACHE_STEM = "regex"


def _cache_file() -> str:
    from .cachefiles import cache_path

    return cache_path(_CACHE_STEM)


def _pattern(source: str | bytes, flags: int) -> re.Pattern[Any]:
    """``re.compile(source, flags)``, its compiled code taken from the cache when kept there."""
    global _kept
    if _kept is None:
        from .cachefiles import read_marshal

        found = read_marshal(_cache_file())
        _kept = found if isinstance(found, dict) else {}
    key = (source, int(flags))  # re.M and the like are RegexFlag members, which marshal cannot write
    args = _kept.get(key)
    if args is not None:
        try:
            return _sre_compile(source, *args)  # type: ignore[return-value]
        except Exception:  # another interpreter's layout: compile as usual
            pass
    compiled = re.compile(source, flags)
    args = _program(source, flags)
    if args is not None:
        try:
            made: Any = _sre_compile(source, *args)
            # __eq__ compares the source, the flags and the code; the group names are checked here
            same = made == compiled and made.groupindex == compiled.groupindex and made.groups == compiled.groups
        except Exception:
            same = False
        if same:
            if not _new:
                import atexit

                atexit.register(_save)
            _new[key] = args
    return compiled


def _program(source: str | bytes, flags: int) -> tuple[object, ...] | None:
    """What ``re._compiler.compile`` passes to ``_sre.compile`` after the source (None if its internals differ)."""
    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(source, flags)
        code = _compiler._code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        return (int(flags | parsed.state.flags), [int(op) for op in code], parsed.state.groups - 1, groupindex, tuple(indexgroup))
    except Exception:
        return None


def _sre_compile(source: str | bytes, *args: object) -> object:
    import _sre  # type: ignore[import-not-found]

    return _sre.compile(source, *args)


def _save() -> None:
    """Add this run's new programs to the cache file (at exit: one write per run, none once all are kept)."""
    from .cachefiles import read_marshal, write_marshal

    path = _cache_file()
    found = read_marshal(path)  # what other runs kept meanwhile
    entries = found if isinstance(found, dict) else {}
    entries.update(_new)
    _new.clear()
    write_marshal(path, entries)  # type: ignore[arg-type]


if TYPE_CHECKING:

    def compile(source: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
        """``re.compile(source, flags)``, done on first use."""
        ...
else:

    def compile(source, flags=0):
        """``re.compile(source, flags)``, done on first use."""
        return _Lazy(source, flags)
