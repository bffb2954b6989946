"""``--markdown FILE.md``: the report for a human, fit for a pull-request body or a dashboard.

Totals first, then the rules applied, then only the repositories that need a
look (changed, unproven, in error); a fleet's quiet majority is one line.
"""

from __future__ import annotations

from typing import Any

from .document import Report
from .records import FileRecord, RepoRecord
from .words import human_bytes as _bytes
from .words import plural as _n

_VERB = {
    "dry-run": "would be rewritten",
    "write": "rewritten in the working tree",
    "git-branch": "rewritten on the branch",
}


def render(report: Report) -> str:
    run = report.run
    totals = report.totals()
    files = report.files
    repos = report.repositories
    mode = str(run.get("mode", "dry-run"))
    out = [f"# dockopt batch: {_n(totals['repositories'], 'repository')}, {_n(totals['files'], 'Dockerfile')}", ""]
    extras = []
    if run.get("branch"):
        extras.append(f"branch `{run['branch']}`")
    if run.get("shard"):
        extras.append(f"shard {run['shard']}")
    if run.get("verify"):
        extras.append("every rewrite verified by building both images")
    if not run.get("complete", True):
        extras.append("**incomplete run** (interrupted; resume it with `--resume`)")
    if extras:
        out += ["Run: " + "; ".join(extras) + ".", ""]
    rows = [
        (f"Dockerfiles {_VERB.get(mode, 'rewritten')}", totals["changed"]),
        ("unchanged (already optimal)", totals["unchanged"]),
        ("skipped", totals["skipped_files"]),
        ("errors", totals["errors"]),
    ]
    if run.get("verify") or totals["unproven"]:
        rows.insert(1, ("unproven (not applied)", totals["unproven"]))
    rows += [
        ("changes made", totals["changes"]),
        (f".dockerignore files {'to add' if mode == 'dry-run' else 'added'} (DO010)", totals.get("new_files", 0)),
        ("repositories with changes", totals["repositories_changed"]),
        ("repositories skipped / in error", f"{totals['repositories_skipped']} / {totals['repository_errors']}"),
    ]
    if mode == "git-branch":
        b = totals["branches"]
        rows.append(("branches created / updated / unchanged", f"{b['created']} / {b['updated']} / {b['unchanged']}"))
    out += ["| | |", "|---|---:|", *(f"| {label} | {value} |" for label, value in rows), ""]
    if "images" in totals:
        out += _images(totals["images"])
    if totals["rules"]:
        names = _rule_names()
        out += ["## Rules applied", "", "| Rule | Dockerfiles |", "|---|---:|"]
        out += [f"| {rule} {names.get(rule, '')} | {count} |" for rule, count in totals["rules"].items()]
        out.append("")
    out += _repositories(repos, files, mode)
    out += _listing("Errors", [f for f in files if f.outcome == "error"], lambda f: f.error.text if f.error else "")
    out += _listing("Unproven rewrites (not applied)", [f for f in files if f.outcome == "unproven"], _reason)
    out += _listing("Skipped files", [f for f in files if f.outcome == "skipped-file"], _reason)
    return "\n".join(out).rstrip("\n") + "\n"


def _images(images: dict[str, Any]) -> list[str]:
    def row(label: str, before: int, after: int) -> str:
        saved = f"{100 * (before - after) / before:.0f} %" if before else "–"
        return f"| {label} | {_bytes(before)} | {_bytes(after)} | {saved} |"

    return [
        f"Images built by verify for {_n(images['verified_files'], 'rewrite')} "
        f"({images['equivalent']} proven equivalent):",
        "",
        "| Bytes | before | after | saved |",
        "|---|---:|---:|---:|",
        row("images, summed", images["image_bytes_before"], images["image_bytes_after"]),
        row("registry storage (shared layers once)", images["registry_bytes_before"], images["registry_bytes_after"]),
        "",
    ]


def _repositories(repos: list[RepoRecord], files: list[FileRecord], mode: str) -> list[str]:
    by_repo: dict[str, list[FileRecord]] = {}
    for f in files:
        by_repo.setdefault(f.repository, []).append(f)
    rows = []
    quiet = 0
    for repo in repos:
        mine = by_repo.get(repo.repository, [])
        changed = sum(1 for f in mine if f.outcome == "changed")
        trouble = sum(1 for f in mine if f.outcome in ("error", "unproven"))
        if not changed and not trouble and repo.status == "done":
            quiet += 1
            continue
        result = ""
        if repo.status != "done":
            result = f"{repo.status}: {repo.reason or ''}"
        elif mode == "git-branch" and repo.commit and repo.branch_action not in (None, "none"):
            result = f"`{repo.branch}` {repo.commit[:12]} ({repo.branch_action})"
        elif repo.patch:
            result = f"patch `{repo.patch}`"
        rows.append(f"| {_cell(repo.repository)} | {len(mine)} | {changed} | {trouble} | {_cell(result)} |")
    if not rows:
        return [f"No repository needs a look; {_n(quiet, 'repository')} had nothing to change.", ""] if quiet else []
    out = ["## Repositories", "", "| Repository | Dockerfiles | rewritten | errors / unproven | result |"]
    out += ["|---|---:|---:|---:|---|", *rows, ""]
    if quiet:
        out += [f"{_n(quiet, 'other repository', 'other repositories')} had nothing to change.", ""]
    return out


def _listing(title: str, files: list[FileRecord], text: Any) -> list[str]:
    if not files:
        return []
    return [f"## {title}", "", *(f"- `{f.repository}`: {_cell(text(f))}" for f in files), ""]


def _reason(f: FileRecord) -> str:
    return f"{f.path}: {f.reason or ''}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _rule_names() -> dict[str, str]:
    from ..passes import RULES

    return {r.id: r.name for r in RULES}
