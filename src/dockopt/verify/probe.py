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
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return norm(m.group(1)) if m else None

def split_requires(reqs):
    # (unconditional names, names needed only with an extra)
    plain, extra = set(), set()
    for req in reqs:
        name = req_name(req)
        if name:
            (extra if re.search(r"extra\s*==", req) else plain).add(name)
    return sorted(plain), sorted(extra - plain)

def describe(name, version, read_text, files, reqs):
    plain, extra = split_requires(reqs)
    return {"name": name, "version": version, "top": top_levels(read_text, files), "requires": plain,
            "requires_extra": extra, "installer": (read_text("INSTALLER") or "").strip(),
            "requested": read_text("REQUESTED") is not None}

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
        out[norm(name)] = describe(name, dist.version, dist.read_text, files, dist.requires or [])
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
            out[norm(name)] = describe(name, (fields.get("version") or [""])[0], read_text, files,
                                       fields.get("requires-dist", []))
    return out

def try_import(module):
    try:
        proc = subprocess.run([sys.executable, "-c", "import " + module], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=IMPORT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timed out after %ds" % IMPORT_TIMEOUT
    if proc.returncode == 0:
        return None
    lines = [l.strip() for l in proc.stderr.strip().splitlines() if l.strip()]
    # The exception line, not a hint printed after it (GitPython's ends in "export ...").
    errors = [l for l in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Warning)\b[^:]*:", l)]
    return ((errors or lines or ["exit code %d" % proc.returncode])[-1])[:300]

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
    requires: tuple[str, ...] = ()        # unconditional requirement names
    requires_extra: tuple[str, ...] = ()  # names required only with an extra
    installer: str = ""                   # the dist-info INSTALLER file: pip, uv, poetry ...
    requested: bool = False               # pip's REQUESTED marker: asked for by name, not pulled in


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
                    requires_extra=tuple(str(r) for r in d.get("requires_extra", []) or []),
                    installer=str(d.get("installer", "") or ""),
                    requested=bool(d.get("requested", False)),
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
