"""Run ``dockopt verify`` on every project of the manifest and print one row each.

    python bench/realworld/run.py [--only NAME ...] [--jobs 1]
    python bench/realworld/run.py --table          # the table of the last results, no builds

A benchmark, not a test: it needs the sources (see common.py), a Docker
engine and the stand-in base images (``sudo python bench/realworld/base_images.py``).
Each project's outcome is one of

* ``verified``            dockopt rewrote the file and verify found the images equivalent;
* ``declined``            dockopt changed nothing (the reason: its skips);
* ``differences``         the rewrite does not build, or verify found a difference;
* ``original does not build offline``  a base image is not available here, or the
  original's own build fails (the last log lines are kept in the result file);
* ``error``               verify itself failed (a bug to report).

Results go to ``~/.cache/dockopt-realworld/results/<name>.json`` (one per
project, rewritten by each run), and the table is printed from them, so an
interrupted run still reports what it finished.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from common import CACHE, ROOT, Project, checkout, external_images, load_manifest

DOCKER = "/usr/bin/docker"
RESULTS = CACHE / "results"
#: One project's verify (two cold builds, probes, a rebuild) may take this long.
TIMEOUT = 3600


def image_present(image: str) -> bool:
    ref = image if ":" in image.rsplit("/", 1)[-1] or "@" in image else image + ":latest"
    return subprocess.run([DOCKER, "image", "inspect", ref], capture_output=True).returncode == 0


def dockopt_revision() -> str:
    """The commit of the dockopt being measured (+ if the work tree has changes)."""
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", "HEAD", "--", "src"], capture_output=True)
    return rev.stdout.strip() + ("+" if dirty.returncode else "")


def run_project(p: Project) -> dict[str, Any]:
    start = time.monotonic()
    row: dict[str, Any] = {
        "name": p.name, "repo": p.repo, "commit": p.commit, "dockerfile": p.dockerfile, "dockopt": dockopt_revision(),
    }
    src = checkout(p)
    if src is None:
        return {**row, "outcome": "no source", "reason": f"no snapshot at {p.mirror} (fetch {p.repo})"}
    dockerfile, context = src / p.dockerfile, src / p.context
    if not dockerfile.is_file():
        return {**row, "outcome": "error", "reason": f"{p.dockerfile} not found at this commit"}
    missing = [i for i in external_images(dockerfile.read_text(errors="replace")) if not image_present(i)]
    if missing:
        return {**row, "outcome": "original does not build offline", "reason": "not available here: " + ", ".join(missing)}
    cmd = [sys.executable, "-m", "dockopt", "verify", str(dockerfile), "--context", str(context), "--format", "json"]
    if p.smoke:
        cmd += ["--smoke", shlex.join(p.smoke)]
    log = RESULTS / f"{p.name}.log"
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {**row, "outcome": "error", "reason": f"verify timed out after {TIMEOUT} s"}
    log.write_text(proc.stderr)
    row["seconds"] = round(time.monotonic() - start, 1)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return {**row, "outcome": "error", "reason": f"exit {proc.returncode}: {tail}"}
    row["changes"] = sorted({c["rule"] for c in doc.get("changes", [])})
    row["skips"] = [f"{s['rule']}: {s['message']}" for s in doc.get("skips", [])]
    if not doc.get("changed"):
        reason = "; ".join(row["skips"]) or "nothing to change"
        return {**row, "outcome": "declined", "reason": reason}
    v = doc["verification"]
    row["verification"] = v
    row["before_bytes"] = (v.get("before") or {}).get("size_bytes")
    row["after_bytes"] = (v.get("after") or {}).get("size_bytes")
    row["reused"] = v.get("dependency_layer_reused")
    if v["status"] == "equivalent":
        return {**row, "outcome": "verified", "reason": ""}
    if v["status"] == "different":
        diffs = [f"{c['name']}: {d}" for c in v["checks"] if c["ok"] is False for d in (c["differences"] or [c["detail"]])]
        return {**row, "outcome": "differences", "reason": " | ".join(diffs[:4])}
    reason = v.get("reason") or ""
    if reason.startswith("the original does not build"):
        last = [line for line in reason.splitlines()[1:] if line.strip()][-2:]
        return {**row, "outcome": "original does not build offline", "reason": "build fails: " + " / ".join(last)}
    return {**row, "outcome": "error", "reason": reason}


def mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:,.0f} MB"


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| project | outcome | before | after | change | dep. layer reused | rules | dockopt | reason / differences |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        reused = {True: "yes", False: "no", None: "-"}[r.get("reused")]
        b, a = r.get("before_bytes"), r.get("after_bytes")
        change = f"{a / b - 1:+.0%}" if a and b else "-"
        reason = (r.get("reason") or "").replace("|", "/").replace("\n", " ")
        if len(reason) > 260:
            reason = reason[:257] + "..."
        out.append(
            f"| {r['name']} | {r['outcome']} | {mb(b)} | {mb(a)} | {change} | {reused} "
            f"| {', '.join(r.get('changes') or []) or '-'} | {r.get('dockopt', '46ab6a8')} | {reason} |"
        )
    return "\n".join(out)


def totals(rows: list[dict[str, Any]]) -> str:
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["outcome"], []).append(r)
    offline = by.get("original does not build offline", [])
    rewritten = [r for r in rows if r["outcome"] in ("verified", "differences")]
    verified = by.get("verified", [])
    reductions = [1 - r["after_bytes"] / r["before_bytes"] for r in verified if r.get("before_bytes") and r.get("after_bytes")]
    lines = [
        f"projects: {len(rows)}; original does not build offline: {len(offline)}; "
        f"declined (dockopt changes nothing): {len(by.get('declined', []))}; errors/no source: "
        f"{len(by.get('error', [])) + len(by.get('no source', []))}",
        f"rewritten and built: {len(rewritten)}; verified equivalent: {len(verified)}; "
        f"with differences: {len(by.get('differences', []))}",
    ]
    if reductions:
        lines.append(
            f"median size reduction of the verified: {statistics.median(reductions):.0%} "
            f"(min {min(reductions):.0%}, max {max(reductions):.0%})"
        )
    restaged = [
        1 - r["after_bytes"] / r["before_bytes"]
        for r in verified
        if r.get("before_bytes") and r.get("after_bytes") and {"DO002", "DO004"} & set(r.get("changes") or [])
    ]
    if restaged:
        lines.append(
            f"median size reduction of the verified whose rewrite split the stages or slimmed the base (DO002/DO004, "
            f"{len(restaged)}): {statistics.median(restaged):.0%}"
        )
    bigger = [r["name"] for r in rewritten if r.get("before_bytes") and r.get("after_bytes") and r["after_bytes"] > r["before_bytes"]]
    lines.append(f"rewrites bigger than the original: {len(bigger)}" + (f" ({', '.join(bigger)})" if bigger else ""))
    reused = [r.get("reused") for r in verified]
    lines.append(f"dependency layer reused after a code-only edit (verified): {reused.count(True)} yes, "
                 f"{reused.count(False)} no, {reused.count(None)} not measurable")
    for r in by.get("declined", []):
        lines.append(f"declined: {r['name']}: {r['reason']}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description="dockopt verify on real-world Dockerfiles")
    ap.add_argument("--only", nargs="*", help="project names (default: all)")
    ap.add_argument("--jobs", type=int, default=1, help="projects verified at once (default 1; builds are heavy)")
    ap.add_argument("--table", action="store_true", help="print the table of the saved results; build nothing")
    opts = ap.parse_args()
    projects = [p for p in load_manifest() if not opts.only or p.name in opts.only]
    unknown = set(opts.only or ()) - {p.name for p in projects}
    if unknown:
        ap.error(f"not in the manifest: {', '.join(sorted(unknown))}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not opts.table:
        def one(p: Project) -> dict[str, Any]:
            try:
                r = run_project(p)
            except Exception as exc:  # a harness bug must not stop the other projects
                r = {"name": p.name, "outcome": "error", "reason": f"{type(exc).__name__}: {exc}"}
            (RESULTS / f"{p.name}.json").write_text(json.dumps(r, indent=2))
            print(f"{p.name}: {r['outcome']} {mb(r.get('before_bytes'))} -> {mb(r.get('after_bytes'))} "
                  f"{(r.get('reason') or '')[:200]}", flush=True)
            return r
        with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
            list(pool.map(one, projects))
    rows = []
    for p in projects:
        f = RESULTS / f"{p.name}.json"
        rows.append(json.loads(f.read_text()) if f.is_file() else {"name": p.name, "outcome": "not run", "reason": ""})
    print(table(rows))
    print()
    print(totals(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
