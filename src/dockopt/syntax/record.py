"""Immutable value objects for the tree, without the ``dataclasses`` import.

Why not dataclasses: importing it pulls in ``inspect`` (about 5 ms, half of a
bare Python start), and ``dockopt parse -`` has to start fast. A record
declares ``_fields`` and writes its own typed ``__init__``; this base gives
it equality, hashing, a repr, immutability and ``with_changes`` (LibCST's
name for "a copy with these fields replaced").
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from functools import cached_property as cached  # the runtime class below, as mypy sees it
    from typing import Any, Self
else:

    class cached:
        """``functools.cached_property`` without its lock: the tree's views are computed on every new node.

        Python 3.11's ``cached_property`` takes an ``RLock`` on every first
        access (3.12 dropped it); the tree's nodes are made by the thousand per
        rewrite (every parse, every edit) and each asks for its keyword, flags
        and arguments once, so the lock was the largest single cost of the
        rewrite. Like ``cached_property`` this is a non-data descriptor: once
        the value is in the instance dict, attribute lookup finds it there and
        this ``__get__`` is not called again.
        """

        def __init__(self, func):
            self.func = func
            self.name = func.__name__
            self.__doc__ = func.__doc__

        def __set_name__(self, owner, name):
            self.name = name

        def __get__(self, instance, owner=None):
            if instance is None:
                return self
            value = instance.__dict__[self.name] = self.func(instance)
            return value


class Record:
    __slots__ = ()
    _fields: tuple[str, ...] = ()
    #: The slots' own setters, one per field (None for a record without slots): the
    #: records are made by the thousand per rewrite, and a setter called directly
    #: costs a fraction of ``object.__setattr__`` by name.
    _setters: tuple[Any, ...] | None = None

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        slots = cls.__dict__.get("__slots__", ())
        cls._setters = tuple(cls.__dict__[f].__set__ for f in cls._fields) if slots else None

    def _set(self, *values: Any) -> None:
        """Set the fields, in the order of ``_fields``."""
        setters = self._setters
        if setters is None:  # a record without slots (Instruction and Dockerfile update their dict themselves)
            self.__dict__.update(zip(self._fields, values, strict=True))
            return
        for setter, value in zip(setters, values, strict=True):
            setter(self, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({args})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use with_changes()")

    def with_changes(self, **changes: Any) -> Self:
        values = {f: getattr(self, f) for f in self._fields}
        values.update(changes)
        return type(self)(**values)


__all__ = ["Record", "cached"]
