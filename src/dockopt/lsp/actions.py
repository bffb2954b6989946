"""Code actions for dockopt's diagnostics, and what formatting returns.

For the changes under the cursor:

* ``Apply DO005 (run-merge)`` — the file rewritten with that rule alone
  (``dockopt rewrite --select DO005``, within the project's settings);
* ``Apply all dockopt rewrites`` — every rewrite the settings allow, byte for
  byte what ``dockopt rewrite -`` prints; also offered as the
  ``source.fixAll.dockopt`` action editors run on save;
* ``Ignore DO005 here`` — ``# dockopt: ignore=DO005`` above the instruction.

Each edit names the document version it was computed for, so a client
applies it only to the text it was made from.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol.types import (
    CodeAction,
    CodeActionKind,
    Diagnostic,
    OptionalVersionedTextDocumentIdentifier,
    Range,
    TextDocumentEdit,
    TextEdit,
    WorkspaceEdit,
)

from .analysis import Analysis
from .diagnostics import SOURCE
from .edits import replace_edit, suppression_edit
from .positions import LineIndex

FIX_ALL = f"{CodeActionKind.SourceFixAll.value}.{SOURCE}"  # source.fixAll.dockopt
KINDS: list[CodeActionKind | str] = [CodeActionKind.QuickFix, FIX_ALL]


def format_edits(analysis: Analysis, index: LineIndex) -> list[TextEdit]:
    """``textDocument/formatting``: every rewrite the settings allow, as one edit (none when nothing changes)."""
    new = analysis.rewritten
    edit = replace_edit(analysis.text, new, index) if new is not None else None
    return [edit] if edit is not None else []


def code_actions(
    analysis: Analysis,
    index: LineIndex,
    diagnostics: Sequence[Diagnostic],
    where: Range,
    only: Sequence[str] | None,
    newline: str,
) -> list[CodeAction]:
    """The actions for the ``diagnostics`` (this analysis's) that touch ``where``."""
    out: list[CodeAction] = []
    here = [d for d in diagnostics if _overlaps(d.range, where) and _data(d).get("kind") == "change"]
    if _wanted(CodeActionKind.QuickFix, only):
        for rule in dict.fromkeys(_data(d).get("rule") for d in here):
            if not isinstance(rule, str):
                continue
            about = [d for d in here if _data(d).get("rule") == rule]
            new = analysis.with_rule(rule)
            if new is not None:
                out.append(
                    CodeAction(
                        title=f"Apply {rule} ({_name(rule)})",
                        kind=CodeActionKind.QuickFix,
                        diagnostics=about,
                        edit=_workspace_edit(analysis, index, new),
                        is_preferred=True,
                    )
                )
        if here and analysis.rewritten is not None:
            out.append(
                CodeAction(
                    title="Apply all dockopt rewrites",
                    kind=CodeActionKind.QuickFix,
                    diagnostics=list(here),
                    edit=_workspace_edit(analysis, index, analysis.rewritten),
                )
            )
        seen: set[tuple[str, int]] = set()
        for d in here:
            data = _data(d)
            rule, line = data.get("rule"), data.get("line")
            if not isinstance(rule, str) or not isinstance(line, int) or (rule, line) in seen:
                continue
            seen.add((rule, line))
            edit = suppression_edit(analysis.text, index, line, rule, newline)
            out.append(
                CodeAction(
                    title=f"Ignore {rule} for this instruction (# dockopt: ignore={rule})",
                    kind=CodeActionKind.QuickFix,
                    diagnostics=[x for x in here if _data(x).get("rule") == rule and _data(x).get("line") == line],
                    edit=_workspace_edit_of(analysis, [edit]),
                )
            )
    # Without a filter the file-wide action is offered away from the diagnostics (where the
    # quick fix above already applies everything); with one, whenever it is asked for.
    if analysis.rewritten is not None and (_wanted(FIX_ALL, only) if only else not here):
        out.append(
            CodeAction(
                title="Apply all dockopt rewrites",
                kind=FIX_ALL,
                edit=_workspace_edit(analysis, index, analysis.rewritten),
            )
        )
    return out


def _workspace_edit(analysis: Analysis, index: LineIndex, new: str) -> WorkspaceEdit:
    edit = replace_edit(analysis.text, new, index)
    return _workspace_edit_of(analysis, [edit] if edit is not None else [])


def _workspace_edit_of(analysis: Analysis, edits: list[TextEdit]) -> WorkspaceEdit:
    document = OptionalVersionedTextDocumentIdentifier(uri=analysis.uri, version=analysis.version)
    return WorkspaceEdit(document_changes=[TextDocumentEdit(text_document=document, edits=list(edits))])


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP's ``only`` filter: a requested kind matches itself and every kind below it (``source`` ⊃ ``source.fixAll``)."""
    if not only:
        return True
    return any(kind == k or kind.startswith(f"{k}.") for k in only)


def _overlaps(a: Range, b: Range) -> bool:
    start_a, end_a = (a.start.line, a.start.character), (a.end.line, a.end.character)
    start_b, end_b = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return start_a <= end_b and start_b <= end_a


def _data(d: Diagnostic) -> dict[str, object]:
    return d.data if isinstance(d.data, dict) else {}


def _name(rule: str) -> str:
    from ..passes import get as get_rule  # loaded by the first analysis already; not at start-up

    try:
        return get_rule(rule).name
    except Exception:  # a rule id the running rules do not know (an old diagnostic)
        return rule
