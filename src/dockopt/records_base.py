"""Value classes with their ``__init__`` written in the source, in place of ``dataclasses``.

Why not dataclasses: ``@dataclass`` generates ``__init__``, ``__eq__``,
``__repr__`` and ``__hash__`` as source text and ``exec``s it for every class
when the module is imported, and importing ``dataclasses`` pulls in
``inspect``. With some seventy classes on its path that was over half of the
start-up of ``dockopt rewrite -``, which editors run on every save. A class
here declares ``_fields`` (and ``__slots__``, unless it keeps cached
properties in its instance dict) and writes its own typed ``__init__``, which
Python compiles once into the ``.pyc``; the bases give the rest:

* :class:`Record`: immutable, compared and hashed by its fields, a repr,
  ``with_changes`` (``dataclasses.replace``) and ``as_dict`` (a shallow
  ``dataclasses.asdict``), as a frozen dataclass;
* :class:`Mutable`: compared by its fields and unhashable, a repr and
  ``as_dict``, as a plain (non-frozen) dataclass.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar, Self


def _getter(fields: tuple[str, ...]) -> Callable[[object], tuple[Any, ...]]:
    """A function from an instance to its field values, as a tuple (``attrgetter`` does the work in C)."""
    if len(fields) == 1:
        one = attrgetter(fields[0])
        return lambda obj: (one(obj),)
    if not fields:
        return lambda obj: ()
    return attrgetter(*fields)  # type: ignore[return-value]


class _Fields:
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    if TYPE_CHECKING:

        @staticmethod
        def _values(obj: object, /) -> tuple[Any, ...]:
            """The field values of ``obj`` as a tuple; made per class from ``_fields``."""
            ...
    else:
        _values = staticmethod(_getter(()))

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls._values = staticmethod(_getter(cls._fields))  # type: ignore[method-assign]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values(self) == self._values(other)

    def __repr__(self) -> str:
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__qualname__}({args})"

    def as_dict(self) -> dict[str, Any]:
        """The fields by name (a shallow ``dataclasses.asdict``)."""
        return dict(zip(self._fields, self._values(self), strict=True))


class Record(_Fields):
    """An immutable value: equality and hashing by fields, ``with_changes`` for a copy with some replaced."""

    __slots__ = ()
    #: The slots' own setters, one per field (None for a record without slots): the
    #: records are made by the thousand per rewrite, and a setter called directly
    #: costs a fraction of ``object.__setattr__`` by name.
    _setters: ClassVar[tuple[Any, ...] | None] = None

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        slots = cls.__dict__.get("__slots__", ())
        cls._setters = tuple(cls.__dict__[f].__set__ for f in cls._fields) if slots else None

    def _set(self, *values: Any) -> None:
        """Set the fields, in the order of ``_fields``."""
        setters = self._setters
        if setters is None:  # a record without slots keeps its fields in its instance dict
            self.__dict__.update(zip(self._fields, values, strict=True))
            return
        for setter, value in zip(setters, values, strict=True):
            setter(self, value)

    def __hash__(self) -> int:
        return hash(self._values(self))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use with_changes()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle and copy would set the slots one by one, which __setattr__ refuses: rebuild through __init__
        return (type(self), self._values(self))

    def with_changes(self, **changes: Any) -> Self:
        values = dict(zip(self._fields, self._values(self), strict=True))
        values.update(changes)
        return type(self)(**values)


class Mutable(_Fields):
    """A plain mutable object with a repr and equality by fields (unhashable, as a non-frozen dataclass)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]


__all__ = ["Mutable", "Record"]
