"""Scan hundreds of real Dockerfiles for broken promises, without building anything.

For every file that ``scan.toml`` lists (repository, commit, path; never the
text) this asks what dockopt promises on any input:

- parse: the tree prints the file back byte for byte; or dockopt refuses it
  and BuildKit's own parser (the ``dockerfile`` package) refuses it too;
- agree: dockopt reads every instruction (keyword, flags, arguments, heredocs)
  as BuildKit does (``tests/syntax/test_buildkit_agreement.agreement``, the
  comparison the test suite uses, with its documented accepted differences);
- rewrite, with default options and with ``--installer uv --cache-mounts``,
  each without a build context and with the file's folder of the repository as
  the context (when a snapshot of the repository is here): no exception but
  ParseError (and that only for a file dockopt refuses), the output parses
  losslessly, BuildKit reads it as dockopt does, the text dockopt wrote trips
  none of BuildKit's build checks (``tests/buildchecks.py``), a second rewrite
  changes nothing, and the pipeline's guard dropped no round (``Skip.guard``);
- cli: ``dockopt rewrite --diff FILE`` exits 0 or 1, or 2 with a
  ``file:line:col:`` message and no traceback.

Texts come from the git snapshots the session's ``fetch`` tool leaves in
``/work/.mirror/<owner>+<name>/repo`` (``DOCKOPT_REALWORLD_MIRRORS``), or from a
folder given with ``--texts DIR`` laid out as ``DIR/<owner>+<name>/<path>``
(``scan_texts.py`` fills one). They are copied into
``~/.cache/dockopt-realworld/scan/`` (``DOCKOPT_REALWORLD_CACHE``), never into this
repository. It is a benchmark, not a test: it needs those snapshots, and it
reports rather than asserts.

    .venv/bin/python bench/realworld/scan.py                 # all, table + totals
    .venv/bin/python bench/realworld/scan.py --only vimagick --verbose
    .venv/bin/python bench/realworld/scan.py --no-cli        # skip the subprocess per file
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.buildchecks import new_warnings  # noqa: E402
from tests.syntax.test_buildkit_agreement import agreement, buildkit_view  # noqa: E402

import dockopt  # noqa: E402
from dockopt.syntax import ParseError, buildable  # noqa: E402

sys.path.insert(0, str(HERE))
from common import unpack_present  # noqa: E402

MANIFEST = HERE / "scan.toml"
MIRRORS = Path(os.environ.get("DOCKOPT_REALWORLD_MIRRORS", "/work/.mirror"))
CACHE = Path(os.environ.get("DOCKOPT_REALWORLD_CACHE", Path.home() / ".cache" / "dockopt-realworld")) / "scan"
TIMEOUT = 60  # seconds for one check of one file; a rewrite that takes longer is reported as a failure
OK, NA = "ok", "-"
MODES: dict[str, dict[str, Any]] = {
    "default": {},
    "uv+cache": {"installer": "uv", "cache_mounts": True},
}
CLI_MESSAGE = re.compile(r"^(?P<file>.+?):\d+:\d+: \S", re.M)


@dataclass(frozen=True)
class Entry:
    repo: str
    commit: str | None
    path: str

    @property
    def key(self) -> str:
        return f"{self.repo}:{self.path}"

    @property
    def mirror(self) -> Path:
        return git_dir(MIRRORS / self.repo.replace("/", "+") / "repo")

    @property
    def folder(self) -> str:
        return self.repo.replace("/", "+") + "/" + (self.commit or "unpinned")


@dataclass
class Row:
    entry: Entry
    kinds: list[str] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)
    changed: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0


def load(path: Path = MANIFEST) -> list[Entry]:
    data = tomllib.loads(path.read_text())
    entries = [Entry(f["repo"], f.get("commit"), f["path"]) for f in data.get("file", [])]
    keys = [e.key for e in entries]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise SystemExit(f"{path}: listed twice: {dupes}")
    return entries


def git_dir(snapshot: Path) -> Path:
    """The git directory of a snapshot: ``repo`` itself (a bare copy) or ``repo/.git`` (some arrive with a work tree)."""
    return snapshot / ".git" if (snapshot / ".git").is_dir() else snapshot


def git(mirror: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(mirror), *args], capture_output=True, check=True).stdout


def _followed(entry: Entry, hops: int = 8) -> str:
    """The path a checkout would read for ``entry.path``: a symbolic link (git mode 120000, whose blob is
    the target's path) followed, relative to its folder, as the file system would."""
    path = entry.path
    for _ in range(hops):
        listed = git(entry.mirror, "ls-tree", entry.commit or "HEAD", "--", path).decode("utf-8", "replace")
        if not listed.startswith("120000 "):
            return path
        target = git(entry.mirror, "show", f"{entry.commit or 'HEAD'}:{path}").decode("utf-8", "replace")
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return path


def fetch_text(entry: Entry, texts: Path | None) -> Path | None:
    """The file's bytes in the cache (copied from the snapshot or the --texts folder once); None if neither has it."""
    cached = CACHE / "texts-v2" / entry.folder / entry.path  # v2: symbolic links followed
    if cached.is_file():
        return cached
    data: bytes | None = None
    if entry.mirror.is_dir():
        try:
            data = git(entry.mirror, "show", f"{entry.commit or 'HEAD'}:{_followed(entry)}")
        except subprocess.CalledProcessError:
            data = None
    if data is None and texts is not None:
        candidate = texts / entry.repo.replace("/", "+") / entry.path
        if candidate.is_file():
            data = candidate.read_bytes()
    if data is None:
        return None
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    return cached


def context_dir(entry: Entry) -> Path | None:
    """The Dockerfile's folder of the repository at the commit (unpacked once), when a snapshot is here."""
    if not entry.mirror.is_dir():
        return None
    root = CACHE / "src" / entry.folder
    folder = str(Path(entry.path).parent)
    target = root / folder
    stamp = root / (".unpacked-" + folder.replace("/", "+"))
    if stamp.is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        archive = Path(tmp) / "src.tar"
        spec = [entry.commit or "HEAD"] + ([] if folder == "." else ["--", folder])
        try:
            archive.write_bytes(git(entry.mirror, "archive", "--format=tar", *spec))
        except subprocess.CalledProcessError:
            # A snapshot may lack its largest blobs ("listed but absent"): take the files it has.
            if not unpack_present(entry.mirror, spec, root)[0]:
                return None
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(root, filter="tar")
    stamp.write_text("")
    return target


class Timeout(Exception):
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise Timeout(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= 300 else text[:297] + "..."


def check(fn: Callable[[], str]) -> str:
    """Run one check; any exception (a timeout included) is its failure."""
    try:
        with time_limit(TIMEOUT):
            return fn()
    except Exception as exc:
        return "FAIL " + _short(exc)


def kinds(text: str, doc: Any) -> list[str]:
    """What makes the file interesting, for the corpus summary."""
    keys = [i.keyword for i in doc.instructions]
    images = " ".join(i.value[0].lower() for i in doc.instructions if i.keyword == "FROM" and i.value)
    low = text.lower()
    out = []
    if "python" in images or re.search(r"\b(pip3?|poetry|pipenv|uv) (install|sync)\b", low):
        out.append("python")
    for name, words in (("go", ("golang",)), ("node", ("node",)), ("java", ("openjdk", "maven", "gradle", "temurin", "java"))):
        if any(w in images for w in words):
            out.append(name)
    if any(w in images for w in ("windows", "nanoserver", "servercore")) or "powershell" in low:
        out.append("windows")
    if keys.count("FROM") > 1:
        out.append("multi-stage")
    if any(i.heredocs for i in doc.instructions):
        out.append("heredoc")
    if any(d.text.lower().replace(" ", "").startswith("#escape") for d in doc.directives):
        out.append("escape")
    if keys.count("ARG") >= 5:
        out.append("arg-heavy")
    for k in ("ONBUILD", "HEALTHCHECK"):
        if k in keys:
            out.append(k.lower())
    if text.count("\n") >= 150:
        out.append("long")
    if "\r\n" in text:
        out.append("crlf")
    return out


def check_output(text: str, out: str, options: dict[str, Any], result: Any) -> str:
    """The rewrite's output: parses losslessly, BuildKit agrees, no new build-check warning, idempotent,
    nothing dropped by the guard."""
    if dockopt.parse(out).to_source() != out:
        return "FAIL output not lossless"
    try:
        agreement(out)
    except AssertionError as exc:
        return "FAIL BuildKit reads the output otherwise: " + _short(exc)
    added = new_warnings(text, out)
    if added:
        return "FAIL adds build-check warnings: " + "; ".join(map(str, added))[:300]
    dropped = [f"{s.rule}:{s.line}: {s.message}" for s in result.skips if s.guard]
    if dropped:
        return "FAIL guard dropped " + " | ".join(dropped)[:300]
    again = dockopt.rewrite(out, **options)
    if again.text != out:
        return "FAIL not idempotent (rules of the second run: " + ", ".join(sorted({c.rule for c in again.changes})) + ")"
    return OK


def dockopt_cli() -> list[str]:
    script = Path(sys.executable).with_name("dockopt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dockopt"]


def check_cli(path: Path) -> str:
    proc = subprocess.run(
        [*dockopt_cli(), "rewrite", "--diff", str(path)], capture_output=True, text=True, errors="replace", timeout=TIMEOUT,
        cwd=path.parent,
    )
    if "Traceback" in proc.stderr:
        return f"FAIL traceback (exit {proc.returncode}): " + proc.stderr.strip().splitlines()[-1][:200]
    if proc.returncode in (0, 1):
        return OK
    if proc.returncode == 2:
        m = CLI_MESSAGE.search(proc.stderr)
        if m and m.group("file").endswith(path.name):
            return OK
        return "FAIL exit 2 without file:line:col: " + proc.stderr.strip()[:200]
    return f"FAIL exit {proc.returncode}: " + proc.stderr.strip()[-200:]


def _unbuildable(text: str) -> bool:
    """What ``syntax.buildable`` says of a file the parser reads: BuildKit refuses to build it."""
    try:
        buildable.check(dockopt.parse(text), text)
    except ParseError:
        return True
    return False


def scan(entry: Entry, texts: Path | None, *, cli: bool) -> Row:
    row = Row(entry)
    start = time.monotonic()
    path = fetch_text(entry, texts)
    if path is None:
        row.checks["source"] = "FAIL no text: fetch the repository or give --texts"
        return row
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    refused = False

    def parse_check() -> str:
        nonlocal refused
        try:
            doc = dockopt.parse(text)
        except ParseError as exc:
            refused = True
            theirs = buildkit_view(text)
            if isinstance(theirs, str):
                return f"refused by both ({exc.message})"
            return f"FAIL dockopt refuses what BuildKit accepts: {exc.line}:{exc.column}: {exc.message}"
        row.kinds = kinds(text, doc)
        return OK if doc.to_source() == text else "FAIL not lossless"

    row.checks["parse"] = check(parse_check)

    def agree_check() -> str:
        difference = agreement(text)
        return OK if difference is None else f"ok ({difference})"

    row.checks["agree"] = check(agree_check)
    ctx = context_dir(entry)
    for mode, options in MODES.items():
        for with_ctx in (False, True):
            name = mode + ("+ctx" if with_ctx else "")
            if with_ctx and ctx is None:
                row.checks[name] = NA
                continue
            opts = {**options, **({"context_dir": ctx} if with_ctx else {})}

            def rewrite_check(opts: dict[str, Any] = opts, name: str = name) -> str:
                try:
                    result = dockopt.rewrite(text, **opts)
                except ParseError as exc:
                    if refused:
                        return NA
                    if _unbuildable(text):
                        # BuildKit's parser reads it, its build refuses it (syntax.buildable, checked against the
                        # engine by tests/e2e/test_buildable_engine.py): the rewrite's error is right
                        return f"refused: BuildKit does not build it ({exc.message})"
                    return f"FAIL ParseError on a file that parses: {exc}"
                row.changed[name] = bool(result.changed)
                return check_output(text, result.text, opts, result)

            row.checks[name] = check(rewrite_check)
    if cli:
        real = ctx / Path(entry.path).name if ctx is not None else None
        row.checks["cli"] = check(lambda: check_cli(real if real is not None and real.is_file() else path))
    row.seconds = time.monotonic() - start
    return row


REWRITE_COLUMNS = [m + c for m in MODES for c in ("", "+ctx")]
COLUMNS = ["parse", "agree", *REWRITE_COLUMNS, "cli"]


def cell(value: str | None) -> str:
    if value is None:
        return ""
    if value.startswith("FAIL"):
        return "FAIL"
    if value.startswith("refused"):
        return "refused"
    return value.split(" ", 1)[0]


def report(rows: list[Row], *, verbose: bool) -> str:
    cols = [c for c in COLUMNS if any(c in r.checks for r in rows)]
    width = max([len(r.entry.key) for r in rows] + [4])
    lines: list[str] = []
    shown = rows if verbose else [r for r in rows if any(v.startswith("FAIL") for v in r.checks.values())]
    if shown:
        lines.append(f"{'file':<{width}}  " + "  ".join(f"{c:<13}" for c in cols) + "  kinds")
        for r in shown:
            lines.append(
                f"{r.entry.key:<{width}}  " + "  ".join(f"{cell(r.checks.get(c)):<13}" for c in cols) + "  " + ",".join(r.kinds)
            )
        lines.append("")
    failures = [(r, c, v) for r in rows for c, v in r.checks.items() if v.startswith("FAIL")]
    for r, c, v in failures:
        lines.append(f"{r.entry.key} [{c}]: {v}")
    if failures:
        lines.append("")
    lines.append(f"files: {len(rows)}")
    kinds_count: dict[str, int] = {}
    for r in rows:
        for k in r.kinds:
            kinds_count[k] = kinds_count.get(k, 0) + 1
    lines.append("kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds_count.items(), key=lambda kv: -kv[1])))
    lines.append("| check | ok | refused by both / n.a. | failed | rewritten (changed) |")
    lines.append("|---|---|---|---|---|")
    for c in ["source", *cols]:
        values = [r.checks[c] for r in rows if c in r.checks]
        if not values:
            continue
        ok = sum(1 for v in values if v.startswith("ok"))
        fail = sum(1 for v in values if v.startswith("FAIL"))
        changed = sum(1 for r in rows if r.changed.get(c))
        shown_changed = str(changed) if c in REWRITE_COLUMNS else "-"
        lines.append(f"| {c} | {ok} | {len(values) - ok - fail} | {fail} | {shown_changed} |")
    slow = sorted(rows, key=lambda r: -r.seconds)[:3]
    lines.append("slowest: " + ", ".join(f"{r.entry.key} {r.seconds:.1f} s" for r in slow))
    return "\n".join(lines)


CONTROL_TEXT = "FROM python:3.12\nCOPY . /app\nRUN pip install -r /app/requirements.txt\nRUN apt-get update\nCMD [\"python\", \"/app/main.py\"]\n"


def controls() -> int:
    """Negative controls: plant one fault per check and show the scan reports it (and nothing without a fault).

A planted fault may fail other checks too (a lossy parser breaks the rewrites); each must fail its own."""
    from unittest import mock

    import dockerfile

    real_parse, real_rewrite, real_bk = dockopt.parse, dockopt.rewrite, dockerfile.parse_string

    class Lossy:
        def __init__(self, doc: Any) -> None:
            self.doc = doc

        def __getattr__(self, name: str) -> Any:
            return getattr(self.doc, name)

        def to_source(self) -> str:
            return str(self.doc.to_source())[:-1]

    def refusing(text: str) -> Any:
        raise ParseError("planted refusal", 1, 1, text.splitlines()[0])

    def crashing(text: str, **options: Any) -> Any:
        raise RuntimeError("planted crash")

    def growing(text: str, **options: Any) -> Any:  # a rewrite that adds a line on every run
        result = real_rewrite(text, **options)
        result.text = result.text + "# again\n"
        return result

    def guarded(text: str, **options: Any) -> Any:
        from dockopt.passes.base import Skip

        result = real_rewrite(text, **options)
        result.skips = [*result.skips, Skip("DO000", 1, "planted guard drop", guard=True)]
        return result

    def miscased(text: str, **options: Any) -> Any:  # a rewrite whose new FROM line trips FromAsCasing
        result = real_rewrite(text, **options)
        result.text = result.text.replace(" AS builder", " as builder")
        return result

    def shifted(text: str) -> Any:  # BuildKit reading every instruction one line lower
        out = real_bk(text)
        return [c._replace(start_line=c.start_line + 1) for c in out]

    faults: dict[str, tuple[str, Any]] = {
        "none": ("", mock.patch.object(dockopt, "parse", real_parse)),
        "lossy tree": ("parse", mock.patch.object(dockopt, "parse", lambda t: Lossy(real_parse(t)))),
        "dockopt refuses": ("parse", mock.patch.object(dockopt, "parse", refusing)),
        "BuildKit disagrees": ("agree", mock.patch.object(dockerfile, "parse_string", shifted)),
        "rewrite crashes": ("default", mock.patch.object(dockopt, "rewrite", crashing)),
        "not idempotent": ("default", mock.patch.object(dockopt, "rewrite", growing)),
        "guard dropped": ("default", mock.patch.object(dockopt, "rewrite", guarded)),
        "build-check warning": ("default", mock.patch.object(dockopt, "rewrite", miscased)),
        "cli traceback": ("cli", mock.patch(f"{__name__}.dockopt_cli", lambda: [sys.executable, "-c", "1/0"])),
        "cli exit 2 bare": ("cli", mock.patch(
            f"{__name__}.dockopt_cli", lambda: [sys.executable, "-c", "import sys; print('bad input', file=sys.stderr); sys.exit(2)"])),
    }
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        texts = Path(tmp) / "texts"
        (texts / "control+control").mkdir(parents=True)
        (texts / "control+control" / "Dockerfile").write_text(CONTROL_TEXT)
        global CACHE
        saved, CACHE = CACHE, Path(tmp) / "cache"
        try:
            for name, (column, patch) in faults.items():
                with patch:
                    row = scan(Entry("control/control", None, "Dockerfile"), texts, cli=True)
                bad = sorted(c for c, v in row.checks.items() if v.startswith("FAIL"))
                good = column in bad if column else bad == []
                failed += not good
                print(f"{'ok  ' if good else 'MISS'} {name:<20} expect FAIL in {column or 'no check'}: got {bad}")
        finally:
            CACHE = saved
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", type=Path, default=MANIFEST)
    ap.add_argument("--texts", type=Path, help="folder of texts laid out as <owner>+<name>/<path> (scan_texts.py)")
    ap.add_argument("--only", nargs="*", default=[], help="scan only entries whose repo:path holds one of these")
    ap.add_argument("--no-cli", action="store_true", help="skip the `dockopt rewrite --diff` subprocess per file")
    ap.add_argument("--verbose", action="store_true", help="a row for every file, not only those with a failure")
    ap.add_argument("--json", type=Path, help="also write every row's checks here")
    ap.add_argument("--controls", action="store_true", help="run the negative controls (a planted fault per check)")
    args = ap.parse_args(argv)
    if args.controls:
        return controls()
    entries = [e for e in load(args.manifest) if not args.only or any(s in e.key for s in args.only)]
    rows = []
    for n, entry in enumerate(entries, 1):
        print(f"[{n}/{len(entries)}] {entry.key}", file=sys.stderr, flush=True)
        rows.append(scan(entry, args.texts, cli=not args.no_cli))
    if args.json:
        args.json.write_text(json.dumps(
            [{"repo": r.entry.repo, "commit": r.entry.commit, "path": r.entry.path, "kinds": r.kinds,
              "checks": r.checks, "changed": r.changed, "seconds": round(r.seconds, 2)} for r in rows], indent=1,
        ))
    print(report(rows, verbose=args.verbose))
    return 1 if any(v.startswith("FAIL") for r in rows for v in r.checks.values()) else 0


if __name__ == "__main__":
    shutil.which("git") or sys.exit("git is needed to read the snapshots")
    sys.exit(main())
