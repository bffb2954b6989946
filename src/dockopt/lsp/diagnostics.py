"""An analysis as LSP diagnostics: one per change dockopt would make, per skip, per error.

* A change is a Warning on the instruction it is about (its first line to
  its last, heredocs included), ``code`` = the rule id, ``source`` =
  ``dockopt``, ``codeDescription`` = the rule's page (:func:`dockopt.report.rule_url`).
* A skip (a rewrite dockopt declined, and why) is Information when its
  message tells the user what to do about it ("add ... by hand", "pin a
  version ... and dockopt can move it"), else a Hint: editors show hints
  faintly and keep them out of the problems list.
* A syntax error is an Error at its line and column; a bad config file, a
  crashing rule: an Error on the first line. Never an exception.

``data`` carries ``{"kind": "change"|"skip", "rule": ID, "line": N}`` for the code actions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lsprotocol.types import CodeDescription, Diagnostic, DiagnosticSeverity, Range

from ..report import rule_url
from .positions import LineIndex

if TYPE_CHECKING:
    from .analysis import Analysis

SOURCE = "dockopt"

# A skip is advice when it says what to change: an imperative after a clause
# break ("...; add it by hand", "..., install libpq5 in this stage and dockopt
# can move it"), "by hand", or "and dockopt can". The rules do not mark their
# skips (Skip has no such field), so this is read from the message.
_ADVICE = re.compile(
    r"by hand|and dockopt can|(?:^|[;:]\s+|,\s+so\s+|,\s+)(?:add|install|pin|write|put|use|set|move|copy|remove)\b",
    re.IGNORECASE,
)


def is_advice(message: str) -> bool:
    """True when a skip's message asks the user to do something (shown as Information, not a Hint)."""
    return _ADVICE.search(message) is not None


def diagnostics(analysis: Analysis, index: LineIndex) -> list[Diagnostic]:
    """Every diagnostic for one analysed buffer."""
    if analysis.internal_error is not None:
        return [_error(_first_line(index), analysis.internal_error, "internal")]
    if analysis.config_error is not None:
        return [_error(_first_line(index), f"dockopt configuration: {analysis.config_error}", "config")]
    report = analysis.report
    if report is None or analysis.excluded or report.skipped_file:
        return []
    if report.error is not None:
        err = report.error
        if err.kind == "parse" and err.line is not None:
            start = index.line_start(err.line) + max((err.column or 1) - 1, 0)
            end = max(start, index.line_end(err.line))
            return [_error(index.range(min(start, end), end), err.message, "syntax")]
        return [_error(_first_line(index), err.message, err.rule or err.kind)]
    out: list[Diagnostic] = []
    for change in report.changes:
        out.append(
            _finding(analysis, index, change.rule, change.line, change.message, DiagnosticSeverity.Warning, "change")
        )
    for skip in report.skips:
        severity = DiagnosticSeverity.Information if is_advice(skip.message) else DiagnosticSeverity.Hint
        out.append(_finding(analysis, index, skip.rule, skip.line, f"not rewritten: {skip.message}", severity, "skip"))
    return out


def instruction_range(analysis: Analysis, index: LineIndex, line: int | None) -> Range:
    """The instruction starting at dockopt's ``line`` (its first line when it is not an instruction's start)."""
    if line is None:
        return _first_line(index)
    return index.lines_range(line, analysis.spans.get(line, line))


def _finding(
    analysis: Analysis,
    index: LineIndex,
    rule: str,
    line: int | None,
    message: str,
    severity: DiagnosticSeverity,
    kind: str,
) -> Diagnostic:
    data: dict[str, Any] = {"kind": kind, "rule": rule, "line": line, "version": analysis.version}
    return Diagnostic(
        range=instruction_range(analysis, index, line),
        message=message,
        severity=severity,
        code=rule,
        code_description=CodeDescription(href=rule_url(rule)),
        source=SOURCE,
        data=data,
    )


def _error(where: Range, message: str, code: str) -> Diagnostic:
    return Diagnostic(range=where, message=message, severity=DiagnosticSeverity.Error, code=code, source=SOURCE)


def _first_line(index: LineIndex) -> Range:
    return index.lines_range(1, 1)
