"""One analysis of one buffer version: the settings, the rewrite, and where each instruction lies.

Everything the diagnostics, the code actions and formatting need comes from
this one object, computed once per document version off the event loop.
The rewrite itself is :func:`dockopt.filejob.rewrite_text`, the function
``dockopt rewrite`` uses, so the buffer's rewritten text is byte for byte what
``dockopt rewrite --stdin-filename PATH -`` prints for it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import ConfigError
from ..filejob import Job, is_excluded, rewrite_text
from .settings import document_job

if TYPE_CHECKING:
    from ..pipeline import RewriteResult
    from ..report import FileReport

log = logging.getLogger(__name__)


@dataclass
class Analysis:
    uri: str
    version: int | None
    text: str
    job: Job | None = None
    config_error: str | None = None
    internal_error: str | None = None  # a bug in dockopt outside the rules: reported, never raised
    excluded: bool = False
    report: FileReport | None = None
    result: RewriteResult | None = None
    spans: dict[int, int] = field(default_factory=dict)  # instruction's first line -> its last line
    seconds: float = 0.0
    _by_rule: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def rewritten(self) -> str | None:
        """The text with every rewrite the settings allow, or None when there is nothing to change."""
        if self.result is None or not self.result.changed:
            return None
        return self.result.text

    def with_rule(self, rule: str) -> str | None:
        """The text with only ``rule`` applied (``--select RULE``), or None when that changes nothing."""
        if rule not in self._by_rule:
            text = None
            if self.job is not None:
                _report, result = rewrite_text(self.job, self.text, debug=True, select=(rule,))
                if result is not None and result.changed:
                    text = result.text
            self._by_rule[rule] = text
        return self._by_rule[rule]


def analyse(uri: str, version: int | None, text: str, workspace_root: str | None) -> Analysis:
    """Settings, rewrite and instruction spans for one version of a buffer; never raises."""
    started = time.perf_counter()
    out = Analysis(uri, version, text)
    try:
        _fill(out, workspace_root)
    except Exception as exc:  # rule crashes are the report's error already; this is anything else
        log.exception("analysing %s failed", uri)
        out.internal_error = f"internal error in dockopt, please report: {type(exc).__name__}: {exc}"
    out.seconds = time.perf_counter() - started
    log.debug("analysed %s v%s in %.1f ms", uri, version, out.seconds * 1000)
    return out


def _fill(out: Analysis, workspace_root: str | None) -> None:
    try:
        out.job = document_job(out.uri, workspace_root)
    except ConfigError as exc:
        out.config_error = str(exc)
        return
    if is_excluded(out.job):
        out.excluded = True
        return
    out.report, out.result = rewrite_text(out.job, out.text, debug=True)
    if out.report.changes or out.report.skips:
        out.spans = instruction_spans(out.text)


def instruction_spans(text: str) -> dict[int, int]:
    """For each instruction, its first line → its last line (heredoc terminators included)."""
    from ..syntax import ParseError, parse

    try:
        doc = parse(text)
    except ParseError:  # the rewrite parsed it already; kept for safety
        return {}
    return {ins.line: ins.end_line or ins.line for ins in doc.instructions if ins.line is not None}
