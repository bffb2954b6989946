"""syntax.buildable: files BuildKit's parser reads but its build refuses are refused by the rewrite.

The parse itself keeps accepting them (it mirrors BuildKit's parser); the
engine test ``tests/e2e/test_buildable_engine.py`` builds the same texts with
Docker's BuildKit to show it refuses exactly these.
"""

from __future__ import annotations

import pytest

import dockopt
from dockopt.syntax import ParseError, buildable, parse

# text -> (line, column, start of the message); the texts are shared with the engine test
REFUSED: dict[str, tuple[str, int, int, str]] = {
    "unknown instruction": ("FROM scratch\nUSE root\n", 2, 1, "unknown instruction: USE"),
    "unknown, lower case and indented": ("from scratch\n\n  use root\n", 3, 3, "unknown instruction: USE"),
    "keyword joined by a non-ASCII space": ("FROM scratch\nLABEL\u3000a=b\n", 2, 1, "unknown instruction: LABEL\u3000A=B"),
    "unknown in a stage nobody builds": ("FROM scratch AS a\nFOO x\nFROM scratch\nLABEL a=b\n", 2, 1, "unknown instruction: FOO"),
    "instruction before FROM": ("LABEL a=b\nFROM scratch\n", 1, 1, "LABEL before the first FROM"),
    "ONBUILD FROM": ("FROM scratch\nONBUILD FROM x\n", 2, 1, "FROM isn't allowed as an ONBUILD trigger"),
    "ONBUILD MAINTAINER": ("FROM scratch\nONBUILD MAINTAINER x\n", 2, 1, "MAINTAINER isn't allowed"),
    "ONBUILD ONBUILD": ("FROM scratch\nONBUILD ONBUILD LABEL a=b\n", 2, 1, "chaining ONBUILD"),
}
# Negative controls: BuildKit builds these.
ACCEPTED: dict[str, str] = {
    "known, lower case": "from scratch\nlabel a=b\n",
    "ARG before FROM": "ARG A=1\nFROM scratch\nLABEL a=$A\n",
    "ONBUILD of an unknown word": "FROM scratch\nONBUILD FOO x\n",
    "every known keyword": "FROM scratch AS a\nMAINTAINER m\nLABEL a=b\nENV A=1\nARG B\nWORKDIR /w\nUSER u\n"
    "EXPOSE 1\nVOLUME /v\nSTOPSIGNAL SIGTERM\nSHELL [\"/bin/sh\", \"-c\"]\nHEALTHCHECK NONE\nONBUILD RUN x\n"
    "COPY a b\nADD a b\nRUN x\nCMD x\nENTRYPOINT x\n",
}


@pytest.mark.parametrize("name", REFUSED)
def test_refused_with_its_position(name: str) -> None:
    text, line, column, message = REFUSED[name]
    doc = parse(text)  # BuildKit's parser reads it: so does dockopt's
    assert doc.to_source() == text
    with pytest.raises(ParseError) as info:
        buildable.check(doc, text)
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.message.startswith(message) and "BuildKit refuses to build this file" in info.value.message
    with pytest.raises(ParseError):
        dockopt.rewrite(text)  # the rewrite starts from nothing BuildKit would not build


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted(name: str) -> None:
    text = ACCEPTED[name]
    buildable.check(parse(text), text)
    dockopt.rewrite(text)


def test_no_from_at_all() -> None:
    # Not in the engine test: Docker 20.10's BuildKit panics on it (dockerd dies), newer ones refuse it.
    text = "ARG A=1\n"
    with pytest.raises(ParseError, match="no FROM"):
        buildable.check(parse(text), text)


def test_known_is_buildkits_list() -> None:
    dockerfile = pytest.importorskip("dockerfile")
    assert {c.upper() for c in dockerfile.all_cmds()} == buildable.KNOWN


def test_skip_file_wins() -> None:
    """A template the user marked ``# dockopt: skip-file`` is skipped, not reported as an error."""
    text = "# dockopt: skip-file\nFROM scratch\n{% if x %}\nLABEL a=b\n{% endif %}\n"
    result = dockopt.rewrite(text)
    assert result.skipped_file and result.text == text
    with pytest.raises(ParseError, match="unknown instruction"):  # the control: without the comment it is an error
        dockopt.rewrite(text.replace("# dockopt: skip-file\n", ""))
