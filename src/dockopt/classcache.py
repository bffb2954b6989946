"""Keep the compiled methods of dataclasses between runs, for start-up time.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``,
``__hash__`` and ``__setattr__`` as source text and compiles it with
``exec`` (one compile per method before Python 3.13, one per class after).
The rules and the model define about sixty dataclasses, and those compiles
are about a fifth of a cold ``dockopt rewrite -``. The text is the same on
every run, so the compiled code can be kept, as Python keeps a module's
bytecode in ``__pycache__``.

:class:`CachedClasses` does that while the command line imports the rewrite:
it gives ``dataclasses`` an ``exec`` that looks the source text up in the
cache and compiles only what it has not seen (with the flags ``exec`` of the
text would use), then runs the code exactly as ``exec`` would. The classes
are the same; only the compile is skipped. The cache is one ``marshal`` file
per Python build in dockopt's cache folder (``$XDG_CACHE_HOME/dockopt``, like
the parser table), rewritten atomically whenever a run compiled something;
entries no run uses any more are dropped once they are the larger part. A
missing, unreadable or unwritable cache only costs the compiles.
"""

from __future__ import annotations

import sys

from . import cachefiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any


def cache_path() -> str:
    return cachefiles.cache_path("dataclass-code")


class _Recorder:
    """``exec`` for the dataclasses module: compiled code from the cache, or compiled now and remembered."""

    def __init__(self, known: dict[str, CodeType]) -> None:
        self.known = known
        self.used: dict[str, CodeType] = {}
        self.compiled = 0

    def __call__(self, source: object, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
        if globals is None:  # exec's defaults: the calling frame's namespaces
            frame = sys._getframe(1)
            globals = frame.f_globals
            if locals is None:
                locals = frame.f_locals
        if not isinstance(source, str):  # not generated text: as exec itself would
            exec(source, globals, locals)  # type: ignore[arg-type]
            return
        code = self.known.get(source)
        if code is None:
            # exec(text) compiles with the caller's future flags; dataclasses.py has none.
            code = compile(source, "<string>", "exec", dont_inherit=True)
            self.compiled += 1
        self.used[source] = code
        exec(code, globals, locals)


def _read(path: str) -> dict[str, CodeType]:
    from types import CodeType

    data = cachefiles.read_marshal(path)
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, CodeType)}


class CachedClasses:
    """``with CachedClasses(): import ...``: dataclasses defined inside reuse the cached compiled methods."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path if path is not None else cache_path()
        self.recorder: _Recorder | None = None

    def __enter__(self) -> _Recorder:
        import dataclasses

        self.recorder = _Recorder(_read(self.path))
        dataclasses.exec = self.recorder  # type: ignore[attr-defined]  # a module global shadows the builtin
        return self.recorder

    def __exit__(self, *exc: object) -> None:
        import dataclasses

        vars(dataclasses).pop("exec", None)  # the builtin again, for every class defined later
        recorder = self.recorder
        if recorder is not None and exc[0] is None and recorder.compiled:
            # Keep what other runs use too, unless that is mostly stale (classes changed since).
            known, used = recorder.known, recorder.used
            cachefiles.write_marshal(self.path, used if len(known) > 2 * len(used) else {**known, **used})

