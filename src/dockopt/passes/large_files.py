"""DO009 large-files: model weights and other large files a COPY/ADD bakes into the image (advice only).

For every COPY/ADD of the final image's stages that reads the build context,
the files its sources match are looked up in the context's inventory
(:attr:`BuildContext.inventory`: a bounded walk that honours .dockerignore
and follows no symbolic link). A file named like model weights
(``data/large_files.toml``) from 1 MB, or any file from the threshold
(``large_file_threshold``, 100 MB by default), is reported with its size and
the advice to list it in .dockerignore and mount it at run time, with the
container path the COPY would have given it (its destination resolved against
WORKDIR by the model). The Dockerfile is never changed: whether the app can
load its weights from a volume is the user's call.
"""

from __future__ import annotations

import posixpath
from functools import cache

from ..datafiles import load_table
from ..model import paths
from ..model.analysis import Analysis
from ..model.context import Inventory
from ..records_base import Mutable, Record
from ..syntax import Dockerfile, Instruction
from .base import Context, Rule

#: Files listed per COPY in a message; the rest are counted.
_SHOWN = 5


class _Table(Record):
    _fields = ("weights_floor", "weights", "keep_out")
    __slots__ = _fields
    weights_floor: int
    weights: dict[str, str]
    keep_out: frozenset[str]

    def __init__(self, weights_floor: int, weights: dict[str, str], keep_out: frozenset[str]) -> None:
        self._set(weights_floor, weights, keep_out)


@cache
def table() -> _Table:
    raw = load_table("large_files.toml")
    return _Table(int(raw["weights_floor"]), dict(raw["weights"]), frozenset(raw["keep-out"]["names"]))


def size_text(n: int) -> str:
    """``150.0 MB``: decimal units, as ``docker images`` prints sizes."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _kind(rel: str, size: int, threshold: int) -> str | None:
    """Why ``rel`` is worth reporting (None: it is not)."""
    t = table()
    suffix = posixpath.splitext(rel)[1].lower()
    if suffix in t.weights and size >= min(t.weights_floor, threshold):
        return t.weights[suffix]
    if size >= threshold:
        return f"over the {size_text(threshold).replace('.0 ', ' ')} threshold"
    return None


def _keep_out_folder(rel: str, inventory: Inventory) -> str | None:
    """The folder of ``rel`` an image never needs (``.git``, a host virtualenv ...), if any."""
    parts = rel.split("/")[:-1]
    for i, name in enumerate(parts):
        prefix = "/".join(parts[: i + 1])
        if name in table().keep_out or f"{prefix}/pyvenv.cfg" in inventory.files:
            return prefix
    return None


class _Finding(Mutable):
    """What one COPY/ADD brings in, grouped by what to do about it."""

    _fields = ("files", "mounts", "ignore", "drop_copy")
    __slots__ = _fields
    files: list[tuple[str, int, str]]  # (context path, size, why)
    mounts: dict[tuple[str, str], None]  # (host path, container path), in order
    ignore: dict[str, None]  # .dockerignore entries, in order
    drop_copy: bool  # the COPY names what would be excluded: it would fail

    def __init__(
        self,
        files: list[tuple[str, int, str]] | None = None,
        mounts: dict[tuple[str, str], None] | None = None,
        ignore: dict[str, None] | None = None,
        drop_copy: bool = False,
    ) -> None:
        self.files = files if files is not None else []
        self.mounts = mounts if mounts is not None else {}
        self.ignore = ignore if ignore is not None else {}
        self.drop_copy = drop_copy


def _container(dest: str, rel: str) -> str:
    return dest if rel in ("", ".") else posixpath.join(dest, rel)


def _show(path: str) -> str:
    shown = paths.show(path)
    return shown if shown.startswith("/") else "<WORKDIR>/" + shown.removeprefix("./")


def _examine(model: Analysis, ins: Instruction, inventory: Inventory, threshold: int) -> _Finding | None:
    found = ins.copy_sources_and_dest()
    if found is None or ins.flag("from") is not None:
        return None
    sources, dest_word = found
    sources = [s for s in sources if not (ins.keyword == "ADD" and ("://" in s or s.startswith("git@")))]
    dest = model.scope.path(ins, dest_word)
    several = len(sources) > 1 or any(c in s for s in sources for c in "*?[")
    into_folder = several or dest_word.endswith("/") or dest_word in (".", "./") or dest == model.scope.workdir(ins)
    found_files: dict[str, tuple[int, str, str, bool]] = {}  # rel -> (size, why, source entry, from a folder)
    for source in sources:
        for entry in inventory.matching(source):
            is_dir = entry == "." or entry in inventory.dirs
            items = list(inventory.under(entry)) if is_dir else [(entry, inventory.files[entry])]
            for rel, size in items:
                why = _kind(rel, size, threshold)
                if why is not None and rel not in found_files:
                    found_files[rel] = (size, why, entry, is_dir)
    out = _Finding()
    for rel, (size, why, entry, is_dir) in sorted(found_files.items(), key=lambda kv: (-kv[1][0], kv[0])):
        out.files.append((rel, size, why))
        junk = _keep_out_folder(rel, inventory)
        if junk is not None:
            excluded = junk
        else:
            parent = posixpath.dirname(rel)
            if is_dir and parent:
                inner = "" if entry == "." else entry
                host, where = parent, _container(dest, posixpath.relpath(parent, inner) if inner else parent)
                if where == dest and (several or dest == model.scope.workdir(ins)):
                    # The folder's files land among others: a volume there would hide them. Mount the file.
                    host, where = rel, _container(dest, posixpath.relpath(rel, inner) if inner else rel)
            elif is_dir:
                host, where = rel, _container(dest, rel)
            else:
                host, where = rel, posixpath.join(dest, posixpath.basename(rel)) if into_folder else dest
            out.mounts[(host, where)] = None
            excluded = host
        out.ignore[excluded + ("/" if excluded in inventory.dirs else "")] = None
        if entry != "." and paths.under(entry, excluded):
            out.drop_copy = True
    return out if out.files else None


def _message(ins: Instruction, finding: _Finding) -> str:
    files = sorted(finding.files, key=lambda f: -f[1])
    total = sum(size for _, size, _ in files)
    listing = ", ".join(f"{rel} ({size_text(size)}, {why})" for rel, size, why in files[:_SHOWN])
    if len(files) > _SHOWN:
        listing += f" and {len(files) - _SHOWN} more"
    what = f"{ins.keyword} at line {ins.line}" if ins.line is not None else f"the {ins.keyword} dockopt added"
    count = f"{len(files)} large file{'s' if len(files) > 1 else ''}"
    head = f"{what} brings {count} into the image ({size_text(total)}): {listing}."
    entries = " ".join(f"`{e}`" for e in finding.ignore)
    advice = f" Keep {'them' if len(files) > 1 else 'it'} out of the image: list {entries} in .dockerignore"
    if finding.drop_copy:
        advice += f" (and drop what this {ins.keyword} copies from there)"
    if finding.mounts:
        volumes = " ".join(f"-v ./{host}:{_show(where)}" for host, where in finding.mounts)
        advice += f" and mount {'them' if len(finding.mounts) > 1 else 'it'} when the container runs: `docker run {volumes} IMAGE`"
    return head + advice + "."


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    inventory = None
    model = ctx.model(doc)
    shipped = model.graph.shipped()
    for stage in doc.stages:
        if stage.index not in shipped:
            continue
        for ins in stage.instructions:
            if ins.keyword not in ("COPY", "ADD") or not ctx.allowed(RULE, ins):
                continue
            if inventory is None:
                inventory = ctx.context.inventory
                if inventory is None:
                    return doc  # no context to look at (stdin without --context)
                if inventory.truncated:
                    ctx.skip(
                        RULE,
                        None,
                        f"the build context holds more than {len(inventory.files) + len(inventory.dirs):,} files and "
                        "folders; dockopt looked for large files among those only",
                        actionable=False,
                    )
            finding = _examine(model, ins, inventory, ctx.large_file_threshold)
            if finding is not None:
                ctx.skip(RULE, ins, _message(ins, finding))
    return doc


RULE = Rule(
    id="DO009",
    name="large-files",
    title="Keep model weights and other large files out of the image (advice)",
    why="""\
A COPY that brings a 500 MB model into the image makes every pull, push and
layer export carry it, and every change of the weights a new image; the
build context sent to the builder carries it on every build too. Weights
usually belong in a volume (or an object store) the container reads at run
time:

    docker run -v ./models:/app/models IMAGE

dockopt reports each file a COPY/ADD of the final image brings in from the
build context that is named like model weights (*.safetensors, *.bin, *.pt,
*.pth, *.ckpt, *.onnx, *.gguf, *.h5, *.tflite, *.pkl, *.joblib, *.npz; from
1 MB) or is over the threshold (100 MB; `--large-file-threshold SIZE` or
`large_file_threshold` in the config), with its size, the .dockerignore
entry and the `-v` mount whose container path is where the COPY put it.""",
    safety="safe",
    before="""\
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["python", "serve.py"]
""",
    after="""\
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["python", "serve.py"]

# with models/model.safetensors (150 MB) in the build context:
# DO009 [skipped] COPY at line 3 brings 1 large file into the image (150.0 MB):
#   models/model.safetensors (150.0 MB, safetensors weights). Keep it out of the
#   image: list `models/` in .dockerignore and mount it when the container runs:
#   `docker run -v ./models:/app/models IMAGE`.
""",
    apply=apply,
    notes="""\
Advice only: the Dockerfile is never changed (whether the app can read its
weights from a volume, and from which path, is for its authors), so each
finding is an actionable skip. Only the stages the final image is built from
are looked at, only COPY/ADD from the build context (not --from, not ADD of a
URL), and only when the context is known (`dockopt rewrite -` needs --context
or --stdin-filename). The walk honours .dockerignore, follows no symbolic
link (a link is sent as a link) and stops after 50,000 files and folders,
saying so. A large file inside .git, node_modules, a tool cache or a
virtualenv made on the host (a folder with pyvenv.cfg) gets only the
.dockerignore advice: the image never needs those. A COPY that names the
folder itself is told to drop that part too, since listing it in
.dockerignore would make the COPY fail.""",
)
