"""A batch's totals, computed from its records alone.

Because nothing else goes in, the totals of ``merge``-d shard reports are
those of one unsharded run over the same fleet, and a resumed run's are
those of a run that did everything.

With ``--verify`` the totals add image bytes (each proven rewrite's image,
or the original's where the rewrite stays unproven) and the registry storage
of those images with every layer counted once by its diff id: a slim base
shared by a hundred services is stored once. Sizes are the engine's
uncompressed layer sizes; a registry stores them compressed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from .records import FileRecord, Image, RepoRecord


def compute(files: Sequence[FileRecord], repos: Sequence[RepoRecord]) -> dict[str, Any]:
    outcomes = Counter(f.outcome for f in files)
    changed = [f for f in files if f.outcome == "changed"]
    rules: Counter[str] = Counter(rule for f in changed for rule in f.rules)
    branches = Counter(r.branch_action for r in repos if r.branch_action not in (None, "none"))
    statuses = Counter(r.status for r in repos)
    totals: dict[str, Any] = {
        "repositories": len(repos),
        "repositories_done": statuses["done"],
        "repositories_skipped": statuses["skipped"],
        "repository_errors": statuses["error"],
        "repositories_changed": len({f.repository for f in changed}),
        "files": len(files),
        "changed": outcomes["changed"],
        "unchanged": outcomes["unchanged"],
        "skipped_files": outcomes["skipped-file"],
        "errors": outcomes["error"],
        "unproven": outcomes["unproven"],
        "written": sum(1 for f in files if f.written),
        "new_files": sum(len(f.new_files) for f in changed),
        "changes": sum(len(f.changes) for f in changed),
        "skips": sum(len(f.skips) for f in files),
        "rules": dict(sorted(rules.items())),
        "branches": {action: branches[action] for action in ("created", "updated", "unchanged")},
    }
    proofs = [f for f in files if f.verification is not None]
    if proofs or any(r.verify for r in repos):
        totals["images"] = images(proofs)
    return totals


def images(files: Iterable[FileRecord]) -> dict[str, Any]:
    """Image bytes before and after, and the registry storage with shared layers counted once."""
    before: list[Image] = []
    after: list[Image] = []
    verified = equivalent = 0
    for f in files:
        proof = f.verification
        if proof is None:
            continue
        verified += 1
        equivalent += proof.equivalent
        if proof.before is None:
            continue  # the original did not build: nothing to count on either side
        before.append(proof.before)
        after.append(proof.after if proof.equivalent and proof.after is not None else proof.before)
    return {
        "verified_files": verified,
        "equivalent": equivalent,
        "image_bytes_before": sum(i.size_bytes for i in before),
        "image_bytes_after": sum(i.size_bytes for i in after),
        "registry_bytes_before": registry_bytes(before),
        "registry_bytes_after": registry_bytes(after),
    }


def registry_bytes(images: Iterable[Image]) -> int:
    """Bytes a registry holding all these images stores: each distinct layer once."""
    layers: dict[str, int] = {}
    for image in images:
        for digest, size in image.layers:
            layers[digest] = size
    return sum(layers.values())
