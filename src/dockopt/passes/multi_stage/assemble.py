"""Writing the two stages: the builder (same base, named), then the runtime stage.

The builder gets what the placement and the apt plan give it, in order, with
the virtualenv created right before the install steps; the runtime stage gets
everything that matters at run time, in order, the COPY of the environment
where the first install was, and ``ENV PATH`` where :func:`path_env.plan_path`
says. Blank lines of instructions that move away go to the next one, so the
file keeps its shape.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...model import apt, paths
from ...records_base import Record
from ...syntax import Dockerfile, Instruction, Trivia
from .. import path_env
from ..base import Decline, suppressed_text
from .apt_plan import AptPlan, ensure_lists, runtime_apt_run
from .facts import Facts
from .job import USER_BASE, Job
from .placement import Placement

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .facts import Layout

#: uv, installed with pip in the builder, where a runtime stage that runs `uv run` gets it from.
UV_BIN = "/usr/local/bin/uv"


class Where(Record):
    """Where the packages live, and what the runtime stage needs besides them."""

    _fields = ("layout", "venv_dir", "copy_uv", "off_path")
    __slots__ = _fields
    layout: Layout
    venv_dir: str  # dockopt's virtualenv, or (layout "project") the one the installs make
    copy_uv: bool  # the runtime stage runs `uv`: copy its binary from the builder
    off_path: bool  # layout "project": the original image doesn't put it on PATH (path-env must not either)

    def __init__(self, layout: Layout, venv_dir: str, copy_uv: bool, off_path: bool = False) -> None:
        self._set(layout, venv_dir, copy_uv, off_path)

    @property
    def env_dir(self) -> str:
        return USER_BASE if self.layout == "user" else self.venv_dir


def assemble(job: Job, placement: Placement, plan: AptPlan, facts: Facts, where: Where) -> tuple[Dockerfile, list[str]]:
    """The split file, and notes for the change message."""
    body = _edited_body(job, facts)
    name = builder_name(job.doc)
    from_ins = job.stage.from_instruction
    builder_from = _named_from(from_ins, name)
    if builder_from is None:
        raise Decline(from_ins, "the FROM line is continued over several lines; the rule won't edit it")
    notes: list[str] = []
    builder_items = _builder(job, body, placement, plan, facts, where)
    builder_items, added = ensure_lists(builder_items, job.style, initial="absent")
    if added:
        notes.append("the builder runs `apt-get update` before its apt install, whose update stays at run time")
    runtime_items = _runtime(job, body, placement, plan, name, where)
    _, unmet = apt.first_unmet([i for i in runtime_items if i.keyword == "RUN"], "absent")
    if unmet is not None:
        raise Decline(unmet, "after the split this apt install would run without the `apt-get update` it relies on")
    # An inline suppression above the FROM (`# dockopt: ignore=DO004`) is about the image: it goes with
    # the runtime stage's FROM too, or slim-base would change the stage the comment meant to keep.
    kept = [t for t in from_ins.leading if t.kind == "comment" and suppressed_text(t.text)]
    runtime_from = from_ins.with_changes().with_leading([Trivia("blank", job.style.newline), *kept])
    pre = [ins for ins in job.doc.instructions if ins is not from_ins and job.model.stage_of(ins) is None]
    doc = job.doc.with_instructions([*pre, builder_from, *builder_items, runtime_from, *runtime_items])
    return doc, notes


def _edited_body(job: Job, facts: Facts) -> list[Instruction]:
    """The stage's instructions with the install RUNs' small edits (uv pip --system, pip --user, tool pip)."""
    body = list(job.body)
    by_run: dict[int, list[tuple[int, int, str]]] = {}
    for idx, start, end, text in facts.edits:
        by_run.setdefault(idx, []).append((start, end, text))
    for idx, spans in by_run.items():
        edited = body[idx].edit_args(spans)
        if edited is None:
            raise Decline(body[idx], "an install flag sits across a line continuation; the rule won't edit it")
        body[idx] = edited
    return body


def _builder(
    job: Job, body: list[Instruction], placement: Placement, plan: AptPlan, facts: Facts, where: Where
) -> list[Instruction]:
    out = _Out()
    kinds: list[str] = []
    for i in range(job.last + 1):
        ins = body[i]
        p = placement[i]
        if p in ("builder", "both") or (p == "apt" and plan[i].in_builder):
            out.add(ins.with_changes() if p == "both" or (p == "apt" and plan[i].runtime == "keep") else ins)
            run = job.runs.get(i)
            kinds.append(run.kind if run else ins.keyword)
        else:
            out.drop(ins)
    items = out.items
    style = job.style
    if where.layout == "project":
        # the installs make their own virtualenv; uv would download an interpreter it doesn't find into
        # ~/.local/share/uv, outside the copied directory, so only the image's own one is allowed
        values = job.model.scope.before(job.body[job.first]).values
        if not facts.uv_project or "UV_PYTHON_DOWNLOADS" in values:
            return items
        block = [style.env([("UV_PYTHON_DOWNLOADS", "never")])]
    elif where.layout == "venv":
        interpreters = sorted(facts.interpreters)
        if len(interpreters) > 1:
            raise Decline(None, "the installs use different interpreters (" + ", ".join(interpreters) + ")")
        interp = interpreters[0] if interpreters else "python"
        block = [
            style.instruction("RUN", f"{interp} -m venv {where.venv_dir}"),
            style.env([("VIRTUAL_ENV", where.venv_dir), ("PATH", f"{where.venv_dir}/bin:$PATH")]),
        ]
    else:
        return items
    anchor = next(k for k, kind in enumerate(kinds) if kind == "install")
    while anchor > 0 and kinds[anchor - 1] in ("COPY", "ADD", "helper"):
        anchor -= 1
    target = items[anchor]
    blank = _blank_prefix(target.leading)
    items[anchor] = target.with_leading(target.leading[len(blank) :])
    block[0] = block[0].with_leading(blank)
    items[anchor:anchor] = block
    return items


def _runtime(
    job: Job, body: list[Instruction], placement: Placement, plan: AptPlan, builder: str, where: Where
) -> list[Instruction]:
    style = job.style
    out = _Out()
    env_dir = where.env_dir
    leading = style.comment_lines([f"{env_dir} stays off PATH, as in the original image", "dockopt: ignore=DO003"])
    copies = [style.instruction("COPY", f"{env_dir} {env_dir}", [f"--from={builder}"], leading if where.off_path else ())]
    if where.copy_uv:
        copies.append(style.instruction("COPY", f"{UV_BIN} {UV_BIN}", [f"--from={builder}"]))
    copy_at: int | None = None
    for i, ins in enumerate(body):
        p = placement[i]
        if i == job.first:
            out.drop(ins)
            if p == "apt" and plan[i].runtime == "replace":
                out.add(runtime_apt_run(job, i, plan[i], placement, plan))
            for copy in copies:
                out.add(copy)
            copy_at = _hoist(job, out, len(out.items) - len(copies), len(copies), env_dir)
            continue
        if p in ("runtime", "both") or (p == "apt" and plan[i].runtime == "keep"):
            out.add(ins)
        elif p == "apt" and plan[i].runtime == "replace":
            out.drop(ins)
            out.add(runtime_apt_run(job, i, plan[i], placement, plan))
        else:
            out.drop(ins)
    items = out.items
    assert copy_at is not None
    return _with_path(job, items, copy_at + len(copies) - 1, where)


def _with_path(job: Job, items: list[Instruction], copy_at: int, where: Where) -> list[Instruction]:
    """ENV PATH (and VIRTUAL_ENV, UV_PROJECT_ENVIRONMENT) for the copied environment, where plan_path says;
    nothing for a virtualenv the installs made themselves, whose PATH stays as the file sets it."""
    if where.layout == "project":
        return items
    bin_dir = f"{where.env_dir}/bin"
    path_plan = path_env.plan_path(items, copy_at, bin_dir, (), job.doc.global_args)
    if path_plan.reason is not None:
        raise Decline(path_plan.culprit, path_plan.reason)
    if path_plan.present:
        return items
    assert path_plan.insert_at is not None
    pairs = [("VIRTUAL_ENV", where.venv_dir), ("PATH", f"{bin_dir}:$PATH")] if where.layout == "venv" else [("PATH", f"{bin_dir}:$PATH")]
    if where.copy_uv:
        # `uv run` must find the copied environment, and must not fetch another interpreter at start
        pairs += [("UV_PROJECT_ENVIRONMENT", where.venv_dir), ("UV_PYTHON_DOWNLOADS", "never")]
    env = job.style.env(pairs)
    at = path_plan.insert_at
    if at != copy_at + 1:
        # going above an existing ENV: take its blank lines, leave it its comments
        target = items[at]
        blank = _blank_prefix(target.leading)
        items[at] = target.with_leading(target.leading[len(blank) :])
        env = env.with_leading(blank)
    items.insert(at, env)
    return items


def builder_name(doc: Dockerfile) -> str:
    """``builder``, or the first of a few other names no stage or --from uses."""
    taken = set()
    for ins in doc.instructions:
        if ins.keyword == "FROM" and ins.from_stage_name:
            taken.add(ins.from_stage_name.lower())
        for flag in ins.flags:
            if flag.name == "from" and flag.value:
                taken.add(flag.value.lower())
            if flag.name == "mount" and flag.value:
                for part in flag.value.split(","):
                    key, _, value = part.partition("=")
                    if key.strip() == "from":
                        taken.add(value.strip().lower())
    for candidate in ("builder", "build", "deps", "python-builder"):
        if candidate not in taken:
            return candidate
    n = 2
    while f"builder{n}" in taken:
        n += 1
    return f"builder{n}"


def _blank_prefix(leading: Iterable[Trivia]) -> tuple[Trivia, ...]:
    out: list[Trivia] = []
    for t in leading:
        if t.kind != "blank":
            break
        out.append(t)
    return tuple(out)


class _Out:
    """An instruction list for one stage; blank lines of dropped instructions go to the next one."""

    def __init__(self) -> None:
        self.items: list[Instruction] = []
        self.pending: tuple[Trivia, ...] | None = None
        self._origin: dict[int, Instruction] = {}  # id of a copy given new blank lines -> the tree's instruction

    def drop(self, ins: Instruction) -> None:
        if self.pending is None:
            self.pending = _blank_prefix(ins.leading)

    def add(self, ins: Instruction) -> None:
        if self.pending and not _blank_prefix(ins.leading):
            original, ins = ins, ins.with_leading(self.pending + ins.leading)
            self._origin[id(ins)] = original
        self.pending = None
        self.items.append(ins)

    def original(self, ins: Instruction) -> Instruction:
        """The tree's instruction ``ins`` was made from (the model knows that one, not a copy)."""
        return self._origin.get(id(ins), ins)


def _hoist(job: Job, out: _Out, at: int, count: int, env_dir: str) -> int:
    """Move the ``count`` COPY --from lines at ``at`` above the plain COPY/ADD lines before them (better
    cache reuse); returns their new first index. Not above one that writes into the environment or a
    directory holding it (``COPY . .`` with a ``.venv`` in the context would then land on top of it).

    Where a COPY lands is asked of the tree's instruction: one that took the blank lines of a dropped
    instruction is a copy the model does not know, and the rewrite must not depend on blank lines."""
    items = out.items
    while at > 0:
        prev = items[at - 1]
        if prev.keyword not in ("COPY", "ADD") or prev.flag("from") is not None or prev.heredocs:
            break
        sd = prev.copy_sources_and_dest()
        if sd is None or sd[1].startswith((env_dir, USER_BASE)):
            break
        known = out.original(prev)
        dest = job.model.scope.path(known, sd[1]) if job.model.stage_of(known) is not None else paths.OPAQUE
        if paths.may_be_under(env_dir, dest):
            break
        block = items[at : at + count]
        blank_prev, blank_first = _blank_prefix(prev.leading), _blank_prefix(block[0].leading)
        block[0] = block[0].with_leading(blank_prev + block[0].leading[len(blank_first) :])
        moved = prev.with_leading(blank_first + prev.leading[len(blank_prev) :])
        items[at - 1 : at + count] = [*block, moved]
        at -= 1
    return at


def _named_from(from_ins: Instruction, name: str) -> Instruction | None:
    """The builder's FROM: ``from_ins`` named ``name``, its ``AS`` cased like its FROM.

    BuildKit's FromAsCasing check warns on ``FROM image as name``. The builder's
    line is dockopt's, so its ``AS`` follows the keyword even where the user's
    did not (their line, which the runtime stage keeps, stays as they wrote it).
    """
    args = from_ins.args
    kw = from_ins.keyword_text
    as_kw = "as" if kw.islower() else "AS"
    existing = from_ins.from_stage_name
    if not existing:
        return from_ins.edit_args([(len(args), len(args), f" {as_kw} {name}")])
    end = len(args) - len(existing)
    edits = [(end, len(args), name)]
    head = args[:end].rstrip()
    if head[-2:] != as_kw and kw in (kw.lower(), kw.upper()):  # a mixed-case FROM is not checked
        edits.append((len(head) - 2, len(head), as_kw))
    return from_ins.edit_args(edits)
