"""The model's ARG/ENV values and WORKDIR (``model.scope``) against the image BuildKit builds.

The rules resolve COPY destinations, WORKDIRs and PATH from ``model.scope``.
Each case is built on ``scratch`` with ``--no-cache``; for every ENV of the
engine's image config, the model's value at the end of the final stage
(``Scope.env``) must be the engine's, or None (the model does not know it and
says so; it must never claim a wrong value), and its WORKDIR must be the
engine's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import dockopt
from dockopt.engine import Engine
from dockopt.model.analysis import analyse
from tests.e2e.scratch import built_config

pytestmark = pytest.mark.docker

CASES = {
    "an ARG default in ENV": "FROM scratch\nARG V=1\nENV A=$V\n",
    "a global ARG not declared in the stage": "ARG V=1\nFROM scratch\nENV A=x$V\n",
    "a global ARG declared in the stage": "ARG V=1\nFROM scratch\nARG V\nENV A=$V\n",
    "default and alternative forms": "FROM scratch\nARG E=\nARG S=set\nENV A=${U:-def} B=${S:+alt} D=${E:-y}\n",
    "a pair reads the value before its line": "FROM scratch\nENV A=1 B=$A\n",
    "the venv idiom on one line": "FROM scratch\nENV VIRTUAL_ENV=/opt/venv PATH=$VIRTUAL_ENV/bin:/bin\n",
    "a WORKDIR from an ARG": "FROM scratch\nARG D=/srv\nWORKDIR $D/app\n",
    "a WORKDIR from an ENV in braces": "FROM scratch\nENV D=/x\nWORKDIR ${D}/y\n",
    "quotes": "FROM scratch\nENV D=d\nENV A=\"a $D\" B='c $D'\n",
    "an escaped dollar": "FROM scratch\nENV D=d\nENV A=\\$D\n",
    "an ARG after an ENV of the same name": "FROM scratch\nENV V=env\nARG V=arg\nENV A=$V\n",
    "a stage inherits ENV, not ARG": "FROM scratch AS a\nARG X=1\nENV Y=2\nFROM a\nENV A=x$X B=$Y\n",
    "a nested default": "FROM scratch\nARG W=w\nENV A=${U:-$W}\n",
    "the legacy ENV form": "FROM scratch\nARG V=1\nENV A $V and more\n",
    "an ARG default from an ARG": "FROM scratch\nARG P=/p\nARG Q=$P/q\nENV A=$Q\n",
}


def built(engine: Engine, text: str, context: Path) -> tuple[dict[str, str], str]:
    cfg = built_config(engine, text, context, "scope")
    env = dict(e.split("=", 1) for e in cfg.get("Env") or [])
    env.pop("PATH", None) if "PATH" not in text else None
    return env, cfg.get("WorkingDir") or "/"


def wrong_claims(text: str, env: dict[str, str], workdir: str) -> list[str]:
    model = analyse(dockopt.parse(text))
    final = model.doc.stages[-1]
    values = model.scope.env(final)
    out = [f"{k}: model {values[k]!r}, BuildKit {v!r}" for k, v in env.items() if values.get(k) not in (None, v)]
    if model.scope.end(final).workdir != workdir:
        out.append(f"WORKDIR: model {model.scope.end(final).workdir!r}, BuildKit {workdir!r}")
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_model_never_claims_a_value_buildkit_does_not_set(engine: Engine, tmp_path: Path, name: str) -> None:
    env, workdir = built(engine, CASES[name], tmp_path)
    assert wrong_claims(CASES[name], env, workdir) == []


def test_negative_control_a_wrong_claim_is_seen(engine: Engine, tmp_path: Path) -> None:
    """The check can fail: the image of one case is not the model of another."""
    env, workdir = built(engine, CASES["a pair reads the value before its line"], tmp_path)
    assert env == {"A": "1", "B": ""}
    assert wrong_claims("FROM scratch\nENV A=1\nENV B=$A\n", env, workdir) == ["B: model '1', BuildKit ''"]


def test_the_model_knows_the_plain_ones() -> None:
    """Not a vacuous pass: where nothing is quoted, escaped or left to the base image, the model knows."""
    plain = [
        "an ARG default in ENV",
        "a global ARG declared in the stage",
        "a WORKDIR from an ENV in braces",
        "an ARG after an ENV of the same name",
        "the legacy ENV form",
        "an ARG default from an ARG",
    ]
    for name in plain:
        model = analyse(dockopt.parse(CASES[name]))
        values = model.scope.env(model.doc.stages[-1])
        assert values and None not in values.values(), name
    model = analyse(dockopt.parse(CASES["quotes"]))
    assert dict(model.scope.env(model.doc.stages[-1])) == {"D": "d", "A": "a d", "B": None}
