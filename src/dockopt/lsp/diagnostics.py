"""An analysis as LSP diagnostics: one per change dockopt would make, per skip, per error.

* A change is a Warning on the instruction it is about (its first line to
  its last, heredocs included), ``code`` = the rule id, ``source`` =
  ``dockopt``, ``codeDescription`` = the rule's page (:func:`dockopt.report.rule_url`).
* A skip (a rewrite dockopt declined, and why) is Information when the rule
  marked it actionable (it tells the user what to do about it), else a Hint
  (``[info]`` on the command line): editors show hints faintly and keep them
  out of the problems list.
* A syntax error is an Error at its line and column; a bad config file, a
  crashing rule: an Error on the first line. Never an exception.

``data`` carries ``{"kind": "change"|"skip", "rule": ID, "line": N}`` for the code actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol.types import CodeDescription, Diagnostic, DiagnosticSeverity, Range

from ..report import rule_url
from .positions import LineIndex

if TYPE_CHECKING:
    from ..passes.base import Skip
    from .analysis import Analysis

SOURCE = "dockopt"

def skip_severity(skip: Skip) -> DiagnosticSeverity:
    """Information for a skip that asks the user for something, a Hint for one that only explains."""
    return DiagnosticSeverity.Information if skip.actionable else DiagnosticSeverity.Hint


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
        severity = skip_severity(skip)
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
