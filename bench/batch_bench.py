"""Files per second of ``dockopt batch`` over a generated fleet, ``--jobs 1`` and ``--jobs 2`` side by side.

Not a test. It builds the fleet the batch tests use (tests/batch/fleet.py:
naive, already-optimal, multi-Dockerfile and odd repositories; ``--copies``
repeats the naive part) in a scratch folder, then times the real command line
(a subprocess: start-up, discovery, git, worker processes and the report all
count) in two modes:

* ``dry-run``: read each working tree, rewrite, report;
* ``git-branch``: read HEAD's blobs, snapshot the contexts, rewrite, commit on
  a branch with plumbing. Each run uses a new branch name (uuid), so every run
  really commits instead of finding its branches up to date.

Each figure is the best of ``--repeat`` runs; the runs alternate between the
job counts so a busy neighbour slows both alike.

Usage: python bench/batch_bench.py [--copies N] [--repeat N] [--modes dry-run,git-branch]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.batch import fleet  # noqa: E402

JOBS = (1, 2)


def dockopt() -> list[str]:
    script = Path(sys.executable).parent / "dockopt"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dockopt"]


def run_once(root: Path, mode: str, jobs: int, report: Path) -> tuple[float, dict[str, int]]:
    args = [*dockopt(), "batch", str(root), "--jobs", str(jobs), "--report", str(report)]
    if mode == "git-branch":
        args += ["--git-branch", f"bench/{uuid.uuid4().hex[:12]}"]
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"dockopt batch failed ({proc.returncode}):\n{proc.stderr}")
    totals = json.loads(report.read_text())["totals"]
    return seconds, totals


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=3, help="copies of the naive repositories (default 3)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts (default 3)")
    ap.add_argument("--modes", default="dry-run,git-branch", help="comma-separated: dry-run, git-branch")
    args = ap.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    with tempfile.TemporaryDirectory(prefix="dockopt-batch-bench-") as scratch:
        root = Path(scratch) / "fleet"
        start = time.perf_counter()
        ids = fleet.build(root, copies=args.copies)
        print(f"fleet: {len(ids)} repositories, built in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        rows = []
        for mode in modes:
            best = {jobs: float("inf") for jobs in JOBS}
            totals: dict[str, int] = {}
            for n in range(args.repeat):
                for jobs in JOBS if n % 2 == 0 else tuple(reversed(JOBS)):
                    seconds, totals = run_once(root, mode, jobs, Path(scratch) / f"{mode}-{jobs}.json")
                    best[jobs] = min(best[jobs], seconds)
                    print(f"  {mode} --jobs {jobs}: {seconds:.2f} s", file=sys.stderr)
            rows.append((mode, totals["repositories"], totals["files"], best))

    print()
    print(f"{'mode':<11} {'repos':>5} {'files':>5}   {'--jobs 1':>14} {'--jobs 2':>14}   speed-up")
    for mode, repos, files, best in rows:
        one, two = (files / best[j] for j in JOBS)
        print(
            f"{mode:<11} {repos:>5} {files:>5}   {one:>8.1f} files/s {two:>8.1f} files/s   {two / one:.2f}x"
            f"   ({best[1]:.2f} s / {best[2]:.2f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
