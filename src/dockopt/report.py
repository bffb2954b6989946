"""What ``dockopt rewrite`` tells the user: diffs, and text, JSON, SARIF or GitHub Actions reports.

Nothing here runs a rule or touches a Dockerfile; the command line fills a
:class:`FileReport` per file and hands the list to one of the writers.
Streams are kept apart: stdout carries the product (the diff, the rewritten
file, or the one JSON/SARIF document), stderr carries the messages.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from . import textio
from .records_base import Mutable

TYPE_CHECKING = False
if TYPE_CHECKING:
    # pathlib is imported by the functions that use it: `dockopt rewrite -` (editors, every save) starts without it.
    from pathlib import Path
    from typing import Any, Literal

    from .passes.base import AnyRule, Change, Skip
    ErrorKind = Literal["parse", "read", "write", "internal", "config"]


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/dockopt/dockopt"
#: Each rule's page: ``docs/rules/<ID>.md`` in the repository, written from the rule itself
#: (:func:`rule_page`, the same text as ``dockopt explain``). Ids are stable, so links stay valid.
RULE_DOCS_URL = INFORMATION_URI + "/blob/main/docs/rules/{id}.md"


def rule_url(rule_id: str) -> str:
    """Where the rule's explanation lives (the LSP's codeDescription, SARIF's helpUri)."""
    return RULE_DOCS_URL.format(id=rule_id)


def rule_page(rule: AnyRule) -> str:
    """A rule's documentation page in Markdown: what ``dockopt explain`` says, with headings."""
    parts = [f"# {rule.id} {rule.name}", "", rule.title, ""]
    safety = f"Fix safety: **{rule.safety}**"
    if rule.safety == "unsafe":
        safety += " (applied only with `--unsafe` or `unsafe = true`)"
    parts += [safety, "", "## Why", "", rule.why.strip(), ""]
    if rule.notes:
        parts += ["## When it declines", "", rule.notes.strip(), ""]
    parts += ["## Before", "", "```dockerfile", rule.before.rstrip("\n"), "```", ""]
    parts += ["## After", "", "```dockerfile", rule.after.rstrip("\n"), "```", ""]
    parts += [
        "## Turning it off",
        "",
        f"For one instruction, put `# dockopt: ignore={rule.id}` on a line above it; for a project,",
        f'`ignore = ["{rule.id}"]` in `.dockopt.toml` (or `[tool.dockopt]` in `pyproject.toml`).',
        "",
    ]
    return "\n".join(parts)


class FileError(Mutable):
    _fields = ("kind", "message", "detail", "line", "column", "rule")
    __slots__ = _fields
    kind: ErrorKind
    message: str  # one line, without the path
    detail: str  # what the terminal shows: file:line:col, the line and a caret, or a hint
    line: int | None
    column: int | None
    rule: str | None  # for an internal error, the rule that failed when known

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        detail: str = "",
        line: int | None = None,
        column: int | None = None,
        rule: str | None = None,
    ) -> None:
        self.kind = kind
        self.message = message
        self.detail = detail
        self.line = line
        self.column = column
        self.rule = rule


class NewFile(Mutable):
    """A file dockopt creates beside a Dockerfile (a build context's .dockerignore, DO010)."""

    _fields = ("path", "target", "content", "written")
    __slots__ = _fields
    path: str  # as shown to the user
    target: Path  # on disk
    content: str
    written: bool

    def __init__(self, path: str, target: Path, content: str, written: bool = False) -> None:
        self.path = path
        self.target = target
        self.content = content
        self.written = written


class FileReport(Mutable):
    """One Dockerfile's outcome."""

    _fields = (
        "path", "changed", "written", "skipped_file", "excluded", "changes", "skips", "diff", "error", "config",
        "new_files",
    )
    __slots__ = _fields
    path: str  # as shown to the user
    changed: bool
    written: bool
    skipped_file: bool  # ``# dockopt: skip-file``
    excluded: bool  # matched an ``exclude`` pattern
    changes: list[Change]
    skips: list[Skip]
    diff: str
    error: FileError | None
    config: Path | None
    new_files: list[NewFile]

    def __init__(
        self,
        path: str,
        changed: bool = False,
        written: bool = False,
        skipped_file: bool = False,
        excluded: bool = False,
        changes: list[Change] | None = None,
        skips: list[Skip] | None = None,
        diff: str = "",
        error: FileError | None = None,
        config: Path | None = None,
        new_files: list[NewFile] | None = None,
    ) -> None:
        self.path = path
        self.changed = changed
        self.written = written
        self.skipped_file = skipped_file
        self.excluded = excluded
        self.changes = changes if changes is not None else []
        self.skips = skips if skips is not None else []
        self.diff = diff
        self.error = error
        self.config = config
        self.new_files = new_files if new_files is not None else []

    @property
    def pending(self) -> bool:
        """Something to change: the Dockerfile, or a file to create that is not written yet."""
        return self.changed or any(not f.written for f in self.new_files)


# -- diffs ---------------------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split at ``\\n`` only (a lone ``\\r`` or a form feed is content)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def unified_diff(before: str, after: str, path: str, context: int = 3) -> str:
    """A unified diff with ``a/PATH`` and ``b/PATH`` headers that ``patch -p1``/``git apply`` accept.

    Line endings are part of the lines, so a CRLF file gives a CRLF patch
    body, as git makes it; a last line without a newline is followed by the
    ``\\ No newline at end of file`` marker.
    """
    import difflib
    from pathlib import Path

    if before == after:
        return ""
    name = Path(path).as_posix().lstrip("/")
    out: list[str] = []
    for line in difflib.unified_diff(
        split_lines(before), split_lines(after), f"a/{name}", f"b/{name}", n=context, lineterm="\n"
    ):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def new_file_diff(content: str, path: str) -> str:
    """A file created from nothing, as git shows it: ``--- /dev/null``, ``+++ b/PATH``, every line added."""
    import difflib
    from pathlib import Path

    name = Path(path).as_posix().lstrip("/")
    out: list[str] = []
    for line in difflib.unified_diff([], split_lines(content), "/dev/null", f"b/{name}", lineterm="\n"):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def use_color(flag: bool | None, stream: object) -> bool:
    """``--color``/``--no-color`` when given; else no colour with NO_COLOR set or TERM=dumb; else a tty gets colour."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


def print_diff(diff: str, *, color: bool) -> None:
    """Write a diff to stdout: raw bytes for pipes (so it applies), coloured by rich on a terminal."""
    if not diff:
        return
    if not color:
        from .fileio import encode, write_stdout

        write_stdout(encode(diff))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=sys.stdout,
        force_terminal=True,
        color_system="standard",
        no_color=False,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
    for line in split_lines(diff):
        shown = _printable(line.rstrip("\n").removesuffix("\r"))
        if line.startswith(("--- ", "+++ ")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        console.print(Text(shown, style=style))


def _printable(text: str) -> str:
    """Undecodable bytes (kept as surrogates) shown as U+FFFD on a terminal."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# -- text -----------------------------------------------------------------------------------


def text_lines(report: FileReport, *, verbose: bool) -> list[str]:
    """The stderr lines for one file: each change and each skip, with its line and rule."""
    out: list[str] = []
    p = _printable(report.path)
    if report.error is not None:
        out.append(report.error.detail or f"{p}: {report.error.message}")
        return out
    if report.excluded:
        if verbose:
            out.append(f"{p}: excluded by the config's exclude patterns")
        return out
    if report.skipped_file:
        out.append(f"{p}: skipped (# dockopt: skip-file)")
        return out
    for c in report.changes:
        out.append(f"{_where(p, c.line)} {c.rule} [changed] {_printable(c.message)}")
    for s in report.skips:
        # A skip that asks nothing of the user (already multi-stage, no slim variant known)
        # is noise on a good file: shown only with -v, like `unchanged`.
        if s.actionable or verbose:
            label = "skipped" if s.actionable else "info"
            out.append(f"{_where(p, s.line)} {s.rule} [{label}] {_printable(s.message)}")
    if verbose:
        if not report.changed:
            out.append(f"{p}: unchanged")
        elif report.written:
            out.append(f"{p}: written")
        out.extend(f"{_printable(f.path)}: created" for f in report.new_files if f.written)
        if report.config is not None:
            out.append(f"{p}: settings from {report.config}")
    return out


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}:" if line is not None else f"{path}:"


def summary(reports: Sequence[FileReport], mode: str) -> str:
    """One closing line, like black's: what was (or would be) changed, what was left, what failed."""
    considered = [r for r in reports if not r.excluded]
    changed = sum(1 for r in considered if r.changed and r.error is None)
    errors = sum(1 for r in considered if r.error is not None)
    unchanged = len(considered) - changed - errors
    verb = "rewritten" if mode == "write" else "would be rewritten"
    parts = [f"{_n(changed, 'file')} {verb}", f"{unchanged} unchanged"]
    created = sum(len(r.new_files) for r in considered)
    if created:
        parts.append(f"{created} .dockerignore {'created' if mode == 'write' else 'would be created'}")
    if errors:
        parts.append(_n(errors, "error"))
    return ", ".join(parts) + "."


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- JSON -------------------------------------------------------------------------------------


def json_document(reports: Sequence[FileReport], rules: Sequence[AnyRule]) -> dict[str, Any]:
    from . import __version__

    names = {r.id: r.name for r in rules}
    files = []
    for r in reports:
        files.append(
            {
                "path": r.path,
                "changed": r.changed,
                "written": r.written,
                "skipped_file": r.skipped_file,
                "excluded": r.excluded,
                "changes": [
                    {"rule": c.rule, "name": names.get(c.rule), "line": c.line, "message": c.message} for c in r.changes
                ],
                "skips": [
                    {
                        "rule": s.rule,
                        "name": names.get(s.rule),
                        "line": s.line,
                        "message": s.message,
                        "actionable": s.actionable,
                    }
                    for s in r.skips
                ],
                "diff": r.diff or None,
                "new_files": [{"path": f.path, "written": f.written} for f in r.new_files],
                "error": None
                if r.error is None
                else {
                    "kind": r.error.kind,
                    "message": r.error.message,
                    "line": r.error.line,
                    "column": r.error.column,
                    "rule": r.error.rule,
                },
            }
        )
    considered = [r for r in reports if not r.excluded]
    return {
        "version": __version__,
        "files": files,
        "summary": {
            "files": len(considered),
            "changed": sum(1 for r in considered if r.changed),
            "errors": sum(1 for r in considered if r.error is not None),
            "changes": sum(len(r.changes) for r in considered),
            "skips": sum(len(r.skips) for r in considered),
            "new_files": sum(len(r.new_files) for r in considered),
        },
    }


def dumps(document: dict[str, Any]) -> str:
    return textio.dumps(document)


# -- SARIF 2.1.0 --------------------------------------------------------------------------------


def sarif_document(reports: Sequence[FileReport], rules: Sequence[AnyRule], *, cwd: Path | None = None) -> dict[str, Any]:
    """SARIF 2.1.0: one run, the rules as ``tool.driver.rules``, a result per change and per skip.

    A change is a ``warning`` (the file would be rewritten) or a ``note``
    once ``--write`` applied it; a skip is a ``note`` saying why a rewrite was
    not made. Files that could not be read or parsed are reported as
    ``toolExecutionNotifications``, as SARIF asks for failures that are not
    findings.
    """
    from pathlib import Path

    from . import __version__

    base = (cwd or Path.cwd()).resolve()
    index = {r.id: i for i, r in enumerate(rules)}
    driver_rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.why.strip() or r.title},
            "help": {"text": r.explain()},
            "helpUri": rule_url(r.id),
            "defaultConfiguration": {"level": "warning"},
            "properties": {"safety": r.safety, "tags": [r.safety]},
        }
        for r in rules
    ]
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for rep in reports:
        location = _artifact(rep.path, base)
        if rep.error is not None:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": rep.error.message},
                    "locations": [_location(location, rep.error.line, rep.error.column)],
                    "properties": {"kind": rep.error.kind},
                }
            )
            continue
        for c in rep.changes:
            results.append(
                _result(c.rule, index, "note" if rep.written else "warning", c.message, location, c.line, kind="change")
            )
        for s in rep.skips:
            if s.actionable:  # code scanning shows what someone can act on; the rest is in --format json
                results.append(_result(s.rule, index, "note", f"skipped: {s.message}", location, s.line, kind="skip"))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "dockopt",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": driver_rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": base.as_uri().rstrip("/") + "/"}},
        "results": results,
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _artifact(path: str, base: Path) -> dict[str, Any]:
    from pathlib import Path

    if path in ("-", "<stdin>"):
        return {"uri": "stdin"}
    p = Path(path)
    absolute = Path(os.path.abspath(p))
    try:
        rel = absolute.relative_to(base)
    except ValueError:
        return {"uri": absolute.as_uri()}
    from urllib.parse import quote

    return {"uri": quote(rel.as_posix(), errors="surrogateescape"), "uriBaseId": "%SRCROOT%"}


def _location(artifact: dict[str, Any], line: int | None, column: int | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line is not None and line >= 1:
        region: dict[str, Any] = {"startLine": line}
        if column is not None and column >= 1:
            region["startColumn"] = column
        physical["region"] = region
    return {"physicalLocation": physical}


def _result(
    rule: str, index: dict[str, int], level: str, message: str, artifact: dict[str, Any], line: int | None, *, kind: str
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": rule,
        "level": level,
        "message": {"text": message},
        "locations": [_location(artifact, line)],
        "properties": {"dockopt": kind},
    }
    if rule in index:
        out["ruleIndex"] = index[rule]
    return out


# -- GitHub Actions -------------------------------------------------------------------------

GITHUB_LEVELS = {"change": "warning", "written": "notice", "skip": "notice", "error": "error"}


def github_annotations(reports: Sequence[FileReport], *, cwd: Path | None = None) -> str:
    """GitHub Actions workflow commands, one line per change, skip and error.

    ``::warning file=Dockerfile,line=8,title=DO005::merged RUN ...`` makes an
    annotation on that line of the pull request. A change is a ``warning``
    (a ``notice`` once ``--write`` applied it), a skip a ``notice``, a file
    that could not be read or parsed an ``error``. Paths are made relative to
    ``$GITHUB_WORKSPACE`` (the checkout) when the file is inside it, as GitHub
    expects; values are escaped by GitHub's rules (:func:`github_escape`).
    """
    from pathlib import Path

    base = Path(os.path.abspath(os.environ.get("GITHUB_WORKSPACE") or cwd or Path.cwd()))
    out: list[str] = []
    for rep in reports:
        if rep.excluded:
            continue
        file = _github_path(rep.path, base)
        if rep.error is not None:
            title = f"dockopt {rep.error.kind} error"
            out.append(_github_command("error", file, rep.error.line, rep.error.column, title, rep.error.message))
            continue
        level = GITHUB_LEVELS["written" if rep.written else "change"]
        for c in rep.changes:
            out.append(_github_command(level, file, c.line, None, c.rule, c.message))
        for s in rep.skips:
            if s.actionable:  # as in SARIF: annotations are for what someone can act on
                out.append(_github_command(GITHUB_LEVELS["skip"], file, s.line, None, s.rule, f"skipped: {s.message}"))
    return "".join(line + "\n" for line in out)


def github_escape(value: str, *, prop: bool = False) -> str:
    """Escape a workflow command's message (or, with ``prop``, a property value) as GitHub's toolkit does.

    ``%``, CR and LF are percent-encoded everywhere; in a property ``:`` and
    ``,`` too, since they separate the properties and the message.
    """
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _github_command(
    level: str, file: str | None, line: int | None, column: int | None, title: str, message: str
) -> str:
    props: list[tuple[str, str]] = []
    if file is not None:
        props.append(("file", file))
        if line is not None and line >= 1:
            props.append(("line", str(line)))
            if column is not None and column >= 1:
                props.append(("col", str(column)))
    props.append(("title", title))
    joined = ",".join(f"{key}={github_escape(_printable(value), prop=True)}" for key, value in props)
    return f"::{level} {joined}::{github_escape(_printable(message))}"


def _github_path(path: str, base: Path) -> str | None:
    from pathlib import Path

    if path in ("-", "<stdin>"):
        return None
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return Path(path).as_posix()
