"""``--shard K/N``: which repositories this machine takes, the same on every machine.

A repository belongs to shard ``1 + (h mod N)`` where ``h`` is the first 8 bytes
of the SHA-256 of its identifier. Python's ``hash()`` is salted per process,
so it would split differently on every machine; SHA-256 does not. Hashing
(rather than dealing out a sorted list) also keeps each repository's shard
when others join or leave the fleet, so a resumed shard finds its own
repositories in its previous report.

``K`` counts from 1 (as jest's and playwright's ``--shard`` do). A Kubernetes
indexed Job numbers its pods from 0 in ``JOB_COMPLETION_INDEX``:
``--shard auto/N`` reads it and takes shard ``index + 1``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from .discover import Repository

INDEX_VARIABLE = "JOB_COMPLETION_INDEX"

R = TypeVar("R", bound=Repository)


class ShardError(ValueError):
    """A bad --shard value."""


@dataclass(frozen=True)
class Shard:
    index: int  # 1..count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, repo_id: str) -> bool:
        return shard_of(repo_id, self.count) == self.index


def shard_of(repo_id: str, count: int) -> int:
    digest = hashlib.sha256(repo_id.encode("utf-8", "surrogateescape")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def parse(text: str, env: Mapping[str, str] | None = None) -> Shard:
    """``K/N`` (1 <= K <= N) or ``auto/N`` (K from JOB_COMPLETION_INDEX, which counts from 0)."""
    env = os.environ if env is None else env
    k_text, slash, n_text = text.partition("/")
    if not slash:
        raise ShardError(f"--shard takes K/N (e.g. 2/8) or auto/N, not {text!r}")
    count = _number(n_text, "N", text)
    if count < 1:
        raise ShardError(f"--shard {text}: N must be at least 1")
    if k_text.strip() == "auto":
        raw = env.get(INDEX_VARIABLE)
        if raw is None:
            raise ShardError(f"--shard auto/{count} reads {INDEX_VARIABLE}, which is not set")
        index = _number(raw, INDEX_VARIABLE, raw) + 1
        if not 1 <= index <= count:
            raise ShardError(f"{INDEX_VARIABLE}={raw} is outside 0..{count - 1} for --shard auto/{count}")
        return Shard(index, count)
    index = _number(k_text, "K", text)
    if not 1 <= index <= count:
        hint = f" ({INDEX_VARIABLE} counts from 0: use --shard auto/{count})" if index == 0 else ""
        raise ShardError(f"--shard {text}: K must be between 1 and {count}{hint}")
    return Shard(index, count)


def select(repos: Iterable[R], shard: Shard | None) -> list[R]:
    return [r for r in repos if shard is None or shard.holds(r.id)]


def _number(text: str, what: str, whole: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ShardError(f"--shard {whole}: {what} is not a whole number") from None
