"""A stand-in for ``dockopt.verify.verify_texts`` shaped by the verify contract, with no Docker.

Module-level functions, so ``--jobs 2`` can send them to worker processes by
name. Images are made up but behave like real ones: every image on
``python:3.12`` shares that base's layer, every one on ``python:3.12-slim``
the slim base's, and the app layer differs per file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FULL_BASE = ("sha256:" + "f" * 64, 1_000_000_000)
SLIM_BASE = ("sha256:" + "5" * 64, 150_000_000)
APP_LAYER = 20_000_000
LOG_VARIABLE = "DOCKOPT_FAKE_VERIFY_LOG"


@dataclass(frozen=True)
class Facts:
    tag: str
    size_bytes: int
    layers: tuple[tuple[str, int], ...]
    build_seconds: float = 1.0
    cold: bool = True


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None
    detail: str
    differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verification:
    status: str
    checks: tuple[Check, ...]
    reason: str | None
    before: Facts | None
    after: Facts | None
    dependency_layer_reused: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status}

    @property
    def exit_code(self) -> int:
        return {"equivalent": 0, "different": 1}.get(self.status, 2)


def image(text: str, context: Path) -> Facts:
    last_from = [line for line in text.splitlines() if line.upper().startswith("FROM ")][-1]
    base = SLIM_BASE if "-slim" in last_from else FULL_BASE
    # The app layer holds the context's files: one per service, even where two services share a Dockerfile.
    digest = hashlib.sha256(f"{context}\0{text}".encode("utf-8", "surrogateescape")).hexdigest()
    app = ("sha256:" + digest, APP_LAYER)
    return Facts("fake", base[1] + app[1], (base, app))


def fake_verify(original: str, rewritten: str, context: Path) -> Verification:
    log = os.environ.get(LOG_VARIABLE)
    if log:
        with open(log, "a") as fh:
            fh.write(f"{context}\t{sorted(p.name for p in context.iterdir())}\n")
    if "RAISE" in original:
        raise RuntimeError("the engine went away")
    before, after = image(original, context), image(rewritten, context)
    if "libpq-dev" in original:  # the psycopg2-source app
        diff = "psycopg2: imports in the original, fails in the rewrite: ImportError: libpq.so.5"
        checks = (
            Check("builds", True, "both images build"),
            Check("imports", False, "1 module imports differently", (diff,)),
        )
        return Verification("different", checks, None, before, after)
    checks = (Check("builds", True, "both images build"), Check("imports", True, "same modules import"))
    return Verification("equivalent", checks, None, before, after)
