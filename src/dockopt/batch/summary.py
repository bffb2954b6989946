"""The lines ``dockopt batch`` ends with on stderr: each error where it happened, then the totals."""

from __future__ import annotations

import os
from typing import Any

from .document import Report
from .words import human_bytes as _bytes
from .words import plural as _n

_VERB = {"dry-run": "would be rewritten", "write": "rewritten", "git-branch": "rewritten"}


def error_lines(report: Report) -> list[str]:
    """``PATH:LINE:COL: message`` for each file in error, ``REPO: reason`` for each repository in error."""
    where = {r.repository: r.path for r in report.repositories}
    out = []
    for repo in report.repositories:
        if repo.status == "error":
            out.append(f"{repo.path}: {repo.reason}")
    for f in report.files:
        if f.outcome == "error" and f.error is not None:
            out.append(os.path.join(where.get(f.repository, f.repository), f.error.text))
    return out


def lines(report: Report) -> list[str]:
    t: dict[str, Any] = report.totals()
    mode = str(report.run.get("mode", "dry-run"))
    repos = _n(t["repositories"], "repository")
    notes = []
    if t["repositories_skipped"]:
        notes.append(f"{t['repositories_skipped']} skipped")
    if t["repository_errors"]:
        notes.append(_n(t["repository_errors"], "error"))
    if notes:
        repos += f" ({', '.join(notes)})"
    parts = [f"{t['changed']} {_VERB.get(mode, 'rewritten')}", f"{t['unchanged']} unchanged"]
    if t["unproven"]:
        parts.append(f"{t['unproven']} unproven")
    if t["skipped_files"]:
        parts.append(f"{t['skipped_files']} skipped")
    if t["errors"]:
        parts.append(_n(t["errors"], "error"))
    out = [f"dockopt batch: {repos}, {_n(t['files'], 'Dockerfile')}: {', '.join(parts)}."]
    if mode == "git-branch":
        b = t["branches"]
        out.append(
            f"branch {report.run.get('branch')}: {b['created']} created, {b['updated']} updated, "
            f"{b['unchanged']} already up to date."
        )
    images = t.get("images")
    if images and images["verified_files"]:
        out.append(
            f"images: {_bytes(images['image_bytes_before'])} -> {_bytes(images['image_bytes_after'])}; "
            f"registry storage: {_bytes(images['registry_bytes_before'])} -> {_bytes(images['registry_bytes_after'])}."
        )
    return out
