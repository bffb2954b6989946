"""The guard's model of the final image (``model.image.runtime_config``) against what BuildKit builds.

The pipeline drops any rewrite whose final image would run differently, as
``runtime_config`` tells it; a model that misreads BuildKit there lets a
changed image through. Each case here is built on ``scratch`` with
``--no-cache`` (no RUN, so no base image is needed) and the engine's image
config (``docker image inspect``) must be what the model says: CMD and
ENTRYPOINT (and which of them a stage resets), WORKDIR, USER, EXPOSE, ENV,
LABEL, VOLUME, STOPSIGNAL, across stages built FROM one another.

The model compares values as written, quotes and variables unexpanded (two
images are then equal only when written alike, which errs towards declining),
so these cases use neither.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import dockopt
from dockopt.engine import Engine, _env
from dockopt.model.image import RuntimeConfig, runtime_config
from tests.e2e.scratch import built_config

pytestmark = pytest.mark.docker

#: BuildKit's PATH for an image without one (scratch): not part of what a Dockerfile sets.
_DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

CASES = {
    "CMD, then ENTRYPOINT in the same stage": 'FROM scratch\nCMD ["app.py"]\nENTRYPOINT ["python"]\n',
    "ENTRYPOINT drops an inherited CMD": 'FROM scratch AS base\nCMD ["app.py"]\nFROM base\nENTRYPOINT ["python"]\n',
    "ENTRYPOINT, CMD, ENTRYPOINT": 'FROM scratch\nENTRYPOINT ["a"]\nCMD ["b"]\nENTRYPOINT ["c"]\n',
    "shell forms": "FROM scratch\nENTRYPOINT run me\nCMD an-argument\n",
    "shell form under SHELL": 'FROM scratch\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n',
    "relative WORKDIRs": "FROM scratch\nWORKDIR app\nWORKDIR src/\nWORKDIR ../lib\n",
    "WORKDIR across stages": "FROM scratch AS a\nWORKDIR /srv\nFROM a\nWORKDIR www\n",
    "a fresh stage starts over": "FROM scratch AS a\nWORKDIR /srv\nUSER app\nFROM scratch\nWORKDIR x\n",
    "EXPOSE forms": "FROM scratch\nEXPOSE 80 443/udp 8080/TCP\n",
    "EXPOSE and VOLUME add up": "FROM scratch AS a\nEXPOSE 80\nVOLUME /a\nFROM a\nEXPOSE 81\nVOLUME /b /c\n",
    "ENV and LABEL override": "FROM scratch AS a\nENV A=1 B=2\nLABEL x=1\nFROM a\nENV B=3\nLABEL x=2 y=1\n",
    "USER and STOPSIGNAL": "FROM scratch\nUSER 1000:1000\nSTOPSIGNAL SIGINT\n",
}


def _argv(value: tuple[tuple[str, ...], bool] | None, shell: tuple[str, ...] | None) -> list[str] | None:
    if value is None:
        return None
    words, is_json = value
    return list(words) if is_json else [*(shell or ("/bin/sh", "-c")), " ".join(words)]


def model_view(config: RuntimeConfig) -> dict[str, Any]:
    """The model's config in the image config's terms."""
    return {
        "Cmd": _argv(config.cmd, config.shell),
        "Entrypoint": _argv(config.entrypoint, config.shell),
        "WorkingDir": config.workdir or "/",
        "User": config.user or "",
        "ExposedPorts": sorted(config.expose),
        "Env": sorted(f"{k}={v}" for k, v in config.env.items()),
        "Labels": config.labels,
        "Volumes": sorted(config.volumes),
        "StopSignal": config.stopsignal or "",
    }


def engine_view(engine: Engine, text: str, context: Path) -> dict[str, Any]:
    cfg = built_config(engine, text, context, "imageconfig")
    return {
        "Cmd": cfg.get("Cmd"),
        "Entrypoint": cfg.get("Entrypoint"),
        "WorkingDir": cfg.get("WorkingDir") or "/",
        "User": cfg.get("User") or "",
        "ExposedPorts": sorted(cfg.get("ExposedPorts") or {}),
        "Env": sorted(e for e in cfg.get("Env") or [] if e != _DEFAULT_PATH),
        "Labels": cfg.get("Labels") or {},
        "Volumes": sorted(cfg.get("Volumes") or {}),
        "StopSignal": cfg.get("StopSignal") or "",
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_model_is_the_image_buildkit_makes(engine: Engine, tmp_path: Path, name: str) -> None:
    text = CASES[name]
    assert engine_view(engine, text, tmp_path) == model_view(runtime_config(dockopt.parse(text)))


def test_negative_control_a_misread_config_is_seen(engine: Engine, tmp_path: Path) -> None:
    """The comparison can fail: the model of another text (CMD reset as an inherited one) is told apart."""
    built = engine_view(engine, CASES["CMD, then ENTRYPOINT in the same stage"], tmp_path)
    other = model_view(runtime_config(dockopt.parse(CASES["ENTRYPOINT drops an inherited CMD"])))
    assert built["Cmd"] == ["app.py"] and other["Cmd"] is None
    assert built != other


def test_inspect_gives_json_config(engine: Engine) -> None:
    """``inspect_image`` is the engine's JSON (a guard against comparing with a stub)."""
    proc = subprocess.run(
        [engine.docker, "version", "--format", "{{json .Server.Version}}"], capture_output=True, text=True, env=_env()
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)
