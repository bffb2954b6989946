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
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import AnyStr

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
        compiled = re.compile(self._source, self._flags)
        for attr in _NAMES:
            object.__setattr__(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazyre.compile({self._source!r}, {self._flags!r})"


if TYPE_CHECKING:

    def compile(source: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
        """``re.compile(source, flags)``, done on first use."""
        ...
else:

    def compile(source, flags=0):
        """``re.compile(source, flags)``, done on first use."""
        return _Lazy(source, flags)
