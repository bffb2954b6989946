"""What DO008 cache-mounts buys: image size, cold build, and the rebuild after a dependency change.

Not a test. For each app it rewrites the naive Dockerfile twice (default
rules; and with ``cache_mounts=True``, each mount given an ``id`` unique to
this run so its cache starts empty) and, with the local Docker engine:

1. builds both cold (``--no-cache``; the new cache mounts are empty) and
   reads the image sizes;
2. in a scratch copy of the context appends a comment no build has seen to
   the dependency manifest (``requirements.txt`` / ``pyproject.toml``) and
   rebuilds both: the install RUN runs again, without mounts downloading
   everything again, with them reading the cache the cold build filled.

``apt-jq`` is a builder stage installing jq (the example apps' apt packages
are all in python:3.12 already, so apt has nothing to download there); its
"manifest edit" is a no-op added to the apt RUN.

Usage: python bench/cache_mounts_bench.py [--apps flask-gunicorn,uv-app,psycopg2-source,apt-jq] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import dockopt  # noqa: E402
from dockopt.engine import Engine, check_engine  # noqa: E402

APT_JQ = """\
FROM python:3.12 AS builder
RUN apt-get update && apt-get install -y --no-install-recommends jq
RUN jq --version > /jq-version

FROM python:3.12-slim
COPY --from=builder /jq-version /jq-version
CMD ["cat", "/jq-version"]
"""
MANIFESTS = {"flask-gunicorn": "requirements.txt", "uv-app": "pyproject.toml", "psycopg2-source": "requirements.txt"}


def unique_ids(text: str, run: str) -> str:
    """Give every cache mount an id of this run's own, so its cache starts empty."""
    out = []
    for n, part in enumerate(text.split("--mount=type=cache,")):
        out.append(part if n == 0 else f"--mount=type=cache,id=bench-{run}-{n},{part}")
    return "".join(out)


def build(engine: Engine, text: str, ctx: Path, label: str, *, cold: bool) -> tuple[float, int]:
    tag = f"dockopt-craft-bench/{label}:{uuid.uuid4().hex[:8]}"
    try:
        result = engine.build(text, ctx, tag, no_cache=cold)
        return result.seconds, engine.image_size(tag)
    finally:
        engine.remove_image(tag)


def measure(engine: Engine, name: str) -> dict[str, object]:
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="dockopt-bench-") as tmp:
        ctx = Path(tmp) / name
        if name == "apt-jq":
            ctx.mkdir()
            naive, rules = APT_JQ, {"select": ["cache-mounts", "run-cleanup"]}
        else:
            shutil.copytree(ROOT / "fixtures" / "apps" / name, ctx)
            naive, rules = (ctx / "Dockerfile").read_text(), {}
        plain = dockopt.rewrite(naive, context_dir=ctx, **rules).text  # type: ignore[arg-type]
        mounted = unique_ids(dockopt.rewrite(naive, context_dir=ctx, cache_mounts=True, **rules).text, run)  # type: ignore[arg-type]
        row: dict[str, object] = {"app": name}
        for label, text in (("plain", plain), ("mounts", mounted)):
            seconds, size = build(engine, text, ctx, f"{name}-{label}", cold=True)
            row[f"{label}_cold_s"], row[f"{label}_mb"] = round(seconds, 1), round(size / 1e6, 2)
        edit = f"\n# bench {uuid.uuid4().hex}\n"
        if name == "apt-jq":
            plain = plain.replace("apt-get update", f"true {uuid.uuid4().hex} && apt-get update", 1)
            mounted = mounted.replace("apt-get update", f"true {uuid.uuid4().hex} && apt-get update", 1)
        else:
            with (ctx / MANIFESTS[name]).open("a") as fh:
                fh.write(edit)
        for label, text in (("plain", plain), ("mounts", mounted)):
            seconds, _ = build(engine, text, ctx, f"{name}-{label}-again", cold=False)
            row[f"{label}_rebuild_s"] = round(seconds, 1)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apps", default="flask-gunicorn,uv-app,psycopg2-source,apt-jq")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    status = check_engine()
    if status.engine is None:
        print(f"no Docker engine: {status.reason}", file=sys.stderr)
        return 2
    rows = []
    for name in args.apps.split(","):
        print(f"[{time.strftime('%H:%M:%S')}] {name} ...", file=sys.stderr, flush=True)
        rows.append(measure(status.engine, name))
    head = ("app", "size plain", "size mounts", "cold plain", "cold mounts", "rebuild plain", "rebuild mounts")
    print(" | ".join(head))
    for r in rows:
        print(
            f"{r['app']} | {r['plain_mb']} MB | {r['mounts_mb']} MB | {r['plain_cold_s']} s | {r['mounts_cold_s']} s"
            f" | {r['plain_rebuild_s']} s | {r['mounts_rebuild_s']} s"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
