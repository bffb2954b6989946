"""DO004 slim-base: put the final stage on the slim variant of its official base image.

``python:3.12`` is built FROM ``buildpack-deps``: it carries gcc, make, the
``-dev`` headers of fifty libraries, git, curl, ImageMagick... about 1 GB that a
stage which only *runs* the app never uses. ``python:3.12-slim`` has the same
interpreter, the same ``ENV``, ``CMD`` and Debian release, and none of that.

The swap is safe only when nothing in the stage needs what slim lacks, so the
rule looks at the whole stage first:

* the stage installs no packages itself (no pip/uv/poetry/pipenv install: an
  sdist may need the compiler); its dependencies arrive ``COPY --from=`` a
  builder, as after the multi-stage split (DO002);
* no RUN, CMD, ENTRYPOINT, HEALTHCHECK or ONBUILD RUN uses a command of the
  full image that slim lacks (curl, wget, git, gcc, make, ps ...: the
  ``[tools]`` table in ``data/slim_images.toml``), unless the stage installs
  the package that provides it with apt;
* what it copies from a builder was not compiled against a ``-dev`` library
  whose run-time part slim lacks (a builder that installs ``libpq-dev`` needs
  ``libpq5`` here);
* the Python distributions it copies from a builder (or, with ``--unsafe``,
  installs itself) get what they load or run from the full image: lightgbm
  loads libgomp.so.1, GitPython runs git, psycopg2 (built from source) loads
  libpq.so.5 (``[distributions]`` in ``data/debian.toml``). Those packages
  are installed right after the FROM, with ``--no-install-recommends``.

Only the image word of the FROM line is edited (``ins.edit_args``), so
``--platform``, ``AS name``, spacing and comments stay byte-identical.
"""

from __future__ import annotations

import re
from functools import cache

from .. import lazyre
from ..datafiles import load_table
from ..model import args, debian
from ..model.distributions import RuntimeNeed, runtime_needs, stage_distributions, unmet
from ..model.packages import unmodelled_install
from ..model.runs import Use, calls, script, uses
from ..model.shell import quote_join
from ..records_base import Record
from ..style import Style
from ..syntax import Dockerfile, Instruction, Stage
from .base import Context, Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# ---------------------------------------------------------------------------
# The data table
# ---------------------------------------------------------------------------


class ImageFamily(Record):
    """One official image with a slim variant (an ``[images.*]`` entry)."""

    _fields = ("key", "names", "version", "example", "slim", "slim_suite", "latest", "suite_only", "installers")
    __slots__ = _fields
    key: str
    names: frozenset[str]
    version: re.Pattern[str]
    example: str
    slim: str
    slim_suite: str
    latest: str  # the slim tag of an untagged or :latest reference
    suite_only: str  # the slim tag of a tag that names only the Debian suite (python:bookworm)
    installers: frozenset[str]

    def __init__(
        self,
        key: str,
        names: frozenset[str],
        version: re.Pattern[str],
        example: str,
        slim: str,
        slim_suite: str,
        latest: str,
        suite_only: str,
        installers: frozenset[str],
    ) -> None:
        self._set(key, names, version, example, slim, slim_suite, latest, suite_only, installers)


class Tables(Record):
    _fields = ("images", "suites", "variants")
    __slots__ = _fields
    images: tuple[ImageFamily, ...]
    suites: frozenset[str]
    variants: dict[str, str]

    def __init__(self, images: tuple[ImageFamily, ...], suites: frozenset[str], variants: dict[str, str]) -> None:
        self._set(images, suites, variants)


@cache
def tables() -> Tables:
    """``data/slim_images.toml``, loaded once."""
    raw: dict[str, Any] = load_table("slim_images.toml")
    images = tuple(
        ImageFamily(
            key=key,
            names=frozenset(entry["names"]),
            version=lazyre.compile(entry["version"]),  # compiled for the family a FROM names (start-up)
            example=entry["example"],
            slim=entry["slim"],
            slim_suite=entry["slim_suite"],
            latest=entry["latest"],
            suite_only=entry["suite_only"],
            installers=frozenset(entry["installers"]),
        )
        for key, entry in raw["images"].items()
    )
    return Tables(
        images=images,
        suites=frozenset(raw["suites"]["names"]),
        variants=dict(raw["variants"]),
    )


# ---------------------------------------------------------------------------
# Reading the image reference
# ---------------------------------------------------------------------------

_VAR = r"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*"
_TAG_RE = lazyre.compile(rf"(?P<version>{_VAR}|[^-$]+)(?P<rest>(?:-[^-$]+)*)\Z")
_VAR_NAME_RE = lazyre.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?\Z")


class Plan(Record):
    """What to write instead of the tag, or why not."""

    _fields = ("new_tag", "reason", "family", "silent", "actionable")
    __slots__ = _fields
    new_tag: str | None
    reason: str | None
    family: ImageFamily | None
    silent: bool  # nothing worth reporting (FROM scratch)
    actionable: bool  # the reason asks the user for something (pin a version ...)

    def __init__(
        self,
        new_tag: str | None = None,
        reason: str | None = None,
        family: ImageFamily | None = None,
        silent: bool = False,
        actionable: bool = False,
    ) -> None:
        self._set(new_tag, reason, family, silent, actionable)


def plan_tag(image: str, global_args: dict[str, str | None]) -> Plan:
    """The slim tag for ``image`` (as written in FROM), or the reason there is none."""
    t = tables()
    if image == "scratch":
        return Plan(silent=True)
    if "@" in image:
        return Plan(
            reason=f"`{image}` is pinned by digest; the slim variant has another digest, which dockopt cannot look up"
        )
    name, colon, tag = split_reference(image)
    family = next((f for f in t.images if name.lower() in f.names), None)
    if family is None:
        if "$" in name:
            return Plan(reason=f"the image name `{name}` comes from a variable; dockopt does not guess what it is")
        return Plan(reason=f"`{image}` is not an official image dockopt knows a slim variant of")
    if not colon or tag == "latest":
        # python:slim is python:latest without the build tools; both float to the newest release.
        return Plan(new_tag=family.latest, family=family)
    m = _TAG_RE.match(tag)
    if m is None:
        return Plan(reason=f"the tag `{tag}` is not a form dockopt understands", family=family)
    version, rest = m.group("version"), m.group("rest")
    words = [w for w in rest.split("-") if w]
    for word in [version, *words]:
        for marker, why in t.variants.items():
            if word.startswith(marker):
                # Already slim is the goal, not a problem: say nothing about it.
                return Plan(reason=f"`{image}` {why}", family=family, silent=marker == "slim")
    if version in t.suites and not words:
        return Plan(new_tag=family.suite_only.format(suite=version), family=family)
    if version in t.suites or not (version.startswith("$") or family.version.match(version)):
        return Plan(
            reason=f"`{image}` names no version (tag `{tag}`); dockopt does not guess one", family=family, actionable=True
        )
    if version.startswith("$"):
        problem = _check_version_arg(version, global_args, family, image)
        if problem is not None:
            return Plan(reason=problem, family=family, actionable="already selects" not in problem)
    if not words:
        new = family.slim.format(version=version)
    elif len(words) == 1 and words[0] in t.suites:
        new = family.slim_suite.format(version=version, suite=words[0])
    else:
        return Plan(reason=f"the tag `{tag}` has a variant dockopt does not know (`{rest[1:]}`)", family=family)
    return Plan(new_tag=new, family=family)


def split_reference(image: str) -> tuple[str, str, str]:
    """(name, ":", tag) of an image reference without digest; the colon of a registry
    port (``host:5000/img``) or of a ``${VAR:-default}`` does not count."""
    slash = image.rfind("/")
    depth = 0
    for i in range(slash + 1, len(image)):
        ch = image[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ":" and depth == 0:
            return image[:i], ":", image[i + 1 :]
    return image, "", ""


def _check_version_arg(version: str, global_args: dict[str, str | None], family: ImageFamily, image: str) -> str | None:
    """Why ``${VAR}`` in the tag cannot be trusted to be a plain version, or None."""
    m = _VAR_NAME_RE.match(version)
    assert m is not None
    var = m.group(1)
    if var not in global_args:
        return f"the tag of `{image}` uses ${{{var}}}, which no ARG before the first FROM declares"
    default = global_args[var]
    if default is None:
        return f"ARG {var} has no default, so dockopt cannot check that `{image}` names a full image"
    if family.version.match(default):
        return None
    t = tables()
    parts = default.split("-")
    if len(parts) > 1 and family.version.match(parts[0]) and all(p in t.suites for p in parts[1:]):
        return (
            f"ARG {var} (default `{default}`) holds the Debian suite, so `{version}-slim` would not be a real tag; "
            f"write `ARG {var}={parts[0]}` and `FROM {image.replace(version, version + '-' + '-'.join(parts[1:]))}` "
            "and dockopt can move it to slim"
        )
    if any(p.startswith("slim") for p in parts):
        return f"ARG {var} (default `{default}`) already selects the slim variant"
    return f"ARG {var} (default `{default}`) is not a plain version, so dockopt cannot tell which slim tag exists"


# ---------------------------------------------------------------------------
# What a stage runs
# ---------------------------------------------------------------------------

def stage_uses(stage: Stage) -> list[Use]:
    return [use for ins in stage.instructions for use in uses(ins)]


def apt_names(ins: Instruction) -> frozenset[str]:
    """Debian packages a RUN installs with apt/apt-get (empty for anything else)."""
    if ins.keyword != "RUN":
        return frozenset()
    return frozenset(n for _, c in script(ins).all_calls if c.manager == "apt" and c.is_install for n in c.package_names)


def apt_installs(stage: Stage) -> list[tuple[Instruction, frozenset[str]]]:
    """(RUN, Debian packages it installs) for each apt/apt-get install in the stage."""
    return [(ins, names) for ins in stage.instructions if (names := apt_names(ins))]


_NODE_INSTALL_ACTIONS = frozenset({"install", "i", "ci", "add", "rebuild", "update", "upgrade"})


def package_install(stage: Stage, family: ImageFamily) -> Use | None:
    """The first command in the stage that installs language packages (pip, poetry, npm ...)."""
    for use in stage_uses(stage):
        if _is_language_install(use, family):
            return use
    return None


def _is_language_install(use: Use, family: ImageFamily) -> bool:
    if use.name in ("npm", "yarn", "pnpm"):
        if use.name not in family.installers:
            return False
        action = next((a for a in use.args if not a.startswith("-")), None)
        return (action is None and use.name == "yarn") or action in _NODE_INSTALL_ACTIONS
    if any(word.endswith("setup.py") for word in use.args[:1]) and use.name.startswith("python"):
        return True
    if family.key == "python" and unmodelled_install((use.name, *use.args)) is not None:
        return True  # pdm install, pip-sync, conda install ...
    found = calls(quote_join([use.name, *use.args]))
    if not found:
        return False
    call = found[0][1]
    if call.manager not in family.installers:
        return False
    return (
        call.is_install
        or call.action in ("wheel", "pip compile")
        or (call.manager == "poetry" and call.action == "sync")
    )


def _line(ins: Instruction) -> str:
    """Where an instruction is, for messages (instructions a pass wrote have no source line)."""
    return f"line {ins.line}" if ins.line is not None else "a line dockopt wrote"


# ---------------------------------------------------------------------------
# The pass
# ---------------------------------------------------------------------------


def apply(doc: Dockerfile, ctx: Context) -> Dockerfile:
    stages = doc.stages
    if not stages:
        return doc
    stage = stages[-1]
    ins = stage.from_instruction
    image = stage.base
    if image is None or not ctx.allowed(RULE, ins):
        return doc
    label = _label(stage)
    names = {s.name.lower() for s in stages[:-1] if s.name}
    if image.lower() in names or (image.isdigit() and int(image) < stage.index):
        ctx.skip(
            RULE,
            ins,
            f"{label} is built FROM stage `{image}`, not from an image; put the slim base on that stage's FROM if it only runs the app",
            actionable=False,
        )
        return doc
    plan = plan_tag(image, args.global_args(doc.instructions))
    if plan.new_tag is None or plan.family is None:
        if plan.reason and not plan.silent:
            ctx.skip(RULE, ins, plan.reason, actionable=plan.actionable)
        return doc
    family = plan.family
    tools: set[str] = set()
    needs: list[RuntimeNeed] = []
    language_install = None if ctx.unsafe else package_install(stage, family)
    if language_install is not None:
        # DO002's to act on: it splits the install into a builder, or says why it did not.
        ctx.skip(RULE, ins, _install_problem(stage, family, language_install), actionable=False)
        return doc
    problem = safety_problem(doc, stage, family, plan.new_tag, ctx, tools, needs)
    if problem is not None:
        ctx.skip(RULE, ins, problem)
        return doc
    _, colon, old_tag = split_reference(image)
    new_tag = plan.new_tag if colon else ":" + plan.new_tag
    new = ins.edit_args([_tag_edit(image, old_tag, new_tag)])
    if new is None:
        ctx.skip(
            RULE,
            ins,
            f"the image `{image}` is split across a line continuation; join it and dockopt can move it to slim",
        )
        return doc
    new_image = image[: len(image) - len(old_tag)] + new_tag
    message = f"{label}: `{image}` → `{new_image}` (same interpreter without compilers, -dev headers and VCS tools)"
    if not colon or old_tag == "latest" or old_tag in tables().suites:
        message += "; both tags follow the newest Python release: pin a version to build the same image every time"
    ctx.change(RULE, ins, message)
    if not tools and not needs:
        return doc.replace(ins, new)
    packages = " ".join([*sorted(tools), *(n.package for n in needs if n.package not in tools)])
    style = Style.detect(doc)
    comment = style.comment_lines(["; ".join(n.message for n in needs)]) if needs else []
    install = style.run(
        [
            "apt-get update",
            f"apt-get install -y --no-install-recommends {packages}",
            "rm -rf /var/lib/apt/lists/*",
        ],
        leading=comment,
    )
    if tools:
        used = " ".join(sorted(tools))
        ctx.change(RULE, ins, f"{label} uses {used}, which `{image}` has and slim lacks: installed explicitly")
    if needs:
        what = ", ".join(f"{n.package} ({n.why})" for n in needs)
        ctx.change(
            RULE, ins, f"{label}'s Python packages use {what}, which `{image}` has and slim lacks: installed explicitly"
        )
    return doc.replace(ins, [new, install])


class SlimTarget(Record):
    """Where the final stage would go: the slim image, or why not (and whether the user can change that)."""

    _fields = ("image", "reason", "actionable")
    __slots__ = _fields
    image: str | None
    reason: str | None
    actionable: bool

    def __init__(self, image: str | None, reason: str | None = None, actionable: bool = False) -> None:
        self._set(image, reason, actionable)


def slim_target(doc: Dockerfile, ctx: Context) -> SlimTarget:
    """The same checks as the rule, without editing: the multi-stage rule asks whether its runtime
    stage will reach slim before deciding a split pays."""
    stage = doc.stages[-1] if doc.stages else None
    image = stage.base if stage is not None else None
    if stage is None or image is None:
        return SlimTarget(None)
    if not ctx.allowed(RULE, stage.from_instruction):
        return SlimTarget(None, "the FROM says `# dockopt: ignore` for slim-base, so it keeps its full image")
    plan = plan_tag(image, args.global_args(doc.instructions))
    if plan.new_tag is None or plan.family is None:
        return SlimTarget(None, plan.reason, plan.actionable)
    language_install = None if ctx.unsafe else package_install(stage, plan.family)
    if language_install is not None:
        return SlimTarget(None, _install_problem(stage, plan.family, language_install))
    problem = safety_problem(doc, stage, plan.family, plan.new_tag, ctx, set(), [])
    if problem is not None:
        return SlimTarget(None, problem, True)
    return SlimTarget(f"{split_reference(image)[0]}:{plan.new_tag}")


def _label(stage: Stage) -> str:
    return f"stage `{stage.name}`" if stage.name else "the final stage"


def _tag_edit(image: str, old: str, new: str) -> tuple[int, int, str]:
    """The smallest splice turning ``old`` into ``new`` (an insertion for every known form)."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    base = len(image) - len(old)
    return base + prefix, base + len(old) - suffix, new[prefix : len(new) - suffix]


#: Standalone tools installed explicitly in a slim stage that uses them. Compilers
#: and VCS tools are not: gcc without the full image's recommends lacks libc6-dev,
#: so installing "the tool" would not give back what the full image had.
AUTO_INSTALL = frozenset({"curl", "wget"})


def safety_problem(
    doc: Dockerfile,
    stage: Stage,
    family: ImageFamily,
    new_tag: str,
    ctx: Context,
    tools: set[str] | None = None,
    needs: list[RuntimeNeed] | None = None,
) -> str | None:
    """Why the stage may need something of the full image, or None when slim is enough.

    When ``tools`` is given, a Debian tool the stage uses (curl in a
    HEALTHCHECK, git in a RUN) is not a problem but is added to ``tools``:
    the caller installs those packages explicitly in the slim stage, as a
    careful engineer would, instead of keeping the whole full image for them.
    Likewise ``needs`` gets what the stage's Python distributions load or run
    from the full image (lightgbm: libgomp1); without it, those are a problem.
    """
    deb = debian.table()
    label = _label(stage)
    slim_name = split_reference(stage.base or "")[0] + ":" + new_tag
    installed: set[str] = set()
    for ins in stage.instructions:
        installed |= apt_names(ins)
    missing = unmet(_distribution_needs(doc, stage, ctx), installed)
    if missing:
        problem = debian.apt_problem(slim_name)
        if needs is None or problem is not None:
            what = ", ".join(f"{n.package} ({n.why})" for n in missing)
            return (
                f"{label}'s Python packages use {what}, which `{stage.base}` has and `{slim_name}` lacks"
                + (f", and {problem}" if problem else "; install it with apt in this stage and dockopt can move it to slim")
            )
        needs.extend(missing)
        installed |= {n.package for n in missing}
    # Tools: a RUN must install the tool before using it; CMD/HEALTHCHECK run later.
    # What the needs install comes first (right after the FROM).
    apt_so_far: set[str] = {n.package for n in missing}
    for ins in stage.instructions:
        apt_so_far |= apt_names(ins)
        have = apt_so_far if ins.keyword in ("RUN", "ONBUILD") else installed
        for use in uses(ins):
            providers = deb.full_only(use.name)
            if providers and not (deb.providers(use.name) & have):
                if tools is not None and use.name in AUTO_INSTALL and use.name in providers:
                    tools.add(use.name)  # the package is named like the tool: install it
                    continue
                return (
                    f"{label} uses `{use.name}` ({_line(ins)}), which `{stage.base}` has and `{slim_name}` lacks; "
                    f"install it with apt in this stage ({' or '.join(sorted(providers))}) and dockopt can move it to slim"
                )
    return _library_problem(doc, stage, installed, slim_name, ctx)


def _install_problem(stage: Stage, family: ImageFamily, install: Use) -> str:
    what = quote_join([install.name, *install.args[:4]]) + (" …" if len(install.args) > 4 else "")
    kind = "Python packages" if family.key == "python" else "packages"
    return (
        f"{_label(stage)} installs {kind} ({_line(install.ins)}: `{what}`), which may need the compilers "
        "of the full image; the multi-stage rule (DO002) moves them to a builder first"
    )


def _library_problem(doc: Dockerfile, stage: Stage, installed: set[str], slim_name: str, ctx: Context) -> str | None:
    """A builder whose output links against a library slim lacks and this stage does not install."""
    deb = debian.table()
    graph = ctx.model(doc).graph
    sources = [s for source in graph.copied_from(stage) for s in reversed(graph.ancestry(source))]
    for source in dict.fromkeys(sources):
        for ins, names in apt_installs(source):
            for dev in sorted(names):
                if not dev.endswith("-dev") or deb.libraries_in_slim(dev):
                    continue
                if _has_runtime(dev, installed):
                    continue
                found = deb.get(dev)
                wanted = sorted({*found.runtime, *found.also}) if found else [dev.removesuffix("-dev") + "…"]
                return (
                    f"what {_label(stage)} copies from stage `{source.name or source.index}` was built against "
                    f"{dev} ({_line(ins)}); `{slim_name}` lacks its run-time library, so install "
                    f"{' or '.join(wanted)} in this stage and dockopt can move it to slim"
                )
    return None


def _distribution_needs(doc: Dockerfile, stage: Stage, ctx: Context) -> list[RuntimeNeed]:
    """What the Python distributions the stage runs need from the full image: those of the stages it
    copies from (a builder's virtualenv), and with ``--unsafe`` its own installs."""
    graph = ctx.model(doc).graph
    sources = [s for source in graph.copied_from(stage) for s in reversed(graph.ancestry(source))]
    if ctx.unsafe:
        sources += list(reversed(graph.ancestry(stage)))
    return runtime_needs(d for s in dict.fromkeys(sources) for d in stage_distributions(s, ctx.context))


def _has_runtime(dev: str, installed: set[str]) -> bool:
    stem = dev.removesuffix("-dev")
    if dev in installed or any(p.startswith(stem) for p in installed if p != dev):
        return True
    return any(debian.table().provides(dev, p) for p in installed)


_EXAMPLE_BEFORE = """\
FROM python:3.12 AS builder
RUN python -m venv /opt/venv
COPY requirements.txt .
RUN /opt/venv/bin/pip install -r requirements.txt

FROM python:3.12
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY . /app
CMD ["python", "/app/main.py"]
"""

_EXAMPLE_AFTER = """\
FROM python:3.12 AS builder
RUN python -m venv /opt/venv
COPY requirements.txt .
RUN /opt/venv/bin/pip install -r requirements.txt

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY . /app
CMD ["python", "/app/main.py"]
"""

RULE = Rule(
    id="DO004",
    name="slim-base",
    title="Use the slim variant of the official Python base image",
    why="""
The full `python:3.12` image is built on buildpack-deps: besides Python it
carries gcc, make, the -dev headers of dozens of libraries, git, curl,
ImageMagick and more, about 1 GB. A stage that only runs the app needs none of
it. `python:3.12-slim` has the same interpreter, the same Debian release and
the same default ENV and CMD, at about a tenth of the size: faster pulls,
faster deploys, and far fewer packages for a scanner to flag.

The rule edits only the final stage, and only when nothing there needs what
slim lacks: the stage installs no packages itself (its dependencies are copied
from a builder stage, as the multi-stage rule DO002 arranges), no RUN, CMD,
ENTRYPOINT or HEALTHCHECK uses a tool of the full image (curl, wget, git, gcc,
make, ps ...) unless the stage apt-installs it, and nothing it copies from a
builder was compiled against a library slim lacks (a builder with libpq-dev
needs libpq5 here). What the copied Python packages load or run from the full
image (lightgbm: libgomp1, GitPython: git, psycopg2 built from source:
libpq5) is installed right after the FROM with `--no-install-recommends`.
The Debian suite of the tag is kept
(`python:3.12-bookworm` becomes `python:3.12-slim-bookworm`), as are
`--platform`, `AS name` and a `${PYTHON_VERSION}` tag whose ARG default is a
plain version. `node:22` moves to `node:22-slim` under the same checks.
""",
    safety="safe",
    before=_EXAMPLE_BEFORE,
    after=_EXAMPLE_AFTER,
    apply=apply,
    notes="""
Left alone, with the reason: images pinned by digest, stages built FROM another
stage, images already slim or Alpine, Windows variants, images dockopt does not
know, untagged or `latest` images (no version to keep), a `${ARG}` tag whose
default holds the suite or is not a plain version, a stage that installs
packages (with --unsafe it is moved anyway, betting on wheels), a stage that
uses a tool slim lacks, and a stage whose copied packages were built against a
-dev library whose run-time package it does not install. Only the final stage
is considered: builder stages keep the compilers they need.

The Python packages a stage copies are read from the builder's install
arguments, requirements files (with their includes) and poetry/uv/pipenv lock
files; a requirements file lists only what it lists (not the dependencies of
what it names), and without a build context only the arguments are read.
""",
)
