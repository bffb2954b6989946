"""What the final image looks like to ``docker run``: the behaviour a rewrite must keep.

Computed from the tree by walking the final stage (and the stages it is built
FROM). The pipeline compares this before and after every pass and rejects a
round that changes it, so a bug in a pass shows up as a skip, not as an image
that starts differently.
"""

from __future__ import annotations

from ..records_base import Mutable
from ..syntax import Dockerfile, Stage
from .memo import memo

#: ENV keys the passes may add to a runtime stage (a copied virtualenv needs them).
ADDED_ENV_OK = frozenset({"PATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON_DOWNLOADS"})


class RuntimeConfig(Mutable):
    _fields = (
        "entrypoint", "cmd", "user", "workdir", "expose", "env", "healthcheck", "stopsignal", "volumes", "labels",
        "shell",
    )
    __slots__ = _fields
    entrypoint: tuple[tuple[str, ...], bool] | None  # (value, json form)
    cmd: tuple[tuple[str, ...], bool] | None
    user: str | None
    workdir: str | None
    expose: frozenset[str]
    env: dict[str, str]
    healthcheck: tuple[str, ...] | None
    stopsignal: str | None
    volumes: frozenset[str]
    labels: dict[str, str]
    shell: tuple[str, ...] | None

    def __init__(
        self,
        entrypoint: tuple[tuple[str, ...], bool] | None = None,
        cmd: tuple[tuple[str, ...], bool] | None = None,
        user: str | None = None,
        workdir: str | None = None,
        expose: frozenset[str] = frozenset(),
        env: dict[str, str] | None = None,
        healthcheck: tuple[str, ...] | None = None,
        stopsignal: str | None = None,
        volumes: frozenset[str] = frozenset(),
        labels: dict[str, str] | None = None,
        shell: tuple[str, ...] | None = None,
    ) -> None:
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.user = user
        self.workdir = workdir
        self.expose = expose
        self.env = env if env is not None else {}
        self.healthcheck = healthcheck
        self.stopsignal = stopsignal
        self.volumes = volumes
        self.labels = labels if labels is not None else {}
        self.shell = shell

    def differences(self, other: RuntimeConfig) -> list[str]:
        """What ``other`` (the rewritten image) changed; PATH may only gain entries in front."""
        out = []
        for name in ("entrypoint", "cmd", "user", "workdir", "expose", "healthcheck", "stopsignal", "volumes", "labels", "shell"):
            if getattr(self, name) != getattr(other, name):
                out.append(f"{name.upper()} changed from {getattr(self, name)!r} to {getattr(other, name)!r}")
        for key, value in self.env.items():
            new = other.env.get(key)
            if new == value:
                continue
            if key == "PATH" and new is not None and new.endswith(value):
                continue
            out.append(f"ENV {key} changed from {value!r} to {new!r}")
        for key in other.env.keys() - self.env.keys():
            if key not in ADDED_ENV_OK:
                out.append(f"ENV {key} added")
        return out


def runtime_config(doc: Dockerfile, target: str | None = None) -> RuntimeConfig:
    """The run-time configuration of the final stage (or of stage ``target``); not to be modified.

    The final stage's is computed once per tree: the pipeline compares it
    before and after every round, and a round's result is the next one's start.
    """
    if target is None:
        return memo(doc, "_model_runtime_config", _runtime_config)
    return _runtime_config(doc, target)


def _runtime_config(doc: Dockerfile, target: str | None = None) -> RuntimeConfig:
    stages = doc.stages
    if not stages:
        return RuntimeConfig()
    stage = stages[-1]
    if target is not None:
        for s in stages:
            if s.name and s.name.lower() == target.lower():
                stage = s
    chain = _ancestry(stage, stages)
    config = RuntimeConfig()
    for s in chain:
        _apply(config, s)
    return config


def _ancestry(stage: Stage, stages: tuple[Stage, ...]) -> list[Stage]:
    chain = [stage]
    by_name = {s.name.lower(): s for s in stages if s.name}
    seen = {stage.index}
    while True:
        base = (chain[0].base or "").lower()
        parent = by_name.get(base)
        if parent is None or parent.index in seen or parent.index >= chain[0].index:
            return chain
        seen.add(parent.index)
        chain.insert(0, parent)


def _apply(config: RuntimeConfig, stage: Stage) -> None:
    cmd_set = False  # BuildKit's per-stage tracker: ENTRYPOINT drops an inherited CMD, not this stage's own
    for ins in stage.instructions:
        kw = ins.keyword
        if kw == "ENTRYPOINT":
            config.entrypoint = (ins.value, ins.is_json)
            if not cmd_set:
                config.cmd = None
        elif kw == "CMD":
            config.cmd = (ins.value, ins.is_json)
            cmd_set = True
        elif kw == "USER":
            config.user = ins.args
        elif kw == "WORKDIR":
            config.workdir = _workdir(config.workdir, ins.args)
        elif kw == "EXPOSE":
            config.expose = config.expose | frozenset(_port(p) for p in ins.value)
        elif kw == "ENV":
            for key, value in ins.env_pairs:
                config.env[key] = value
        elif kw == "HEALTHCHECK":
            config.healthcheck = tuple(f.raw for f in ins.flags) + ins.value
        elif kw == "STOPSIGNAL":
            config.stopsignal = ins.args
        elif kw == "VOLUME":
            config.volumes = config.volumes | frozenset(ins.value)
        elif kw == "LABEL":
            for key, value in ins.env_pairs:
                config.labels[key] = value
        elif kw == "SHELL":
            config.shell = ins.value


def _workdir(current: str | None, arg: str) -> str:
    """WORKDIR as BuildKit stores it: joined to the one before (``/`` at first) and cleaned.

    A path with a variable is kept as written (the model does not expand it): two such images
    compare equal only when written alike, which errs towards declining.
    """
    import posixpath

    if "$" in arg or (current is not None and "$" in current):
        return arg if arg.startswith("/") or current is None else f"{current.rstrip('/')}/{arg}"
    return posixpath.normpath(posixpath.join(current or "/", arg)).replace("//", "/")


def _port(port: str) -> str:
    """An EXPOSE entry as the image config keys it: ``80`` is ``80/tcp``, the protocol in lower case."""
    if "$" in port:
        return port
    number, _, proto = port.partition("/")
    return f"{number}/{(proto or 'tcp').lower()}"
