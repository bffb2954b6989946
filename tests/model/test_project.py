"""The model facts deps-first added: pyproject readers and filters, word spans, Python versions, unknown paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockopt.model import paths, project
from dockopt.model.context import BuildContext
from dockopt.model.scope import python_version
from dockopt.model.shell import parse_command, word_spans


def words(text: str) -> tuple[str, ...]:
    (cmd,) = parse_command(text).items
    return cmd.words


def test_reader_round_trip() -> None:
    code = project.dependency_reader("/app/pyproject.toml", ("web", "db"))
    assert '"' not in code and "$" not in code and "`" not in code and "\\" not in code  # fits in "..." in sh
    written = words(f'python3 -c "{code}"')
    assert project.is_dependency_reader(written)
    assert project.dependency_reader_input(written) == "/app/pyproject.toml"
    assert project.dependency_reader_input(words("python -c 'print(1)'")) is None


def test_filter_round_trip() -> None:
    assert project.local_filter_input(words(project.local_filter("req/prod.txt"))) == "req/prod.txt"
    assert project.local_filter_input(words("sed -e 's/a/b/' requirements.txt")) is None


@pytest.mark.parametrize(
    ("line", "dropped"),
    [
        ("-e .", True),
        ("  --editable = ./lib", True),
        ("./pkg[extra]", True),
        ("/srv/tool", True),
        ("-e git+https://example.com/x.git#egg=x", False),
        ("flask>=3", False),
        ("-r base.txt", False),
        ("--extra-index-url https://example.com", False),
    ],
)
def test_filtered_local_line(line: str, dropped: bool) -> None:
    assert project.filtered_local_line(line) is dropped


def test_self_reference() -> None:
    data = {
        "project": {"name": "My_Shop", "dependencies": ["flask"], "optional-dependencies": {"all": ["my-shop[web]"]}}
    }
    assert project.self_reference(data) is None
    assert project.self_reference(data, ("all",)) == "my-shop[web]"


def test_editable_with_the_path_attached_is_local(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n-e.[dev]\n-f./wheels\n")
    reqs = BuildContext(tmp_path).requirements("requirements.txt")
    assert [line for _, line in reqs.local] == ["-e.[dev]", "-f./wheels"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pip install .", ["pip", "install", "."]),
        ("A=1 B='x y' pip install '.[web]' 2>&1", ["pip", "install", "'.[web]'"]),
        ('cd /x && "pip" install -e "."', ['"pip"', "install", "-e", '"."']),
    ],
)
def test_word_spans_cover_the_words_as_written(text: str, expected: list[str]) -> None:
    cmd = parse_command(text).items[-1]
    spans = word_spans(cmd)
    assert [text[s:e] for s, e, _ in spans] == expected
    assert tuple(v for _, _, v in spans) == cmd.words


@given(st.lists(st.sampled_from(["pip", "install", "'a b'", '"c"', "x=1", "-e", ".", "2>/dev/null"]), min_size=1))
def test_word_spans_agree_with_the_parse(parts: list[str]) -> None:
    text = " ".join(parts)
    for cmd in parse_command(text).items:
        assert tuple(v for _, _, v in word_spans(cmd)) == cmd.words


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("python:3.12", (3, 12)),
        ("python:3.10-slim-bookworm", (3, 10)),
        ("docker.io/library/python:3.13.1@sha256:abc", (3, 13)),
        ("python", None),
        ("python:3", None),
        ("python:latest", None),
        ("python:slim", None),
        ("pypy:3.10", None),
    ],
)
def test_python_version(image: str, version: tuple[int, int] | None) -> None:
    assert python_version(image) == version


def test_may_overlap_compares_one_unknown_root_lexically() -> None:
    u, o = paths.UNKNOWN, paths.OPAQUE
    assert not paths.may_overlap(u + "/src", u + "/requirements.txt")
    assert paths.may_overlap(u + "/src", u + "/src/app.py")
    assert paths.may_overlap("/tmp/x", u + "/src")  # the unknown directory may be /
    assert paths.may_overlap(o + "$A/src", o + "$B/src")  # two unknowns may be one
    assert not paths.may_overlap("/app/src", "/app/requirements.txt")
