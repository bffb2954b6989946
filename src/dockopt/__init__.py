"""dockopt: rewrite Dockerfiles into smaller, faster-building ones, losslessly.

The public API is small: :func:`parse` gives a lossless tree,
:func:`rewrite` runs the optimisation passes and returns the new text with
what changed and what was skipped. Heavy modules load on first use so the
command line starts fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

# `typing` is not imported at run time: it alone costs a fifth of a bare
# Python start, and `dockopt parse -` must start fast. Type checkers treat a
# name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .syntax import Dockerfile, ParseError

__all__ = ["Dockerfile", "ParseError", "__version__", "parse", "rewrite"]


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text into a lossless tree (``parse(t).to_source() == t``)."""
    from .syntax import parse as _parse

    return _parse(text)


def rewrite(text: str, **options: Any) -> Any:
    """Run the rewrite passes; see :func:`dockopt.pipeline.rewrite`."""
    from .pipeline import rewrite as _rewrite

    return _rewrite(text, **options)


def __getattr__(name: str) -> Any:
    if name in ("ParseError", "Dockerfile"):
        from . import syntax

        return getattr(syntax, name)
    raise AttributeError(name)
