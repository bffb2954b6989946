"""Where a RUN's package managers keep their downloads, and whether that is knowable.

A BuildKit cache mount helps only on the folder the tool really writes: pip
running as ``app`` caches under ``/home/app/.cache/pip``, ``PIP_CACHE_DIR``
moves it, ``PIP_NO_CACHE_DIR`` turns it off. These questions are answered
here, from one table (``data/caches.toml``) and the model's scope (USER,
ENV/ARG values before each instruction), so a rule never guesses a path.

Every ``*_problem`` function returns None when the answer is known and
harmless, else a sentence saying why it is not (for a skip message).
"""

from __future__ import annotations

import re
from functools import cache

from ..datafiles import load_table
from ..records_base import Record
from ..syntax import Instruction, Stage
from .analysis import Analysis
from .packages import PackageInstall
from .scope import image_name
from .shell import SimpleCommand

#: Commands that run the next one as another user or in another root: its cache may be elsewhere.
USER_SWITCHERS = frozenset({"sudo", "doas", "su", "gosu", "su-exec", "runuser", "setpriv", "chroot", "chpst", "setuidgid"})


class Tool(Record):
    """A Python installer's download cache (one entry of ``data/caches.toml``)."""

    _fields = ("manager", "target", "actions", "env", "opt_out", "config")
    __slots__ = _fields
    manager: str
    target: str
    actions: frozenset[str]
    env: tuple[str, ...]
    opt_out: tuple[str, ...]
    config: frozenset[str]

    def __init__(
        self,
        manager: str,
        target: str,
        actions: frozenset[str],
        env: tuple[str, ...],
        opt_out: tuple[str, ...],
        config: frozenset[str],
    ) -> None:
        self._set(manager, target, actions, env, opt_out, config)

    def uses_cache(self, call: PackageInstall) -> bool:
        return call.manager == self.manager and call.action in self.actions

    def opted_out(self, call: PackageInstall) -> str | None:
        """The option of ``call`` that turns its cache off or moves it, if any."""
        for option in call.options:
            if option in self.opt_out:
                return option
            if self.manager == "pip" and option.startswith("--no-cache"):  # pip takes unambiguous abbreviations
                return option
        return None


class Apt(Record):
    _fields = ("targets", "env", "clean_hook", "keep_cache")
    __slots__ = _fields
    targets: tuple[str, ...]
    env: tuple[str, ...]
    clean_hook: str
    keep_cache: str

    def __init__(self, targets: tuple[str, ...], env: tuple[str, ...], clean_hook: str, keep_cache: str) -> None:
        self._set(targets, env, clean_hook, keep_cache)


class Table(Record):
    _fields = ("tools", "apt", "root_images")
    __slots__ = _fields
    tools: dict[str, Tool]
    apt: Apt
    root_images: frozenset[str]

    def __init__(self, tools: dict[str, Tool], apt: Apt, root_images: frozenset[str]) -> None:
        self._set(tools, apt, root_images)


@cache
def table() -> Table:
    """``data/caches.toml``, loaded once."""
    raw = load_table("caches.toml")
    tools = {
        name: Tool(
            manager=name,
            target=entry["target"],
            actions=frozenset(entry["actions"]),
            env=tuple(entry["env"]),
            opt_out=tuple(entry["opt_out"]),
            config=frozenset(entry["config"]),
        )
        for name, entry in raw.items()
        if name in ("pip", "uv")
    }
    apt = raw["apt"]
    return Table(
        tools=tools,
        apt=Apt(tuple(apt["targets"]), tuple(apt["env"]), apt["clean_hook"], apt["keep_cache"]),
        root_images=frozenset(raw["images"]["root"]),
    )


# -- who runs the RUN ------------------------------------------------------------------------------


def _is_root(user: str) -> bool:
    name = user.strip().split(":", 1)[0]
    return name in ("root", "0")


def user_problem(model: Analysis, ins: Instruction) -> str | None:
    """Why ``ins`` may not run as root with HOME=/root (None: it does)."""
    stage = model.stage_of(ins)
    state = model.scope.before(ins)
    if state.user is not None:
        if _is_root(state.user) and "$" not in state.user:
            return None
        return f"it runs as USER {state.user.strip()}, whose cache folder is not root's"
    image = model.graph.image(stage) if stage is not None else None
    if image is None or image_name(image) not in table().root_images:
        shown = f"`{image}`" if image else "the base image"
        return f"{shown} may set its own USER and HOME; dockopt knows the default user of the official images only"
    return None


def switcher(cmd: SimpleCommand) -> str | None:
    """``sudo`` (or su, gosu ...) when the command runs through one: it may run as someone else."""
    program = len(cmd.words) - len(cmd.args) - 1
    for word in cmd.words[:program]:
        base = word.rsplit("/", 1)[-1]
        if base in USER_SWITCHERS:
            return base
    return None


# -- what moves a cache ------------------------------------------------------------------------------


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def env_problem(model: Analysis, ins: Instruction, names: tuple[str, ...]) -> str | None:
    """Why a variable of ``names`` may move the cache for ``ins``: set by ENV/ARG, or named in the RUN."""
    values = model.scope.before(ins).values
    for name in names:
        if name in values:
            return f"{name} is set before it (ENV or ARG), which may move or turn off the cache"
        if _mentions(ins.args, name) or any(_mentions(h.content, name) for h in ins.heredocs):
            return f"it sets or uses {name}, which may move or turn off the cache"
    return None


def config_problem(model: Analysis, stage: Stage, before: Instruction, names: frozenset[str]) -> str | None:
    """A COPY/ADD (in ``stage`` or a stage it is built FROM, before ``before``) writing a config file of ``names``."""
    for s in model.graph.ancestry(stage):
        for ins in s.instructions:
            if ins is before:
                return None
            if ins.keyword not in ("COPY", "ADD"):
                continue
            found = ins.copy_sources_and_dest()
            if found is None:
                continue
            sources, dest = found
            words = [dest, *sources] if not dest.endswith("/") else sources
            for word in words:
                base = word.rstrip("/").rsplit("/", 1)[-1]
                if base in names:
                    return f"COPY at line {ins.line} brings `{base}`, which may set another cache folder"
    return None


def project_config_problem(model: Analysis, tool: Tool) -> str | None:
    """uv reads ``cache-dir`` from ``[tool.uv]`` in pyproject.toml or from uv.toml in the project."""
    if tool.manager != "uv":
        return None
    for rel in ("pyproject.toml", "uv.toml"):
        text = model.context.read(rel)
        if text is not None and "cache-dir" in text:
            return f"the build context's {rel} sets `cache-dir` for uv"
    return None
