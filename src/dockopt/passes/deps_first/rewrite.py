"""Writing the plan into the tree: manifest COPYs in place of the whole-context COPY, the code COPYs moved down.

Every moved COPY keeps its own text and the comments above it; a COPY split
in two (manifests and code, :mod:`.parts`) leaves its manifests' half in its
place, with the comments, and its code half moves. The blank
lines above a COPY that leaves its place stay there (on the instruction
below it), so the file's layout around the hole does not close up. A manifest
COPY keeps the ``--chown``/``--chmod``/``--link`` of the COPY it stands in for.
"""

from __future__ import annotations

from ...style import Style
from ...syntax import Dockerfile, Instruction, Trivia
from .plan import COPY_FLAGS_KEPT, Plan


def rewrite(doc: Dockerfile, plan: Plan) -> Dockerfile:
    """``doc`` with ``plan`` carried out."""
    moving = [c.moved or c.ins for c in plan.copies]
    moving_ids = {id(c.ins) for c in plan.copies if c.left is None}  # the COPYs that leave their place
    last = doc.instructions[-1]
    was_last_without_eol = last.eol == "" and not last.heredocs
    out = doc
    holes: list[tuple[Instruction, list[Trivia]]] = []  # (the instruction below a COPY that left, its blank lines)
    for c in plan.copies:
        blanks = _blanks(c.ins)
        if c.whole and plan.manifest_copies:
            out = out.replace(c.ins, _manifest_copies(Style.detect(doc), c.ins, plan.manifest_copies, blanks))
            continue
        if c.left is not None:
            out = out.replace(c.ins, c.left)  # split in two: the manifests' half stays, with the comments above
            continue
        out = out.remove(c.ins, keep_leading=False)
        below = _below(doc, c.ins, moving_ids)
        if blanks and below is not None and not _after_moving(doc, c.ins, moving_ids):
            holes.append((below, blanks))
    out = _place(out, plan, moving, holes)
    if was_last_without_eol and out.instructions[-1] is moving[-1]:
        out = out.with_instructions([*out.instructions[:-1], moving[-1].with_eol("")])
    return out


def _place(
    out: Dockerfile, plan: Plan, moving: list[Instruction], holes: list[tuple[Instruction, list[Trivia]]]
) -> Dockerfile:
    """Fill the holes' blank lines, then put the COPYs after the install or between its two halves."""
    split_ins = plan.split.ins if plan.split is not None else None
    anchor = plan.after
    first = plan.split.split.first if plan.split is not None and plan.split.split is not None else None
    for below, blanks in holes:
        if below is split_ins and first is not None:
            first = first.with_leading([*blanks, *first.leading])
            continue
        if below.leading[:1] and below.leading[0].kind == "blank":
            continue  # it already has a blank line above it
        new = below.with_leading([*blanks, *below.leading])
        out = out.replace(below, new)
        anchor = new if below is anchor else anchor
    if plan.split is not None and plan.split.split is not None and first is not None:
        return out.replace(plan.split.ins, [first, *moving, plan.split.split.second])
    assert anchor is not None
    return out.insert_after(anchor, moving)


def _blanks(ins: Instruction) -> list[Trivia]:
    """The blank lines right above an instruction (before any comment)."""
    out = []
    for t in ins.leading:
        if t.kind != "blank":
            break
        out.append(t)
    return out


def _manifest_copies(
    style: Style, copy: Instruction, groups: tuple[tuple[tuple[str, ...], str], ...], blanks: list[Trivia]
) -> list[Instruction]:
    flags = [f.raw for f in copy.flags if f.name in COPY_FLAGS_KEPT]
    new = [style.instruction("COPY", " ".join([*sources, target]), flags) for sources, target in groups]
    if blanks:
        new[0] = new[0].with_leading(blanks)
    return new


def _below(doc: Dockerfile, ins: Instruction, moving: set[int]) -> Instruction | None:
    """The first instruction after ``ins`` that stays where it is."""
    seen = False
    for x in doc.instructions:
        if seen and id(x) not in moving:
            return x
        seen = seen or x is ins
    return None


def _after_moving(doc: Dockerfile, ins: Instruction, moving: set[int]) -> bool:
    """``ins`` follows another COPY that moves: the hole above it is already accounted for."""
    previous = None
    for x in doc.instructions:
        if x is ins:
            return previous is not None and id(previous) in moving
        previous = x
    return False
