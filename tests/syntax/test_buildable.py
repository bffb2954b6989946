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
    # argument counts and forms (syntax.arguments)
    "COPY with one argument": ("FROM scratch\nCOPY a\n", 2, 1, "COPY requires at least two arguments"),
    "ADD with one JSON argument": ('FROM scratch\nADD ["a"]\n', 2, 1, "ADD requires at least two arguments"),
    "copy with -- and one argument": ("FROM scratch\n  copy -- a\n", 2, 3, "COPY requires at least two arguments"),
    "ENV without arguments": ("FROM scratch\nENV\n", 2, 1, "ENV requires at least one argument"),
    "ENV with a blank name": ("FROM scratch\nENV A=1 =2\n", 2, 1, "ENV names can not be blank"),
    "LABEL with a blank name": ("FROM scratch\nLABEL =x\n", 2, 1, "LABEL names can not be blank"),
    "ARG without arguments": ("FROM scratch\nARG\n", 2, 1, "ARG requires at least one argument"),
    "ARG with a blank name": ("FROM scratch\nARG A =x\n", 2, 1, "ARG names can not be blank"),
    "MAINTAINER without argument": ("FROM scratch\nMAINTAINER\n", 2, 1, "MAINTAINER requires exactly one argument"),
    "WORKDIR with only a flag": ("FROM scratch\nWORKDIR --foo=x\n", 2, 1, "WORKDIR requires exactly one argument"),
    "USER without argument": ("FROM scratch\nUSER\n", 2, 1, "USER requires exactly one argument"),
    "STOPSIGNAL without argument": ("FROM scratch\nSTOPSIGNAL\n", 2, 1, "STOPSIGNAL requires exactly one argument"),
    "EXPOSE without argument": ("FROM scratch\nEXPOSE\n", 2, 1, "EXPOSE requires at least one argument"),
    "VOLUME with an empty JSON list": ("FROM scratch\nVOLUME []\n", 2, 1, "VOLUME requires at least one argument"),
    "VOLUME with an empty path": ('FROM scratch\nVOLUME ["/a", " "]\n', 2, 1, "VOLUME specified can not be an empty string"),
    "ONBUILD with only a flag": ("FROM scratch\nONBUILD --foo\n", 2, 1, "ONBUILD requires at least one argument"),
    "SHELL not JSON": ("FROM scratch\nSHELL /bin/sh -c\n", 2, 1, "SHELL requires the arguments to be in JSON form"),
    "SHELL with an empty list": ("FROM scratch\nSHELL []\n", 2, 1, "SHELL requires at least one argument"),
    "HEALTHCHECK without argument": ("FROM scratch\nHEALTHCHECK\n", 2, 1, "HEALTHCHECK requires at least one argument"),
    "HEALTHCHECK NONE with arguments": ("FROM scratch\nHEALTHCHECK NONE x\n", 2, 1, "HEALTHCHECK NONE takes no arguments"),
    "HEALTHCHECK CMD without command": ("FROM scratch\nHEALTHCHECK CMD []\n", 2, 1, "missing command after HEALTHCHECK CMD"),
    "HEALTHCHECK of an unknown type": ("FROM scratch\nHEALTHCHECK --interval=5s RUN x\n", 2, 1, 'unknown type "RUN"'),
    "FROM with two words": ("FROM scratch base\n", 1, 1, "FROM requires either one or three arguments"),
    "FROM AS without a name": ("FROM scratch AS\n", 1, 1, "FROM requires either one or three arguments"),
    "FROM with four words": ("FROM scratch AS a b\n", 1, 1, "FROM requires either one or three arguments"),
    "stage name starting with a digit": ("FROM scratch AS 1st\n", 1, 1, "invalid name for build stage: '1st'"),
    "stage name with a symbol": ("FROM scratch AS a$b\n", 1, 1, "invalid name for build stage: 'a$b'"),
    # flags (syntax.arguments)
    "unknown flag on COPY": ("FROM scratch\nCOPY --foo=x a b\n", 2, 1, "unknown flag --foo for COPY"),
    "upper-case flag": ("FROM scratch\nCOPY --CHOWN=1 a b\n", 2, 1, "unknown flag --CHOWN for COPY"),
    "flag without a name": ("FROM scratch\nCOPY --=x a b\n", 2, 1, "unknown flag -- for COPY"),
    "ADD --from": ("FROM scratch\nADD --from=a a b\n", 2, 1, "unknown flag --from for ADD"),
    "unknown flag on FROM": ("FROM --foo=x scratch\n", 1, 1, "unknown flag --foo for FROM"),
    "unknown flag on RUN": ("FROM scratch\nRUN --foo=x true\n", 2, 1, "unknown flag --foo for RUN"),
    "flag on ENV": ("FROM scratch\nENV --foo=x a=b\n", 2, 1, "unknown flag --foo for ENV"),
    "flag on CMD": ("FROM scratch\nCMD --foo=x x\n", 2, 1, "unknown flag --foo for CMD"),
    "flag on ONBUILD": ("FROM scratch\nONBUILD --foo=x RUN x\n", 2, 1, "unknown flag --foo for ONBUILD"),
    "flag on HEALTHCHECK CMD": ("FROM scratch\nHEALTHCHECK --foo=x CMD x\n", 2, 1, "unknown flag --foo for HEALTHCHECK"),
    "COPY --from without a value": ("FROM scratch\nCOPY --from a b\n", 2, 1, "missing a value on flag --from"),
    "FROM --platform without a value": ("FROM --platform scratch\n", 1, 1, "missing a value on flag --platform"),
    "RUN --mount without a value": ("FROM scratch\nRUN --mount=type=tmpfs,target=/t --mount true\n", 2, 1, "missing a value on flag --mount"),
    "duplicate flag": ("FROM scratch\nCOPY --chown=1 --chown=2 a b\n", 2, 1, "duplicate flag --chown"),
    "duplicate --platform": ("FROM --platform=linux/amd64 --platform=linux/amd64 scratch\n", 1, 1, "duplicate flag --platform"),
    "boolean flag with a bad value": ("FROM scratch\nCOPY --link=maybe a b\n", 2, 1, "--link takes no value or true/false"),
    # HEALTHCHECK values (syntax.arguments)
    "duration without a unit": ("FROM scratch\nHEALTHCHECK --interval=5 CMD x\n", 2, 1, "--interval=5 is not a duration"),
    "duration with an unknown unit": ("FROM scratch\nHEALTHCHECK --timeout=1x CMD x\n", 2, 1, "--timeout=1x is not a duration"),
    "duration below 1ms": ("FROM scratch\nHEALTHCHECK --start-period=0.5ms CMD x\n", 2, 1, "--start-period=0.5ms is negative or less"),
    "negative duration": ("FROM scratch\nHEALTHCHECK --interval=-1s CMD x\n", 2, 1, "--interval=-1s is negative or less"),
    "retries not a number": ("FROM scratch\nHEALTHCHECK --retries=x CMD x\n", 2, 1, "--retries=x is not a whole number"),
    "retries out of range": ("FROM scratch\nHEALTHCHECK --retries=99999999999 CMD x\n", 2, 1, "--retries=99999999999 is not a whole"),
    "negative retries": ("FROM scratch\nHEALTHCHECK --retries=-1 CMD x\n", 2, 1, "--retries cannot be negative"),
}
# Negative controls: BuildKit builds these.
ACCEPTED: dict[str, str] = {
    "known, lower case": "from scratch\nlabel a=b\n",
    "ARG before FROM": "ARG A=1\nFROM scratch\nLABEL a=$A\n",
    "ONBUILD of an unknown word": "FROM scratch\nONBUILD FOO x\n",
    "every known keyword": "FROM scratch AS a\nMAINTAINER m\nLABEL a=b\nENV A=1\nARG B\nWORKDIR /w\nUSER u\n"
    "EXPOSE 1\nVOLUME /v\nSTOPSIGNAL SIGTERM\nSHELL [\"/bin/sh\", \"-c\"]\nHEALTHCHECK NONE\nONBUILD RUN x\n"
    "COPY a b\nADD a b\nRUN x\nCMD x\nENTRYPOINT x\n",
    # near misses of the argument checks: BuildKit builds these
    "COPY with two arguments": "FROM scratch\nCOPY a b\n",
    "ADD with two JSON arguments": 'FROM scratch\nADD ["a", "b"]\n',
    "copy with -- and two arguments": "FROM scratch\ncopy -- a b\n",
    "ENV in the legacy form": "FROM scratch\nENV A b c\n",
    "LABEL with an empty value": "FROM scratch\nLABEL a= b=1\n",
    "LABEL with a quoted empty name": 'FROM scratch\nLABEL ""=x\n',
    "ARG with a name only": "FROM scratch\nARG A B=\n",
    "MAINTAINER of two words": "FROM scratch\nMAINTAINER a b\n",
    "WORKDIR of two words": "FROM scratch\nWORKDIR /a b\n",
    "STOPSIGNAL a number": "FROM scratch\nSTOPSIGNAL 9\n",
    "EXPOSE two ports": "FROM scratch\nEXPOSE 80 443/udp\n",
    "VOLUME two JSON paths": 'FROM scratch\nVOLUME ["/a", "/b"]\n',
    "SHELL as JSON": 'FROM scratch\nSHELL ["/bin/sh", "-c"]\n',
    "HEALTHCHECK NONE": "FROM scratch\nHEALTHCHECK NONE\n",
    "HEALTHCHECK none with a flag": "FROM scratch\nHEALTHCHECK --foo=x none\n",
    "HEALTHCHECK cmd with an empty string": 'FROM scratch\nHEALTHCHECK cmd [""]\n',
    "FROM AS a name with symbols": "FROM scratch as Build.x_1-2\n",
    "FROM AS with a long s": "FROM scratch A\u017f b\n",
    "flags BuildKit 0.8 knows": "FROM --platform=linux/amd64 scratch AS s\nCOPY a b\n"
    "FROM scratch\nCOPY --from=s --chown=1:1 --chmod=644 b c\nADD --chown=1 --chmod=600 a d\n",
    "flags with empty values": "FROM --platform= scratch\nCOPY --from= --chown= a b\n",
    "flags ARG and STOPSIGNAL ignore": "FROM scratch\nARG --foo=x A\nSTOPSIGNAL --foo 9\n",
    "a flag of ONBUILD's trigger": "FROM scratch\nONBUILD RUN --foo=x x\n",
    "a flag-like word after --": "FROM scratch\nCOPY -- --foo a\n",
    "RUN --mount twice": "FROM python:3.12-slim\nRUN --mount=type=tmpfs,target=/t --mount=type=tmpfs,target=/u true\n",
    "HEALTHCHECK durations and retries": "FROM scratch\nHEALTHCHECK --interval=1h1m1.5s --timeout=.5s --start-period=1ms "
    '--retries=+2 CMD ["x"]\n',
    "HEALTHCHECK empty values": "FROM scratch\nHEALTHCHECK --interval= --retries= CMD x\n",
    "HEALTHCHECK quoted duration": 'FROM scratch\nHEALTHCHECK --interval="5s" CMD x\n',
}
# Refused by the engine here (BuildKit 0.8) but built by newer frontends (``# syntax=docker/dockerfile:1``
# or ``:1-labs``), per their source: dockopt must not refuse them.
NEWER_FRONTENDS_BUILD: dict[str, str] = {
    "COPY --link": "FROM scratch\nCOPY --link a b\n",
    "COPY --link=false": "FROM scratch\nCOPY --link=false a b\n",
    "COPY --parents": "FROM scratch\nCOPY --parents a b\n",
    "COPY --exclude twice": "FROM scratch\nCOPY --exclude=x --exclude=y a b\n",
    "ADD --checksum": "FROM scratch\nADD --checksum=sha256:0 a b\n",
    "ADD --keep-git-dir --unpack": "FROM scratch\nADD --keep-git-dir=true --unpack a b\n",
    "RUN --network": "FROM scratch\nRUN --network=host true\n",
    "RUN --security twice": "FROM scratch\nRUN --security=insecure --security=sandbox true\n",
    "RUN --device": "FROM scratch\nRUN --device=x true\n",
    "HEALTHCHECK --start-interval": "FROM scratch\nHEALTHCHECK --start-interval=1s CMD x\n",
    "HEALTHCHECK duration 0": "FROM scratch\nHEALTHCHECK --interval=0s --timeout=-0 CMD x\n",
    "HEALTHCHECK --retries=0": "FROM scratch\nHEALTHCHECK --retries=0 CMD x\n",
}
# Refused by the engine here, not mirrored (see syntax.arguments): declined rather than guessed.
NOT_MIRRORED: dict[str, str] = {
    "HEALTHCHECK duration from an ARG": "FROM scratch\nARG I=5s\nHEALTHCHECK --interval=$I CMD x\n",
    "RUN --mount of an unknown type": "FROM scratch\nRUN --mount=type=foo,target=/t true\n",
    "EXPOSE of a word": "FROM scratch\nEXPOSE abc\n",
    "STOPSIGNAL of two words": "FROM scratch\nSTOPSIGNAL SIGTERM x\n",
    "COPY --from its own stage": "FROM scratch AS a\nCOPY --from=a a b\n",
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


@pytest.mark.parametrize("name", [*ACCEPTED, *NEWER_FRONTENDS_BUILD, *NOT_MIRRORED])
def test_accepted(name: str) -> None:
    text = {**ACCEPTED, **NEWER_FRONTENDS_BUILD, **NOT_MIRRORED}[name]
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
