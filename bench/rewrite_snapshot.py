#!/usr/bin/env python3
"""Snapshot of every rewrite the rewrite benchmark runs: to show an optimisation changed no output.

Run from the repository root with the project's virtualenv active::

    python bench/rewrite_snapshot.py record /tmp/before.json   # before a change
    python bench/rewrite_snapshot.py check  /tmp/before.json   # after it: exit 1 on any difference

Every file of ``rewrite_bench``'s corpus (fixtures, generated files, each
example app with its build context) is rewritten under a few option sets
(the defaults, ``unsafe``, and ``unsafe`` with the other switches turned), and
the text, changes and skips of each rewrite are recorded as JSON. A file the
rewrite refuses records its error instead, so a changed error counts too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rewrite_bench import inputs

OPTIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "unsafe": {"unsafe": True},
    "unsafe-uv-user-mounts": {"unsafe": True, "installer": "uv", "layout": "user", "cache_mounts": True},
}


def snapshot(generated: int) -> dict[str, Any]:
    import dockopt

    out: dict[str, Any] = {}
    for name, text, context in inputs(generated):
        for label, options in OPTIONS.items():
            try:
                r = dockopt.rewrite(text, context_dir=context, **options)
            except Exception as exc:  # recorded, so a changed failure is a difference too
                out[f"{name} [{label}]"] = {"error": f"{type(exc).__name__}: {exc}"}
                continue
            out[f"{name} [{label}]"] = {
                "text": r.text,
                "changes": [[c.rule, c.line, c.message] for c in r.changes],
                "skips": [[s.rule, s.line, s.message, s.actionable, s.guard] for s in r.skips],
                "skipped_file": r.skipped_file,
            }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["record", "check"])
    ap.add_argument("path", type=Path)
    ap.add_argument("--generated", type=int, default=40, help="generated files, as rewrite_bench (40)")
    args = ap.parse_args(argv)
    now = snapshot(args.generated)
    if args.mode == "record":
        args.path.write_text(json.dumps(now, indent=1, sort_keys=True))
        print(f"recorded {len(now)} rewrites in {args.path}")
        return 0
    before = json.loads(args.path.read_text())
    differing = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for key in differing[:20]:
        print(f"DIFFERENT: {key}")
        print(f"  before: {json.dumps(before.get(key))[:400]}")
        print(f"  now:    {json.dumps(now.get(key))[:400]}")
    print(f"{len(now)} rewrites, {len(differing)} different")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
