"""DO005 run-merge: merge consecutive RUN instructions into one layer.

Consecutive shell-form RUNs of one stage with exactly the same flags become
one RUN, written in the file's own style: the first RUN's text, then
`` && <escape><newline><indent>`` and the next RUN's arguments as written
(their own continuations and the comment lines inside them kept). Comment
lines above the later RUNs move above the merged one, in order.

Why ``&&`` keeps the build's meaning
-------------------------------------
Each RUN is ``sh -c TEXT`` in a fresh shell, and the build stops at the first
RUN that exits non-zero. Merging ``A`` and ``B`` gives ``A && B``. In POSIX sh
``&&`` and ``||`` have equal precedence and associate to the left, ``|``
binds tighter than both, and ``;``/``&``/newline separate whole and-or lists.
So with ``A``'s last and-or list written ``L``:

* ``A = x | y``   -> ``x | y && B``   is ``(x | y) && B``;
* ``A = a || b``  -> ``a || b && B``  is ``(a || b) && B``;
* ``A = a; b``    -> ``a; b && B``    is ``a; (b && B)``: ``a`` runs as
  before and ``B`` runs exactly when ``b`` (RUN A's exit status) succeeded;
* a trailing ``;`` of ``A`` is dropped first (``a; && B`` is a syntax error).

In every case ``B`` runs iff RUN ``A`` would have exited 0, and the merged
status is non-zero iff one of the RUNs would have failed. ``set -e`` (from
``SHELL [..., "-e", ...]``) does not change this: commands separated by ``;``
in ``A`` stay top-level commands, and a failing non-last command of an
``&&`` list ends the list with a failure status either way.

The later RUN's own top-level operators matter too: ``A && b1; b2`` runs
``b2`` even when ``A`` failed, and ``A && b1 || b2`` lets ``b2`` rescue a
failed ``A``. So a RUN joins after ``&&`` only when its commands are joined by
``&&`` and ``|`` alone; one using ``;`` or ``||`` may still *start* a merged
chain.

Shell state
-----------
A RUN that changes shell state (``cd``, ``export``, ``set``, ``source``,
``umask``, ``exit``, ``VAR=value`` ... see
:meth:`CommandList.changes_shell_state`) may be the *last* RUN of a merged
chain (the change then only reaches its own commands, as before), but nothing
is merged after it. We deliberately do not isolate it as ``( ... )``: the
merged text would be a compound command that run-cleanup and the other
passes can no longer analyse, and a subshell on the left of ``&&`` runs with
``set -e`` ignored (POSIX: errexit is ignored for every command of an AND-OR
list but the last), so ``(set -e; a; b) && c`` would no longer stop at ``a``.
Keeping the RUNs apart is obviously correct and costs one layer.

Which stages
------------
Only the layers of the final stage and the stages it is built FROM ship in
the image, so RUNs are merged there. In other stages (builders) separate
layers cost nothing in size and give finer caching, so they are left as
written, with one exception: a RUN that only refreshes a package index
(``apt-get update``) is merged with the RUN after it anywhere, since alone
it is cached forever and the install after it then reads stale lists.

Not merged (each with a skip naming the line): heredoc RUNs, exec (JSON) form,
any flag difference (``--mount``, ``--network``, ``--security`` ...), RUNs
with a tmpfs or writable bind mount (each RUN gets it fresh), RUNs the
shell model calls complex, RUNs ending in a shell comment (``#`` would
comment out the ``&&`` after it), a background ``&``, a trailing backslash,
stages whose ``SHELL`` is not sh/bash/dash/ash, and Windows stages.
"""

from __future__ import annotations

from ..model.runs import script
from ..model.shell import CommandList, SimpleCommand
from ..records_base import Record
from ..style import Style
from ..syntax import Dockerfile, Instruction
from .base import Context, Rule, closing_open_end, run_at
from .runtext import count_lines, joinable_body, rebuild_run, run_body, tail_problem

# --------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------

#: What a state-changing command carries into the commands after it.
_STATE_EFFECT = {
    "cd": "the directory later commands run in",
    "pushd": "the directory later commands run in",
    "popd": "the directory later commands run in",
    "export": "the environment of later commands",
    "unset": "the environment of later commands",
    "source": "the environment of later commands",
    ".": "the environment of later commands",
    "set": "the shell options later commands run with",
    "shopt": "the shell options later commands run with",
    "umask": "the permissions of files later commands create",
    "ulimit": "the resource limits of later commands",
    "alias": "how later commands are read",
    "unalias": "how later commands are read",
    "exec": "whether later commands run at all",
    "exit": "whether later commands run at all",
    "return": "whether later commands run at all",
    "trap": "what runs when the shell exits",
}


class _Run(Record):
    _fields = ("ins", "cl", "problem")
    __slots__ = _fields
    ins: Instruction
    cl: CommandList | None
    problem: str | None  # why this RUN takes part in no merge at all

    def __init__(self, ins: Instruction, cl: CommandList | None, problem: str | None) -> None:
        self._set(ins, cl, problem)


def _analyse(ins: Instruction) -> _Run:
    if ins.heredocs:
        return _Run(ins, None, f"{run_at(ins)} uses a heredoc; dockopt does not merge heredoc RUNs")
    if not ins.is_shell_form:
        return _Run(ins, None, f"{run_at(ins)} is in exec (JSON) form, which cannot be joined with `&&`")
    scratch = _scratch_mount(ins)
    if scratch is not None:
        return _Run(
            ins,
            None,
            f"{run_at(ins)} mounts {scratch}, which each RUN gets fresh; "
            "merged, later commands would see what earlier ones wrote there",
        )
    cl = script(ins).commands
    if cl.complex:
        return _Run(
            ins,
            cl,
            f"{run_at(ins)} is a compound shell command (if/for/case, subshell, heredoc or similar) "
            "that dockopt does not analyse",
        )
    return _Run(ins, cl, tail_problem(ins, cl))


def _scratch_mount(ins: Instruction) -> str | None:
    """A mount whose writes are thrown away after the RUN: a tmpfs or a writable bind mount."""
    for flag in ins.flags:
        if flag.name != "mount" or not flag.value:
            continue
        fields = {}
        for part in flag.value.split(","):
            key, sep, value = part.partition("=")
            fields[key.strip().lower()] = value.strip().lower() if sep else "true"
        kind = fields.get("type", "bind")
        target = fields.get("target") or fields.get("dst") or fields.get("destination") or "?"
        if kind == "tmpfs":
            return f"a tmpfs at {target}"
        writable = fields.get("rw", fields.get("readwrite", "false")) in ("true", "1")
        if kind == "bind" and writable:
            return f"a writable bind mount at {target}"
    return None


def _describe_state(cmd: SimpleCommand) -> str:
    words = cmd.words
    i = 0
    while i < len(words) - 1 and words[i] in ("builtin", "command"):
        i += 1
    head = words[i] if words else ""
    effect = _STATE_EFFECT.get(head, "the shell state later commands run with")
    return f"runs `{cmd.raw}`; merging would change {effect}"


def _pair_problem(a: _Run, b: _Run) -> tuple[Instruction, str] | None:
    """Why RUN ``b`` cannot be joined after RUN ``a``, and which of the two to name."""
    if a.problem is not None:
        return a.ins, a.problem
    if b.problem is not None:
        return b.ins, b.problem
    if [f.raw for f in a.ins.flags] != [f.raw for f in b.ins.flags]:
        fa = " ".join(f.raw for f in a.ins.flags) or "no flags"
        fb = " ".join(f.raw for f in b.ins.flags) or "no flags"
        return b.ins, (
            f"{run_at(b.ins)} has different flags from the RUN before it (`{fb}` vs `{fa}`); "
            "merged, both would run with the same mounts, network and security"
        )
    assert a.cl is not None and b.cl is not None
    leaks = a.cl.changes_shell_state()
    if leaks:
        return a.ins, f"{run_at(a.ins)} {_describe_state(leaks[0])}"
    bad = sorted({op for op in b.cl.operators if op not in ("&&", "|")})
    if bad:
        shown = ", ".join("newline" if op == "\n" else f"`{op}`" for op in bad)
        return b.ins, (
            f"{run_at(b.ins)} joins commands with {shown}; after `&&` some of them "
            "would run even when the RUN before it failed"
        )
    return None


def _refresh_only(ins: Instruction) -> bool:
    """A RUN that only refreshes a package index (``apt-get update``): useless, even stale, alone."""
    if ins.heredocs or not ins.is_shell_form:
        return False
    s = script(ins)
    return bool(s.commands.items) and not s.commands.complex and len(s.calls) == len(s.commands.items) and all(
        call.refreshes_index for _, call in s.calls
    )


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    style = Style.detect(doc)
    out = doc
    skipped: set[tuple[int | None, str]] = set()

    def skip(ins: Instruction, message: str) -> None:
        if (ins.line, message) not in skipped:
            skipped.add((ins.line, message))
            # Each reason is a judgement that merging would change the build: nothing for the user to do.
            ctx.skip(RULE, ins, message, actionable=False)

    model = ctx.model(doc)
    shipped = model.graph.shipped()
    edits: dict[Instruction, list[Instruction]] = {}
    for stage in doc.stages:
        body = stage.instructions
        pairs = [
            (body[i], body[i + 1])
            for i in range(len(body) - 1)
            if body[i].keyword == "RUN"
            and body[i + 1].keyword == "RUN"
            and ctx.allowed(RULE, body[i], body[i + 1])
            and (stage.index in shipped or _refresh_only(body[i]))
        ]
        if not pairs:
            continue
        problem = model.shell_problem(stage)
        if problem is not None:
            skip(problem[0], f"{problem[1]}; RUNs not merged")
            continue
        info = {id(x): _analyse(x) for pair in pairs for x in pair}
        joins: set[int] = set()  # id of a RUN joined to the one before it
        for a, b in pairs:
            found = _pair_problem(info[id(a)], info[id(b)])
            if found is None:
                joins.add(id(b))
            else:
                skip(*found)
        groups: list[list[Instruction]] = []
        for ins in body:
            if id(ins) in joins:
                groups[-1].append(ins)
            elif ins.keyword == "RUN":
                groups.append([ins])
        for group in groups:
            if len(group) < 2:
                continue
            bodies = []
            for ins in group:
                cl = info[id(ins)].cl
                assert cl is not None
                bodies.append(joinable_body(ins, cl) if ins is not group[-1] else run_body(ins) or "")
            leading = list(group[0].leading)
            for ins in group[1:]:
                leading.extend(t for t in ins.leading if t.kind != "blank")
            merged = rebuild_run(group[0], bodies, style, eol=group[-1].eol, leading=leading)
            lines = count_lines([x.line if x.line is not None else doc.line_of(x) for x in group])  # the input's lines, as every message
            if merged is None:  # pragma: no cover - rebuild_run's guard
                skip(group[0], f"RUN at lines {lines} could not be rebuilt as one RUN; left apart")
                continue
            edits[group[0]] = [merged]
            edits.update((ins, []) for ins in group[1:])  # their comments are above the merged RUN now
            ctx.change(RULE, group[0], f"merged RUN at lines {lines} into one layer")
    return out.edit(edits) if edits else out


RULE = Rule(
    id="DO005",
    name="run-merge",
    title="Merge consecutive RUN instructions into one layer",
    why="""\
Every RUN makes a layer. Files deleted by a later RUN still ship in the layer
that created them, and each layer costs a snapshot, an upload and a cache
lookup. Consecutive RUNs that run with the same flags are merged into one
with `&&`, so `apt-get update` and its `apt-get install` (and the cleanup
after them) land in one layer, and a failing command still stops the build
exactly where it did.

The merged RUN keeps each RUN's text as written, continuations and comment
lines inside it included; the comments above the later RUNs move above the
merged one. Written in the file's own escape character, line ending and
continuation indent.""",
    safety="safe",
    before="""\
FROM python:3.12
RUN apt-get update
# the C library psycopg2 links against
RUN apt-get install -y libpq-dev
RUN pip install --upgrade pip
""",
    after="""\
FROM python:3.12
# the C library psycopg2 links against
RUN apt-get update && \\
    apt-get install -y libpq-dev && \\
    pip install --upgrade pip
""",
    apply=closing_open_end(apply),
    notes="""\
Merges in the final stage and the stages it is built FROM, whose layers
ship; builder stages keep their RUNs apart (finer caching, nothing to gain
in size), except that a RUN that only runs `apt-get update` (or `apk
update`, `yum makecache`) is merged with the next RUN in any stage. Never
merges across another instruction, nor RUNs with different flags
(`--mount`, `--network`, `--security` ...), RUNs with a tmpfs or writable
bind mount (each RUN starts with it fresh), heredoc or exec-form RUNs, RUNs
the shell model cannot analyse (if/for/case, subshells), RUNs ending in a
shell comment or a background `&`, or in stages whose SHELL is not
sh/bash/dash/ash or whose base is Windows. A RUN that changes shell state
(`cd`, `export`, `set`, `source`, `umask`, `exit` ...) can end a merged RUN
but nothing is merged after it, since its change would reach the later
commands. A RUN joining commands with `;` or `||` can start a merged RUN but
is not appended after `&&`, where a failure before it would no longer stop
its commands. `# dockopt: ignore=run-merge` above a RUN keeps it apart.""",
)
