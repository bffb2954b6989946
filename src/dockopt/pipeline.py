"""text → tree → passes → tree → text, with the guards that make it safe to run.

The pipeline runs the selected rules in a fixed order until the text stops
changing (a pass may enable another: a split creates the runtime stage that
the slim-base rule then swaps). After every pass that changed something the printed
text is parsed again (:func:`guard`): a pass whose output does not parse is a
bug, reported as an error rather than written to a user's file; one whose
output BuildKit would read as other instructions than the pass meant, or that
changes how the final image runs, is dropped for the round with a skip.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from . import lazyre
from .config import DEFAULT_LARGE_FILE_THRESHOLD
from .model.context import BuildContext
from .model.image import runtime_config
from .passes import RULES, resolve
from .passes.base import Change, Context, Skip
from .records_base import Mutable
from .syntax import Dockerfile, ParseError, buildable, parse, reading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Literal

    from .passes.base import AnyRule

MAX_ROUNDS = 6

_SKIP_FILE_RE = lazyre.compile(r"^\s*#\s*dockopt:\s*skip-file\s*$", re.M)


class RewriteResult(Mutable):
    """The new text, and what the rules did and declined to do."""

    _fields = ("original", "text", "changes", "skips", "skipped_file")
    __slots__ = _fields
    original: str
    text: str
    changes: list[Change]
    skips: list[Skip]
    skipped_file: bool

    def __init__(
        self,
        original: str,
        text: str,
        changes: list[Change] | None = None,
        skips: list[Skip] | None = None,
        skipped_file: bool = False,
    ) -> None:
        self.original = original
        self.text = text
        self.changes = changes if changes is not None else []
        self.skips = skips if skips is not None else []
        self.skipped_file = skipped_file

    @property
    def changed(self) -> bool:
        return self.text != self.original


class PassBug(RuntimeError):
    """A pass produced text that does not parse: never written, always reported."""

    def __init__(self, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


def rewrite(
    text: str,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    unsafe: bool = False,
    layout: Literal["venv", "user"] = "venv",
    context_dir: Path | None = None,
    installer: Literal["pip", "uv"] = "pip",
    cache_mounts: bool = False,
    large_file_threshold: int = DEFAULT_LARGE_FILE_THRESHOLD,
) -> RewriteResult:
    """Rewrite Dockerfile ``text``; raise ParseError if it is not a Dockerfile BuildKit reads."""
    doc = parse(text)
    comments = "".join(t.text for ins in doc.instructions for t in ins.leading) + "".join(t.text for t in doc.directives)
    if "dockopt" in comments and _SKIP_FILE_RE.search(comments):  # the test first: most files never compile the pattern
        return RewriteResult(text, text, skipped_file=True)
    buildable.check(doc, text)  # a file BuildKit refuses to build is an error, not something to improve
    build_context = BuildContext(context_dir)  # read once for every rule and round
    result = RewriteResult(text, text)
    seen_changes: set[tuple[str, int | None, str]] = set()

    def context() -> Context:
        return Context(
            unsafe=unsafe,
            layout=layout,
            installer=installer,
            context_dir=context_dir,
            build_context=build_context,
            cache_mounts=cache_mounts,
            large_file_threshold=large_file_threshold,
        )

    rules = rules_to_run(select, ignore, context())
    for _ in range(MAX_ROUNDS):
        start = doc
        # The whole round is checked once; only when its text fails the guard is the round
        # run again rule by rule, each rewrite checked, to drop just the rule at fault.
        outcome = _round(start, rules, context, checked=False)
        if outcome.doc is not start and _round_problem(start, outcome.doc):
            outcome = _round(start, rules, context, checked=True)
        doc = outcome.doc
        _record(result.changes, seen_changes, outcome.changes)
        # Skips describe the final text: a skip from an earlier round may have
        # been resolved by a later one, so only the last round's are kept.
        result.skips = _unique(outcome.skips)
        if doc is start or doc.to_source() == start.to_source():
            break
    result.text = doc.to_source()
    return result


class _Outcome(Mutable):
    _fields = ("doc", "changes", "skips")
    __slots__ = _fields
    doc: Dockerfile
    changes: list[Change]
    skips: list[Skip]

    def __init__(self, doc: Dockerfile, changes: list[Change] | None = None, skips: list[Skip] | None = None) -> None:
        self.doc = doc
        self.changes = changes if changes is not None else []
        self.skips = skips if skips is not None else []


def _round(doc: Dockerfile, rules: Sequence[AnyRule], context: Callable[[], Context], *, checked: bool) -> _Outcome:
    """Every rule once, in order; with ``checked``, each rewrite goes through :func:`guard` on its own."""
    out = _Outcome(doc)
    for rule in rules:
        ctx = context()
        new = rule.apply(out.doc, ctx)
        problems = guard(out.doc, new, rule) if checked and new is not out.doc else []
        if problems:
            # The guard: a pass must not change how the image runs, and BuildKit
            # must read the printed text as the instructions the pass meant. Drop
            # this pass's work for the round and say why, instead of emitting it.
            ctx.skips.extend(Skip(rule.id, None, f"not applied: {problem}", guard=True) for problem in problems)
            ctx.changes.clear()
        else:
            out.doc = new
        out.changes.extend(ctx.changes)
        out.skips.extend(ctx.skips)
    return out


def _round_problem(old: Dockerfile, new: Dockerfile) -> bool:
    """Whether a round's result fails the guard (or does not parse): then each rule is checked alone."""
    try:
        return bool(guard(old, new, None))
    except PassBug:
        return True


def guard(old: Dockerfile, new: Dockerfile, rule: AnyRule | None) -> list[str]:
    """Why ``new`` (a rule's rewrite of ``old``) must not be emitted; empty when it may.

    The text ``new`` prints is parsed again: it must parse (a rule that prints
    text BuildKit refuses is a bug, raised as :class:`PassBug`), BuildKit must
    read it as the instructions, flags, arguments and stages the tree holds,
    and the final image must run as ``old``'s does. Most rewrites are made of
    instructions the parser made, moved and re-commented:
    :func:`reading.reads_as_written` shows those read back as written by
    parsing only the file's start and the instructions an edit re-tokenised.
    """
    if reading.reads_as_written(new):  # the common case, told without parsing the whole text again
        return _image_changes(old, new)
    text = new.to_source()
    try:
        printed = parse(text)
    except ParseError as exc:
        raise PassBug(
            f"a rewrite produced text that does not parse ({exc}); nothing was written", rule=rule.id if rule else None
        ) from exc
    if reading.identical(new, printed):
        printed = new  # the same tokens: what the rules already asked of ``new`` holds for the printed text
    else:
        misread = reading.difference(new, printed)
        if misread is not None:
            return [f"BuildKit would read the rewritten file differently ({misread})"]
    return _image_changes(old, printed)


def _image_changes(old: Dockerfile, new: Dockerfile) -> list[str]:
    return [f"the rewrite would change the image ({p})" for p in runtime_config(old).differences(runtime_config(new))]


def _unique(skips: list[Skip]) -> list[Skip]:
    seen: set[tuple[str, int | None, str]] = set()
    out = []
    for s in skips:
        key = (s.rule, s.line, s.message)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _record(into: list[Change], seen: set[tuple[str, int | None, str]], new: Sequence[Change]) -> None:
    for item in new:
        key = (item.rule, item.line, item.message)
        if key not in seen:
            seen.add(key)
            into.append(item)


def rules_to_run(select: Iterable[str] | None, ignore: Iterable[str], ctx: Context) -> list[AnyRule]:
    """The rules a rewrite with these options runs: selected, safe unless ``ctx.unsafe``, and able to apply.

    A rule whose options say it changes nothing (DO008 without ``--cache-mounts``) is left out, its
    module never imported (:meth:`RuleRef.may_apply`).
    """
    return [r for r in select_rules(select, ignore) if (ctx.unsafe or r.safety == "safe") and r.may_apply(ctx)]


def select_rules(select: Iterable[str] | None, ignore: Iterable[str], *, kind: str = "tree") -> list[AnyRule]:
    """Rules of ``kind`` in pipeline order, filtered by ids or names (``--select``/``--ignore``).

    ``tree`` rules are the passes this pipeline runs; ``context`` rules are
    the steps the command line runs on the build context afterwards.
    """
    chosen = list(RULES) if select is None else [r for r in RULES if r in set(resolve(select))]
    dropped = set(resolve(ignore))
    if not dropped:  # the usual call: no rule's fields hashed for a set lookup
        return [r for r in chosen if r.kind == kind]
    return [r for r in chosen if r not in dropped and r.kind == kind]
