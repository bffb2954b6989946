"""Stages and their FROM chain: which stage is built from which, which ship, what they copy from.

A stage built ``FROM`` an earlier stage's name inherits its filesystem, ENV,
WORKDIR and USER; the final stage and the stages in its chain are the ones
whose layers ship. ``FROM ${BASE}`` is resolved from the ARGs declared before
the first FROM, as BuildKit does.
"""

from __future__ import annotations

from ..syntax import Dockerfile, Instruction, Stage
from . import args


class StageGraph:
    """The FROM chain of every stage of one tree."""

    def __init__(self, doc: Dockerfile) -> None:
        self.doc = doc
        self.stages: tuple[Stage, ...] = doc.stages
        self.global_values: dict[str, str | None] = args.global_args(doc.instructions)
        self._parent: dict[int, Stage | None] = {}
        self._ref: dict[int, str | None] = {}
        earlier: dict[str, Stage] = {}
        for stage in self.stages:
            ref = stage.base or ""
            resolved = args.expand(ref, self.global_values) if "$" in ref else ref
            self._ref[stage.index] = resolved
            self._parent[stage.index] = earlier.get(resolved.lower()) if resolved is not None else None
            if stage.name:
                earlier[stage.name.lower()] = stage

    # -- the chain -------------------------------------------------------------
    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def parent(self, stage: Stage) -> Stage | None:
        """The earlier stage ``stage`` is built FROM, or None for an image."""
        return self._parent.get(stage.index)

    def ancestry(self, stage: Stage) -> list[Stage]:
        """``stage`` and the stages it is built FROM, root first."""
        chain = [stage]
        parent = self.parent(stage)
        while parent is not None and parent not in chain:
            chain.insert(0, parent)
            parent = self.parent(parent)
        return chain

    def children(self, stage: Stage) -> list[Stage]:
        """The stages built FROM ``stage``."""
        return [s for s in self.stages if self.parent(s) is stage]

    def shipped(self) -> frozenset[int]:
        """Indexes of the final stage and the stages it is built FROM: their layers are the image."""
        final = self.final
        return frozenset(s.index for s in self.ancestry(final)) if final is not None else frozenset()

    def image(self, stage: Stage) -> str | None:
        """The image reference at the root of ``stage``'s chain, ARGs expanded; None when unknown."""
        root = self.ancestry(stage)[0]
        return self._ref.get(root.index)

    def reference(self, stage: Stage) -> str | None:
        """``stage``'s own FROM reference with ARGs expanded (a stage name or an image); None when unknown."""
        return self._ref.get(stage.index)

    # -- other stages a stage reads ----------------------------------------------
    def named(self, name: str, before: Stage | None = None) -> Stage | None:
        """The stage a ``--from=`` value names (a stage name or an index), if any."""
        for stage in self.stages:
            if before is not None and stage.index >= before.index:
                break
            if (stage.name and stage.name.lower() == name.lower()) or name == str(stage.index):
                return stage
        return None

    def copied_from(self, stage: Stage) -> list[Stage]:
        """Stages ``stage`` copies files from (``COPY --from``, ``RUN --mount=from=``), in order."""
        out: list[Stage] = []
        for ins in stage.instructions:
            for name in from_names(ins):
                source = self.named(name, before=stage)
                if source is not None and source not in out:
                    out.append(source)
        return out

    def stage_of(self, ins: Instruction) -> Stage | None:
        return self.doc.stage_of(ins)


def from_names(ins: Instruction) -> list[str]:
    """The stage names or images an instruction reads files from (``--from=``, ``--mount=...,from=``)."""
    out: list[str] = []
    for flag in ins.flags:
        if flag.name == "from" and flag.value:
            out.append(flag.value)
        elif flag.name == "mount" and flag.value:
            for part in flag.value.split(","):
                key, _, value = part.partition("=")
                if key.strip() == "from" and value.strip():
                    out.append(value.strip())
    return out
