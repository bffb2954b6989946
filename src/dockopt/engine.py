"""A small, typed wrapper around the Docker CLI, plus the fixture-app loader.

Why a wrapper at all: ``dockopt measure`` and the end-to-end tests need the
same handful of facts about an image (did it build, how long it took, how big
it is, how many layers, which steps came from cache, does it still behave) and
they need them *reliably*: every call has an explicit timeout, nothing goes
through a shell, and containers started for a check are always removed, so a
failing test never leaves a stray container eating the 2-core test machine.

Why the CLI and not the Docker SDK: the CLI is what ships with Debian's
``docker.io`` and it is what a user runs; the SDK would be one more dependency
and does not drive BuildKit the way ``DOCKER_BUILDKIT=1 docker build`` does.
We always call ``/usr/bin/docker`` (Debian's 20.10 client, with the built-in
BuildKit) rather than whatever ``docker`` is first on ``PATH``: a newer
standalone client without the buildx plugin breaks ``DOCKER_BUILDKIT=1``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

__all__ = [
    "DOCKER",
    "RUN_TIMEOUT",
    "SERVE_TIMEOUT",
    "App",
    "BuildError",
    "BuildResult",
    "BuildStep",
    "Engine",
    "EngineError",
    "EngineStatus",
    "RunResult",
    "SmokeSpec",
    "check_engine",
    "find_engine",
    "find_engine_reason",
    "load_app",
    "load_apps",
    "parse_build_steps",
]

#: The one client we trust; see the module docstring for why not ``PATH``.
DOCKER = "/usr/bin/docker"

#: How much of a failed build's log a :class:`BuildError` carries.
LOG_TAIL_LINES = 60

_PROBE_TIMEOUT = 20.0
_QUERY_TIMEOUT = 60.0
_DEFAULT_BUILD_TIMEOUT = 1800.0

#: How long a serve-mode smoke check may take before the server answers.
SERVE_TIMEOUT = 30.0
#: How long a run-mode smoke check may take.
RUN_TIMEOUT = 120.0


class EngineError(RuntimeError):
    """A docker CLI call failed in a way the caller cannot reasonably retry."""


class BuildError(EngineError):
    """``docker build`` failed; carries the tail of the log because that is
    where BuildKit prints the failing step and its output, and a full log of a
    dependency install is too long to be useful in a test failure message."""

    def __init__(self, message: str, log: str, returncode: int | None) -> None:
        self.log = log
        self.returncode = returncode
        self.log_tail = "\n".join(log.splitlines()[-LOG_TAIL_LINES:])
        super().__init__(f"{message}\n--- last {LOG_TAIL_LINES} log lines ---\n{self.log_tail}")


@dataclass(frozen=True)
class BuildStep:
    """One BuildKit vertex as printed by ``--progress=plain``.

    ``name`` is the vertex title, e.g. ``[builder 3/6] RUN pip install ...``;
    ``cached`` is True when BuildKit printed ``CACHED`` for it, which is the
    only cheap, reliable signal that a layer was reused rather than rebuilt.
    """

    number: int
    name: str
    cached: bool
    error: bool = False

    @property
    def is_instruction(self) -> bool:
        """True for Dockerfile instructions (``[stage n/m] ...``), False for
        BuildKit's own bookkeeping vertices (``[internal] load ...``,
        ``exporting to image`` ...)."""
        return bool(re.match(r"^\[(?:[\w.-]+ )?\d+/\d+\] ", self.name))


@dataclass(frozen=True)
class BuildResult:
    """What a successful build tells us."""

    tag: str
    image_id: str
    seconds: float
    log: str
    steps: tuple[BuildStep, ...] = field(default_factory=tuple)

    def find_step(self, needle: str) -> BuildStep | None:
        """The first Dockerfile instruction whose title contains ``needle``
        (e.g. ``"pip install"``), so a cache test can ask whether *that* step
        was reused without knowing its position in the file."""
        for step in self.steps:
            if step.is_instruction and needle in step.name:
                return step
        return None

    @property
    def instruction_steps(self) -> tuple[BuildStep, ...]:
        """Only the Dockerfile instructions, in the order BuildKit reported them."""
        return tuple(s for s in self.steps if s.is_instruction)


@dataclass(frozen=True)
class RunResult:
    """Outcome of running something in a container. ``code`` is the process
    exit status; a timeout is reported as ``code=124`` like coreutils'
    ``timeout`` so callers need only one failure path."""

    stdout: str
    stderr: str
    code: int

    @property
    def ok(self) -> bool:
        return self.code == 0


_STEP_LINE = re.compile(r"^#(\d+) (.*)$")
_STATUS = re.compile(r"^(?:CACHED|DONE \d+(?:\.\d+)?s|ERROR\b.*|CANCELED\b.*|sha256:[0-9a-f]+|\d+\.\d+ .*)$")


def parse_build_steps(log: str) -> tuple[BuildStep, ...]:
    """Parse BuildKit ``--progress=plain`` output into vertices.

    Each vertex is printed as ``#N <title>`` followed by lines ``#N <status or
    output>``; the header may be repeated when output of several vertices is
    interleaved. The first line seen for ``#N`` is its title; ``#N CACHED``
    marks a cache hit and ``#N ERROR`` a failure.
    """
    names: dict[int, str] = {}
    cached: set[int] = set()
    errors: set[int] = set()
    for raw in log.splitlines():
        m = _STEP_LINE.match(raw.rstrip())
        if not m:
            continue
        num, rest = int(m.group(1)), m.group(2)
        if num not in names:
            if _STATUS.match(rest):
                # A status line before any title: keep a placeholder title.
                names[num] = ""
            else:
                names[num] = rest
        elif not names[num] and not _STATUS.match(rest):
            names[num] = rest
        if rest == "CACHED":
            cached.add(num)
        elif rest.startswith("ERROR"):
            errors.add(num)
    return tuple(BuildStep(number=n, name=names[n], cached=n in cached, error=n in errors) for n in sorted(names))


def _env() -> dict[str, str]:
    """The environment for every docker call: BuildKit on, plain progress,
    and no colours, so logs parse the same on a terminal and in CI."""
    env = dict(os.environ)
    env["DOCKER_BUILDKIT"] = "1"
    env["BUILDKIT_PROGRESS"] = "plain"
    env["NO_COLOR"] = "1"
    return env


@dataclass(frozen=True)
class EngineStatus:
    """Result of probing for a daemon: ``engine`` is None when none answered,
    and ``reason`` then says why, so a skipped test can tell the reader what
    to fix (no client, daemon down, permission denied...)."""

    engine: Engine | None
    reason: str


def check_engine(docker: str = DOCKER, timeout: float = _PROBE_TIMEOUT) -> EngineStatus:
    """Probe the docker client and daemon once."""
    if not Path(docker).is_file() or not os.access(docker, os.X_OK):
        return EngineStatus(None, f"docker client {docker} not found (run scripts/docker-engine.sh)")
    try:
        proc = subprocess.run(
            [docker, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return EngineStatus(None, f"docker daemon did not answer within {timeout:.0f}s")
    except OSError as exc:
        return EngineStatus(None, f"cannot run {docker}: {exc}")
    server = proc.stdout.strip()
    if proc.returncode != 0 or not server:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return EngineStatus(None, f"docker daemon not answering ({detail}); run scripts/docker-engine.sh")
    return EngineStatus(Engine(docker=docker, server_version=server), f"docker daemon {server}")


_last_reason: str = "find_engine() was not called yet"


def find_engine() -> Engine | None:
    """Return an :class:`Engine` if a daemon answers, else None.

    The reason for a None is kept and available from
    :func:`find_engine_reason` (or call :func:`check_engine` directly).
    """
    global _last_reason
    status = check_engine()
    _last_reason = status.reason
    return status.engine


def find_engine_reason() -> str:
    """Why the last :func:`find_engine` call returned what it did."""
    return _last_reason


@dataclass(frozen=True)
class Engine:
    """A docker daemon reachable through the CLI at ``docker``."""

    docker: str = DOCKER
    server_version: str = ""

    # -- plumbing --------------------------------------------------------
    def _run(
        self,
        args: Sequence[str],
        *,
        timeout: float = _QUERY_TIMEOUT,
        check: bool = True,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run one docker CLI command; raise :class:`EngineError` with its
        stderr when ``check`` and it fails, or when it times out."""
        cmd = [self.docker, *args]
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=_env(),
                input=input_text,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"{' '.join(cmd[:3])} timed out after {timeout:.0f}s") from exc
        if check and proc.returncode != 0:
            raise EngineError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    # -- build -----------------------------------------------------------
    def build(
        self,
        dockerfile: Path | str,
        context: Path,
        tag: str,
        *,
        no_cache: bool = False,
        progress: Callable[[str], None] | None = None,
        timeout: float = _DEFAULT_BUILD_TIMEOUT,
        build_args: dict[str, str] | None = None,
    ) -> BuildResult:
        """Build ``context`` into ``tag``.

        ``dockerfile`` is either a :class:`~pathlib.Path` to a Dockerfile
        (inside or outside the context) or a ``str`` holding the Dockerfile
        *text*, which is piped through ``-f -`` so an optimized Dockerfile can
        be measured without writing it into the user's project. In both cases
        the context's own ``.dockerignore`` applies. ``progress`` receives
        every log line as it arrives (for a live display); the full log is in
        the result. Raises :class:`BuildError` on failure or timeout.
        """
        context = Path(context)
        if not context.is_dir():
            raise EngineError(f"build context {context} is not a directory")
        stdin_text: str | None = None
        if isinstance(dockerfile, Path):
            if not dockerfile.is_file():
                raise EngineError(f"Dockerfile {dockerfile} not found")
            file_arg = str(dockerfile.resolve())
        else:
            stdin_text = dockerfile
            file_arg = "-"
        with tempfile.TemporaryDirectory(prefix="dockopt-build-") as tmp:
            iidfile = Path(tmp) / "iid"
            cmd = [self.docker, "build", "--progress=plain", "-f", file_arg, "-t", tag, "--iidfile", str(iidfile)]
            if no_cache:
                cmd.append("--no-cache")
            for key, value in (build_args or {}).items():
                cmd += ["--build-arg", f"{key}={value}"]
            cmd.append(str(context))
            start = time.monotonic()
            log, returncode = _stream(cmd, stdin_text, progress, timeout)
            seconds = time.monotonic() - start
            if returncode is None:
                raise BuildError(f"docker build of {tag} timed out after {timeout:.0f}s", log, None)
            if returncode != 0:
                raise BuildError(f"docker build of {tag} failed with exit code {returncode}", log, returncode)
            image_id = iidfile.read_text().strip() if iidfile.exists() else ""
        if not image_id:
            image_id = self._run(["image", "inspect", "-f", "{{.Id}}", tag]).stdout.strip()
        return BuildResult(tag=tag, image_id=image_id, seconds=seconds, log=log, steps=parse_build_steps(log))

    # -- image facts -----------------------------------------------------
    def image_exists(self, tag: str) -> bool:
        """True if ``tag`` is present locally (no pull is attempted)."""
        return self._run(["image", "inspect", tag], check=False).returncode == 0

    def image_size(self, tag: str) -> int:
        """Uncompressed image size in bytes as the daemon reports it."""
        out = self._run(["image", "inspect", "-f", "{{.Size}}", tag]).stdout.strip()
        return int(out)

    def layer_count(self, tag: str) -> int:
        """Number of filesystem layers (``RootFS.Layers``), base image included.

        Metadata-only instructions (ENV, CMD, EXPOSE...) add no layer under
        BuildKit, so this counts what actually costs pull time and storage.
        """
        out = self._run(["image", "inspect", "-f", "{{len .RootFS.Layers}}", tag]).stdout.strip()
        return int(out)

    def inspect_image(self, tag: str) -> dict[str, Any]:
        """``docker image inspect`` of one image, as the daemon's JSON object."""
        out = self._run(["image", "inspect", tag]).stdout
        data = json.loads(out)
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise EngineError(f"docker image inspect {tag}: unexpected output")
        return data[0]

    def history(self, tag: str) -> list[tuple[int, str]]:
        """``docker history``, oldest first: (bytes, created by) per entry,
        metadata-only entries (ENV, CMD ...) included."""
        out = self._run(["history", "--no-trunc", "--human=false", "--format", "{{json .}}", tag]).stdout
        rows = []
        for line in out.splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((int(row.get("Size") or 0), str(row.get("CreatedBy") or "")))
        return rows[::-1]

    def remove_image(self, tag: str) -> None:
        """Remove ``tag`` if present; a missing image is not an error because
        cleanup code must be safe to run twice."""
        self._run(["image", "rm", "-f", tag], check=False)

    # -- containers ------------------------------------------------------
    def run(
        self,
        tag: str,
        args: Sequence[str] = (),
        timeout: float = RUN_TIMEOUT,
        volumes: Sequence[tuple[Path, str]] = (),
        *,
        entrypoint: str | None = None,
        network: str | None = None,
    ) -> RunResult:
        """``docker run --rm [-v HOST:CONTAINER:ro ...] tag *args`` and capture its output.

        The container gets a known name so that on timeout it can be killed
        and removed (killing the client alone would leave it running).
        ``volumes`` are read-only bind mounts (host paths made absolute).
        ``entrypoint`` replaces the image's ENTRYPOINT (and so drops its CMD),
        ``network`` is passed as ``--network`` (``"none"`` for checks that
        must not reach anything).
        """
        name = f"dockopt-run-{uuid.uuid4().hex[:12]}"
        mounts = [f"--volume={Path(host).resolve()}:{container}:ro" for host, container in volumes]
        options = ["--entrypoint", entrypoint] if entrypoint is not None else []
        if network is not None:
            options += ["--network", network]
        cmd = [self.docker, "run", "--rm", "--name", name, *mounts, *options, tag, *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(), check=False)
        except subprocess.TimeoutExpired as exc:
            self._run(["rm", "-f", name], check=False)
            return RunResult(_text(exc.stdout), _text(exc.stderr) + f"\n[timed out after {timeout:.0f}s]", 124)
        return RunResult(proc.stdout, proc.stderr, proc.returncode)

    def create_container(self, tag: str) -> str:
        """``docker create`` a stopped container of ``tag`` to read its files
        with :meth:`copy_from` (nothing in the image runs); remove it with
        :meth:`remove_container`."""
        name = f"dockopt-files-{uuid.uuid4().hex[:12]}"
        self._run(["create", "--name", name, tag])
        return name

    def remove_container(self, name: str) -> None:
        """Remove a container, running or not; a missing one is not an error."""
        self._run(["rm", "-f", name], check=False)

    @contextlib.contextmanager
    def copy_from(self, container: str, path: str, *, follow_link: bool = False) -> Iterator[IO[bytes] | None]:
        """``docker cp CONTAINER:PATH -``: a tar stream of ``path`` (None if
        it does not exist). ``follow_link`` resolves a final symlink inside
        the container, as ``docker cp -L`` does. The caller may stop reading
        early; the client is killed when the block ends."""
        cmd = [self.docker, "cp", *(["-L"] if follow_link else []), f"{container}:{path}", "-"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
        assert proc.stdout is not None and proc.stderr is not None
        try:
            head = proc.stdout.peek(1) if hasattr(proc.stdout, "peek") else b""
            if not head:
                code = proc.wait(timeout=_QUERY_TIMEOUT)
                err = proc.stderr.read().decode(errors="replace").strip()
                if code != 0 and "No such container:path" not in err and "Could not find the file" not in err:
                    raise EngineError(f"docker cp {container}:{path} failed ({code}): {err}")
                yield None
            else:
                yield proc.stdout
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()

    def serve_and_exec(self, tag: str, exec_args: Sequence[str], timeout: float = SERVE_TIMEOUT) -> RunResult:
        """Start ``tag`` detached with its own CMD, then ``docker exec`` the
        check until it succeeds or ``timeout`` runs out.

        Retrying is the point: a server needs a moment to bind its port and
        there is no portable readiness signal. The container is always
        removed, and if it exits early its logs are returned in ``stderr``.
        """
        if not exec_args:
            raise ValueError("serve_and_exec needs a command to exec")
        name = f"dockopt-serve-{uuid.uuid4().hex[:12]}"
        deadline = time.monotonic() + timeout
        started = self._run(["run", "-d", "--name", name, tag], check=False, timeout=timeout)
        if started.returncode != 0:
            self._run(["rm", "-f", name], check=False)
            return RunResult(started.stdout, started.stderr, started.returncode or 1)
        last = RunResult("", "container never checked", 1)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    proc = self._run(["exec", name, *exec_args], check=False, timeout=max(remaining, 1.0))
                    last = RunResult(proc.stdout, proc.stderr, proc.returncode)
                except EngineError as exc:
                    last = RunResult("", str(exc), 124)
                if last.ok:
                    return last
                state = self._run(["inspect", "-f", "{{.State.Running}}", name], check=False).stdout.strip()
                if state != "true":
                    logs = self._run(["logs", name], check=False)
                    return RunResult(
                        last.stdout, f"container exited early:\n{logs.stdout}{logs.stderr}", last.code or 1
                    )
                time.sleep(min(1.0, max(deadline - time.monotonic(), 0.0)))
            logs = self._run(["logs", "--tail", "40", name], check=False)
            return RunResult(
                last.stdout,
                f"{last.stderr}\n[no success within {timeout:.0f}s]\ncontainer logs:\n{logs.stdout}{logs.stderr}",
                last.code or 124,
            )
        finally:
            self._run(["rm", "-f", name], check=False)

    def smoke(self, tag: str, spec: SmokeSpec, timeout: float | None = None) -> RunResult:
        """Run an app's smoke check as its ``app.toml`` describes it.

        Default timeouts: :data:`SERVE_TIMEOUT` for serve mode (the fixture
        contract: a server must answer within 30 s), :data:`RUN_TIMEOUT`
        for run mode.
        """
        if spec.mode == "run":
            return self.run(tag, spec.args, timeout=RUN_TIMEOUT if timeout is None else timeout)
        return self.serve_and_exec(tag, spec.exec, timeout=SERVE_TIMEOUT if timeout is None else timeout)


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data


def _stream(
    cmd: Sequence[str],
    stdin_text: str | None,
    progress: Callable[[str], None] | None,
    timeout: float,
) -> tuple[str, int | None]:
    """Run ``cmd`` with stderr merged into stdout, feeding each line to
    ``progress`` as it comes. Returns (log, returncode), returncode None on
    timeout (the process is killed). A reader thread keeps the pipe drained
    so a chatty build can never block on a full pipe while we wait."""
    lines: list[str] = []
    proc = subprocess.Popen(
        list(cmd),
        stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=_env(),
    )

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            if progress is not None:
                # A display bug must not kill the build.
                with contextlib.suppress(Exception):
                    progress(line)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    if stdin_text is not None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin_text)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    try:
        returncode: int | None = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
        returncode = None
    thread.join(timeout=30)
    return "\n".join(lines) + ("\n" if lines else ""), returncode


# -- fixture apps ----------------------------------------------------------


@dataclass(frozen=True)
class SmokeSpec:
    """How to tell that an image still works (the ``[smoke]`` table)."""

    mode: Literal["run", "serve"]
    expect: str
    args: tuple[str, ...] = ()
    exec: tuple[str, ...] = ()

    def matches(self, result: RunResult) -> bool:
        """True when the check exited 0 and printed exactly ``expect``
        (both sides stripped: trailing newlines are not behaviour)."""
        return result.ok and result.stdout.strip() == self.expect.strip()


@dataclass(frozen=True)
class App:
    """One fixture app folder: a naive Dockerfile, its hand-written
    reference rewrite, and how to check and edit it."""

    name: str
    dir: Path
    dockerfile: Path
    reference: Path
    smoke: SmokeSpec
    edit_file: Path
    description: str = ""
    #: ``[expect] known_failure``: why the e2e test is expected to fail for this app today
    #: (it runs as a strict xfail, so the suite goes red when the cause is fixed).
    known_failure: str | None = None
    #: ``[expect] rewrite``: "smaller" (dockopt rewrites it and the image shrinks), "not-larger"
    #: (a file already in good shape: any rewrite must not grow it), "unchanged" (left alone).
    rewrite: Literal["smaller", "not-larger", "unchanged"] = "smaller"
    #: ``[expect] naive_reinstalls``: the negative control of the cache check, that the naive
    #: file re-runs its install after a code edit (false for a file that already installs first).
    naive_reinstalls: bool = True


def _str_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    return tuple(value)


def load_app(path: Path) -> App:
    """Load an app from its folder (or its ``app.toml``), validating the
    schema documented in ``fixtures/apps/README.md`` so a typo in a fixture
    fails loudly at load time instead of as a confusing e2e failure."""
    path = Path(path)
    toml_path = path / "app.toml" if path.is_dir() else path
    app_dir = toml_path.parent
    with toml_path.open("rb") as fh:
        data = tomllib.load(fh)
    where = str(toml_path)
    smoke_raw = data.get("smoke")
    if not isinstance(smoke_raw, dict):
        raise ValueError(f"{where}: missing [smoke] table")
    mode = smoke_raw.get("mode")
    if mode not in ("run", "serve"):
        raise ValueError(f"{where}: smoke.mode must be 'run' or 'serve', not {mode!r}")
    expect = smoke_raw.get("expect")
    if not isinstance(expect, str):
        raise ValueError(f"{where}: smoke.expect must be a string")
    args = _str_list(smoke_raw.get("args", []), f"{where}: smoke.args")
    exec_args = _str_list(smoke_raw.get("exec", []), f"{where}: smoke.exec")
    if mode == "serve" and not exec_args:
        raise ValueError(f"{where}: serve mode needs a non-empty smoke.exec")
    smoke = SmokeSpec(mode="run" if mode == "run" else "serve", expect=expect, args=args, exec=exec_args)
    edit_raw = data.get("edit")
    if not isinstance(edit_raw, dict) or not isinstance(edit_raw.get("file"), str):
        raise ValueError(f"{where}: missing [edit] file")
    edit_file = app_dir / edit_raw["file"]
    dockerfile = app_dir / "Dockerfile"
    reference = app_dir / "reference.Dockerfile"
    for required in (dockerfile, reference, edit_file):
        if not required.is_file():
            raise ValueError(f"{where}: {required.name} not found in {app_dir}")
    description = data.get("description", "")
    expect_raw = data.get("expect", {})
    if not isinstance(expect_raw, dict):
        raise ValueError(f"{where}: [expect] must be a table")
    unknown = set(expect_raw) - {"known_failure", "rewrite", "naive_reinstalls"}
    if unknown:
        raise ValueError(f"{where}: unknown [expect] keys: {', '.join(sorted(unknown))}")
    known_failure = expect_raw.get("known_failure")
    if known_failure is not None and not isinstance(known_failure, str):
        raise ValueError(f"{where}: expect.known_failure must be a string (the reason)")
    rewrite = expect_raw.get("rewrite", "smaller")
    if rewrite not in ("smaller", "not-larger", "unchanged"):
        raise ValueError(f"{where}: expect.rewrite must be 'smaller', 'not-larger' or 'unchanged', not {rewrite!r}")
    naive_reinstalls = expect_raw.get("naive_reinstalls", True)
    if not isinstance(naive_reinstalls, bool):
        raise ValueError(f"{where}: expect.naive_reinstalls must be true or false")
    return App(
        name=app_dir.name,
        dir=app_dir,
        dockerfile=dockerfile,
        reference=reference,
        smoke=smoke,
        edit_file=edit_file,
        description=description if isinstance(description, str) else "",
        known_failure=known_failure,
        rewrite=rewrite,
        naive_reinstalls=naive_reinstalls,
    )


def load_apps(root: Path) -> list[App]:
    """Every app under ``root`` (folders holding an ``app.toml``), by name."""
    return [load_app(p.parent) for p in sorted(Path(root).glob("*/app.toml"))]
