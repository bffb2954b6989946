"""`dockopt rewrite` answered without click prints exactly what the click command prints.

The console script (``dockopt.entry``) answers ``rewrite [--diff] [--check]
[--stdin-filename NAME] PATH...|-`` itself, for start-up time; everything else
goes to click. Each case runs both ways with the real rules and compares
stdout, stderr and the exit status byte for byte:

* the corpus (every fixture Dockerfile on stdin, the example apps also by path
  with --diff/--check and by --stdin-filename) runs in one process per side,
  each case with fresh standard streams, so 500 files take seconds;
* the special cases (configs, errors, names, interrupts, a closed pipe) run as
  real processes each.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dockopt.entry import _plain_rewrite
from tests.cli.conftest import write
from tests.conftest import FIXTURES, all_dockerfiles

MAINS = {"fast": "dockopt.entry", "click": "dockopt.cli"}

NAIVE = b"FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"

# Runs each case of a JSON list in this process, with its own standard streams (real
# TextIOWrappers, as Python makes them: strict stdout, backslashreplace stderr).
DRIVER = r"""
import base64, io, json, os, sys
kind, cases_file, out_file = sys.argv[1:4]
main = __import__(kind, fromlist=["main"]).main
real = sys.stdin, sys.stdout, sys.stderr
results = []
for case in json.load(open(cases_file)):
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(base64.b64decode(case["stdin"])), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True)
    sys.argv = ["dockopt", *case["args"]]
    code = None
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    sys.stdout.flush()
    sys.stderr.flush()
    got = {"code": code, "stdout": base64.b64encode(out.getvalue()).decode(), "stderr": base64.b64encode(err.getvalue()).decode()}
    sys.stdin, sys.stdout, sys.stderr = real
    results.append(got)
print(sorted(m for m in ("click",) if m in sys.modules), file=open(out_file + ".modules", "w"))
json.dump(results, open(out_file, "w"))
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "DOCKOPT_DEBUG", "TERM")}


def _corpus() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []

    def add(*args: str, stdin: bytes = b"") -> None:
        cases.append({"args": list(args), "stdin": base64.b64encode(stdin).decode()})

    for path in all_dockerfiles():
        add("rewrite", "-", stdin=path.read_bytes())
    for path in sorted((FIXTURES / "apps").glob("*/Dockerfile")) + sorted((FIXTURES / "dockerignore").glob("*/Dockerfile")):
        add("rewrite", "--stdin-filename", str(path), "-", stdin=path.read_bytes())
        add("rewrite", "--diff", str(path))
        add("rewrite", "--check", str(path))
    add("rewrite", "--check", "--diff", str(FIXTURES / "apps"))  # a folder: every Dockerfile under it
    add("rewrite", "-", stdin=b"FROM a\nENV ONLYKEY\n")  # a syntax error
    return cases


def test_corpus_fast_path_matches_click(tmp_path: Path) -> None:
    cases = _corpus()
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps(cases))
    work = tmp_path / "cwd"  # no config above it
    work.mkdir()
    results = {}
    for kind, module in MAINS.items():
        out = tmp_path / f"{kind}.json"
        proc = subprocess.run(
            [sys.executable, "-c", DRIVER, module, str(cases_file), str(out)],
            cwd=work,
            env=_env(),
            capture_output=True,
            check=False,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr.decode()
        results[kind] = json.loads(out.read_text())
        if kind == "fast":  # the fast path really answered: nothing loaded click
            assert (tmp_path / "fast.json.modules").read_text().strip() == "[]"
    assert len(results["fast"]) == len(results["click"]) == len(cases) > 500
    codes = set()
    for case, fast, slow in zip(cases, results["fast"], results["click"], strict=True):
        assert fast == slow, case["args"]
        codes.add(fast["code"])
    assert codes == {0, 1, 2}  # unchanged, changes found and errors are all among the cases


def _run(kind: str, *args: str, stdin: bytes = b"", cwd: Path, env: dict[str, str] | None = None, prelude: str = "") -> subprocess.CompletedProcess[bytes]:
    code = f"{prelude}\nimport sys\nsys.argv[0] = 'dockopt'\nfrom {MAINS[kind]} import main\nmain()\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        cwd=cwd,
        env={**_env(), **(env or {})},
        capture_output=True,
        check=False,
        timeout=120,
    )


def _same(*args: str, stdin: bytes = b"", cwd: Path, env: dict[str, str] | None = None, prelude: str = "") -> subprocess.CompletedProcess[bytes]:
    fast = _run("fast", *args, stdin=stdin, cwd=cwd, env=env, prelude=prelude)
    slow = _run("click", *args, stdin=stdin, cwd=cwd, env=env, prelude=prelude)
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    return fast


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """svc/ with a .dockopt.toml, api/ under a pyproject.toml [tool.dockopt], bad/ with an unknown key."""
    write(tmp_path / "svc" / ".dockopt.toml", 'ignore = ["DO004", "deps-first"]\n')
    write(tmp_path / "svc" / "Dockerfile", NAIVE)
    write(tmp_path / "svc" / "requirements.txt", "flask\n")
    write(tmp_path / "api" / "pyproject.toml", '[project]\nname = "api"\n\n[tool.dockopt]\nlayout = "user"\nexclude = ["legacy/*"]\n')
    write(tmp_path / "api" / "Dockerfile", NAIVE)
    write(tmp_path / "api" / "legacy" / "Dockerfile", NAIVE)
    write(tmp_path / "bad" / ".dockopt.toml", "unsafe = 'yes'\nspeed = 11\n")
    write(tmp_path / "bad" / "Dockerfile", NAIVE)
    write(tmp_path / "empty" / "README", "no Dockerfiles here\n")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("rewrite", "-"),
        ("rewrite", "--stdin-filename", "svc/Dockerfile", "-"),  # svc's config, not the cwd's
        ("rewrite", "-", "--stdin-filename=api/Dockerfile"),
        ("rewrite", "--stdin-filename", "api/legacy/Dockerfile", "-"),  # excluded: the input comes back
        ("rewrite", "--stdin-filename", "bad/Dockerfile", "-"),  # a bad config: exit 2
        ("rewrite", "--stdin-filename", "nowhere/at/all/Dockerfile", "-"),
        ("rewrite", "--stdin-filename", "\x1b[31mred\x1b[0m/Dockerfile", "-"),  # click strips the codes off stderr
        ("rewrite", "--diff", "--stdin-filename", "svc/Dockerfile", "-"),
        ("rewrite", "--check", "-"),
        ("rewrite", "svc/Dockerfile", "api/Dockerfile", "api/legacy/Dockerfile"),
        ("rewrite", "--check", "svc", "api", "empty"),
        ("rewrite", "--diff", "bad/Dockerfile", "svc/Dockerfile"),
        ("rewrite", "--check", "missing/Dockerfile"),
    ],
)
@pytest.mark.parametrize("where", ["root", "api"])
def test_configs_names_and_paths(project: Path, args: tuple[str, ...], where: str) -> None:
    cwd = project if where == "root" else project / "api"  # the cwd's config applies to stdin without a name
    if where == "api":
        args = tuple(a if a in ("rewrite", "-") or a.startswith("-") else os.path.relpath(project / a, cwd) for a in args)
    _same(*args, stdin=NAIVE, cwd=cwd)


@pytest.mark.parametrize(
    "stdin",
    [
        b"FROM a\nENV ONLYKEY\n",  # a syntax error: file:line:col, exit 2, nothing on stdout
        b'FROM a\nRUN ["a", 1]\n',
        b"\xef\xbb\xbfFROM python:3.12\r\n# caf\xe9\r\nRUN pip install flask\r\nCMD [\"flask\", \"run\"]",
        b"# dockopt: skip-file\n" + NAIVE,
        b"",
        b"\xff\xfe not utf-8 \x00\n",
    ],
    ids=["env-error", "json-error", "bom-crlf-latin1", "skip-file", "empty", "binary"],
)
@pytest.mark.parametrize("name", [None, "svc/Dockerfile"])
def test_inputs(project: Path, stdin: bytes, name: str | None) -> None:
    args = ("rewrite", "-") if name is None else ("rewrite", "--stdin-filename", name, "-")
    _same(*args, stdin=stdin, cwd=project)


def test_syntax_error_in_a_file(project: Path) -> None:
    write(project / "broken" / "Dockerfile", "FROM a\nENV ONLYKEY\n")
    proc = _same("rewrite", "--diff", "broken/Dockerfile", "svc/Dockerfile", cwd=project)
    assert proc.returncode == 2


_RAISE = "import dockopt.rewriting as r\ndef boom(*a, **k):\n    raise {exc}\nr.plan = boom\n"


@pytest.mark.parametrize(
    ("exc", "code"),
    [("KeyError('surprise')", 2), ("EOFError()", 2), ("KeyboardInterrupt()", 1), ("BrokenPipeError(32, 'Broken pipe')", 1)],
)
def test_errors_outside_the_rules(tmp_path: Path, exc: str, code: int) -> None:
    proc = _same("rewrite", "-", stdin=NAIVE, cwd=tmp_path, prelude=_RAISE.format(exc=exc))
    assert proc.returncode == code
    assert b"Traceback" not in proc.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    prelude = _RAISE.format(exc="KeyError('surprise')")
    env = {"DOCKOPT_DEBUG": "1"}
    fast = _run("fast", "rewrite", "-", stdin=NAIVE, cwd=tmp_path, env=env, prelude=prelude)
    slow = _run("click", "rewrite", "-", stdin=NAIVE, cwd=tmp_path, env=env, prelude=prelude)
    assert fast.returncode == slow.returncode == 2
    # The frames above rewriting.run differ (entry.py vs click); the error and its last frames do not.
    assert fast.stderr.startswith(b"Traceback") and slow.stderr.startswith(b"Traceback")
    assert fast.stderr.splitlines()[-4:] == slow.stderr.splitlines()[-4:]
    assert fast.stderr.splitlines()[-1] == b"error: internal error: KeyError: 'surprise'"


def test_closed_stdout(tmp_path: Path) -> None:
    """`dockopt rewrite - | head -0`: exit 1 quietly, as click does, whichever path answers."""
    big = NAIVE + b"".join(b"LABEL n%d=x\n" % i for i in range(20000))
    for kind in MAINS:
        code = f"import sys\nsys.argv[0] = 'dockopt'\nfrom {MAINS[kind]} import main\nmain()\n"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "rewrite", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=_env(),
        )
        assert proc.stdout is not None
        proc.stdout.close()  # nobody reads the output
        _, err = proc.communicate(big, timeout=120)
        assert (kind, proc.returncode, err) == (kind, 1, b"")


@pytest.mark.parametrize(
    "args",
    [
        ["rewrite", "-"],
        ["rewrite", "-", "--stdin-filename", "a/Dockerfile"],
        ["rewrite", "--stdin-filename=a/Dockerfile", "-"],
        ["rewrite", "--diff", "Dockerfile"],
        ["rewrite", "--check", "--diff", "a", "b/Dockerfile"],
    ],
)
def test_plain_shapes_take_the_fast_path(args: list[str]) -> None:
    assert _plain_rewrite(args) is not None


@pytest.mark.parametrize(
    "args",
    [
        ["rewrite"],  # no paths: click's usage error
        ["rewrite", "--help"],
        ["rewrite", "--write", "Dockerfile"],
        ["rewrite", "-w", "Dockerfile"],
        ["rewrite", "-", "Dockerfile"],
        ["rewrite", "-", "-"],
        ["rewrite", "--stdin-filename", "x", "Dockerfile"],
        ["rewrite", "--stdin-filename", "-"],
        ["rewrite", "--stdin-filename", "-x", "-"],
        ["rewrite", "--stdin-filename=", "-"],
        ["rewrite", "--stdin-filename", "a", "--stdin-filename", "b", "-"],
        ["rewrite", "--diff", "--diff", "Dockerfile"],
        ["rewrite", "--", "-x"],
        ["rewrite", ""],
        ["rewrite", "--select", "DO001", "-"],
        ["rewrite", "--debug", "-"],
        ["--debug", "rewrite", "-"],
        ["rewrite", "--format", "json", "-"],
        ["rewrite", "--stdin", "-"],
    ],
)
def test_other_shapes_go_to_click(args: list[str]) -> None:
    assert _plain_rewrite(args) is None


def test_fast_path_imports_no_click(tmp_path: Path) -> None:
    code = (
        "import sys; from dockopt.entry import main; sys.argv = ['dockopt', 'rewrite', '-']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('click', 'rich', 'difflib', 'importlib.resources') if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], input=NAIVE, capture_output=True, cwd=tmp_path, env=_env(), check=True)
    assert out.stderr.decode().strip().splitlines()[-1] == "[]"


#: Modules the editors' call need not import (each was a slice of its start-up).
AVOIDED = ("pathlib", "urllib.parse", "contextlib", "json", "zlib")


def _rewrite_modules(tmp_path: Path, *args: str, stdin: bytes = NAIVE) -> list[str]:
    """Which of AVOIDED a fast-path rewrite of ``stdin`` (run in ``tmp_path``) imported."""
    code = (
        f"import sys; from dockopt.entry import main; sys.argv = ['dockopt', 'rewrite', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {AVOIDED!r} if m in sys.modules), file=sys.stderr)"
    )
    for _ in range(2):  # the first run fills dockopt's cache (the parser's tables), as an editor's first save does
        out = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, cwd=tmp_path, env=_env(), check=True)
    assert out.stdout.startswith(b"FROM python:3.12")  # the rewrite ran
    found = ast.literal_eval(out.stderr.decode().strip().splitlines()[-1])
    assert isinstance(found, list)
    return found


def test_stdin_rewrite_imports_no_pathlib_or_json(tmp_path: Path) -> None:
    # `dockopt rewrite -` is the editors' call on every save: pathlib (with urllib.parse and
    # ipaddress) was about a tenth of its start-up, json and zlib (the parse table's cache, the
    # exec form) a twentieth. Config discovery from the cwd runs on strings.
    assert _rewrite_modules(tmp_path, "-") == []


@pytest.mark.parametrize("where", ["stdin-filename", "config"])
def test_real_paths_still_import_pathlib(tmp_path: Path, where: str) -> None:
    # Negative controls for the check above: a named file, or a config file found, is a Path.
    if where == "config":
        write(tmp_path / ".dockopt.toml", "unsafe = false\n")
        args: tuple[str, ...] = ("-",)
    else:
        args = ("--stdin-filename", str(tmp_path / "Dockerfile"), "-")
    assert "pathlib" in _rewrite_modules(tmp_path, *args)


def test_escaped_exec_form_still_imports_json(tmp_path: Path) -> None:
    # Negative control: an exec form with an escape is read by the JSON decoder.
    assert "json" in _rewrite_modules(tmp_path, "-", stdin=b'FROM python:3.12\nCMD ["python", "-c", "print(\\"hi\\")"]\n')


def test_shell_completion_goes_to_click(tmp_path: Path) -> None:
    code = "import sys; from dockopt.entry import main; sys.argv = ['dockopt', 'rewrite', '-']; main()"
    env = {**_env(), "_DOCKOPT_COMPLETE": "bash_complete", "COMP_WORDS": "dockopt rew", "COMP_CWORD": "1"}
    out = subprocess.run([sys.executable, "-c", code], input=NAIVE, capture_output=True, cwd=tmp_path, env=env, check=False)
    assert out.returncode == 0
    assert b"rewrite" in out.stdout and b"FROM" not in out.stdout
