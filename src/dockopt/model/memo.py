"""Facts cached on the tree node they are about.

The model computes a fact about an instruction or a tree once and keeps it
*on the node*, in the instance dict where ``functools.cached_property``
keeps the node's own views (``keyword``, ``flags`` ...). Nodes are immutable
and compared by identity, so the fact can never go stale, and it lives
exactly as long as the node: an instruction no pass touched keeps its facts
from one round to the next, and a tree nobody holds takes its facts with it.

Why not a ``weakref.WeakKeyDictionary``: a cached value that refers to its
key (an analysis holds its tree, a command use its instruction) keeps the key
alive for ever, so every tree ever analysed stayed in memory and each full
garbage collection walked all of them (a quarter of the rewrite's time on
the benchmark corpus); and every lookup paid for a weak reference.
"""

from __future__ import annotations

from collections.abc import Callable

from ..syntax import Dockerfile, Instruction

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar
    N = TypeVar("N", Instruction, Dockerfile)
    T = TypeVar("T")


def memo(node: N, key: str, compute: Callable[[N], T]) -> T:
    """``compute(node)``, once per node and ``key`` (a name no other fact uses)."""
    facts = node.__dict__
    try:
        return facts[key]  # type: ignore[no-any-return]
    except KeyError:
        value = facts[key] = compute(node)
        return value
