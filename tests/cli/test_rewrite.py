"""``dockopt rewrite``: modes, exit codes, byte-exact stdin/stdout, atomic writes, errors."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from dockopt import fileio
from tests.cli.conftest import Invoke, write

NAIVE = 'FROM python:3.12\nRUN echo old\nCMD ["app"]\n'
OPTIMAL = 'FROM python:3.12\nRUN echo new\nCMD ["app"]\n'


# -- stdin / stdout ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b'\xef\xbb\xbfFROM python:3.12\r\nRUN echo new \xe9\r\nCMD ["app"]',  # BOM, CRLF, Latin-1 byte, no final newline
        b"FROM a\n\n# comment\r\nRUN echo new  \t\n",
        b"# escape=`\nFROM a\nRUN echo `\n  new\n",
    ],
    ids=["bom-crlf-latin1-no-eol", "mixed-endings", "backtick"],
)
def test_stdin_unchanged_is_byte_identical(invoke: Invoke, data: bytes) -> None:
    result = invoke("rewrite", "-", input=data)
    assert result.exit_code == 0
    assert result.stdout_bytes == data


def test_stdin_changed_keeps_everything_else(invoke: Invoke) -> None:
    data = b"\xef\xbb\xbfFROM a\r\nRUN echo old \xe9\r\nCMD x"
    result = invoke("rewrite", "-", input=data)
    assert result.exit_code == 0  # an editor gets the file, not a failure
    assert result.stdout_bytes == b"\xef\xbb\xbfFROM a\r\nRUN echo new \xe9\r\nCMD x"
    assert "<stdin>:2: DO901 [changed] replaced old with new" in result.stderr


def test_stdin_filename_names_messages_and_diff(invoke: Invoke) -> None:
    result = invoke("rewrite", "--diff", "--stdin-filename", "svc/Dockerfile", "-", input=NAIVE)
    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n")
    assert "svc/Dockerfile:2: DO901 [changed]" in result.stderr


def test_stdin_check_prints_nothing_on_stdout(invoke: Invoke) -> None:
    assert invoke("rewrite", "--check", "-", input=NAIVE).exit_code == 1
    result = invoke("rewrite", "--check", "-", input=OPTIMAL)
    assert result.exit_code == 0
    assert result.stdout_bytes == b""


def test_stdin_parse_error_prints_no_file(invoke: Invoke) -> None:
    result = invoke("rewrite", "-", input="FROM a\nENV ONLYKEY\n")
    assert result.exit_code == 2
    assert result.stdout_bytes == b""
    assert "<stdin>:2:1: ENV must have two arguments" in result.stderr


# -- --diff / --check / default -----------------------------------------------------------------


def test_default_mode_is_diff(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "Dockerfile")
    assert result.exit_code == 1
    assert result.stdout == (
        '--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,3 +1,3 @@\n FROM python:3.12\n-RUN echo old\n+RUN echo new\n CMD ["app"]\n'
    )
    assert (tmp_path / "Dockerfile").read_text() == NAIVE  # the default never writes


def test_diff_headers_and_exit_codes(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "svc" / "Dockerfile", NAIVE)
    write(tmp_path / "ok" / "Dockerfile", OPTIMAL)
    changed = invoke("rewrite", "--diff", "svc/Dockerfile")
    assert changed.exit_code == 1
    assert changed.stdout.splitlines()[:2] == ["--- a/svc/Dockerfile", "+++ b/svc/Dockerfile"]
    same = invoke("rewrite", "--diff", "ok/Dockerfile")
    assert same.exit_code == 0
    assert same.stdout == ""


def test_diff_marks_missing_final_newline(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM a\nRUN echo old")
    result = invoke("rewrite", "Dockerfile")
    assert "-RUN echo old\n\\ No newline at end of file\n+RUN echo new\n\\ No newline at end of file\n" in result.stdout


def test_check_reports_without_diff(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "--check", "Dockerfile")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Dockerfile:2: DO901 [changed] replaced old with new" in result.stderr
    assert "1 file would be rewritten" in result.stderr
    write(tmp_path / "Dockerfile", OPTIMAL)
    assert invoke("rewrite", "--check", "Dockerfile").exit_code == 0


def test_check_with_diff_prints_the_diff(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "--check", "--diff", "Dockerfile")
    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/Dockerfile")


def test_skips_are_shown_by_default_and_hidden_by_quiet(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM a\nRUN echo old keep\n")
    shown = invoke("rewrite", "Dockerfile")
    assert shown.exit_code == 0
    assert "Dockerfile:2: DO901 [skipped] the RUN says keep" in shown.stderr
    quiet = invoke("rewrite", "--quiet", "Dockerfile")
    assert quiet.stderr == ""


def test_skips_that_ask_nothing_show_only_with_verbose(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM a\nRUN echo fine\nRUN echo keep\n")
    default = invoke("rewrite", "Dockerfile")
    assert "the RUN is already fine" not in default.stderr
    assert "Dockerfile:3: DO901 [skipped] the RUN says keep" in default.stderr
    verbose = invoke("rewrite", "-v", "Dockerfile")
    assert "Dockerfile:2: DO901 [info] the RUN is already fine" in verbose.stderr
    assert "Dockerfile:3: DO901 [skipped] the RUN says keep" in verbose.stderr
    as_json = invoke("rewrite", "--format", "json", "Dockerfile")
    skips = json.loads(as_json.stdout)["files"][0]["skips"]
    assert [(s["message"], s["actionable"]) for s in skips] == [
        ("the RUN is already fine", False),
        ("the RUN says keep", True),
    ]
    sarif = json.loads(invoke("rewrite", "--format", "sarif", "Dockerfile").stdout)
    texts = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert texts == ["skipped: the RUN says keep"]


def test_verbose_lists_unchanged_files(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", OPTIMAL)
    result = invoke("rewrite", "--verbose", "Dockerfile")
    assert "Dockerfile: unchanged" in result.stderr
    assert "0 files would be rewritten, 1 unchanged." in result.stderr


def test_skip_file_comment_is_reported(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "# dockopt: skip-file\nFROM a\nRUN echo old\n")
    result = invoke("rewrite", "Dockerfile")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "Dockerfile: skipped (# dockopt: skip-file)" in result.stderr


# -- --write -------------------------------------------------------------------------------------


def test_write_keeps_mode_and_line_endings_and_matches_the_diff(invoke: Invoke, tmp_path: Path) -> None:
    original = b'FROM python:3.12\r\n# note\r\nRUN echo old \\\r\n    && true\r\nCMD ["app"]'
    target = write(tmp_path / "Dockerfile", original)
    target.chmod(0o640)
    diff = invoke("rewrite", "--diff", "Dockerfile").stdout_bytes
    result = invoke("rewrite", "--write", "Dockerfile")
    assert result.exit_code == 0
    assert "1 file rewritten" in result.stderr
    written = target.read_bytes()
    assert written == original.replace(b"old", b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]  # no temp file left behind
    # The diff, applied to the original, gives exactly what --write wrote.
    if shutil.which("patch"):
        copy = write(tmp_path / "applied" / "Dockerfile", original)
        subprocess.run(["patch", "-p1", "--binary", "--quiet"], input=diff, cwd=copy.parent, check=True)
        assert copy.read_bytes() == written
    assert invoke("rewrite", "--check", "Dockerfile").exit_code == 0  # nothing left to do


def test_write_leaves_unchanged_files_untouched(invoke: Invoke, tmp_path: Path) -> None:
    target = write(tmp_path / "Dockerfile", OPTIMAL)
    os.utime(target, (1_000_000, 1_000_000))
    assert invoke("rewrite", "--write", "Dockerfile").exit_code == 0
    assert target.stat().st_mtime == 1_000_000


def test_write_through_symlink_keeps_the_link(invoke: Invoke, tmp_path: Path) -> None:
    real = write(tmp_path / "real" / "Dockerfile", NAIVE)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real)
    assert invoke("rewrite", "--write", "Dockerfile").exit_code == 0
    assert link.is_symlink()
    assert real.read_text() == OPTIMAL


def test_write_failure_leaves_the_file_whole(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write(tmp_path / "Dockerfile", NAIVE)

    def full_disk(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    result = invoke("rewrite", "--write", "Dockerfile")
    assert result.exit_code == 2
    assert "Dockerfile: cannot write (No space left on device); the file was not changed" in result.stderr
    assert target.read_text() == NAIVE
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


def test_write_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    target = write(tmp_path / "Dockerfile", "FROM b\n")
    with pytest.raises(fileio.FileError, match="changed on disk"):
        fileio.write_atomic(target, b"FROM c\n", expected=b"FROM a\n")
    assert target.read_text() == "FROM b\n"


def test_write_does_not_touch_a_file_that_failed(invoke: Invoke, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad" / "Dockerfile", "FROM a\nRUN echo old\nENV X\n")
    good = write(tmp_path / "good" / "Dockerfile", NAIVE)
    result = invoke("rewrite", "--write", "bad/Dockerfile", "good/Dockerfile")
    assert result.exit_code == 2
    assert bad.read_text() == "FROM a\nRUN echo old\nENV X\n"
    assert good.read_text() == OPTIMAL


# -- errors ----------------------------------------------------------------------------------------


def test_parse_error_has_location_and_caret_and_no_traceback(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM a\n  ENV ONLYKEY\n")
    result = invoke("rewrite", "Dockerfile")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:3] == ["Dockerfile:2:3: ENV must have two arguments", "    ENV ONLYKEY", "    ^"]
    assert "Traceback" not in result.output


def test_missing_file_is_an_error_but_others_still_run(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "nope/Dockerfile", "Dockerfile")
    assert result.exit_code == 2  # worst of 2 (missing) and 1 (changes)
    assert "nope/Dockerfile: no such file" in result.stderr
    assert "+RUN echo new" in result.stdout


def test_unreadable_file(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "Dockerfile", NAIVE)

    def denied(path: object, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(path))

    # Root ignores file modes, so the refusal is simulated where dockopt opens the file.
    monkeypatch.setattr("dockopt.textio.open", denied, raising=False)
    result = invoke("rewrite", "Dockerfile")
    assert result.exit_code == 2
    assert "Dockerfile: cannot read (Permission denied)" in result.stderr


def test_crashing_rule_is_an_internal_error_without_traceback(invoke: Invoke, tmp_path: Path) -> None:
    target = write(tmp_path / "Dockerfile", "FROM a\nRUN crash old\n")
    result = invoke("rewrite", "--write", "Dockerfile")
    assert result.exit_code == 2
    assert "Dockerfile: internal error in rule DO903, please report; file not changed" in result.stderr
    assert "RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_text() == "FROM a\nRUN crash old\n"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback(invoke: Invoke, tmp_path: Path, how: str) -> None:
    write(tmp_path / "Dockerfile", "FROM a\nRUN crash\n")
    if how == "flag":
        result = invoke("rewrite", "--debug", "Dockerfile")
    else:
        result = invoke("rewrite", "Dockerfile", env={"DOCKOPT_DEBUG": "1"})
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "internal error in rule DO903" in result.stderr


def test_unparseable_output_is_blamed_on_its_rule(invoke: Invoke, tmp_path: Path) -> None:
    target = write(tmp_path / "Dockerfile", "FROM a\nRUN break\n")
    result = invoke("rewrite", "--write", "Dockerfile")
    assert result.exit_code == 2
    assert "internal error in rule DO904, please report; file not changed" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_text() == "FROM a\nRUN break\n"


def test_unexpected_error_outside_the_rules(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dockopt import rewriting

    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(rewriting, "plan", broken)
    write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "Dockerfile")
    assert result.exit_code == 2
    assert "internal error: KeyError" in result.stderr
    assert "Traceback" not in result.output
    debug = invoke("--debug", "rewrite", "Dockerfile")
    assert "Traceback" in debug.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no paths given"),
        (("--write", "--check", "Dockerfile"), "--write and --check"),
        (("--write", "-"), "--write needs files"),
        (("-", "Dockerfile"), "cannot be combined"),
        (("--stdin-filename", "x", "Dockerfile"), "only used with -"),
        (("--isolated", "--config", "c.toml", "Dockerfile"), "contradict"),
        (("--format", "xml", "Dockerfile"), "xml"),
    ],
)
def test_usage_errors_exit_2(invoke: Invoke, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    write(tmp_path / "c.toml", "")
    result = invoke("rewrite", *args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
def test_unknown_rule_exits_2(invoke: Invoke, tmp_path: Path, flag: str) -> None:
    target = write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "--write", flag, "fake-rename,no-such-rule", "Dockerfile")
    assert result.exit_code == 2
    assert "unknown rule 'no-such-rule'" in result.stderr
    assert target.read_text() == NAIVE


# -- rule selection ----------------------------------------------------------------------------------


def test_select_and_ignore_by_id_or_name(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    assert invoke("rewrite", "--ignore", "DO901", "Dockerfile").exit_code == 0
    assert invoke("rewrite", "--ignore", "fake-rename", "Dockerfile").exit_code == 0
    assert invoke("rewrite", "--select", "fake-crash", "--select", "fake-unsafe", "Dockerfile").exit_code == 0
    assert invoke("rewrite", "--select", "fake-unsafe,do901", "Dockerfile").exit_code == 1


def test_unsafe_rules_need_the_flag(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM a\nRUN risky\n")
    assert invoke("rewrite", "Dockerfile").exit_code == 0
    result = invoke("rewrite", "--unsafe", "Dockerfile")
    assert result.exit_code == 1
    assert "+RUN tamed" in result.stdout


def test_inline_suppression_is_honoured(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM a\n# dockopt: ignore=fake-rename\nRUN echo old\n")
    assert invoke("rewrite", "Dockerfile").exit_code == 0


# -- several files and folders -----------------------------------------------------------------------


def test_directory_recursion(invoke: Invoke, tmp_path: Path) -> None:
    for name in [
        "Dockerfile",
        "svc/api.Dockerfile",
        "svc/Dockerfile.prod",
        "svc/Containerfile",
        "deep/er/Dockerfile",
    ]:
        write(tmp_path / "repo" / name, NAIVE)
    for name in [
        ".git/Dockerfile",
        "node_modules/pkg/Dockerfile",
        ".venv/lib/Dockerfile",
        "svc/Dockerfile.prod.dockerignore",
        "svc/README.md",
    ]:
        write(tmp_path / "repo" / name, "not a Dockerfile at all\n")
    result = invoke("rewrite", "--check", "repo")
    assert result.exit_code == 1
    touched = sorted(line.split(":")[0] for line in result.stderr.splitlines() if "[changed]" in line)
    assert touched == [
        "repo/Dockerfile",
        "repo/deep/er/Dockerfile",
        "repo/svc/Containerfile",
        "repo/svc/Dockerfile.prod",
        "repo/svc/api.Dockerfile",
    ]
    assert "5 files would be rewritten, 0 unchanged." in result.stderr


def test_folder_without_dockerfiles_warns(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("rewrite", "empty")
    assert result.exit_code == 0
    assert "warning: no Dockerfiles found in empty" in result.stderr


def test_worst_exit_code_wins_and_each_file_is_reported(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "a" / "Dockerfile", NAIVE)
    write(tmp_path / "b" / "Dockerfile", OPTIMAL)
    write(tmp_path / "c" / "Dockerfile", "FROM a\nENV X\n")
    result = invoke("rewrite", "--check", "a/Dockerfile", "b/Dockerfile", "c/Dockerfile")
    assert result.exit_code == 2
    assert "a/Dockerfile:2: DO901 [changed]" in result.stderr
    assert "c/Dockerfile:2:1: ENV must have two arguments" in result.stderr
    assert "1 file would be rewritten, 1 unchanged, 1 error." in result.stderr
    assert invoke("rewrite", "--check", "a/Dockerfile", "b/Dockerfile").exit_code == 1


def test_the_same_file_twice_is_processed_once(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    result = invoke("rewrite", "Dockerfile", "./Dockerfile", ".")
    assert result.stdout.count("--- a/Dockerfile") == 1


# -- colour ---------------------------------------------------------------------------------------------


def test_colour_only_when_asked_or_on_a_terminal(invoke: Invoke, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", NAIVE)
    plain = invoke("rewrite", "Dockerfile")
    assert "\x1b[" not in plain.stdout
    coloured = invoke("rewrite", "--color", "Dockerfile")
    assert "\x1b[31m-RUN echo old" in coloured.stdout
    assert "\x1b[32m+RUN echo new" in coloured.stdout
    assert "\x1b[" not in invoke("rewrite", "Dockerfile", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" not in invoke("rewrite", "--no-color", "Dockerfile", env={"FORCE_COLOR": "1"}).stdout


def test_use_color_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from dockopt.report import use_color

    class Tty:
        def isatty(self) -> bool:
            return True

    for var in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(var, raising=False)
    assert use_color(None, Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(None, Tty())
    assert use_color(True, Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not use_color(None, Tty())
