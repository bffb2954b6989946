"""The check that runs inside an image, with the image's own Python.

``PROBE`` is a small Python program (3.6+ syntax, standard library only)
passed to the image's interpreter as one argv element (``python -c PROBE
...``): no file is mounted, no shell is involved, and the only other argv
elements are module names the host already checked are identifiers. It lists
the installed distributions the interpreter sees (``importlib.metadata``, or
the ``*.dist-info``/``*.egg-info`` folders on ``sys.path`` before 3.8), each
with its version, top-level modules and requirement names, and, when asked,
tries to import modules, each in a fresh interpreter so that one crashing or
hanging import cannot hide the others. The container runs with
``--network none``: an import that phones home fails in both images alike.

The host side (:func:`run_probe`) picks the interpreter, runs the probe,
and parses its one line of JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..engine import Engine

MARKER = "DOCKOPT-PROBE-JSON:"

#: How long one module's import may take, and the whole probe.
IMPORT_TIMEOUT = 60
PROBE_TIMEOUT = 1800.0

PROBE = r'''
import json, os, re, subprocess, sys

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def req_name(req):
    # Extras count: a tool asks for pbs-installer[download], whose httpx is
    # marked extra == "download"; only installed names are ever used.
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return norm(m.group(1)) if m else None

def modules_from_files(paths):
    found = set()
    for path in paths:
        parts = path.replace("\\", "/").split("/")
        head = parts[0]
        if head in ("", "..", ".") or head.endswith((".dist-info", ".egg-info", ".data")) or head == "__pycache__":
            continue
        if len(parts) == 1:
            if head.endswith(".py"):
                found.add(head[:-3])
            elif head.endswith((".so", ".pyd")):
                found.add(head.split(".")[0])
        elif parts[-1].endswith((".py", ".so", ".pyd")):
            found.add(head)
    return found

def top_levels(read_text, files):
    text = read_text("top_level.txt")
    names = set(line.strip().replace("/", ".") for line in (text or "").splitlines() if line.strip())
    if not names and files:
        names = modules_from_files(files)
    return sorted(n for n in names if all(p.isidentifier() for p in n.split(".")))

def with_metadata():
    from importlib import metadata
    out = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or norm(name) in out:
            continue
        files = [str(f) for f in (dist.files or [])]
        reqs = [r for r in (req_name(x) for x in (dist.requires or [])) if r]
        out[norm(name)] = {"name": name, "version": dist.version, "top": top_levels(dist.read_text, files),
                           "requires": sorted(set(reqs))}
    return out

def by_scanning():
    out = {}
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        for item in sorted(os.listdir(entry)):
            if not item.endswith((".dist-info", ".egg-info")):
                continue
            folder = os.path.join(entry, item)
            if not os.path.isdir(folder):
                continue
            def read_text(name, folder=folder):
                try:
                    with open(os.path.join(folder, name), encoding="utf-8") as fh:
                        return fh.read()
                except (OSError, UnicodeError):
                    return None
            meta = read_text("METADATA") or read_text("PKG-INFO") or ""
            fields = {}
            for line in meta.splitlines():
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields.setdefault(key.strip().lower(), []).append(value.strip())
            name = (fields.get("name") or [""])[0]
            if not name or norm(name) in out:
                continue
            record = read_text("RECORD") or read_text("installed-files.txt") or ""
            files = [line.split(",")[0] for line in record.splitlines() if line]
            reqs = [r for r in (req_name(x) for x in fields.get("requires-dist", [])) if r]
            out[norm(name)] = {"name": name, "version": (fields.get("version") or [""])[0],
                               "top": top_levels(read_text, files), "requires": sorted(set(reqs))}
    return out

def try_import(module):
    try:
        proc = subprocess.run([sys.executable, "-c", "import " + module], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=IMPORT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timed out after %ds" % IMPORT_TIMEOUT
    if proc.returncode == 0:
        return None
    lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
    return (lines[-1].strip() if lines else "exit code %d" % proc.returncode)[:300]

IMPORT_TIMEOUT = int(sys.argv[1])
modules = [m for m in sys.argv[2:] if all(p.isidentifier() for p in m.split("."))]
try:
    dists = with_metadata()
    how = "importlib.metadata"
except ImportError:
    dists = by_scanning()
    how = "sys.path scan"
result = {
    "python": sys.executable,
    "version": "%d.%d.%d" % sys.version_info[:3],
    "how": how,
    "distributions": dists,
    "imports": dict((m, try_import(m)) for m in modules),
}
sys.stdout.write("\n" + MARKER + json.dumps(result, sort_keys=True) + "\n")
'''.replace("MARKER", repr(MARKER))


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    top_level: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProbeResult:
    """What the probe saw in one image, or why it could not look.

    ``error`` is set when there was no probe to speak of: no Python in the
    image, or the interpreter could not run the probe.
    """

    python: str | None
    version: str | None = None
    distributions: dict[str, Distribution] = field(default_factory=dict)
    imports: dict[str, str | None] = field(default_factory=dict)  # module -> None (imports) or the error
    error: str | None = None


def parse_output(stdout: str) -> dict[str, object] | None:
    """The probe's JSON object from its stdout (a sitecustomize may print first)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            return data if isinstance(data, dict) else None
    return None


def result_from_json(data: dict[str, object]) -> ProbeResult:
    """Validate and convert the probe's JSON."""
    dists: dict[str, Distribution] = {}
    raw = data.get("distributions")
    if isinstance(raw, dict):
        for key, d in raw.items():
            if isinstance(d, dict):
                dists[str(key)] = Distribution(
                    name=str(d.get("name", key)),
                    version=str(d.get("version", "")),
                    top_level=tuple(str(m) for m in d.get("top", []) or []),
                    requires=tuple(str(r) for r in d.get("requires", []) or []),
                )
    imports_raw = data.get("imports")
    imports = {str(k): (None if v is None else str(v)) for k, v in imports_raw.items()} if isinstance(imports_raw, dict) else {}
    return ProbeResult(
        python=str(data.get("python")), version=str(data.get("version")), distributions=dists, imports=imports
    )


def run_probe(engine: Engine, tag: str, python: str | None, modules: Sequence[str] = ()) -> ProbeResult:
    """Run the probe in ``tag`` with interpreter ``python`` (a path inside
    the image, found by :mod:`dockopt.verify.imagefs`), importing ``modules``.

    ``python`` None means the image has none: the result says so instead of
    failing, and the checks that need it report "cannot check".
    """
    if python is None:
        return ProbeResult(python=None, error="no python in the image")
    bad = [m for m in modules if not all(part.isidentifier() for part in m.split("."))]
    if bad:
        raise ValueError(f"not module names: {bad}")
    run = engine.run(
        tag, ["-c", PROBE, str(IMPORT_TIMEOUT), *modules], timeout=PROBE_TIMEOUT, entrypoint=python, network="none"
    )
    data = parse_output(run.stdout) if run.ok else None
    if data is None:
        lines = [line for line in (run.stderr or run.stdout).strip().splitlines() if line.strip()]
        tail = lines[-1].strip() if lines else f"exit code {run.code}"
        return ProbeResult(python=python, error=f"the probe failed under {python}: {tail[:300]}")
    return result_from_json(data)
