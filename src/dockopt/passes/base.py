"""What a pass is: a documented rule plus a function from tree to tree.

Modelled on ruff's rule pages and LibCST codemods: every rule has a stable
id, a title, the reason it exists, whether its fix is safe, and a before/after
example, so ``dockopt explain ID`` and the docs come from the same object the
pipeline runs. A pass never prints and never touches files; it returns the new
tree with the changes it made and the rewrites it declined (skips), each with
the line it is about.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import lazyre
from ..config import DEFAULT_LARGE_FILE_THRESHOLD
from ..model.analysis import Analysis, analyse
from ..model.context import BuildContext
from ..records_base import Mutable, Record
from ..syntax import Dockerfile, Instruction

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Literal, TypeAlias
    Safety = Literal["safe", "unsafe"]
    #: ``tree``: a pass the pipeline runs on the Dockerfile. ``context``: a step the
    #: command line runs on the build context after the rewrite (it never edits the
    #: Dockerfile; see passes/dockerignore.py).
    RuleKind = Literal["tree", "context"]
    #: A rule as the registry lists it (:class:`RuleRef`) or one made in place (tests, plugins).
    AnyRule: TypeAlias = "Rule | RuleRef"


class Decline(Exception):
    """A rule cannot show that a rewrite is safe (or that it pays): it skips with this reason.

    ``ins`` is the instruction the reason is about; ``actionable`` is False
    when the reason asks nothing of the user (see :class:`Skip`).
    """

    def __init__(self, ins: Instruction | None, message: str, *, actionable: bool = True) -> None:
        super().__init__(message)
        self.ins = ins
        self.message = message
        self.actionable = actionable


class Change(Record):
    """A rewrite a pass made. ``line`` is in the input the pass was given."""

    _fields = ("rule", "line", "message")
    __slots__ = _fields
    rule: str
    line: int | None
    message: str

    def __init__(self, rule: str, line: int | None, message: str) -> None:
        self._set(rule, line, message)


class Skip(Record):
    """A rewrite a pass would have made, and what stopped it.

    ``actionable`` is False for skips that ask nothing of the user (the file is
    already multi-stage, the base has no slim variant dockopt knows): the CLI
    prints those only with ``-v``. ``guard`` marks a rewrite the pipeline's
    guard dropped (a bug in a rule, always shown).
    """

    _fields = ("rule", "line", "message", "actionable", "guard")
    __slots__ = _fields
    rule: str
    line: int | None
    message: str
    actionable: bool
    guard: bool

    def __init__(self, rule: str, line: int | None, message: str, actionable: bool = True, guard: bool = False) -> None:
        self._set(rule, line, message, actionable, guard)


class Context(Mutable):
    """What a pass may know besides the tree.

    ``context_dir`` is the build context (the Dockerfile's folder unless told
    otherwise): passes read dependency manifests there to decide what an
    install needs, and never write to it.
    """

    _fields = (
        "unsafe", "layout", "installer", "context_dir", "cache_mounts", "large_file_threshold", "changes", "skips",
        "build_context",
    )
    __slots__ = _fields
    unsafe: bool
    layout: Literal["venv", "user"]
    installer: Literal["pip", "uv"]  # --installer: what the builder installs with
    context_dir: Path | None
    cache_mounts: bool  # DO008 adds BuildKit cache mounts (--cache-mounts)
    large_file_threshold: int  # DO009 reports files from this size (bytes)
    changes: list[Change]
    skips: list[Skip]
    build_context: BuildContext | None  # one reader per rewrite; made from context_dir when not given

    def __init__(
        self,
        unsafe: bool = False,
        layout: Literal["venv", "user"] = "venv",
        installer: Literal["pip", "uv"] = "pip",
        context_dir: Path | None = None,
        cache_mounts: bool = False,
        large_file_threshold: int = DEFAULT_LARGE_FILE_THRESHOLD,
        changes: list[Change] | None = None,
        skips: list[Skip] | None = None,
        build_context: BuildContext | None = None,
    ) -> None:
        self.unsafe = unsafe
        self.layout = layout
        self.installer = installer
        self.context_dir = context_dir
        self.cache_mounts = cache_mounts
        self.large_file_threshold = large_file_threshold
        self.changes = changes if changes is not None else []
        self.skips = skips if skips is not None else []
        self.build_context = build_context if build_context is not None else BuildContext(context_dir)

    @property
    def context(self) -> BuildContext:
        assert self.build_context is not None
        return self.build_context

    def model(self, doc: Dockerfile) -> Analysis:
        """The semantic model of ``doc`` (computed once per tree)."""
        return analyse(doc, self.context)

    def decline(self, rule: Rule, exc: Decline, fallback: Instruction | None = None) -> None:
        """Record a :class:`Decline` as a skip."""
        self.skip(rule, exc.ins or fallback, exc.message, actionable=exc.actionable)

    def allowed(self, rule: Rule, *instructions: Instruction) -> bool:
        """False when an inline ``# dockopt: ignore=`` names this rule on any of the instructions."""
        for ins in instructions:
            ids = suppressed_rules(ins)
            if ids and (rule.id in ids or rule.name in ids or "all" in ids):
                return False
        return True

    def change(self, rule: Rule, ins: Instruction | None, message: str) -> None:
        self.changes.append(Change(rule.id, ins.line if ins is not None else None, message))

    def skip(self, rule: Rule, ins: Instruction | None, message: str, *, actionable: bool = True) -> None:
        self.skips.append(Skip(rule.id, ins.line if ins is not None else None, message, actionable))


_SUPPRESS_RE = lazyre.compile(r"#\s*dockopt:\s*ignore\s*=\s*([A-Za-z0-9_,\- ]+)")


def suppressed_text(text: str) -> bool:
    """Whether a comment line is an inline suppression (``# dockopt: ignore=...``)."""
    return "dockopt" in text and _SUPPRESS_RE.search(text) is not None


def suppressed_rules(ins: Instruction) -> frozenset[str]:
    """The rules ``# dockopt: ignore=DO003,run-merge`` in the comments above ``ins`` names."""
    ids: set[str] = set()
    for t in ins.leading:
        # The plain test first: a file without suppressions never compiles the pattern.
        m = _SUPPRESS_RE.search(t.text) if "dockopt" in t.text else None
        if m:
            ids.update(x.strip() for x in m.group(1).split(",") if x.strip())
    return frozenset(ids)


def run_at(ins: Instruction) -> str:
    """``RUN at line 5`` in a message, or ``the RUN dockopt added`` for one a rule wrote (it has no line)."""
    return f"RUN at line {ins.line}" if ins.line is not None else "the RUN dockopt added"


PassFn = Callable[[Dockerfile, Context], Dockerfile]


def closing_open_end(apply: PassFn) -> PassFn:
    """Run ``apply`` on the file with an open continuation at its end closed.

    ``RUN a \\`` as a file's last line reads as ``RUN a``; a pass that appends
    to RUN text (merging, cleanup) can only extend it once the dangling escape
    is gone. The closed line is kept only if the pass edited that instruction;
    otherwise the file's last line stays exactly as written.
    """

    def wrapped(doc: Dockerfile, ctx: Context) -> Dockerfile:
        work = doc.with_closed_end()
        out = apply(work, ctx)
        if work is doc or out is work:
            return doc if out is work else out
        if out.instructions and out.instructions[-1] is work.instructions[-1] and out.trailing == work.trailing:
            return out.with_changes(instructions=(*out.instructions[:-1], doc.instructions[-1]), trailing=doc.trailing)
        return out

    wrapped.__name__ = getattr(apply, "__name__", "apply")
    wrapped.__module__ = getattr(apply, "__module__", __name__)
    wrapped.__doc__ = apply.__doc__
    return wrapped


class Rule(Record):
    """A rewrite rule and its documentation."""

    _fields = ("id", "name", "title", "why", "safety", "before", "after", "apply", "notes", "kind", "option")
    __slots__ = _fields
    id: str  # stable code, e.g. "DO003"
    name: str  # kebab-case name, accepted wherever an id is
    title: str
    why: str
    safety: Safety
    before: str  # example input
    after: str  # what dockopt makes of it
    apply: PassFn
    notes: str  # when the rule declines, and what it leaves alone
    kind: RuleKind
    option: str  # the setting that turns the rule on, when it is off by default

    def __init__(
        self,
        id: str,
        name: str,
        title: str,
        why: str,
        safety: Safety,
        before: str,
        after: str,
        apply: PassFn,
        notes: str = "",
        kind: RuleKind = "tree",
        option: str = "",
    ) -> None:
        self._set(id, name, title, why, safety, before, after, apply, notes, kind, option)


    def may_apply(self, ctx: Context) -> bool:
        """Always True: a rule made in place has no precondition (see :class:`RuleRef`)."""
        return True

    def explain(self) -> str:
        """The rule's documentation page as plain text (``dockopt explain``)."""
        parts = [
            f"{self.id} {self.name}: {self.title}",
            f"Fix safety: {self.safety}" + (" (applied only with --unsafe)" if self.safety == "unsafe" else ""),
        ]
        if self.option:
            parts.append(f"Off by default: runs with {self.option}")
        if self.kind == "context":
            parts.append("Runs on the build context after the rewrite (it does not edit the Dockerfile)")
        parts += [
            "",
            "Why",
            self.why.strip(),
        ]
        if self.notes:
            parts += ["", "When it declines", self.notes.strip()]
        parts += ["", "Before", _indent(self.before), "", "After", _indent(self.after)]
        return "\n".join(parts) + "\n"


class RuleRef:
    """A rule as the registry lists it: the rule's module is imported only when something needs more.

    ``dockopt rewrite`` on a small file runs a few of the rules; importing the
    others (their modules, and the model parts only they use) was a tenth of
    its start-up. The registry therefore knows each rule by what selecting
    and filtering read (id, name, safety, kind) and by the module that holds
    its :class:`Rule`; the title, the docs and ``apply`` come from that
    ``Rule``, loaded on first use. ``when``, if given, is a cheap test of the
    options under which the rule can change anything (it must only ever say
    no where ``apply`` would return the tree untouched, with no skips): the
    pipeline then neither imports nor runs the rule.
    """

    __slots__ = ("_rule", "id", "kind", "module", "name", "safety", "when")
    id: str
    name: str
    safety: Safety
    kind: RuleKind
    module: str  # the module under dockopt.passes whose RULE this is
    when: Callable[[Context], bool] | None
    _rule: Rule | None

    def __init__(
        self,
        id: str,
        name: str,
        safety: Safety,
        module: str,
        *,
        kind: RuleKind = "tree",
        when: Callable[[Context], bool] | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.safety = safety
        self.kind = kind
        self.module = module
        self.when = when
        self._rule = None

    @property
    def rule(self) -> Rule:
        """The rule itself (its module imported on the first call)."""
        if self._rule is None:
            rule = __import__(f"dockopt.passes.{self.module}", fromlist=["RULE"]).RULE
            if not isinstance(rule, Rule) or (rule.id, rule.name, rule.safety, rule.kind) != (
                self.id, self.name, self.safety, self.kind,
            ):
                raise RuntimeError(f"dockopt.passes.{self.module}.RULE is not {self.id} {self.name} as registered")
            self._rule = rule
        return self._rule

    def may_apply(self, ctx: Context) -> bool:
        """False when the options alone show the rule changes nothing (``when``); the module is not imported."""
        return self.when is None or self.when(ctx)

    @property
    def title(self) -> str:
        return self.rule.title

    @property
    def why(self) -> str:
        return self.rule.why

    @property
    def before(self) -> str:
        return self.rule.before

    @property
    def after(self) -> str:
        return self.rule.after

    @property
    def apply(self) -> PassFn:
        return self.rule.apply

    @property
    def notes(self) -> str:
        return self.rule.notes

    @property
    def option(self) -> str:
        return self.rule.option

    def explain(self) -> str:
        """The rule's documentation page as plain text (``dockopt explain``)."""
        return self.rule.explain()

    def __repr__(self) -> str:
        return f"RuleRef({self.id!r}, {self.name!r}, module={self.module!r})"


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.rstrip("\n").split("\n"))
