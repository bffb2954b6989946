"""The JSON report: writing it, reading it back (``--resume``, ``merge``), joining several.

Shape: ``{"files": [...], "repositories": [...], "totals": {...}}`` plus what
run made it (``run``: mode, branch, verify, shard, complete) and the
``dockopt`` version and ``schema``. Records are sorted (repositories by
identifier, files by repository and path), so the same fleet gives the same
document whether it ran in one go, in shards then merged, or resumed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from . import totals
from .records import FileRecord, RecordError, RepoRecord, RepoResult

SCHEMA = 1


class ReportError(ValueError):
    """A report cannot be read, or reports cannot be joined."""


@dataclass
class Report:
    results: list[RepoResult]
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def files(self) -> list[FileRecord]:
        return sorted((f for r in self.results for f in r.files), key=lambda f: f.key)

    @property
    def repositories(self) -> list[RepoRecord]:
        return sorted((r.repo for r in self.results), key=lambda r: r.repository)

    def totals(self) -> dict[str, Any]:
        return totals.compute(self.files, self.repositories)

    def to_json(self) -> dict[str, Any]:
        return {
            "dockopt": __version__,
            "schema": SCHEMA,
            "run": self.run,
            "files": [f.to_json() for f in self.files],
            "repositories": [r.to_json() for r in self.repositories],
            "totals": self.totals(),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=True) + "\n"

    def by_repository(self) -> dict[str, RepoResult]:
        return {r.repo.repository: r for r in self.results}


def run_info(*, mode: str, branch: str | None, verify: bool, shard: str | None, complete: bool) -> dict[str, Any]:
    return {"mode": mode, "branch": branch, "verify": verify, "shard": shard, "complete": complete}


def from_json(data: Any, where: str) -> Report:
    if not isinstance(data, dict) or not all(k in data for k in ("files", "repositories")):
        raise ReportError(f"{where}: not a dockopt batch report (no files and repositories)")
    if data.get("schema", SCHEMA) != SCHEMA:
        raise ReportError(f"{where}: report schema {data.get('schema')!r}, this dockopt reads {SCHEMA}")
    try:
        repos = [RepoRecord.from_json(r) for r in data["repositories"]]
        files = [FileRecord.from_json(f) for f in data["files"]]
    except RecordError as exc:
        raise ReportError(f"{where}: {exc}") from None
    results = {r.repository: RepoResult(r) for r in repos}
    for f in files:
        owner = results.get(f.repository)
        if owner is None:
            raise ReportError(f"{where}: file {f.path} names repository {f.repository!r}, which the report lacks")
        owner.files.append(f)
    run = data.get("run")
    return Report(list(results.values()), dict(run) if isinstance(run, dict) else {})


def load(path: Path) -> Report:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ReportError(f"{path}: cannot read the report ({reason})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not JSON ({exc})") from None
    return from_json(data, str(path))


def merge(reports: Sequence[tuple[str, Report]]) -> Report:
    """One report from several (the shards of one run); a repository in two of them must be recorded alike."""
    if not reports:
        raise ReportError("nothing to merge")
    kinds = {(r.run.get("mode"), r.run.get("branch"), r.run.get("verify")) for _n, r in reports}
    if len(kinds) > 1:
        shown = ", ".join(f"{name}: {r.run.get('mode')}" for name, r in reports)
        raise ReportError(f"the reports come from different kinds of run ({shown}); merge joins shards of one run")
    joined: dict[str, tuple[str, RepoResult]] = {}
    for name, report in reports:
        for result in report.results:
            key = result.repo.repository
            seen = joined.get(key)
            if seen is not None and _comparable(seen[1]) != _comparable(result):
                raise ReportError(f"repository {key!r} is in {seen[0]} and {name} with different records")
            joined.setdefault(key, (name, result))
    first = reports[0][1].run
    run = {**first, "shard": None, "complete": all(r.run.get("complete", True) for _n, r in reports)}
    return Report([r for _n, r in joined.values()], run)


def _comparable(result: RepoResult) -> Any:
    repo = {k: v for k, v in result.repo.to_json().items() if k not in ("path", "resumed", "patch")}
    return repo, sorted(json.dumps(f.to_json(), sort_keys=True) for f in result.files)
