"""Immutable value objects for the tree, without the ``dataclasses`` import.

Why not dataclasses: importing it pulls in ``inspect`` (about 5 ms, half of a
bare Python start), and ``dockopt parse -`` has to start fast. A record
declares ``_fields`` and writes its own typed ``__init__``; the base,
:class:`dockopt.records_base.Record` (shared with the model and the passes),
gives it equality, hashing, a repr, immutability and ``with_changes``
(LibCST's name for "a copy with these fields replaced"). This module adds
``cached``, the tree's lock-free cached property.
"""

from __future__ import annotations

from ..records_base import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from functools import cached_property as cached  # the runtime class below, as mypy sees it
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


__all__ = ["Record", "cached"]
