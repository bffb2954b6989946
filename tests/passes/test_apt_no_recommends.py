"""DO007 apt-no-recommends: the unsafe flag insertion and where it declines."""

from __future__ import annotations

import pytest

import dockopt
from dockopt.passes import apt_no_recommends
from dockopt.passes.base import Context
from dockopt.syntax import parse
from tests.passes.harness import check_invariants

RULE = apt_no_recommends.RULE


def apply(text: str) -> tuple[str, Context]:
    doc = parse(text)
    ctx = Context(unsafe=True)
    new = RULE.apply(doc, ctx)
    if new.to_source() == text:
        assert new is doc
    return new.to_source(), ctx


def test_documented_example_is_real_output() -> None:
    result = dockopt.rewrite(RULE.before, select=[RULE.name], unsafe=True)
    assert result.text == RULE.after
    check_invariants(RULE.before, RULE.after, select=[RULE.name], unsafe=True)


def test_unsafe_only() -> None:
    assert RULE.safety == "unsafe"
    assert dockopt.rewrite(RULE.before, select=[RULE.name]).text == RULE.before
    assert "applied only with --unsafe" in RULE.explain()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("RUN apt-get install -y x", "RUN apt-get install --no-install-recommends -y x"),
        ("RUN apt-get -y install x", "RUN apt-get -y install --no-install-recommends x"),
        ("RUN apt-get install -y -q x", "RUN apt-get install --no-install-recommends -y -q x"),
        ("RUN apt install --yes x", "RUN apt install --no-install-recommends --yes x"),
        (
            "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y x",
            "RUN DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends -y x",
        ),
        ("RUN sudo -E apt-get install -y x", "RUN sudo -E apt-get install --no-install-recommends -y x"),
        (
            "RUN set -eux; apt-get update; apt-get install -y x; rm -rf /var/lib/apt/lists/*",
            "RUN set -eux; apt-get update; apt-get install --no-install-recommends -y x; rm -rf /var/lib/apt/lists/*",
        ),
        (
            "RUN apt-get -o Dpkg::Use-Pty=0 install -y x",
            "RUN apt-get -o Dpkg::Use-Pty=0 install --no-install-recommends -y x",
        ),
        (
            "RUN apt-get install \\\n      x",
            "RUN apt-get install --no-install-recommends \\\n      x",
        ),
        (
            "RUN apt-get install -y a && apt-get install -y b",
            "RUN apt-get install --no-install-recommends -y a && apt-get install --no-install-recommends -y b",
        ),
    ],
)
def test_flag_inserted_after_install(before: str, after: str) -> None:
    out, ctx = apply(f"FROM debian:12\n{before}\n")
    assert out == f"FROM debian:12\n{after}\n"
    assert all(c.line == 2 for c in ctx.changes)
    again, _ = apply(out)
    assert again == out


@pytest.mark.parametrize(
    "text",
    [
        "RUN apt-get install -y --no-install-recommends x",
        "RUN apt-get install --install-recommends -y x",
        "RUN apt-get install -o APT::Install-Recommends=0 -y x",
        "RUN apt-get update",
        "RUN apt-get purge -y x",
        "RUN apt-get build-dep -y x",
        "RUN apt-cache show x",
        "RUN echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/00r && apt-get install -y x",
    ],
)
def test_left_alone(text: str) -> None:
    out, ctx = apply(f"FROM debian:12\n{text}\n")
    assert out == f"FROM debian:12\n{text}\n"
    assert not ctx.changes and not ctx.skips


def test_earlier_apt_conf_in_parent_stage() -> None:
    text = (
        "FROM debian:12 AS base\nRUN printf 'APT::Install-Recommends \"0\";\\n' > /etc/apt/apt.conf.d/norec\n"
        "FROM base\nRUN apt-get install -y x\n"
    )
    assert apply(text)[0] == text


def test_change_message_warns() -> None:
    _, ctx = apply("FROM debian:12\nRUN apt-get install -y x\n")
    assert [c.message for c in ctx.changes] == [
        "added --no-install-recommends to `apt-get install` in RUN at line 2; "
        "packages apt only recommends are no longer installed (name any the image needs)"
    ]


def test_skips() -> None:
    text = (
        "FROM debian:12\nRUN <<EOT\napt-get install -y x\nEOT\n"
        'RUN ["apt-get", "install", "-y", "y"]\n'
        "RUN apt-get install -y $(cat a; cat b)\n"
    )
    out, ctx = apply(text)
    assert out == text
    assert [(s.line, s.message) for s in ctx.skips] == [
        (2, "RUN at line 2 runs its commands from a heredoc; add --no-install-recommends by hand"),
        (5, "RUN at line 5 is in exec (JSON) form; add --no-install-recommends by hand"),
        (
            6,
            "RUN at line 6 runs `apt-get install` inside shell text dockopt cannot read unambiguously; "
            "add --no-install-recommends by hand",
        ),
    ]


def test_suppression_shell_and_windows() -> None:
    for text in (
        "FROM debian:12\n# dockopt: ignore=apt-no-recommends\nRUN apt-get install -y x\n",
        'FROM debian:12\nSHELL ["/usr/bin/fish", "-c"]\nRUN apt-get install -y x\n',
        "FROM --platform=windows/amd64 example/x\nRUN apt-get install -y x\n",
    ):
        assert apply(text)[0] == text


def test_crlf_backtick() -> None:
    text = "# escape=`\r\nFROM debian:12\r\nRUN apt-get install -y `\r\n  x\r\n"
    out, _ = apply(text)
    assert out == "# escape=`\r\nFROM debian:12\r\nRUN apt-get install --no-install-recommends -y `\r\n  x\r\n"
