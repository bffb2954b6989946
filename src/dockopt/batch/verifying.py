"""``--verify``: the bridge to ``dockopt.verify`` (see /work/briefs/verify-contract.md for its API).

The batch runner takes any callable ``verify(original, rewritten, context)``
returning an object shaped like ``dockopt.verify.Verification``; tests pass a
fake, the command line passes :func:`verify_with_engine`. ``dockopt.verify`` is
imported only when ``--verify`` is given, and :func:`load_verifier` says
clearly why it cannot run (module missing, no engine) so the command exits 2
before touching any repository.

The callable must be a module-level function: with ``--jobs`` above 1 it is
sent to worker processes by name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .records import Image, Proof

#: verify(original text, rewritten text, build context) -> a Verification (duck-typed).
VerifyFn = Callable[[str, str, Path], Any]


class VerifyUnavailable(RuntimeError):
    """``--verify`` cannot run here; the message says why."""


def load_verifier() -> VerifyFn:
    """The real verifier, after checking that ``dockopt.verify`` imports and an engine answers."""
    try:
        _module()
    except ImportError as exc:
        raise VerifyUnavailable(
            f"--verify needs the dockopt.verify module, which this installation lacks ({exc})"
        ) from None
    from ..engine import check_engine

    status = check_engine()
    if status.engine is None:
        raise VerifyUnavailable(f"--verify needs a Docker engine, and none answers: {status.reason}")
    return verify_with_engine


def verify_with_engine(original: str, rewritten: str, context: Path) -> Any:
    # The rebuild timing is a second pair of builds; a batch wants the proof and the bytes.
    return _module().verify_texts(original, rewritten, context, measure_rebuild=False)


def _module() -> Any:
    """``dockopt.verify``, imported by name: it is written in parallel, and only --verify needs it."""
    import importlib

    return importlib.import_module("dockopt.verify")


def to_proof(verification: Any) -> Proof:
    """The parts of a Verification a batch report keeps."""
    checks = tuple(
        {
            "name": str(c.name),
            "ok": c.ok,
            "detail": str(c.detail),
            "differences": [str(d) for d in getattr(c, "differences", ())],
        }
        for c in verification.checks
    )
    reason = verification.reason
    if reason is None and verification.status != "equivalent":
        failed = [f"{c['name']}: {c['detail']}" for c in checks if c["ok"] is False]
        reason = "; ".join(failed) or f"verify says {verification.status}"
    return Proof(
        status=str(verification.status),
        reason=reason,
        checks=checks,
        before=_image(verification.before),
        after=_image(verification.after),
    )


def failed_proof(exc: BaseException) -> Proof:
    """A verifier that raised: the rewrite is unproven, and the report says why."""
    return Proof(status="cannot-verify", reason=f"verify failed: {type(exc).__name__}: {exc}")


def _image(facts: Any) -> Image | None:
    if facts is None:
        return None
    return Image(int(facts.size_bytes), tuple((str(d), int(n)) for d, n in facts.layers))
