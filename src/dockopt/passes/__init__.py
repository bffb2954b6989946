"""The rewrite rules, in the order the pipeline runs them.

Order matters: dependencies are moved before the code while the file is
still one stage, the split then moves them to a builder, the runtime stage is
put on a slim base, and only then are RUN layers merged and cleaned up.
Cache mounts (DO008) go on before run-cleanup, which leaves a RUN whose
cache is mounted alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import (
    apt_no_recommends,
    cache_mounts,
    deps_first,
    dockerignore,
    large_files,
    lean_venv,
    multi_stage,
    path_env,
    run_cleanup,
    run_merge,
    slim_base,
    uv_installer,
)
from .base import Rule

RULES: tuple[Rule, ...] = (
    deps_first.RULE,
    multi_stage.RULE,
    path_env.RULE,
    uv_installer.RULE,
    lean_venv.RULE,
    slim_base.RULE,
    run_merge.RULE,
    cache_mounts.RULE,
    run_cleanup.RULE,
    apt_no_recommends.RULE,
    large_files.RULE,
    dockerignore.RULE,  # kind "context": run by the command line after the rewrite, not by the pipeline
)

_BY_KEY = {key: rule for rule in RULES for key in (rule.id, rule.id.lower(), rule.name)}


class UnknownRule(ValueError):
    pass


def resolve(keys: Iterable[str]) -> list[Rule]:
    """Rules named by id (``DO003``) or name (``run-merge``); ``ALL`` selects every rule."""
    out: list[Rule] = []
    for key in keys:
        key = key.strip()
        if not key:
            continue
        if key.upper() == "ALL":
            out.extend(RULES)
        elif key in _BY_KEY or key.lower() in _BY_KEY:
            out.append(_BY_KEY.get(key) or _BY_KEY[key.lower()])
        else:
            raise UnknownRule(f"unknown rule {key!r}; `dockopt rules` lists them")
    return out


def get(key: str) -> Rule:
    (rule,) = resolve([key])
    return rule
