"""Image sizes for every example app: naive, dockopt's rewrite, and a hand-written reference.

Not a test: it builds 3 images per app with the local Docker engine (cold, no
cache, so build times are real) and prints a table and the medians against
the targets:

* the rewritten image at most 0.95x the hand-written reference (median over
  the apps dockopt changed);
* a median size reduction of at least 80 % against the naive Dockerfile.

With ``--uv`` it also builds the rewrite made with ``--installer uv`` and
prints the median cold build times: naive, rewritten with pip, rewritten with
uv (the uv rewrite should build no slower than the original). The builds of
one app run in turn, so a busy neighbour slows them alike; run it on a quiet
machine for times worth quoting.

With ``--repeat N`` every timed build (naive, rewritten, and with ``--uv``
the uv rewrite) runs N times, cold, in turns, and the median time counts: a
single cold build here varies by up to a third from one run to the next (the
package mirror), more than the differences being measured. Sizes and smoke
checks come from the first builds; the reference is built once.

Usage: python bench/size_bench.py [--apps NAME,NAME] [--json FILE] [--warm] [--uv] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import dockopt  # noqa: E402
from dockopt.engine import App, check_engine, load_apps  # noqa: E402
from dockopt.measure import build_and_measure  # noqa: E402

TARGET_REDUCTION = 0.80
TARGET_VS_REFERENCE = 0.95


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apps", help="comma-separated app names (default: all)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--warm", action="store_true", help="allow the build cache (faster; build times not cold)")
    ap.add_argument("--uv", action="store_true", help="also build the rewrite made with --installer uv; compare cold build times")
    ap.add_argument("--repeat", type=int, default=1, help="timed builds per Dockerfile, in turns; the median counts (1)")
    args = ap.parse_args()

    status = check_engine()
    if status.engine is None:
        print(f"no Docker engine: {status.reason}", file=sys.stderr)
        return 2
    engine = status.engine
    apps = load_apps(ROOT / "fixtures" / "apps")
    if args.apps:
        wanted = set(args.apps.split(","))
        apps = [a for a in apps if a.name in wanted]

    rows = []
    for app in apps:
        print(f"[{time.strftime('%H:%M:%S')}] {app.name} ...", file=sys.stderr, flush=True)
        rows.append(measure_app(engine, app, cold=not args.warm, uv=args.uv, repeat=args.repeat))
        r = rows[-1]
        print(
            f"    naive {r['naive_mb']:.0f} MB, rewritten {r['rewritten_mb']:.0f} MB, reference {r['reference_mb']:.0f} MB",
            file=sys.stderr,
        )

    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def measure_app(engine, app: App, cold: bool, uv: bool = False, repeat: int = 1) -> dict[str, object]:  # type: ignore[no-untyped-def]
    naive_text = app.dockerfile.read_text()
    rewritten_text = dockopt.rewrite(naive_text, context_dir=app.dir).text
    reference_text = app.reference.read_text()
    texts = [("naive", naive_text), ("rewritten", rewritten_text), ("reference", reference_text)]
    if uv:
        texts.append(("rewritten_uv", dockopt.rewrite(naive_text, context_dir=app.dir, installer="uv").text))
    figures = {}
    for label, text in texts:
        f = build_and_measure(engine, f"bench-{app.name}-{label}", text, app.dir, smoke=app.smoke, cold=cold)
        figures[label] = f
    times = {label: [f.cold_seconds] for label, f in figures.items()}
    for _ in range(repeat - 1):  # the timed Dockerfiles again, in turns, so a slow minute of the mirror hits each alike
        for label, text in texts:
            if label != "reference":
                times[label].append(build_and_measure(engine, f"bench-{app.name}-{label}", text, app.dir, cold=cold).cold_seconds)
    for label, f in figures.items():
        f.cold_seconds = statistics.median(times[label])
    n, w, r = figures["naive"], figures["rewritten"], figures["reference"]
    row: dict[str, object] = {
        "app": app.name,
        "naive_mb": n.size_bytes / 1e6,
        "rewritten_mb": w.size_bytes / 1e6,
        "reference_mb": r.size_bytes / 1e6,
        "reduction": 1 - w.size_bytes / n.size_bytes,
        "reference_reduction": 1 - r.size_bytes / n.size_bytes,
        "vs_reference": w.size_bytes / r.size_bytes,
        "naive_layers": n.layers,
        "rewritten_layers": w.layers,
        "naive_build_s": n.cold_seconds,
        "rewritten_build_s": w.cold_seconds,
        "reference_build_s": r.cold_seconds,
        "build_runs": repeat,
        "smoke_ok": all(app.smoke.matches(f.smoke) for f in figures.values() if f.smoke is not None),
    }
    if uv:
        u = figures["rewritten_uv"]
        row["rewritten_uv_mb"] = u.size_bytes / 1e6
        row["rewritten_uv_build_s"] = u.cold_seconds
        row["uv_changed"] = texts[3][1] != rewritten_text
    return row


def print_table(rows: list[dict[str, object]]) -> None:
    head = f"{'app':28} {'naive':>9} {'rewritten':>10} {'reference':>10} {'reduction':>10} {'vs ref':>7} {'layers':>9} {'smoke':>6}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['app']:28} {r['naive_mb']:>7.0f}MB {r['rewritten_mb']:>8.0f}MB {r['reference_mb']:>8.0f}MB "
            f"{r['reduction']:>9.0%} {r['vs_reference']:>7.2f} {r['naive_layers']:>4}→{r['rewritten_layers']:<4} "
            f"{'ok' if r['smoke_ok'] else 'FAIL':>6}"
        )
    changed = [r for r in rows if r["reduction"] > 0.01]  # type: ignore[operator]
    if not changed:
        return
    med_red = statistics.median(r["reduction"] for r in changed)  # type: ignore[misc]
    med_ref = statistics.median(r["vs_reference"] for r in changed)  # type: ignore[misc]
    print()
    print(f"median reduction (apps dockopt changed): {med_red:.1%}  target ≥ {TARGET_REDUCTION:.0%}")
    print(f"median size vs hand-written reference:    {med_ref:.3f}×  target ≤ {TARGET_VS_REFERENCE:.2f}×")
    print(f"median cold build: naive {statistics.median(float(r['naive_build_s']) for r in changed):.1f} s, "  # type: ignore[arg-type]
          f"rewritten {statistics.median(float(r['rewritten_build_s']) for r in changed):.1f} s, "  # type: ignore[arg-type]
          f"reference {statistics.median(float(r['reference_build_s']) for r in changed):.1f} s")  # type: ignore[arg-type]
    with_uv = [r for r in changed if "rewritten_uv_build_s" in r]
    if with_uv:
        uv_s = statistics.median(float(r["rewritten_uv_build_s"]) for r in with_uv)  # type: ignore[arg-type]
        pip_s = statistics.median(float(r["rewritten_build_s"]) for r in with_uv)  # type: ignore[arg-type]
        naive_s = statistics.median(float(r["naive_build_s"]) for r in with_uv)  # type: ignore[arg-type]
        ratios = [float(r["rewritten_uv_build_s"]) / float(r["naive_build_s"]) for r in with_uv]  # type: ignore[arg-type]
        print(f"median cold build with --installer uv: {uv_s:.1f} s (pip rewrite {pip_s:.1f} s, naive {naive_s:.1f} s); "
              f"uv rewrite / naive: median {statistics.median(ratios):.2f}×, worst {max(ratios):.2f}×  target ≤ 1.00×")
        print(f"uv rewrite sizes: median {statistics.median(float(r['rewritten_uv_mb']) for r in with_uv):.0f} MB; "  # type: ignore[arg-type]
              f"{sum(1 for r in with_uv if not r['uv_changed'])} apps where uv changed nothing")


if __name__ == "__main__":
    sys.exit(main())
