"""What ``dockopt verify`` found: the types of the shared contract (briefs/verify-contract.md).

One :class:`Check` per comparison, the figures of both images, and the verdict.
Plain frozen dataclasses so that the batch front end, the CLI and the
real-world harness all read the same thing, and ``to_json`` gives the one
machine-readable form of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

CheckName = Literal["builds", "distributions", "imports", "config", "entrypoint", "files", "smoke"]
Status = Literal["equivalent", "different", "cannot-verify"]

#: The order checks are run and reported in.
CHECK_ORDER: tuple[CheckName, ...] = ("builds", "distributions", "imports", "config", "entrypoint", "files", "smoke")

EXIT_EQUIVALENT = 0
EXIT_DIFFERENT = 1
EXIT_CANNOT_VERIFY = 2


@dataclass(frozen=True)
class Check:
    """One comparison. ``ok`` is None when it was not run (no --smoke given,
    no python in the original image, or an earlier check made it moot), and
    ``detail`` then says why."""

    name: CheckName
    ok: bool | None
    detail: str
    differences: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "differences": list(self.differences)}


@dataclass(frozen=True)
class ImageFacts:
    """Figures of one built image. A layer's bytes is -1 when ``docker
    history`` could not be lined up with ``RootFS.Layers``."""

    tag: str
    size_bytes: int
    layers: tuple[tuple[str, int], ...]
    build_seconds: float
    cold: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "size_bytes": self.size_bytes,
            "layers": [{"diff_id": d, "bytes": n} for d, n in self.layers],
            "build_seconds": round(self.build_seconds, 2),
            "cold": self.cold,
        }


@dataclass(frozen=True)
class Verification:
    """The verdict: equivalent (every check that ran passed), different (one
    failed: the rewrite does not build, or behaves differently), or
    cannot-verify (no engine, or the original itself does not build)."""

    status: Status
    checks: tuple[Check, ...]
    reason: str | None
    before: ImageFacts | None
    after: ImageFacts | None
    dependency_layer_reused: bool | None
    #: Beyond the contract: how figures were obtained (e.g. which file the rebuild edited).
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return {"equivalent": EXIT_EQUIVALENT, "different": EXIT_DIFFERENT}.get(self.status, EXIT_CANNOT_VERIFY)

    def check(self, name: CheckName) -> Check | None:
        """The check called ``name``, if it was reported."""
        return next((c for c in self.checks if c.name == name), None)

    @property
    def differences(self) -> tuple[str, ...]:
        """Every difference of every failed check, prefixed with the check's name."""
        return tuple(f"{c.name}: {d}" for c in self.checks if c.ok is False for d in (c.differences or (c.detail,)))

    @property
    def size_reduction(self) -> float | None:
        """Fraction of the original's size saved (0.8 = 80 % smaller), when both built."""
        if self.before is None or self.after is None or self.before.size_bytes <= 0:
            return None
        return 1 - self.after.size_bytes / self.before.size_bytes

    def to_json(self) -> dict[str, Any]:
        reduction = self.size_reduction
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "checks": [c.to_json() for c in self.checks],
            "before": None if self.before is None else self.before.to_json(),
            "after": None if self.after is None else self.after.to_json(),
            "size_reduction": None if reduction is None else round(reduction, 4),
            "dependency_layer_reused": self.dependency_layer_reused,
            "notes": list(self.notes),
        }


def verdict(checks: tuple[Check, ...]) -> Status:
    """different when any check failed, else equivalent."""
    return "different" if any(c.ok is False for c in checks) else "equivalent"
