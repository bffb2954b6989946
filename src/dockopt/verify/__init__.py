"""``dockopt verify``: build a Dockerfile and its rewrite and show they do the same thing.

The API is the contract shared with ``dockopt batch --verify``
(briefs/verify-contract.md); modules, one job each:

* :mod:`.result`   the types: Check, ImageFacts, Verification;
* :mod:`.build`    building both images and their figures (size, layers, rebuild);
* :mod:`.imagefs`  reading an image's files from a stopped container (no shell, no python needed);
* :mod:`.probe`    the check run inside each image by its own Python (distributions, imports);
* :mod:`.compare`  the comparisons, pure functions;
* :mod:`.core`     ``verify_texts``: the order of it all, and the clean-up;
* :mod:`.report`   the text report; :mod:`.command` the click command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import verify_texts
    from .result import Check, CheckName, ImageFacts, Verification

__all__ = ["Check", "CheckName", "ImageFacts", "Verification", "verify_texts"]


def __getattr__(name: str) -> Any:
    # Lazy: ``dockopt.cli`` imports ``dockopt.verify.command`` on every start,
    # and that must not load the engine, the rules and dataclasses with it.
    if name == "verify_texts":
        from .core import verify_texts

        return verify_texts
    if name in ("Check", "CheckName", "ImageFacts", "Verification"):
        from . import result

        return getattr(result, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
