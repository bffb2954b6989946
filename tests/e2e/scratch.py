"""Building a config-only Dockerfile on ``scratch`` and reading its image config (shared by the model checks)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from dockopt.engine import Engine


def built_config(engine: Engine, text: str, context: Path, kind: str) -> dict[str, Any]:
    """``text`` built with ``--no-cache`` under a fresh tag, its image config returned and the image removed."""
    tag = f"dockopt-{kind}/case:{uuid.uuid4().hex[:12]}"
    engine.build(text, context, tag, no_cache=True)
    try:
        config = engine.inspect_image(tag)["Config"]
    finally:
        engine.remove_image(tag)
    assert isinstance(config, dict)
    return config
