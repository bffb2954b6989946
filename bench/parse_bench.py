#!/usr/bin/env python3
"""Parser benchmark: dockopt's parse + print against BuildKit's parser and dockerfile-parse.

Run from the repository root with the project's virtualenv active::

    python bench/parse_bench.py              # throughput + cold start
    python bench/parse_bench.py --profile    # + cProfile's top entries for dockopt.parse

Throughput: one pass parses every file of the corpus (all fixture
Dockerfiles plus generated ~4 KB realistic files); each parser gets the same
texts, in the same run, and the best of ``--repeat`` passes counts.

* dockopt:          ``dockopt.parse(text).to_source()`` (parse and print)
* dockerfile:       ``dockerfile.parse_string(text)`` (BuildKit's Go parser)
* dockerfile-parse: ``DockerfileParser(fileobj=BytesIO(data)).structure``, a new
  parser and file object every time, so nothing is cached between calls

Cold start: ``dockopt parse -`` on a fixture (stdin) against ``python3 -c pass``,
best of ``--cold`` runs each.

Targets (printed next to the figures): parse + print at least 0.5x the
``dockerfile`` package's files/s (aim: 1.0x); cold start at most 3x
``python3 -c pass``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"

TARGET_THROUGHPUT = 0.5  # dockopt files/s over dockerfile's, at least
AIM_THROUGHPUT = 1.0
TARGET_COLD = 3.0  # dockopt parse - over python3 -c pass, at most


# ----------------------------------------------------------------------------- corpus


def fixture_texts() -> list[tuple[str, str]]:
    """Every Dockerfile under fixtures/, read byte-exactly (as tests/conftest.py does)."""
    paths = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and "Dockerfile" in p.name)
    return [(str(p.relative_to(ROOT)), p.read_bytes().decode("utf-8", "surrogateescape")) for p in paths]


_BASES = ["python:3.12", "python:3.11-slim", "python:3.12-bookworm", "debian:bookworm", "ubuntu:22.04"]
_APT = ["build-essential", "curl", "git", "libpq-dev", "libffi-dev", "gcc", "ca-certificates", "gettext", "libjpeg-dev"]
_PIP = ["flask", "gunicorn", "django", "psycopg2", "requests", "uvicorn[standard]", "fastapi", "celery", "redis"]


def generated_text(rng: random.Random, size: int = 4096) -> str:
    """A realistic Dockerfile of about ``size`` bytes: what the optimiser is fed."""
    out = [f"# syntax=docker/dockerfile:1\n# Service image {rng.randint(1, 999)}\n"]
    stage = 0
    while sum(map(len, out)) < size:
        base = rng.choice(_BASES)
        out.append(f"\n# ---- stage {stage} ----\nFROM {base} AS stage{stage}\n")
        out.append(f"ARG APP_VERSION={rng.randint(1, 9)}.{rng.randint(0, 20)}\n")
        out.append('LABEL org.opencontainers.image.title="service" \\\n      org.opencontainers.image.version="$APP_VERSION"\n')
        out.append("ENV PYTHONDONTWRITEBYTECODE=1 \\\n    PYTHONUNBUFFERED=1 \\\n    PIP_NO_CACHE_DIR=off\n")
        out.append("WORKDIR /app\n\n# System packages\n")
        pkgs = rng.sample(_APT, rng.randint(3, 6))
        body = " \\\n        ".join(pkgs)
        out.append(f"RUN apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n        {body} \\\n")
        out.append("    # keep the image small\n    && rm -rf /var/lib/apt/lists/*\n")
        out.append("COPY requirements.txt .\n")
        out.append(f"RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt {' '.join(rng.sample(_PIP, 3))}\n")
        if rng.random() < 0.5:
            out.append("RUN <<EOF\nset -e\npython -m compileall -q /app\necho built > /app/.stamp\nEOF\n")
        out.append("COPY --chown=app:app . .\n")
        if stage:
            out.append(f"COPY --from=stage{stage - 1} /app/.stamp /app/.stamp\n")
        out.append("EXPOSE 8000\nUSER app\n")
        out.append('HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost:8000/health || exit 1\n')
        out.append('ENTRYPOINT ["gunicorn", "--bind", "0.0.0.0:8000"]\nCMD ["app.wsgi:application"]\n')
        stage += 1
    return "".join(out)


def corpus(generated: int) -> list[tuple[str, str]]:
    rng = random.Random(20240601)
    items = fixture_texts()
    items += [(f"generated-{i}", generated_text(rng)) for i in range(generated)]
    return items


# ----------------------------------------------------------------------------- parsers


def _dockopt() -> Callable[[str], object]:
    import dockopt

    def run(text: str) -> object:
        return dockopt.parse(text).to_source()

    return run


def _dockerfile() -> Callable[[str], object]:
    import dockerfile

    return dockerfile.parse_string


def _dockerfile_parse() -> Callable[[bytes], object]:
    import logging

    from dockerfile_parse import DockerfileParser

    logging.getLogger("dockerfile_parse").setLevel(logging.CRITICAL)

    def run(data: bytes) -> object:
        return DockerfileParser(fileobj=io.BytesIO(data)).structure

    return run


def best_pass(fn: Callable[[object], object], inputs: list[object], repeat: int) -> float:
    """Seconds for the fastest of ``repeat`` passes over ``inputs``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in inputs:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best


def usable(items: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """The files every parser reads (dockopt and BuildKit agree on which those are)."""
    import dockerfile

    import dockopt

    keep, dropped = [], []
    for name, text in items:
        try:
            dockopt.parse(text)
            dockerfile.parse_string(text)
        except Exception as exc:  # a fixture of a rejected file; not a benchmark input
            dropped.append(f"{name}: {type(exc).__name__}")
            continue
        keep.append((name, text))
    return keep, dropped


# ----------------------------------------------------------------------------- cold start


def _env() -> dict[str, str]:
    """The environment without PYTHONDONTWRITEBYTECODE: an installed tool has its .pyc files."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def best_run(cmd: list[str], stdin: bytes, runs: int) -> float:
    best = float("inf")
    env = _env()
    subprocess.run(cmd, input=stdin, env=env, capture_output=True, check=False)  # writes .pyc, fills the grammar cache
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, input=stdin, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
        best = min(best, elapsed)
    return best


def dockopt_command(sample: Path) -> tuple[list[str], str]:
    """``dockopt parse -`` when the CLI has it, else a plain import-and-parse."""
    exe = shutil.which("dockopt", path=str(Path(sys.executable).parent)) or shutil.which("dockopt")
    if exe:
        probe = subprocess.run([exe, "parse", "-"], input=sample.read_bytes(), capture_output=True, check=False)
        if probe.returncode == 0:
            return [exe, "parse", "-"], "dockopt parse -"
    code = "import sys, dockopt; dockopt.parse(sys.stdin.read())"
    return [sys.executable, "-c", code], "python -c 'import dockopt; dockopt.parse(stdin)' (no `dockopt parse` CLI)"


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=7, help="passes over the corpus per parser; the best counts (7)")
    ap.add_argument("--generated", type=int, default=40, help="generated ~4 KB files added to the fixtures (40)")
    ap.add_argument("--cold", type=int, default=10, help="cold-start runs per command; the best counts (10)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start measurement")
    ap.add_argument("--profile", action="store_true", help="print cProfile's top 15 entries for dockopt's parse + print")
    args = ap.parse_args(argv)

    items, dropped = usable(corpus(args.generated))
    texts = [t for _, t in items]
    blobs = [t.encode("utf-8", "surrogateescape") for t in texts]
    size = sum(map(len, blobs))
    fixtures = sum(1 for name, _ in items if not name.startswith("generated-"))
    print(f"corpus: {len(items)} files ({fixtures} fixtures + {len(items) - fixtures} generated), {size / 1024:.0f} KiB")
    if dropped:
        print(f"  left out (a parser refuses them): {len(dropped)}")

    parsers: list[tuple[str, Callable[[object], object], list[object]]] = [
        ("dockopt     parse(t).to_source()", _dockopt(), list(texts)),  # type: ignore[list-item]
        ("dockerfile  parse_string(t)", _dockerfile(), list(texts)),  # type: ignore[list-item]
        ("dockerfile-parse  .structure", _dockerfile_parse(), list(blobs)),  # type: ignore[list-item]
    ]
    for _, fn, inputs in parsers:
        best_pass(fn, inputs, 1)  # warm up: imports, grammar tables, caches
    # Round robin, so that a noisy neighbour slows every parser alike.
    best = {label: float("inf") for label, _, _ in parsers}
    for _ in range(args.repeat):
        for label, fn, inputs in parsers:
            best[label] = min(best[label], best_pass(fn, inputs, 1))
    rates = {}
    print(f"\nthroughput, best of {args.repeat} passes (round robin):")
    for label, _, inputs in parsers:
        seconds = best[label]
        rates[label.split()[0]] = len(inputs) / seconds
        print(f"  {label:<36} {len(inputs) / seconds:>9.0f} files/s  {size / seconds / 1e6:>6.2f} MB/s")
    ratio = rates["dockopt"] / rates["dockerfile"]
    verdict = "ok" if ratio >= TARGET_THROUGHPUT else "BELOW TARGET"
    print(f"  dockopt / dockerfile        {ratio:5.2f}x   target >= {TARGET_THROUGHPUT}x, aim {AIM_THROUGHPUT}x   {verdict}")
    print(f"  dockopt / dockerfile-parse  {rates['dockopt'] / rates['dockerfile-parse']:5.2f}x")

    if not args.no_cold:
        sample = ROOT / "fixtures" / "syntax" / "continuations.Dockerfile"
        cmd, label = dockopt_command(sample)
        baseline = best_run([sys.executable, "-c", "pass"], b"", args.cold)
        cold = best_run(cmd, sample.read_bytes(), args.cold)
        ratio = cold / baseline
        verdict = "ok" if ratio <= TARGET_COLD else "ABOVE TARGET"
        print(f"\ncold start, best of {args.cold} (after one run that writes .pyc files and the grammar cache):")
        print(f"  python3 -c pass        {baseline * 1000:7.1f} ms")
        print(f"  {label:<22} {cold * 1000:7.1f} ms")
        print(f"  ratio {ratio:5.2f}x   target <= {TARGET_COLD}x   {verdict}")

    if args.profile:
        fn = parsers[0][1]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(max(args.repeat, 3)):
            for text in texts:
                fn(text)
        profiler.disable()
        print("\ncProfile, dockopt parse + print (top 15 by own time):")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.strip_dirs().sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
