"""What every phase of the split reads: the file, its one stage, the model, and each RUN's class."""

from __future__ import annotations

from functools import cached_property

from ...model.analysis import Analysis
from ...records_base import Record
from ...style import Style
from ...syntax import Dockerfile, Instruction, Stage
from ..base import Context
from .classify import Run, classify_runs

#: Where the packages go (the default layout) and where `pip install --user` puts them.
VENV_DIR = "/opt/venv"
USER_BASE = "/root/.local"


class Job(Record):
    """The inputs of one split; phases take it and return values (nothing here changes)."""

    _fields = ("doc", "stage", "ctx", "model")
    doc: Dockerfile
    stage: Stage
    ctx: Context
    model: Analysis

    def __init__(self, doc: Dockerfile, stage: Stage, ctx: Context, model: Analysis) -> None:
        self._set(doc, stage, ctx, model)

    @property
    def body(self) -> tuple[Instruction, ...]:
        return self.stage.instructions

    @cached_property
    def style(self) -> Style:
        return Style.detect(self.doc)

    @cached_property
    def runs(self) -> dict[int, Run]:
        return classify_runs(self.body)

    @cached_property
    def installs(self) -> list[int]:
        return [i for i, r in self.runs.items() if r.kind == "install"]

    @property
    def first(self) -> int:
        return self.installs[0]

    @property
    def last(self) -> int:
        return self.installs[-1]

    def text(self, rel: str) -> str | None:
        """A build-context file by a path as an install names it (``./a``, ``/app/a`` or its base name)."""
        context = self.ctx.context
        for candidate in (rel.lstrip("/"), rel.removeprefix("./"), rel.rstrip("/").rsplit("/", 1)[-1]):
            text = context.read(candidate)
            if text is not None:
                return text
        return None
