"""DO010 dockerignore: a .dockerignore for a build context that has none, and what an existing one lacks.

Not a tree pass: it never edits the Dockerfile. The command line runs it
after the rewrite (:func:`dockopt.filejob.process`), on the rewritten text and
the build context, and :func:`plan` returns what to do — the text of a new
.dockerignore, or the entries an existing one lacks — without touching a
file; filejob creates the file (``--write``) or shows it as a new file in the
diff. The data flows one way: the rewrite does not see the new file.

Which entries: ``data/dockerignore.toml``, each checked against the
Dockerfile (:func:`_conflict`): an entry that would exclude something a
COPY/ADD or a bind mount names, or that a RUN names, is left out, and
``.git``, virtualenv folders and ``.env`` have conditions of their own.
Every other Dockerfile in the build context is checked the same way
(:func:`_siblings`): ``Dockerfile.dev`` beside ``Dockerfile``, or
``docker/prod.Dockerfile`` built with ``-f`` from the top, reads the same
context, and one file's .dockerignore must not break the other's build.
"""

from __future__ import annotations

import posixpath
from functools import cache
from pathlib import Path

from .. import lazyre
from ..datafiles import load_table
from ..model.analysis import Analysis, analyse
from ..model.context import MAX_ENTRIES, BuildContext, DockerIgnore, Inventory, glob_regex
from ..model.runs import uses
from ..records_base import Mutable, Record
from ..syntax import Dockerfile, Instruction
from .base import Change, Rule, Skip
from .large_files import size_text

NAME = ".dockerignore"
#: Build configuration that takes the project's version from git: excluding .git breaks `pip install .`.
_VCS_VERSIONING = lazyre.compile(
    r"setuptools[_-]scm|hatch[_-]vcs|versioningit|dunamai|dynamic[_-]versioning|vcs[_-]versioning|\bpbr\b"
    r"|source\s*=\s*[\"']scm[\"']|versioneer|\bsetuptools_git"
)
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "requirements.txt")
_PYTHON_IMAGES = frozenset({"python", "pypy"})
#: git commands that never read the repository they run in.
_GIT_REMOTE_ONLY = frozenset({"clone", "ls-remote", "init", "--version", "version"})


class Candidate(Record):
    _fields = ("pattern", "group", "check")
    __slots__ = _fields
    pattern: str
    group: str
    check: str

    def __init__(self, pattern: str, group: str, check: str = "") -> None:
        self._set(pattern, group, check)

    @property
    def name(self) -> str | None:
        """The literal file or folder name the pattern stands for (None with wildcards)."""
        bare = self.pattern.removeprefix("**/")
        return None if any(c in bare for c in "*?[") else bare


@cache
def candidates() -> tuple[Candidate, ...]:
    raw = load_table("dockerignore.toml")
    return tuple(Candidate(e["pattern"], e["group"], e.get("check", "")) for e in raw["entry"])


class Plan(Mutable):
    """What the step found: a new file's text (None: none to create), and what to tell the user."""

    _fields = ("content", "entries", "changes", "skips")
    __slots__ = _fields
    content: str | None
    entries: list[str]
    changes: list[Change]
    skips: list[Skip]

    def __init__(
        self,
        content: str | None = None,
        entries: list[str] | None = None,
        changes: list[Change] | None = None,
        skips: list[Skip] | None = None,
    ) -> None:
        self.content = content
        self.entries = entries if entries is not None else []
        self.changes = changes if changes is not None else []
        self.skips = skips if skips is not None else []


# -- what the Dockerfile reads from the context -------------------------------------------------------


class _Source(Record):
    _fields = ("ins", "path", "verb")
    __slots__ = _fields
    ins: Instruction
    path: str  # as written (may hold wildcards), relative to the context root
    verb: str  # or "mounts" (RUN --mount=type=bind)

    def __init__(self, ins: Instruction, path: str, verb: str = "copies") -> None:
        self._set(ins, path, verb)


def _context_sources(model: Analysis) -> list[_Source]:
    """The context paths every COPY/ADD and ``RUN --mount=type=bind`` (without from=) of the file reads."""
    out: list[_Source] = []
    for ins in model.doc.instructions:
        if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
            found = ins.copy_sources_and_dest()
            for source in found[0] if found is not None else ():
                if not (ins.keyword == "ADD" and ("://" in source or source.startswith("git@"))):
                    out.append(_Source(ins, source))
        for flag in ins.flags:
            if flag.name == "mount" and flag.value:
                fields = dict(part.partition("=")[::2] for part in flag.value.split(","))
                if fields.get("type", "bind") == "bind" and "from" not in fields:
                    out.append(_Source(ins, fields.get("source") or fields.get("src") or ".", "mounts"))
    return out


def _copied_in(sources: list[_Source], rel: str, inventory: Inventory | None) -> _Source | None:
    """A source that brings context path ``rel`` into the image, if any."""
    for s in sources:
        path = posixpath.normpath(s.path.lstrip("/")) if s.path.strip("/") not in ("", ".") else "."
        if path == "." or rel == path or rel.startswith(path + "/"):
            return s
        if any(c in path for c in "*?[") and inventory is not None and rel in inventory.matching(path):
            return s
    return None


def _shown_instruction(ins: Instruction) -> str:
    text = f"{ins.keyword} {ins.args}"
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"


def _conflict(
    candidate: Candidate, sources: list[_Source], model: Analysis, inventory: Inventory, memo: Present
) -> str | None:
    """Why ``candidate`` must stay out of .dockerignore: what in the Dockerfile reads what it would exclude.

    A COPY/ADD or bind mount naming a path the pattern excludes (or a parent of
    it, or a file its wildcard matches) always counts. A RUN naming the file or
    folder counts when the context holds one: then it may read the copied one
    (`python -m venv /opt/venv` names no context folder when there is none).
    """
    ignore = DockerIgnore(candidate.pattern)
    for s in sources:
        path = posixpath.normpath(s.path.lstrip("/")) if s.path.strip("/") not in ("", ".") else "."
        named = path != "." and ignore.ignored(path)
        if not named and any(c in path for c in "*?["):
            named = any(ignore.ignored(p) for p in inventory.matching(path))
        if named:
            return f"{_shown_instruction(s.ins)} {s.verb} `{s.path}`"
    name = candidate.name
    if name is not None and _present(candidate, inventory, memo)[0]:
        for ins in model.doc.instructions:
            if ins.keyword != "RUN":
                continue
            for use in uses(ins):
                for word in (use.name, *use.args):
                    if name in word.split("/"):
                        return f"{_shown_instruction(ins)} uses `{word}`"
    return None


# -- the conditions of .git, virtualenvs and .env ----------------------------------------------------


def _git_problem(model: Analysis, context: BuildContext) -> str | None:
    for ins in model.doc.instructions:
        for use in uses(ins):
            verb = next((a for a in use.args if not a.startswith("-")), "")
            if use.name == "git" and verb not in _GIT_REMOTE_ONLY:
                return f"{_shown_instruction(ins)} runs git"
    for rel in ("pyproject.toml", "setup.cfg", "setup.py"):
        text = context.read(rel)
        if text is not None and _VCS_VERSIONING.search(text):
            return f"{rel} takes the project's version from git"
    return None


def _venv_problem(candidate: Candidate, context: BuildContext) -> str | None:
    name = candidate.pattern
    if context.exists(name) and not context.exists(f"{name}/pyvenv.cfg"):
        return f"`{name}` in the build context is not a virtualenv (it has no pyvenv.cfg)"
    return None


# -- is this step for this file -------------------------------------------------------------------------


def _siblings(context: BuildContext, inventory: Inventory, dockerfile: Path | None) -> list[_Sibling] | str:
    """The other Dockerfiles in the build context, analysed; or why they cannot be (then no file is written).

    Any of them may be built with this context (``docker build -f other .``), so an entry is chosen only
    when none of them reads what it excludes. One that does not parse cannot be checked.
    """
    from ..fileio import is_dockerfile_name
    from ..syntax import ParseError, parse

    assert context.root is not None
    own = None
    if dockerfile is not None and Path(dockerfile).resolve().is_relative_to(context.root.resolve()):
        own = Path(dockerfile).resolve().relative_to(context.root.resolve()).as_posix()
    if inventory.truncated:
        return f"the build context holds over {MAX_ENTRIES:,} entries, too many to check its other Dockerfiles"
    out: list[_Sibling] = []
    for rel in sorted(inventory.files):
        if rel == own or not is_dockerfile_name(posixpath.basename(rel)):
            continue
        text = context.read(rel)
        if text is None:
            return f"{rel} (another Dockerfile in the build context) cannot be read"
        try:
            model = analyse(parse(text), context)
        except ParseError as exc:
            return f"{rel} (another Dockerfile in the build context) does not parse ({exc})"
        out.append(_Sibling(rel, model, _context_sources(model)))
    return out


class _Sibling(Record):
    """Another Dockerfile in the build context: its path there, its analysis and what it reads."""

    _fields = ("path", "model", "sources")
    __slots__ = _fields
    path: str
    model: Analysis
    sources: list[_Source]

    def __init__(self, path: str, model: Analysis, sources: list[_Source]) -> None:
        self._set(path, model, sources)


def _python_project(model: Analysis, context: BuildContext) -> bool:
    from ..model.scope import image_name

    for stage in model.graph.stages:
        image = model.graph.image(stage)
        if image is not None and image_name(image) in _PYTHON_IMAGES:
            return True
        if any(i.manager in ("pip", "uv", "poetry", "pipenv") for i in model.installed(stage, chain=False)):
            return True
    return any(context.exists(name) for name in _PROJECT_FILES)


# -- the plan ----------------------------------------------------------------------------------------------


class Present:
    """What the context holds that each pattern would exclude, and its size; computed once per pattern.

    The paths are walked folders-first (sorted by components), so once a folder
    matches, what it holds is counted without matching: one pass per pattern.
    A pattern is matched against the path itself only (its folders were
    visited before it), by the cheapest test that is exact: equality for a
    literal path, the last component for ``**/name``, else the full matcher.
    """

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._paths: list[str] | None = None
        self._found: dict[str, tuple[list[str], int]] = {}

    @property
    def paths(self) -> list[str]:
        if self._paths is None:
            self._paths = sorted((*self.inventory.dirs, *self.inventory.files), key=lambda p: p.split("/"))
        return self._paths

    def __call__(self, pattern: str) -> tuple[list[str], int]:
        found = self._found.get(pattern)
        if found is None:
            found = self._scan(pattern)
            self._found[pattern] = found
        return found

    def _scan(self, pattern: str) -> tuple[list[str], int]:
        files = self.inventory.files
        if not any(c in pattern for c in "*?[\\"):
            rel = posixpath.normpath(pattern.lstrip("/"))
            if rel in files:
                return [rel], files[rel]
            return ([rel], self.inventory.size_of(rel)) if rel in self.inventory.dirs else ([], 0)
        bare = pattern.removeprefix("**/")
        if bare != pattern and "/" not in bare and "**" not in bare:
            regex = glob_regex(bare)

            def hit(path: str) -> bool:
                return regex.match(path.rsplit("/", 1)[-1]) is not None

        else:
            full = glob_regex(pattern)

            def hit(path: str) -> bool:
                return full.match(path) is not None

        top: list[str] = []
        size = 0
        for path in self.paths:
            if top and path.startswith(top[-1] + "/"):
                size += files.get(path, 0)
            elif hit(path):
                top.append(path)
                size += files.get(path, 0)
        return top, size


def _present(candidate: Candidate, inventory: Inventory, memo: Present) -> tuple[list[str], int]:
    """What the context holds (and sends) that ``candidate`` would exclude, and its size."""
    return memo(candidate.pattern)


def plan(doc: Dockerfile, context: BuildContext, *, dockerfile: Path | None = None, shown: str = NAME) -> Plan:
    """What DO010 would do for ``doc`` (the rewritten file) built in ``context``; touches nothing.

    ``dockerfile`` is the file on disk (its own name goes into the entries when
    it is in the context); ``shown`` names the .dockerignore in messages.
    """
    out = Plan()
    if context.root is None or not context.root.is_dir():
        return out
    model = analyse(doc, context)

    def info(message: str, *, actionable: bool = False) -> Plan:
        out.skips.append(Skip(RULE.id, None, message, actionable))
        return out

    if dockerfile is not None:
        own = dockerfile.with_name(dockerfile.name + NAME)
        if own.exists():
            return info(f"BuildKit reads {own.name} for this Dockerfile, not the context's {NAME}; left alone")
    target = context.root / NAME
    if target.exists() and not target.is_file():
        return info(f"{target} is not a file; left alone")
    sources = _context_sources(model)
    if not sources:
        return info(f"the Dockerfile copies nothing from the build context; no {NAME} needed")
    if not _python_project(model, context):
        return info(f"not a Python project as far as dockopt can tell; no {NAME} written")
    inventory = context.inventory
    assert inventory is not None  # the root is a folder

    memo = Present(inventory)
    siblings = _siblings(context, inventory, dockerfile)
    if isinstance(siblings, str):
        if context.ignore is None:
            return info(f"no {NAME} written: {siblings}", actionable=True)
        siblings = []  # an existing file is only ever reported on, never written: this file's own check stands
    chosen: list[Candidate] = []
    secrets: list[tuple[Candidate, _Source]] = []
    for candidate in candidates():
        problem = _conflict(candidate, sources, model, inventory, memo)
        for sibling in siblings:
            if problem is not None:
                break
            problem = _conflict(candidate, sibling.sources, sibling.model, inventory, memo)
            if problem is None and candidate.check == "git":
                problem = _git_problem(sibling.model, context)
            if problem is None and candidate.check == "secret" and candidate.pattern in inventory.files:
                copied = _copied_in(sibling.sources, candidate.pattern, inventory)
                problem = f"{_shown_instruction(copied.ins)} copies it" if copied is not None else None
            if problem is not None:
                problem = f"{sibling.path}, another Dockerfile in the build context: {problem}"
        if problem is None and candidate.check == "git":
            problem = _git_problem(model, context)
        elif problem is None and candidate.check == "venv":
            problem = _venv_problem(candidate, context)
        elif problem is None and candidate.check == "secret" and candidate.pattern in inventory.files:
            copied = _copied_in(sources, candidate.pattern, inventory)
            if copied is not None:
                secrets.append((candidate, copied))
                continue
        if problem is not None:
            out.skips.append(Skip(RULE.id, None, f"`{candidate.pattern}` left out of {NAME}: {problem}", False))
            continue
        chosen.append(candidate)
    own_files = [
        name
        for name in _own_files(dockerfile, context, sources, model, inventory, memo)
        if all(_conflict(Candidate(name, ""), s.sources, s.model, inventory, memo) is None for s in siblings)
    ]

    for candidate, copied in secrets:
        out.skips.append(
            Skip(
                RULE.id,
                None,
                f"`{candidate.pattern}` is in the build context and {_shown_instruction(copied.ins)} "
                f"copies it into the image, where any secret in it ships with the image; list `{candidate.pattern}` "
                f"in {NAME} and pass the settings at run time (`docker run --env-file {candidate.pattern}`). "
                "dockopt does not exclude it itself: an app that reads it would change",
                True,
            )
        )

    if context.ignore is None:
        out.entries = [c.pattern for c in chosen] + own_files
        out.content = _text(chosen, own_files)
        listed = ", ".join(out.entries[:6]) + (", ..." if len(out.entries) > 6 else "")
        sent = sum(_present(c, inventory, memo)[1] for c in chosen)
        saved = f"; it keeps {size_text(sent)} out of the build context" if sent else ""
        out.changes.append(Change(RULE.id, None, f"new {shown} with {len(out.entries)} entries ({listed}){saved}"))
        return out

    missing = []
    for candidate in chosen:
        hits, size = _present(candidate, inventory, memo)
        if hits == [candidate.pattern]:
            missing.append(f"`{candidate.pattern}` ({size_text(size)})")
        elif hits:
            shown_hits = ", ".join(hits[:3]) + (", ..." if len(hits) > 3 else "")
            missing.append(f"`{candidate.pattern}` ({shown_hits}: {size_text(size)})")
    if missing:
        info(
            f"{shown} has no entry for what this build context sends and the build does not read: "
            f"{'; '.join(missing)}. Add them (dockopt never edits an existing {NAME})",
            actionable=True,
        )
    return out


def _own_files(
    dockerfile: Path | None,
    context: BuildContext,
    sources: list[_Source],
    model: Analysis,
    inventory: Inventory,
    memo: Present,
) -> list[str]:
    """The Dockerfile (when it is in the context) and .dockerignore: the build never needs them as files."""
    assert context.root is not None
    names = [NAME]
    if dockerfile is not None and Path(dockerfile).resolve().is_relative_to(context.root.resolve()):
        names.insert(0, Path(dockerfile).resolve().relative_to(context.root.resolve()).as_posix())
    return [n for n in names if _conflict(Candidate(n, ""), sources, model, inventory, memo) is None]


_HEADER = (
    "# Written by dockopt (DO010): what a Python image never needs. None of it is\n"
    "# sent to the builder, and `COPY . .` does not bring it into the image.\n"
    "# `dockopt explain DO010` says why each entry is safe.\n"
)


def _text(chosen: list[Candidate], own: list[str]) -> str:
    lines = [_HEADER]
    group = None
    for c in chosen:
        if c.group != group:
            group = c.group
            lines.append(f"\n# {group}\n")
        lines.append(c.pattern + "\n")
    if own:
        lines.append("\n# the Dockerfile and this file: editing them does not invalidate `COPY . .`\n")
        lines.extend(n + "\n" for n in own)
    return "".join(lines)


def _identity(doc: Dockerfile, _ctx: object) -> Dockerfile:
    return doc


RULE = Rule(
    id="DO010",
    name="dockerignore",
    title="Give the build context a .dockerignore (created with --write; missing entries reported)",
    why="""\
Without a .dockerignore every build sends the whole folder to the builder,
and `COPY . .` bakes it into the image: .git (often larger than the code),
the host's virtualenv (hundreds of MB, built for another system),
__pycache__, test caches, and .env files with secrets. Each edit to any of
them also invalidates the `COPY . .` layer.

When the build context (the Dockerfile's folder, or --context) has no
.dockerignore, `dockopt rewrite --write` creates one with entries a Python
build never reads; --diff shows it as a new file in the same patch and
--check reports it. When there is one, dockopt never edits it: entries
matching files the context holds are reported as missing. Patterns use `**/`
where Python writes files in every folder: Docker anchors `__pycache__` at
the context root, so it alone would miss `pkg/__pycache__`.""",
    safety="safe",
    before="""\
# a context holding app.py, requirements.txt, .git/, .venv/ (with pyvenv.cfg) and this Dockerfile:
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
""",
    after="""\
# Written by dockopt (DO010): what a Python image never needs. None of it is
# sent to the builder, and `COPY . .` does not bring it into the image.
# `dockopt explain DO010` says why each entry is safe.

# version control: history the build does not read
.git

# bytecode and build metadata Python writes again
**/__pycache__
**/*.pyc
**/*.pyo
**/*.egg-info

# virtualenvs made on the host (the image makes its own)
.venv
venv

# test and lint caches
.pytest_cache
.mypy_cache
.ruff_cache
.hypothesis
.tox
.nox
.coverage
htmlcov

# editor settings
.idea
.vscode
**/.DS_Store

# settings that may hold secrets: pass them at run time (docker run --env-file .env)
.env

# the Dockerfile and this file: editing them does not invalidate `COPY . .`
Dockerfile
.dockerignore
""",
    apply=_identity,
    kind="context",
    notes="""\
Every entry is checked against the Dockerfile as rewritten: one that would
exclude a path a COPY/ADD or a `RUN --mount=type=bind` names (or a parent
of it, or a file its wildcard matches) or that a RUN names is left out, with
an [info] line. `.git` is left out when a RUN runs git or the project takes
its version from git (setuptools-scm, hatch-vcs, versioningit, pbr ...);
`.venv`/`venv` when the folder is there but is no virtualenv (no
pyvenv.cfg). `.env` is a secret-leak risk: it is written when the context
has none (a guard for later) or when no COPY brings it in; when one is
there and `COPY . .` copies it, excluding it would change what the app can
read, so it is reported (actionable) instead. build/ and dist/ are not
written: projects keep sources there, and `pip install dist/*.whl` after
`COPY . .` reads them. Nothing is written for stdin (`dockopt rewrite -`),
a Dockerfile that copies nothing from the context, one whose project does
not look like Python, or one that has its own `<Dockerfile>.dockerignore`
(BuildKit reads that instead). The new file is created atomically and only
if none exists at that moment; an existing .dockerignore is never changed.
A CMD that runs a host virtualenv copied in with `COPY . .` (rather than one
the build makes) would lose it; such an image only ran on the host's own
Python layout.""",
)
