"""What BuildKit refuses to build although its parser read the file.

BuildKit reads a Dockerfile in two steps: the parser (``parser.Parse``, which
:mod:`.parser` mirrors) accepts any word as an instruction keyword, and the
``instructions`` package then turns the nodes into stages and refuses what
cannot be built, before anything runs. dockopt's tree stays what the parser
reads (``dockopt parse`` shows such a file), but a rewrite must not start from
a file no build accepts: its output would look like an improvement of
something that never built. The refusals mirrored here, each checked against
BuildKit (Docker 20.10's) by ``tests/e2e/test_buildable_engine.py``:

* an instruction BuildKit does not know (``USE root``): "unknown instruction";
* anything but ARG before the first FROM: "no build stage in current context";
* no FROM at all;
* ``ONBUILD ONBUILD``, ``ONBUILD FROM`` and ``ONBUILD MAINTAINER`` (an
  ``ONBUILD`` of an unknown word is stored and fails only in the image built
  FROM this one, so it is not refused here);
* BuildKit's argument checks per instruction (:mod:`.arguments`): too few
  arguments (``COPY a``, ``ENV``, ``FROM a b``), a blank name (``LABEL =x``),
  an invalid stage name, SHELL not in JSON form, a HEALTHCHECK without a
  command or of an unknown type, an unknown, repeated or value-less
  ``--flag``, a HEALTHCHECK duration or retry count no BuildKit reads. Only
  what every BuildKit refuses: a flag a newer frontend knows (``COPY --link``)
  is not refused although this engine refuses it; that module's docstring
  lists what is left alone and why.
"""

from __future__ import annotations

from . import arguments
from .errors import ParseError
from .lexer import split_lines
from .nodes import Dockerfile, Instruction

#: ``dockerfile/command`` in BuildKit: the instructions its dispatcher knows.
KNOWN = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_NOT_TRIGGERS = frozenset({"ONBUILD", "FROM", "MAINTAINER"})
_REFUSED = "BuildKit refuses to build this file"


def check(doc: Dockerfile, text: str) -> None:
    """Raise :class:`ParseError` at the first instruction BuildKit would refuse to build; ``text`` is what
    ``doc`` was parsed from (for the line shown under the message)."""
    seen_from = False
    for ins in doc.instructions:
        kw = ins.keyword
        if kw not in KNOWN:
            raise _error(ins, text, f"unknown instruction: {kw}; {_REFUSED}")
        found = arguments.problem(ins)
        if found:
            raise _error(ins, text, f"{found}; {_REFUSED}")
        if kw == "FROM":
            seen_from = True
        elif not seen_from and kw != "ARG":
            raise _error(ins, text, f"{kw} before the first FROM: no build stage in current context; {_REFUSED}")
        elif kw == "ONBUILD":
            child = ins.onbuild_child
            trigger = child.keyword if child is not None else ""
            if trigger == "ONBUILD":
                raise _error(ins, text, f"chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed; {_REFUSED}")
            if trigger in _NOT_TRIGGERS:
                raise _error(ins, text, f"{trigger} isn't allowed as an ONBUILD trigger; {_REFUSED}")
    if not seen_from and doc.instructions:
        raise _error(doc.instructions[0], text, f"no FROM: the file has no build stage; {_REFUSED}")


def _error(ins: Instruction, text: str, message: str) -> ParseError:
    line = ins.line or 1
    lines = split_lines(text)  # BuildKit's lines: split on \n only
    source = lines[line - 1].content if 0 < line <= len(lines) else ""
    column = len(ins.indent) + 1
    return ParseError(message, line, column, source)
