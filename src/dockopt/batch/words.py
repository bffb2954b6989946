"""Counts and byte sizes in the words reports use."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 repository``, ``2 repositories``, ``3 Dockerfiles``."""
    if count == 1:
        return f"1 {noun}"
    if many is None:
        many = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{count} {many}"


def human_bytes(n: int) -> str:
    """Decimal units, as registries and ``docker images`` show sizes."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
