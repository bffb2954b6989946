#!/usr/bin/env python3
"""Rewrite benchmark: dockopt's whole rewrite (parse + every rule + print) against BuildKit's parse alone.

Run from the repository root with the project's virtualenv active::

    python bench/rewrite_bench.py              # throughput, shell parses per file, cold start
    python bench/rewrite_bench.py --profile    # + cProfile's top entries for the rewrite
    python bench/rewrite_bench.py --per-rule   # + each rule's, the guard's and the parse's µs per file

Throughput: one pass rewrites every file of the corpus (the parse benchmark's:
every fixture Dockerfile plus generated ~4 KB service files, and each example
app with its build context); the best of ``--repeat`` passes counts, taken in
turns with BuildKit's parser (``dockerfile.parse_string``) on the same texts.

The same rewrite with the shell-command caches emptied before each file
(``runs.commands``/``runs.calls`` are kept by text, and the passes repeat
the same texts): what one file costs in a fresh process.

The ceiling: the same files parsed and printed with no rule run at all. No
rule engine, however its analysis is shared, can rewrite faster than that.

Work per file: how many times a shell command line is parsed
(``model.shell.parse_command``) per rewritten file, on average: the figure
that shows whether the rules share their facts or derive them again.

Cold start: ``dockopt rewrite -`` on a small Dockerfile (stdin) against
``python3 -c pass``, best of ``--cold`` runs each.

Targets (printed): rewrite at least 0.5x BuildKit's parse-only files/s (aim
1.0x); cold ``dockopt rewrite -`` at most 3x ``python3 -c pass``. A benchmark,
not a test: read the ratios, and run it twice when one is near a target.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse_bench import ROOT, best_run, corpus, usable

SMALL = b'FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["python", "app.py"]\n'


def inputs(generated: int) -> list[tuple[str, str, Path | None]]:
    """(name, text, build context) for every benchmark file."""
    from dockopt.syntax import ParseError, buildable, parse

    items, _ = usable(corpus(generated))
    out: list[tuple[str, str, Path | None]] = []
    for name, text in items:
        try:
            buildable.check(parse(text), text)
        except ParseError:
            continue  # parses (the parse benchmark's), but no build accepts it, so the rewrite refuses it
        path = ROOT / name
        context = path.parent if "fixtures/apps/" in name and path.name == "Dockerfile" else None
        out.append((name, text, context))
    return out


def best_pass(fn: Callable[[str, Path | None], object], items: list[tuple[str, str, Path | None]], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _name, text, context in items:
            fn(text, context)
        best = min(best, time.perf_counter() - start)
    return best


def rewrite_cold(dockopt: object, text: str, context: Path | None) -> object:
    """A rewrite that finds none of the earlier files' shell commands cached (the passes over the
    corpus repeat the same texts, so the figure above has every command line parsed already)."""
    from dockopt.model import runs

    runs.clear_caches()
    return dockopt.rewrite(text, context_dir=context).text  # type: ignore[attr-defined]


def shell_parses_per_file(items: list[tuple[str, str, Path | None]]) -> float:
    """Calls of the shell-command parser per rewrite (a fresh process state: nothing cached between files)."""
    import dockopt
    from dockopt.model import shell

    calls = 0
    original = shell._parse

    def counting(text: str, level: int) -> object:
        nonlocal calls
        if level == 0:
            calls += 1
        return original(text, level)

    shell._parse = counting  # type: ignore[assignment]
    try:
        for _name, text, context in items:
            dockopt.rewrite(text, context_dir=context)
    finally:
        shell._parse = original
    return calls / len(items)


def print_per_rule(items: list[tuple[str, str, Path | None]]) -> None:
    """µs per file in each rule's ``apply`` (every round), in the guard and in parsing, over one pass."""
    import dockopt
    from dockopt import pipeline
    from dockopt.passes import RULES
    from dockopt.passes.base import RuleRef

    spent: dict[str, float] = {}

    def timed(key: str, fn: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object) -> object:
            start = time.perf_counter()
            try:
                return fn(*args)
            finally:
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - start

        return wrapper

    saved: list[tuple[RuleRef, object]] = []
    originals = pipeline.guard, pipeline.parse
    for ref in RULES:
        if isinstance(ref, RuleRef) and ref.kind == "tree":
            saved.append((ref, ref._rule))
            ref._rule = ref.rule.with_changes(apply=timed(ref.id, ref.rule.apply))
    pipeline.guard, pipeline.parse = timed("guard", pipeline.guard), timed("parse", pipeline.parse)  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        for _name, text, context in items:
            dockopt.rewrite(text, context_dir=context)
        total = time.perf_counter() - start
    finally:
        pipeline.guard, pipeline.parse = originals
        for ref, rule in saved:
            ref._rule = rule  # type: ignore[assignment]
    n = len(items)
    print(f"per file, one pass (timers included): {total / n * 1e6:,.0f} µs")
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {key:6} {seconds / n * 1e6:7,.0f} µs")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="passes over the corpus; the best counts (5)")
    ap.add_argument("--generated", type=int, default=40, help="generated ~4 KB files added to the fixtures (40)")
    ap.add_argument("--cold", type=int, default=10, help="cold-start runs per command; the best counts (10)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start measurement")
    ap.add_argument("--profile", action="store_true", help="print cProfile's top 20 entries for the rewrite")
    ap.add_argument("--per-rule", action="store_true", help="print each rule's share of a rewrite, in µs per file")
    args = ap.parse_args(argv)

    import dockerfile

    import dockopt
    from dockopt.syntax import parse

    items = inputs(args.generated)
    print(f"corpus: {len(items)} files, {sum(len(t) for _, t, _ in items) / 1e3:,.0f} kB")

    def rewrite(text: str, context: Path | None) -> object:
        return dockopt.rewrite(text, context_dir=context).text

    def buildkit(text: str, _context: Path | None) -> object:
        return dockerfile.parse_string(text)

    def parse_print(text: str, _context: Path | None) -> object:
        return parse(text).to_source()

    for fn in (rewrite, buildkit, parse_print):  # warm-up
        best_pass(fn, items, 1)
    ours = theirs = floor = float("inf")
    for _ in range(args.repeat):  # in turns, so a busy neighbour slows all alike
        ours = min(ours, best_pass(rewrite, items, 1))
        theirs = min(theirs, best_pass(buildkit, items, 1))
        floor = min(floor, best_pass(parse_print, items, 1))
    n = len(items)
    ratio = theirs / ours
    print(f"dockopt rewrite      {n / ours:9,.0f} files/s")
    print(f"BuildKit parse only  {n / theirs:9,.0f} files/s")
    print(f"ratio                {ratio:9.2f}x   target >= 0.5x (aim 1.0x): {'ok' if ratio >= 0.5 else 'BELOW TARGET'}")
    # The ceiling of any rule engine: dockopt's parse and print with no rule run at all.
    print(f"parse + print only   {n / floor:9,.0f} files/s, {theirs / floor:.2f}x BuildKit (no rules: the most a rewrite can reach)")
    if args.per_rule:
        print_per_rule(items)
    print(f"shell parses / file  {shell_parses_per_file(items):9.1f}")
    cold = float("inf")
    for _ in range(args.repeat):  # after the figure above, which has always been taken with the caches warm
        cold = min(cold, best_pass(lambda text, context: rewrite_cold(dockopt, text, context), items, 1))
    print(f"rewrite, shell-command caches emptied before each file: {n / cold:,.0f} files/s, {theirs / cold:.2f}x")
    best_pass(rewrite, items, 1)  # the caches full again, as the figures below have always been taken

    if not args.no_cold:
        exe = shutil.which("dockopt", path=str(Path(sys.executable).parent)) or shutil.which("dockopt")
        if exe is None:
            print("cold start: no dockopt executable found")
        else:
            base = best_run([sys.executable, "-c", "pass"], b"", args.cold)
            cold = best_run([exe, "rewrite", "-"], SMALL, args.cold)
            r = cold / base
            verdict = "ok" if r <= 3 else "ABOVE TARGET"
            print(f"cold `dockopt rewrite -` {cold * 1e3:6.1f} ms, python3 -c pass {base * 1e3:5.1f} ms: {r:.1f}x   target <= 3x: {verdict}")

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        best_pass(rewrite, items, 1)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
