"""syntax.buildable against Docker's BuildKit: it refuses to build exactly what dockopt refuses to rewrite.

Every text of tests/syntax/test_buildable.py is built here with
``--no-cache`` in a context holding only the files ``a`` and ``--foo``: the
refused ones must fail with BuildKit's own message (before any step runs), the
accepted ones (the negative controls) must build. The texts newer frontends
build but this engine (BuildKit 0.8) refuses, and the refusals dockopt does not
mirror, must fail here: that is why they are listed, and the day the engine
builds one the list is out of date. The file without any FROM is left out:
Docker 20.10's BuildKit panics on it and takes dockerd down.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from dockopt.engine import BuildError, Engine
from dockopt.syntax import ParseError, buildable, parse
from tests.syntax.test_buildable import ACCEPTED, NEWER_FRONTENDS_BUILD, NOT_MIRRORED, REFUSED

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
    "COPY with one argument": "COPY requires at least two arguments, but only one was provided",
    "ADD with one JSON argument": "ADD requires at least two arguments, but only one was provided",
    "copy with -- and one argument": "COPY requires at least two arguments, but only one was provided",
    "ENV without arguments": "ENV requires at least one argument",
    "ENV with a blank name": "ENV names can not be blank",
    "LABEL with a blank name": "LABEL names can not be blank",
    "ARG without arguments": "ARG requires at least one argument",
    "ARG with a blank name": "ARG names can not be blank",
    "MAINTAINER without argument": "MAINTAINER requires exactly one argument",
    "WORKDIR with only a flag": "WORKDIR requires exactly one argument",
    "USER without argument": "USER requires exactly one argument",
    "STOPSIGNAL without argument": "STOPSIGNAL requires exactly one argument",
    "EXPOSE without argument": "EXPOSE requires at least one argument",
    "VOLUME with an empty JSON list": "VOLUME requires at least one argument",
    "VOLUME with an empty path": "VOLUME specified can not be an empty string",
    "ONBUILD with only a flag": "ONBUILD requires at least one argument",
    "SHELL not JSON": "SHELL requires the arguments to be in JSON form",
    "SHELL with an empty list": "SHELL requires at least one argument",
    "HEALTHCHECK without argument": "HEALTHCHECK requires at least one argument",
    "HEALTHCHECK NONE with arguments": "HEALTHCHECK NONE takes no arguments",
    "HEALTHCHECK CMD without command": "Missing command after HEALTHCHECK CMD",
    "HEALTHCHECK of an unknown type": 'Unknown type "RUN" in HEALTHCHECK (try CMD)',
    "FROM with two words": "FROM requires either one or three arguments",
    "FROM AS without a name": "FROM requires either one or three arguments",
    "FROM with four words": "FROM requires either one or three arguments",
    "stage name starting with a digit": 'invalid name for build stage: "1st"',
    "stage name with a symbol": 'invalid name for build stage: "a$b"',
    "unknown flag on COPY": "Unknown flag: foo",
    "upper-case flag": "Unknown flag: CHOWN",
    "flag without a name": "Unknown flag: \n",
    "ADD --from": "Unknown flag: from",
    "unknown flag on FROM": "Unknown flag: foo",
    "unknown flag on RUN": "Unknown flag: foo",
    "flag on ENV": "Unknown flag: foo",
    "flag on CMD": "Unknown flag: foo",
    "flag on ONBUILD": "Unknown flag: foo",
    "flag on HEALTHCHECK CMD": "Unknown flag: foo",
    "COPY --from without a value": "Missing a value on flag: from",
    "FROM --platform without a value": "Missing a value on flag: platform",
    "RUN --mount without a value": "Missing a value on flag: mount",
    "duplicate flag": "Duplicate flag specified: chown",
    "duplicate --platform": "Duplicate flag specified: platform",
    "boolean flag with a bad value": "Unknown flag: link",  # newer: "expecting boolean value for flag --link"
    "duration without a unit": 'time: missing unit in duration "5"',
    "duration with an unknown unit": 'time: unknown unit "x" in duration "1x"',
    "duration below 1ms": 'Interval "start-period" cannot be less than 1ms',
    "negative duration": 'Interval "interval" cannot be less than 1ms',
    "retries not a number": 'strconv.ParseInt: parsing "x": invalid syntax',
    "retries out of range": 'strconv.ParseInt: parsing "99999999999": value out of range',
    "negative retries": "--retries must be at least 1 (not -1)",
}
#: What this engine says for the texts newer frontends build, and for those dockopt does not judge.
ENGINE_HERE_SAYS = {
    "COPY --link": "Unknown flag: link",
    "COPY --link=false": "Unknown flag: link",
    "COPY --parents": "Unknown flag: parents",
    "COPY --exclude twice": "Unknown flag: exclude",
    "ADD --checksum": "Unknown flag: checksum",
    "ADD --keep-git-dir --unpack": "Unknown flag: keep-git-dir",
    "RUN --network": "Unknown flag: network",
    "RUN --security twice": "Unknown flag: security",
    "RUN --device": "Unknown flag: device",
    "HEALTHCHECK --start-interval": "Unknown flag: start-interval",
    "HEALTHCHECK duration 0": 'Interval "interval" cannot be less than 1ms',
    "HEALTHCHECK --retries=0": "--retries must be at least 1 (not 0)",
    "HEALTHCHECK duration from an ARG": 'time: invalid duration "$I"',
    "RUN --mount of an unknown type": 'unsupported mount type "foo"',
    "EXPOSE of a word": "Invalid containerPort: abc",
    "STOPSIGNAL of two words": "Invalid signal: SIGTERM x",
    "COPY --from its own stage": "circular dependency detected on stage: a",
}
#: Accepted texts not built here: they need files or images the test does not provide.
NOT_BUILT = {"every known keyword"}


def test_every_refused_case_is_named() -> None:
    assert set(BUILDKIT_SAYS) == set(REFUSED)
    assert set(ENGINE_HERE_SAYS) == set(NEWER_FRONTENDS_BUILD) | set(NOT_MIRRORED)
    assert set(ACCEPTED) >= NOT_BUILT


def _context(tmp_path: Path) -> Path:
    (tmp_path / "a").write_text(uuid.uuid4().hex)  # unique: no cache answers for a COPY of it
    (tmp_path / "--foo").write_text(uuid.uuid4().hex)
    return tmp_path


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_buildkit_refuses_what_dockopt_refuses(engine: Engine, tmp_path: Path, name: str) -> None:
    text = REFUSED[name][0]
    with pytest.raises(ParseError):
        buildable.check(parse(text), text)
    tag = f"dockopt-buildable/refused:{uuid.uuid4().hex[:10]}"
    with pytest.raises(BuildError) as info:
        engine.build(text, _context(tmp_path), tag, no_cache=True)
    where = "" if name == "instruction before FROM" else f"dockerfile parse error line {REFUSED[name][1]}: "
    assert f"failed to create LLB definition: {where}" in info.value.log
    assert BUILDKIT_SAYS[name] in info.value.log


@pytest.mark.parametrize("name", sorted(set(ACCEPTED) - NOT_BUILT))
def test_buildkit_builds_what_dockopt_accepts(engine: Engine, tmp_path: Path, name: str) -> None:
    text = ACCEPTED[name]
    buildable.check(parse(text), text)
    tag = f"dockopt-buildable/accepted:{uuid.uuid4().hex[:10]}"
    try:
        engine.build(text, _context(tmp_path), tag, no_cache=True)
    finally:
        engine.remove_image(tag)


@pytest.mark.parametrize("name", sorted(ENGINE_HERE_SAYS))
def test_what_dockopt_leaves_to_other_versions(engine: Engine, tmp_path: Path, name: str) -> None:
    """dockopt accepts these; this engine refuses them before any step runs (newer frontends build the first
    group; the second is not mirrored). Each is listed so that an engine that changes its mind shows up here."""
    text = {**NEWER_FRONTENDS_BUILD, **NOT_MIRRORED}[name]
    buildable.check(parse(text), text)
    tag = f"dockopt-buildable/other:{uuid.uuid4().hex[:10]}"
    with pytest.raises(BuildError) as info:
        engine.build(text, _context(tmp_path), tag, no_cache=True)
    assert "failed to create LLB definition: " in info.value.log
    assert ENGINE_HERE_SAYS[name] in info.value.log
