"""syntax.buildable against Docker's BuildKit: it refuses to build exactly what dockopt refuses to rewrite.

Every text of tests/syntax/test_buildable.py that BuildKit can build on
``scratch`` is built here with ``--no-cache`` in an empty context: the refused
ones must fail with BuildKit's own message (before any step runs), the
accepted ones (the negative controls) must build. The file without any FROM is
left out: Docker 20.10's BuildKit panics on it and takes dockerd down.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from dockopt.engine import BuildError, Engine
from dockopt.syntax import ParseError, buildable, parse
from tests.syntax.test_buildable import ACCEPTED, REFUSED

pytestmark = pytest.mark.docker

#: What BuildKit says for each refused text.
BUILDKIT_SAYS = {
    "unknown instruction": "unknown instruction: USE",
    "unknown, lower case and indented": "unknown instruction: USE",
    "unknown in a stage nobody builds": "unknown instruction: FOO",
    "keyword joined by a non-ASCII space": "unknown instruction: LABEL\u3000A=B",
    "instruction before FROM": "no build stage in current context",
    "ONBUILD FROM": "FROM isn't allowed as an ONBUILD trigger",
    "ONBUILD MAINTAINER": "MAINTAINER isn't allowed as an ONBUILD trigger",
    "ONBUILD ONBUILD": "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
}
#: The accepted texts that build on scratch (no RUN, no files to copy).
BUILDS_ON_SCRATCH = ["known, lower case", "ARG before FROM", "ONBUILD of an unknown word"]


def test_every_refused_case_is_named() -> None:
    assert set(BUILDKIT_SAYS) == set(REFUSED)
    assert set(BUILDS_ON_SCRATCH) <= set(ACCEPTED)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_buildkit_refuses_what_dockopt_refuses(engine: Engine, tmp_path: Path, name: str) -> None:
    text = REFUSED[name][0]
    with pytest.raises(ParseError):
        buildable.check(parse(text), text)
    tag = f"dockopt-buildable/refused:{uuid.uuid4().hex[:10]}"
    with pytest.raises(BuildError) as info:
        engine.build(text, tmp_path, tag, no_cache=True)
    assert BUILDKIT_SAYS[name] in info.value.log


@pytest.mark.parametrize("name", BUILDS_ON_SCRATCH)
def test_buildkit_builds_what_dockopt_accepts(engine: Engine, tmp_path: Path, name: str) -> None:
    text = ACCEPTED[name]
    buildable.check(parse(text), text)
    tag = f"dockopt-buildable/accepted:{uuid.uuid4().hex[:10]}"
    try:
        engine.build(text, tmp_path, tag, no_cache=True)
    finally:
        engine.remove_image(tag)
