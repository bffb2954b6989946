"""Tests for the semantic view of RUN shell text (dockopt.model.shell/packages)."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dockopt.model.packages import PackageInstall, normalize_package_name, package_call
from dockopt.model.shell import (
    CommandList,
    SimpleCommand,
    _parse,
    parse_command,
)


def words(text: str) -> list[tuple[str, ...]]:
    return [c.words for c in parse_command(text).items]


def only(text: str) -> SimpleCommand:
    result = parse_command(text)
    assert not result.complex, text
    assert len(result.items) == 1, result.items
    return result.items[0]


def pkg(text: str) -> PackageInstall:
    call = package_call(only(text))
    assert call is not None, text
    return call


def check_spans(result: CommandList) -> None:
    previous_end = 0
    for item in result.items:
        assert item.raw == result.source[item.start : item.end]
        assert item.start < item.end
        assert item.start >= previous_end
        previous_end = item.end
    assert len(result.operators) == max(len(result.items) - 1, 0)


# ---------------------------------------------------------------------------
# Real Dockerfile RUN lines
# ---------------------------------------------------------------------------


def test_apt_update_install_cleanup_chain() -> None:
    text = (
        "apt-get update && apt-get install -y --no-install-recommends "
        "build-essential libpq-dev && rm -rf /var/lib/apt/lists/*"
    )
    result = parse_command(text)
    check_spans(result)
    assert not result.complex
    assert result.is_simple_and_chain
    assert result.operators == ("&&", "&&")
    assert [c.words for c in result.items] == [
        ("apt-get", "update"),
        (
            "apt-get",
            "install",
            "-y",
            "--no-install-recommends",
            "build-essential",
            "libpq-dev",
        ),
        ("rm", "-rf", "/var/lib/apt/lists/*"),
    ]
    assert result.items[2].raw == "rm -rf /var/lib/apt/lists/*"
    assert result.changes_shell_state() == []

    update = package_call(result.items[0])
    assert update is not None
    assert (update.manager, update.tool, update.action) == ("apt", "apt-get", "update")
    assert update.refreshes_index and not update.is_install
    install = package_call(result.items[1])
    assert install is not None
    assert install.is_install
    assert install.packages == ("build-essential", "libpq-dev")
    assert install.has_option("-y", "--yes", "--assume-yes")
    assert install.has_option("--no-install-recommends")
    assert package_call(result.items[2]) is None


def test_set_eux_semicolons() -> None:
    result = parse_command("set -eux; apt-get update; apt-get install -y curl")
    check_spans(result)
    assert not result.complex
    assert result.operators == (";", ";")
    assert not result.is_simple_and_chain
    assert [c.name for c in result.commands()] == ["set", "apt-get", "apt-get"]
    assert [c.raw for c in result.changes_shell_state()] == ["set -eux"]
    call = package_call(result.items[2])
    assert call is not None and call.packages == ("curl",)


def test_pip_no_cache_requirements() -> None:
    call = pkg("pip install --no-cache-dir -r requirements.txt")
    assert (call.manager, call.action) == ("pip", "install")
    assert call.requirement_files == ("requirements.txt",)
    assert call.packages == ()
    assert call.has_option("--no-cache-dir")
    assert call.option_value("-r", "--requirement") == "requirements.txt"


def test_python_m_pip_upgrade() -> None:
    call = pkg("python -m pip install --upgrade pip setuptools wheel")
    assert call.manager == "pip"
    assert call.tool == "python -m pip"
    assert call.packages == ("pip", "setuptools", "wheel")
    assert call.has_option("--upgrade")
    assert only("python -m pip install x").name == "python"


def test_cd_then_editable_install() -> None:
    result = parse_command("cd /app && pip install -e .")
    assert result.is_simple_and_chain
    assert [c.raw for c in result.changes_shell_state()] == ["cd /app"]
    call = package_call(result.items[1])
    assert call is not None
    assert call.editable == (".",)
    assert call.packages == () and call.local_paths == ()


def test_export_path_leaks_state() -> None:
    result = parse_command("export PATH=/x:$PATH && foo")
    assert result.items[0].words == ("export", "PATH=/x:$PATH")
    assert result.changes_shell_state() == [result.items[0]]
    assert result.is_simple_and_chain


def test_env_prefix_assignment() -> None:
    cmd = only("DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata")
    assert cmd.assignments == ("DEBIAN_FRONTEND=noninteractive",)
    assert cmd.words == ("apt-get", "install", "-y", "tzdata")
    assert cmd.name == "apt-get"
    assert cmd.args == ("install", "-y", "tzdata")
    assert not cmd.is_state_changing  # prefix assignments are per-command
    assert pkg("DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata").packages == ("tzdata",)


def test_apk_virtual_build_deps() -> None:
    text = "apk add --no-cache --virtual .build-deps gcc musl-dev && pip install x && apk del .build-deps"
    result = parse_command(text)
    check_spans(result)
    assert result.is_simple_and_chain
    calls = [package_call(c) for c in result.items]
    assert all(c is not None for c in calls)
    add, pip, delete = calls
    assert add is not None and pip is not None and delete is not None
    assert (add.manager, add.action) == ("apk", "add")
    assert add.packages == ("gcc", "musl-dev")  # `.build-deps` is the --virtual value
    assert add.option_value("--virtual", "-t") == ".build-deps"
    assert add.has_option("--no-cache")
    assert pip.packages == ("x",)
    assert (delete.action, delete.packages) == ("del", (".build-deps",))


def test_if_statement_is_complex_with_best_effort_items() -> None:
    result = parse_command("if [ -f x ]; then pip install -r x; fi")
    check_spans(result)
    assert result.complex
    assert not result.is_simple_and_chain
    assert [c.words for c in result.items] == [
        ("[", "-f", "x", "]"),
        ("pip", "install", "-r", "x"),
    ]
    assert result.terminator == ""


def test_curl_pipe_sh() -> None:
    result = parse_command("curl -fsSL https://x | sh")
    check_spans(result)
    assert not result.complex
    assert result.operators == ("|",)
    assert not result.is_simple_and_chain
    assert [c.name for c in result.items] == ["curl", "sh"]


def test_quoted_operators_are_one_word() -> None:
    result = parse_command('echo "a && b" > f')
    assert not result.complex
    assert len(result.items) == 1
    cmd = result.items[0]
    assert cmd.words == ("echo", "a && b")
    assert cmd.redirects == ("> f",)
    assert cmd.raw == 'echo "a && b" > f'


def test_quotes_removed_from_package_specs() -> None:
    call = pkg("pip install \"fastapi[all]>=0.100\" 'uvicorn[standard]'")
    assert call.command.words == ("pip", "install", "fastapi[all]>=0.100", "uvicorn[standard]")
    assert call.packages == ("fastapi[all]>=0.100", "uvicorn[standard]")
    assert call.package_names == ("fastapi", "uvicorn")


def test_poetry_config_and_install() -> None:
    result = parse_command("poetry config virtualenvs.create false && poetry install --no-root --only main")
    assert result.is_simple_and_chain
    config, install = (package_call(c) for c in result.items)
    assert config is not None and install is not None
    assert (config.manager, config.action) == ("poetry", "config")
    assert config.arguments == ("virtualenvs.create", "false")
    assert config.packages == () and not config.is_install
    assert install.action == "install" and install.is_install
    assert install.has_option("--no-root")
    assert install.option_value("--only") == "main"
    assert install.packages == ()


def test_poetry_without_dev() -> None:
    call = pkg("poetry install --without dev --no-interaction")
    assert call.option_value("--without") == "dev"
    assert call.has_option("--no-interaction")


def test_uv_sync_locked() -> None:
    call = pkg("uv sync --locked --no-install-project")
    assert (call.manager, call.action) == ("uv", "sync")
    assert call.is_install
    assert call.has_option("--locked") and call.has_option("--no-install-project")
    assert not call.has_option("--frozen")
    call = pkg("uv sync --frozen --no-dev")
    assert call.has_option("--frozen") and call.has_option("--no-dev")


def test_uv_pip_install() -> None:
    call = pkg("uv pip install --system --no-cache -r requirements.txt -e ./lib fastapi")
    assert (call.manager, call.tool, call.action) == ("uv", "uv", "pip install")
    assert call.is_install
    assert call.requirement_files == ("requirements.txt",)
    assert call.editable == ("./lib",)
    assert call.packages == ("fastapi",)
    assert call.has_option("--system") and call.has_option("--no-cache")


def test_pip_user_requirements() -> None:
    call = pkg("pip install --user -r requirements.txt")
    assert call.has_option("--user")
    assert call.requirement_files == ("requirements.txt",)


def test_useradd_mkdir_chown() -> None:
    result = parse_command("useradd -m app && mkdir -p /data && chown app /data")
    check_spans(result)
    assert result.is_simple_and_chain
    assert [c.name for c in result.items] == ["useradd", "mkdir", "chown"]
    assert result.changes_shell_state() == []
    assert all(package_call(c) is None for c in result.items)


def test_manage_py_is_not_pip() -> None:
    cmd = only("python manage.py collectstatic --noinput")
    assert cmd.name == "python"
    assert cmd.args == ("manage.py", "collectstatic", "--noinput")
    assert package_call(cmd) is None


def test_trailing_comment() -> None:
    result = parse_command("apt-get update && apt-get install -y curl # foo && bar")
    assert not result.complex
    assert words("apt-get update && apt-get install -y curl # foo && bar") == [
        ("apt-get", "update"),
        ("apt-get", "install", "-y", "curl"),
    ]
    assert result.items[-1].raw == "apt-get install -y curl"
    # `#` inside a word is not a comment.
    assert words("echo a#b") == [("echo", "a#b")]
    assert words("echo $# x") == [("echo", "$#", "x")]


def test_comment_lines_between_commands() -> None:
    result = parse_command("# first\nfoo\n  # second && x\nbar")
    assert not result.complex
    assert [c.words for c in result.items] == [("foo",), ("bar",)]
    assert result.operators == ("\n",)


def test_backslash_newline_continuation() -> None:
    text = "apt-get install -y \\\n    curl \\\n    git"
    result = parse_command(text)
    check_spans(result)
    assert not result.complex
    assert result.items[0].words == ("apt-get", "install", "-y", "curl", "git")
    assert result.items[0].raw == text
    # Removed, not replaced by a blank (POSIX and Docker agree).
    assert words("ec\\\nho hi") == [("echo", "hi")]
    assert words("foo &&\\\n bar") == [("foo",), ("bar",)]


def test_newline_after_operator_is_not_an_operator() -> None:
    result = parse_command("a &&\n  b ||\n c |\n d;\n e")
    assert not result.complex
    assert result.operators == ("&&", "||", "|", ";")
    result = parse_command("a\n\n\nb\n")
    assert result.operators == ("\n",)
    assert result.terminator == ""


# ---------------------------------------------------------------------------
# Words, quoting and expansions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("echo $HOME", ("echo", "$HOME")),
        ('echo "${X:-a}"', ("echo", "${X:-a}")),
        ('echo "${X:-"a b"}"', ("echo", '${X:-"a b"}')),
        ("echo ${X:-a b}", ("echo", "${X:-a b}")),
        ("echo $(uname -m)", ("echo", "$(uname -m)")),
        ('echo "$(cat "f g")"', ("echo", '$(cat "f g")')),
        ("echo `date`", ("echo", "`date`")),
        ("echo $((1 + 2))", ("echo", "$((1 + 2))")),
        ("echo a\\ b", ("echo", "a b")),
        ("echo 'it''s'", ("echo", "its")),
        ('echo "a\\"b\\$c\\d"', ("echo", 'a"b$c\\d')),
        ("echo $'a\\tb\\'c'", ("echo", "a\tb'c")),
        ('echo $"hi"', ("echo", "hi")),
        ("echo ''", ("echo", "")),
        ("echo a'b'\"c\"d", ("echo", "abcd")),
        ("mkdir -p /a/{b,c} ~/x", ("mkdir", "-p", "/a/{b,c}", "~/x")),
        ('echo "line1\nline2"', ("echo", "line1\nline2")),
        ("echo $(echo ')')", ("echo", "$(echo ')')")),
        ('echo $(echo "(" )x', ("echo", '$(echo "(" )x')),
    ],
)
def test_word_cooking(text: str, expected: tuple[str, ...]) -> None:
    result = parse_command(text)
    assert not result.complex, text
    assert [c.words for c in result.items] == [expected]


def test_redirections_are_not_words() -> None:
    cmd = only("make >/dev/null 2>&1 </dev/null &>>log 3<>f 2> err.txt")
    assert cmd.words == ("make",)
    assert cmd.redirects == (">/dev/null", "2>&1", "</dev/null", "&>>log", "3<>f", "2> err.txt")
    assert cmd.raw == "make >/dev/null 2>&1 </dev/null &>>log 3<>f 2> err.txt"
    # A digit word not directly followed by `<`/`>` stays a word.
    assert only("sleep 2 >/dev/null").words == ("sleep", "2")
    assert only("echo a2>f").words == ("echo", "a2")
    # Redirection before the command name.
    cmd = only(">/dev/null 2>&1 foo bar")
    assert (cmd.words, cmd.name) == (("foo", "bar"), "foo")
    assert cmd.raw == ">/dev/null 2>&1 foo bar"
    cmd = only("> out")
    assert (cmd.words, cmd.redirects, cmd.name) == ((), ("> out",), None)


def test_assignments() -> None:
    cmd = only('A=1 B="x y" C+=z D[0]=q cmd E=2')
    assert cmd.assignments == ("A=1", "B=x y", "C+=z", "D[0]=q")
    assert cmd.words == ("cmd", "E=2")
    cmd = only('"A"=1 cmd')  # quoted name: not an assignment
    assert cmd.assignments == () and cmd.words == ("A=1", "cmd")
    result = parse_command("FOO=bar && echo $FOO")
    assert result.items[0].words == () and result.items[0].name is None
    assert result.changes_shell_state() == [result.items[0]]


# ---------------------------------------------------------------------------
# Command names and wrappers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("apt-get install x", "apt-get", ("install", "x")),
        ("/usr/bin/apt-get install x", "apt-get", ("install", "x")),
        ("sudo apt-get install x", "apt-get", ("install", "x")),
        ("sudo -E -u root apt-get install x", "apt-get", ("install", "x")),
        ("sudo --user=app -- pip install x", "pip", ("install", "x")),
        ("env X=1 Y=2 pip install x", "pip", ("install", "x")),
        ("env -i -u HOME PATH=/b pip install x", "pip", ("install", "x")),
        ("command pip install x", "pip", ("install", "x")),
        ("command -v pip", "command", ("-v", "pip")),
        ("exec gunicorn app:app", "gunicorn", ("app:app",)),
        ("exec", "exec", ()),
        ("nohup nice -n 10 make", "make", ()),
        ("time -p make", "make", ()),
        ("env", "env", ()),
        ("./configure --prefix=/usr", "configure", ("--prefix=/usr",)),
        ("$PIP install x", "$PIP", ("install", "x")),
    ],
)
def test_name_and_args(text: str, name: str, args: tuple[str, ...]) -> None:
    cmd = only(text)
    assert cmd.name == name
    assert cmd.args == args


def test_program_keeps_directory() -> None:
    cmd = only("/opt/venv/bin/pip install x")
    assert cmd.program == "/opt/venv/bin/pip"
    assert cmd.name == "pip"
    assert only("A=1").program is None


# ---------------------------------------------------------------------------
# Shell state
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "cd /x",
        "pushd /x",
        "popd",
        "export A=1",
        "unset A",
        "source /etc/profile",
        ". /venv/bin/activate",
        "set -e",
        "shopt -s globstar",
        "umask 022",
        "ulimit -n 1024",
        "alias ll='ls -l'",
        "unalias ll",
        "exec >log 2>&1",
        "trap 'rm -f x' EXIT",
        "declare A=1",
        "declare -x A=1",
        "typeset -r A",
        "local A",
        "readonly A=1",
        'eval "$(pyenv init -)"',
        "A=1",
        "A=1 B=2 >/dev/null",
        "exit 0",
        "builtin cd /x",
        "command cd /x",
        "read -r LINE < f",
    ],
)
def test_changes_shell_state(text: str) -> None:
    result = parse_command(f"{text} && next")
    assert [c.raw for c in result.changes_shell_state()] == [result.items[0].raw]
    assert result.items[0].is_state_changing


@pytest.mark.parametrize(
    "text",
    [
        "echo cd",
        "A=1 make",
        "sudo cd /x",
        "env cd /x",
        "export",
        "set",
        "alias",
        "command -v cd",
        "cdx /x",
        "> file",
    ],
)
def test_does_not_change_shell_state(text: str) -> None:
    assert parse_command(text).changes_shell_state() == []


# ---------------------------------------------------------------------------
# Structure: chains, terminators and what counts as complex
# ---------------------------------------------------------------------------


def test_is_simple_and_chain() -> None:
    assert parse_command("a").is_simple_and_chain
    assert parse_command("").is_simple_and_chain
    assert parse_command("a && b && c").is_simple_and_chain
    assert parse_command("a && b;").is_simple_and_chain
    assert parse_command("a && b;").terminator == ";"
    assert not parse_command("a && b || c").is_simple_and_chain
    assert not parse_command("a && b &").is_simple_and_chain
    assert parse_command("a && b &").terminator == "&"
    assert not parse_command("a\nb").is_simple_and_chain
    assert not parse_command("(a && b)").is_simple_and_chain


def test_operators() -> None:
    result = parse_command("a && b || c ; d | e & f\ng |& h")
    assert not result.complex
    assert result.operators == ("&&", "||", ";", "|", "&", "\n", "|")
    assert [c.words[0] for c in result.items] == list("abcdefgh")


def test_empty_and_blank_input() -> None:
    for text in ("", "   ", "\n\n", "# only a comment", "\\\n"):
        result = parse_command(text)
        assert result.items == () and result.operators == ()
        assert not result.complex, repr(text)


@pytest.mark.parametrize(
    "text",
    [
        "(cd x && make)",
        "{ a; b; }",
        "if true; then a; fi",
        "for f in *.txt; do rm $f; done",
        "while read l; do echo $l; done < f",
        "until false; do :; done",
        "case $x in a) echo a;; esac",
        "f() { echo hi; }",
        "function f { echo hi; }",
        "[[ -f x ]] && echo y",
        "! grep -q x f",
        "arr=(1 2 3)",
        "cat <<EOF\nhello\nEOF",
        "cat <<-'EOF' > f\n\thello\n\tEOF\necho next",
        "tr a b <<< 'abc'",
        "diff <(a) >(b)",
        "echo $(cd /x && ls)",
        "echo `cd /x; ls`",
        "echo $(if true; then a; fi)",
        "echo 'unterminated",
        'echo "unterminated',
        "echo $(unterminated",
        "echo ${unterminated",
        "echo `unterminated",
        "a &&",
        "a ||",
        "a |",
        "; a",
        "a && && b",
        "a ;; b",
        "echo >",
        "a\n&& b",
        "coproc x",
    ],
)
def test_complex_constructs(text: str) -> None:
    result = parse_command(text)
    check_spans(result)
    assert result.complex, text
    assert not result.is_simple_and_chain


def test_pipeline_inside_substitution_is_not_complex() -> None:
    result = parse_command(
        'echo "deb [arch=$(dpkg --print-architecture)] x $(. /etc/os-release && echo "$VERSION_CODENAME") main"'
    )
    assert result.complex  # the second $( ) runs two commands
    result = parse_command("ARCH=$(uname -m | tr a b) && echo $ARCH")
    assert not result.complex
    assert result.items[0].assignments == ("ARCH=$(uname -m | tr a b)",)


def test_heredoc_body_is_not_commands() -> None:
    result = parse_command("cat <<EOF > /etc/x\nrm -rf / && boom\nEOF\necho done")
    assert result.complex
    assert [c.words for c in result.items] == [("cat",), ("echo", "done")]
    assert result.items[0].redirects == ("<<EOF", "> /etc/x")


def test_subshell_best_effort_items() -> None:
    result = parse_command("(cd x && make) && make install")
    check_spans(result)
    assert result.complex
    assert [c.words for c in result.items] == [("cd", "x"), ("make",), ("make", "install")]


def test_deep_nesting_does_not_raise() -> None:
    for text in ("$(" * 5000, "${" * 5000, "`" * 5001, "$((" * 3000, "(" * 5000):
        result = _parse(text, 0)
        assert result.complex or result.items == ()
        check_spans(result)
    # Escaped backticks are literal; nested ones are parsed recursively.
    assert only("echo " + "\\`" * 3000).words[1] == "`" * 3000
    assert only("echo `echo \\`date\\``").words == ("echo", "`echo \\`date\\``")
    nested = "echo " + "$(echo " * 100 + "x" + ")" * 100
    assert parse_command(nested).items[0].words[0] == "echo"


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

_SHELLISH = st.text(
    alphabet=st.sampled_from(list("ab =$(){}[]`'\"\\;&|<>#!\n\t-0123/*~.")),
    max_size=60,
)
_TOKENS = st.lists(
    st.sampled_from(
        [
            "if",
            "then",
            "fi",
            "do",
            "done",
            "case",
            "esac",
            "in",
            "<<",
            "EOF",
            "$(",
            "${",
            "$((",
            "))",
            ")",
            "}",
            "`",
            "'",
            '"',
            "\\",
            "\n",
            " ",
            ";",
            "&&",
            "||",
            "|",
            "&",
            "2>&1",
            ">",
            "<<<",
            "#",
            "x",
            "a=(",
            "pip",
            "install",
            "-r",
            "-e",
            ".",
            "[[",
            "!",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), _SHELLISH, _TOKENS))
def test_never_raises_and_spans_are_exact(text: str) -> None:
    # `_parse` is fuzzed directly so that the defensive catch-all in
    # `parse_command` cannot hide a lexer bug.
    result = _parse(text, 0)
    assert result == parse_command(text)
    assert result.source == text
    check_spans(result)
    for op in result.operators:
        assert op in ("&&", "||", ";", "|", "&", "\n")
    for item in result.items:
        assert isinstance(item.words, tuple)
        assert item.words or item.assignments or item.redirects
        package_call(item)  # must not raise either
        _ = (item.name, item.args, item.program, item.is_state_changing)


_WORD = st.text(min_size=0, max_size=12)


@settings(max_examples=300)
@given(st.lists(_WORD, min_size=1, max_size=6))
def test_shlex_quoted_words_round_trip(ws: list[str]) -> None:
    quoted = [shlex.quote(w) for w in ws]
    # The first word must not be read as a keyword or an assignment.
    assume(
        quoted[0]
        not in {
            "if",
            "then",
            "elif",
            "else",
            "fi",
            "for",
            "select",
            "while",
            "until",
            "do",
            "done",
            "case",
            "esac",
            "function",
            "coproc",
            "{",
            "}",
            "[[",
            "!",
        }
    )
    assume("=" not in quoted[0] or quoted[0].startswith("'"))
    text = " ".join(quoted)
    result = parse_command(text)
    assert not result.complex, text
    assert len(result.items) == 1
    assert result.items[0].words == tuple(ws)
    assert result.items[0].raw == text


_SAFE_WORD = st.from_regex(r"[a-z/][a-z0-9_./-]{0,8}", fullmatch=True).filter(
    lambda w: (
        w
        not in {
            "if",
            "fi",
            "do",
            "done",
            "for",
            "case",
            "esac",
            "then",
            "else",
            "elif",
            "while",
            "until",
            "select",
            "function",
            "coproc",
        }
    )
)


@settings(max_examples=200)
@given(
    st.lists(st.lists(_SAFE_WORD, min_size=1, max_size=4), min_size=1, max_size=5),
    st.lists(st.sampled_from(["&&", "||", ";", "|", "&", "\n"]), min_size=4, max_size=4),
)
def test_generated_lists_round_trip(commands: list[list[str]], ops: list[str]) -> None:
    used_ops = ops[: len(commands) - 1]
    parts = [" ".join(commands[0])]
    for op, cmd in zip(used_ops, commands[1:], strict=False):
        parts.append(f" {op} " if op != "\n" else "\n")
        parts.append(" ".join(cmd))
    text = "".join(parts)
    result = parse_command(text)
    assert not result.complex
    assert [list(c.words) for c in result.items] == commands
    assert list(result.operators) == used_ops
    check_spans(result)
    assert result.is_simple_and_chain == all(op == "&&" for op in used_ops)


def test_results_are_immutable() -> None:
    result = parse_command("a && b")
    with pytest.raises(AttributeError):
        result.complex = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.items[0].words = ()  # type: ignore[misc]
    call = pkg("pip install x")
    with pytest.raises(AttributeError):
        call.packages = ()  # type: ignore[misc]


# ---------------------------------------------------------------------------
# Package-manager calls
# ---------------------------------------------------------------------------


def test_apt_variants() -> None:
    call = pkg("sudo apt-get -qy -o Dpkg::Options::=--force-confold install curl=7.88* libc6:amd64 ./x.deb")
    assert (call.manager, call.tool, call.action) == ("apt", "apt-get", "install")
    assert call.options == ("-q", "-y", "-o")
    assert call.packages == ("curl=7.88*", "libc6:amd64")
    assert call.package_names == ("curl", "libc6")
    assert call.local_paths == ("./x.deb",)
    call = pkg("apt install -qq --no-install-recommends -t bookworm-backports vim")
    assert call.tool == "apt" and call.packages == ("vim",)
    assert call.option_value("-t") == "bookworm-backports"
    assert pkg("apt-get -y update").refreshes_index
    assert pkg("apt-get purge -y --auto-remove gcc").packages == ("gcc",)
    assert pkg("apt-get clean").action == "clean"


def test_yum_family() -> None:
    call = pkg("dnf -y --setopt=tsflags=nodocs install httpd ./x.rpm")
    assert (call.manager, call.tool, call.action) == ("yum", "dnf", "install")
    assert call.packages == ("httpd",) and call.local_paths == ("./x.rpm",)
    assert call.option_value("--setopt") == "tsflags=nodocs"
    assert pkg("microdnf install -y python3").tool == "microdnf"
    assert pkg("yum clean all").action == "clean"
    assert pkg("yum makecache").refreshes_index


def test_apk_update_and_repository_option() -> None:
    assert pkg("apk update").refreshes_index
    call = pkg("apk --no-cache add -X http://x/edge/testing foo~=1.2")
    assert call.packages == ("foo~=1.2",)
    assert call.package_names == ("foo",)
    assert call.option_value("-X") == "http://x/edge/testing"


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("pip install x", "pip"),
        ("pip3 install x", "pip3"),
        ("pip3.12 install x", "pip3.12"),
        ("/opt/venv/bin/pip install x", "pip"),
        ("python -m pip install x", "python -m pip"),
        ("python3 -m pip install x", "python3 -m pip"),
        ("python3.11 -m pip install x", "python3.11 -m pip"),
        ("python3 -Im pip install x", "python3 -m pip"),
        ("python3 -u -W ignore -m pip install x", "python3 -m pip"),
        ("/usr/local/bin/python3 -mpip install x", "python3 -m pip"),
    ],
)
def test_pip_front_ends(text: str, tool: str) -> None:
    call = pkg(text)
    assert (call.manager, call.tool, call.action, call.packages) == ("pip", tool, "install", ("x",))


def test_not_pip() -> None:
    assert package_call(only("python -m venv /opt/venv")) is None
    assert package_call(only("python -c 'import pip'")) is None
    assert package_call(only("pip --version")) is None
    assert package_call(only("pipx install poetry")) is None
    assert package_call(only("echo pip install x")) is None


def test_pip_argument_classification() -> None:
    call = pkg(
        "pip install --no-cache-dir -c constraints.txt -rreq.txt --requirement=dev.txt "
        "-e ./lib --editable=git+https://x/y#egg=y . ./dist/a.whl .[dev] src/pkg "
        "'pkg @ git+https://x/y' git+https://x/z Foo_Bar==1 --prefix /install --target=/t"
    )
    assert call.constraint_files == ("constraints.txt",)
    assert call.requirement_files == ("req.txt", "dev.txt")
    assert call.editable == ("./lib", "git+https://x/y#egg=y")
    assert call.local_paths == (".", "./dist/a.whl", ".[dev]", "src/pkg")
    assert call.packages == ("pkg @ git+https://x/y", "git+https://x/z", "Foo_Bar==1")
    assert call.package_names[-1] == "foo-bar"
    assert call.option_value("--prefix") == "/install"
    assert call.option_value("--target") == "/t"
    assert call.has_option("--no-cache-dir")


def test_pip_installs_python_tooling() -> None:
    for tool in ("poetry", "uv", "pipenv"):
        call = pkg(f"pip install --no-cache-dir {tool}==1.0")
        assert call.package_names == (tool,)
    assert pkg("pip install -U pip").package_names == ("pip",)


def test_pipenv() -> None:
    call = pkg("pipenv install --system --deploy")
    assert (call.manager, call.action) == ("pipenv", "install")
    assert call.has_option("--system") and call.has_option("--deploy")
    assert pkg("pipenv install -r requirements.txt").requirement_files == ("requirements.txt",)


def test_uv_other_verbs() -> None:
    assert pkg("uv add httpx").packages == ("httpx",)
    assert pkg("uv tool install ruff").action == "tool install"
    call = pkg("uv --no-cache pip sync requirements.txt")
    assert call.action == "pip sync" and call.arguments == ("requirements.txt",)


def test_normalize_package_name() -> None:
    assert normalize_package_name("pip", "Django[argon2]>=4;python_version>'3'") == "django"
    assert normalize_package_name("pip", "zope.interface") == "zope-interface"
    assert normalize_package_name("apt", "libpq-dev/bookworm") == "libpq-dev"
    assert normalize_package_name("apk", "python3=3.12.1-r0") == "python3"
    assert normalize_package_name("yum", "httpd-2.4") == "httpd-2.4"


def test_package_call_looks_through_env_and_sudo() -> None:
    call = pkg("env -i PATH=/x pip3 install uv")
    assert call.tool == "pip3" and call.packages == ("uv",)
    assert pkg("sudo -H pip install x").packages == ("x",)
