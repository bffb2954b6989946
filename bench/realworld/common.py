"""Shared by the harness scripts: the manifest, the sources, the images a Dockerfile needs.

Sources come from the git snapshots that the session's ``fetch`` tool leaves
under ``/work/.mirror/<owner>+<name>/repo`` (``DOCKOPT_REALWORLD_MIRRORS``
overrides the folder). ``git archive`` of the pinned commit is unpacked into
``~/.cache/dockopt-realworld/src/<name>`` (``DOCKOPT_REALWORLD_CACHE``): the
projects' code never enters this repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dockopt.syntax import parse  # noqa: E402

MANIFEST = HERE / "manifest.toml"
MIRRORS = Path(os.environ.get("DOCKOPT_REALWORLD_MIRRORS", "/work/.mirror"))
CACHE = Path(os.environ.get("DOCKOPT_REALWORLD_CACHE", Path.home() / ".cache" / "dockopt-realworld"))

#: python:X.Y[.Z][-slim][-debian release] as the official images name them.
PYTHON_TAG = re.compile(
    r"^(?:docker\.io/)?(?:library/)?python(?::(?P<tag>[\w.-]+))?(?:@sha256:[0-9a-f]+)?$"
)
_TAG_PARTS = re.compile(r"^(?P<version>3(?:\.\d+){0,2})?(?:-?(?P<slim>slim))?(?:-(?P<release>bookworm|bullseye|buster|trixie))?$")
#: What python:3, python:latest and python:slim stand for here: 3.12, as scripts/stand-in-images.sh tags them.
NEWEST = "3.12"
AVAILABLE = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Project:
    name: str
    repo: str
    commit: str
    dockerfile: str
    context: str
    notes: str = ""
    smoke: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mirror(self) -> Path:
        return MIRRORS / self.repo.replace("/", "+") / "repo"

    @property
    def source(self) -> Path:
        return CACHE / "src" / self.name


def load_manifest(path: Path = MANIFEST) -> list[Project]:
    data = tomllib.loads(path.read_text())
    out = []
    for raw in data.get("project", []):
        out.append(
            Project(
                name=raw["name"], repo=raw["repo"], commit=raw["commit"], dockerfile=raw["dockerfile"],
                context=raw.get("context", "."), notes=raw.get("notes", ""), smoke=tuple(raw.get("smoke", ())),
            )
        )
    names = [p.name for p in out]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise SystemExit(f"{path}: duplicate project names {sorted(dupes)}")
    return out


def checkout(project: Project) -> Path | None:
    """The project's files at its commit (unpacked once); None when no snapshot is here."""
    stamp = project.source / ".dockopt-realworld-commit"
    if stamp.is_file() and stamp.read_text().strip() == project.commit:
        return project.source
    if not project.mirror.is_dir():
        return None
    project.source.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=project.source.parent) as tmp:
        archive = Path(tmp) / "src.tar"
        with archive.open("wb") as fh:
            done = subprocess.run(
                ["git", "--git-dir", str(project.mirror), "archive", "--format=tar", project.commit],
                stdout=fh, stderr=subprocess.DEVNULL,
            )
        unpacked = Path(tmp) / "tree"
        unpacked.mkdir()
        if done.returncode == 0:
            with tarfile.open(archive) as tar:
                tar.extractall(unpacked, filter="tar")
        else:
            # A snapshot may leave its largest blobs out (committed node_modules binaries ...), and then
            # git archive refuses the whole tree: write every blob it holds, and say which are missing.
            _, missing = unpack_present(project.mirror, [project.commit], unpacked)
            (unpacked / ".dockopt-realworld-missing").write_text("".join(f"{m}\n" for m in missing))
        (unpacked / stamp.name).write_text(project.commit + "\n")
        if project.source.exists():
            shutil.rmtree(project.source)
        unpacked.rename(project.source)
    return project.source


def external_images(text: str) -> list[str]:
    """Images a Dockerfile pulls (FROM, COPY --from, RUN --mount from=) that
    are not its own stages, with global ARG defaults substituted."""
    doc = parse(text)
    args: dict[str, str] = {}
    for ins in doc.global_args:
        for word in ins.value:
            name, eq, value = word.partition("=")
            if eq:
                args[name] = value.strip("\"'")

    def subst(s: str) -> str:
        return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m.group(1), ""), s)

    stages: set[str] = set()
    found: list[str] = []
    for stage in doc.stages:
        base = subst(stage.base or "")
        if base and base.lower() not in stages and base.lower() != "scratch":
            found.append(base)
        if stage.name:
            stages.add(stage.name.lower())
        for ins in stage.instructions:
            refs: list[str] = []
            if ins.keyword == "COPY":
                flag = ins.flag("from")
                if flag is not None and flag.value:
                    refs.append(flag.value)
            if ins.keyword == "RUN":
                for flag in ins.flags:
                    if flag.name == "mount" and flag.value:
                        m = re.search(r"(?:^|,)from=([^,]+)", flag.value)
                        if m:
                            refs.append(m.group(1))
            for ref in refs:
                ref = subst(ref)
                if ref.lower() not in stages and not ref.isdigit():
                    found.append(ref)
    return list(dict.fromkeys(found))


def stand_in_for(image: str) -> tuple[str, str] | None:
    """(stand-in tag, X.Y) that answers for an official python image tag, or
    None when no stand-in can: alpine, windows, versions pyenv lacks."""
    m = PYTHON_TAG.match(image)
    if not m:
        return None
    tag = m.group("tag") or "latest"
    if tag in ("latest", "3"):
        return f"python:{NEWEST}", NEWEST
    parts = _TAG_PARTS.match(tag)
    if not parts:
        return None
    version = parts.group("version") or NEWEST
    if version == "3":
        version = NEWEST
    minor = ".".join(version.split(".")[:2])
    if minor not in AVAILABLE:
        return None
    return (f"python:{minor}-slim" if parts.group("slim") else f"python:{minor}"), minor



def unpack_present(mirror: Path, spec: list[str], root: Path) -> tuple[int, list[str]]:
    """Write the blobs of ``git ls-tree -r spec`` that the snapshot holds under ``root`` (links as links,
    executables executable): how many were written, and the paths whose blobs the snapshot lacks."""
    listing = subprocess.run(
        ["git", "--git-dir", str(mirror), "ls-tree", "-r", "-z", *spec], capture_output=True, check=True
    ).stdout.split(b"\0")
    written, missing = 0, []
    for item in filter(None, listing):
        meta, name = item.split(b"\t", 1)
        mode, kind, sha = meta.decode().split()
        if kind != "blob":
            continue
        found = subprocess.run(["git", "--git-dir", str(mirror), "cat-file", "blob", sha], capture_output=True)
        if found.returncode != 0:
            missing.append(os.fsdecode(name))
            continue
        target = root / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            target.unlink(missing_ok=True)
            target.symlink_to(os.fsdecode(found.stdout))
        else:
            target.write_bytes(found.stdout)
            if mode == "100755":
                target.chmod(0o755)
        written += 1
    return written, missing
