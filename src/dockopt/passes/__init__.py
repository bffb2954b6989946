"""The rewrite rules, in the order the pipeline runs them.

Order matters: dependencies are moved before the code while the file is
still one stage, the split then moves them to a builder, the runtime stage is
put on a slim base, and only then are RUN layers merged and cleaned up.
Cache mounts (DO008) go on before run-cleanup, which leaves a RUN whose
cache is mounted alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import RuleRef

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .base import AnyRule

#: Each rule by its id, name, safety and module (see :class:`RuleRef`): a rule's module is imported
#: when the pipeline runs it or something reads its docs. ``when`` repeats the test of the rule's
#: ``apply`` that leaves it nothing to do (off unless its option is given; DO009 without a build
#: context, as for `dockopt rewrite -`), so such a run never imports those rules.
RULES: tuple[AnyRule, ...] = (
    RuleRef("DO001", "deps-first", "safe", "deps_first"),
    RuleRef("DO002", "multi-stage", "safe", "multi_stage"),
    RuleRef("DO003", "path-env", "safe", "path_env"),
    RuleRef("DO012", "uv-installer", "safe", "uv_installer", when=lambda ctx: ctx.installer == "uv"),
    RuleRef("DO011", "lean-venv", "safe", "lean_venv"),
    RuleRef("DO004", "slim-base", "safe", "slim_base"),
    RuleRef("DO005", "run-merge", "safe", "run_merge"),
    RuleRef("DO008", "cache-mounts", "safe", "cache_mounts", when=lambda ctx: ctx.cache_mounts),
    RuleRef("DO006", "run-cleanup", "safe", "run_cleanup"),
    RuleRef("DO007", "apt-no-recommends", "unsafe", "apt_no_recommends"),
    RuleRef("DO009", "large-files", "safe", "large_files", when=lambda ctx: ctx.context.known),
    # kind "context": run by the command line after the rewrite, not by the pipeline
    RuleRef("DO010", "dockerignore", "safe", "dockerignore", kind="context"),
)

_BY_KEY = {key: rule for rule in RULES for key in (rule.id, rule.id.lower(), rule.name)}


class UnknownRule(ValueError):
    pass


def resolve(keys: Iterable[str]) -> list[AnyRule]:
    """Rules named by id (``DO003``) or name (``run-merge``); ``ALL`` selects every rule."""
    out: list[AnyRule] = []
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


def get(key: str) -> AnyRule:
    (rule,) = resolve([key])
    return rule
