"""Metamorphic property: the same Dockerfile written in another style gets the same rewrite.

"The same" is judged the way BuildKit reads the output: instructions, their
flags and arguments, their stages (``syntax/reading.py``), and the rules that
fired. Shell text is compared with runs of blanks folded, because dockopt
writes new RUN lines in the file's own indentation, which a shell does not
see. Each style is a transform of the text that BuildKit reads as the same
file (checked for every input before the rewrite is compared, so a transform
that changed the meaning would fail here, not hide a difference):

CRLF line endings, no final newline, an open continuation at the end of the
file, lowercase keywords, ``# escape=``` with backtick continuations, a tab
after each keyword, blank lines between instructions, comment lines inside
continuations, indented instructions, and all of them at once.

Inputs: every example app's Dockerfile (with its build context), the rule fixtures' inputs and generated
naive Python-service Dockerfiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import dockerfile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dockopt
from dockopt.engine import load_apps
from dockopt.syntax import Dockerfile, Instruction, parse, reading
from tests.conftest import FIXTURES, read_exact
from tests.passes.harness import Case, cases
from tests.passes.test_properties import EXAMPLES, naive_python_dockerfiles

Transform = Callable[[str], str | None]  # None: the transform does not apply to this text


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _instruction_starts(doc: Dockerfile) -> set[int]:
    """0-based indexes of the physical lines where an instruction's keyword stands."""
    out = set()
    for ins in doc.instructions:
        assert ins.line is not None
        out.add(ins.line - 1 + _lead_lines(ins))
    return out


def _lead_lines(ins: Instruction) -> int:
    """Lines held by escape-only lines before the keyword (rare), so the keyword is on line + this."""
    n = 0
    for part in ins.parts:
        if part.type == "KEYWORD":
            return n
        n += str(part).count("\n")
    return n


def crlf(text: str) -> str | None:
    # A heredoc body is delivered as written: its lines would end in \r\n (another file).
    if "\r" in text or any(ins.heredocs for ins in parse(text).instructions):
        return None
    return text.replace("\n", "\r\n")


def no_final_newline(text: str) -> str | None:
    stripped = text.rstrip("\r\n")
    return None if stripped == text or parse(text).instructions[-1].heredocs else stripped


def open_continuation_at_end(text: str) -> str | None:
    """Append ``\\`` to the last line of the last instruction (BuildKit reads it as nothing there)."""
    doc = parse(text)
    last = doc.instructions[-1]
    if last.heredocs or doc.trailing or last.end_line is None:
        return None
    lines = _lines(text)
    index = last.end_line - 1
    body = lines[index].rstrip("\r\n")
    if body.rstrip().endswith(doc.escape):
        return None
    return "".join(lines[:index]) + body + " " + doc.escape + lines[index][len(body) :] + "".join(lines[index + 1 :])


def lowercase_keywords(text: str) -> str | None:
    doc = parse(text)
    lines = _lines(text)
    for index in _instruction_starts(doc):
        lines[index] = re.sub(r"^(\s*)([A-Za-z]+)", lambda m: m.group(1) + m.group(2).lower(), lines[index], count=1)
    return "".join(lines)


def tab_after_keyword(text: str) -> str | None:
    doc = parse(text)
    lines = _lines(text)
    for index in _instruction_starts(doc):
        lines[index] = re.sub(r"^(\s*[A-Za-z]+) ", r"\1\t", lines[index], count=1)
    return "".join(lines)


def indented(text: str) -> str | None:
    doc = parse(text)
    if doc.directives:
        return None
    lines = _lines(text)
    for index in _instruction_starts(doc):
        lines[index] = "  " + lines[index]
    return "".join(lines)


def blank_lines_between(text: str) -> str | None:
    doc = parse(text)
    nl = "\r\n" if "\r\n" in text else "\n"
    lines = _lines(text)
    starts = sorted(_instruction_starts(doc))
    for index in reversed(starts[1:]):
        lines.insert(index, nl)
    return "".join(lines)


def comments_in_continuations(text: str) -> str | None:
    doc = parse(text)
    if not any(p.type == "CONTINUATION" for ins in doc.instructions for p in ins.parts):
        return None
    nl = "\r\n" if "\r\n" in text else "\n"
    out = []
    for line in _lines(text):
        out.append(line)
        body = line.rstrip("\r\n")
        if body.endswith(doc.escape) and not body.lstrip().startswith("#") and line != body:
            out.append(f"    # a note inside the continuation{nl}")
    return "".join(out)


def backtick_escape(text: str) -> str | None:
    """``# escape=``` with every continuation in backticks: only where ``\\`` means nothing else."""
    doc = parse(text)
    if doc.directives or doc.escape != "\\" or "`" in text or any(ins.heredocs for ins in doc.instructions):
        return None
    out = []
    for line in _lines(text):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        stripped = body.rstrip(" \t")
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            body = stripped[:-1] + "`" + body[len(stripped) :]
        if "\\" in body:
            return None  # a backslash that is not a continuation would change meaning
        out.append(body + ending)
    nl = "\r\n" if "\r\n" in text else "\n"
    return f"# escape=`{nl}" + "".join(out)


def all_at_once(text: str) -> str | None:
    out = text
    for t in (backtick_escape, comments_in_continuations, blank_lines_between, tab_after_keyword, lowercase_keywords, crlf, no_final_newline, open_continuation_at_end):
        out = t(out) or out
    return out if out != text else None


TRANSFORMS: dict[str, Transform] = {
    "crlf": crlf,
    "no-final-newline": no_final_newline,
    "open-continuation-at-end": open_continuation_at_end,
    "lowercase-keywords": lowercase_keywords,
    "escape-backtick": backtick_escape,
    "tab-after-keyword": tab_after_keyword,
    "blank-lines-between": blank_lines_between,
    "comments-in-continuations": comments_in_continuations,
    "indented": indented,
    "all-at-once": all_at_once,
}

_SHELL_FORM = frozenset({"RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"})


def _normal(doc: Dockerfile) -> list[Any]:
    """BuildKit's reading with blank runs in shell text folded (indentation of new lines is style)
    and FROM's ``AS`` upper-cased (BuildKit reads it in any case; new lines follow the file's case)."""
    _, items = reading.read(doc)
    out = []
    for item in items:
        stage, keyword, flags, value, is_json, heredocs, child = item
        if keyword in _SHELL_FORM and not is_json:
            value = tuple(" ".join(v.split()) for v in value)
        if keyword == "FROM" and len(value) == 3:
            value = (value[0], value[1].upper(), value[2])  # BuildKit reads `AS` in any case
        out.append((stage, keyword, flags, value, is_json, heredocs, child))
    return out


def check_same_rewrite(text: str, variant: str, **options: Any) -> None:
    # The transform itself must keep BuildKit's reading, or the comparison proves nothing.
    assert _normal(parse(variant)) == _normal(parse(text)), "the transform changed the file's meaning"
    want = dockopt.rewrite(text, **options)
    got = dockopt.rewrite(variant, **options)
    assert sorted(c.rule for c in got.changes) == sorted(c.rule for c in want.changes), (
        f"different rules fired\n--- original rewrite:\n{want.text}\n--- variant rewrite:\n{got.text}"
        f"\nskips: {got.skips}"
    )
    assert _normal(parse(got.text)) == _normal(parse(want.text)), (
        f"BuildKit reads the two rewrites differently\n--- original rewrite:\n{want.text}\n--- variant rewrite:\n{got.text}"
    )
    assert not [s for s in got.skips if s.guard], got.skips


APPS = load_apps(FIXTURES / "apps")


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_example_apps_in_every_style(app: Any, name: str) -> None:
    text = read_exact(app.dockerfile)
    variant = TRANSFORMS[name](text)
    if variant is None:
        pytest.skip(f"{name} does not apply to this file")
    check_same_rewrite(text, variant, context_dir=app.dir)



FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(naive_python_dockerfiles(), st.sampled_from(sorted(TRANSFORMS)))
def test_generated_files_in_every_style(text: str, name: str) -> None:
    variant = TRANSFORMS[name](text)
    if variant is None:
        return
    check_same_rewrite(text, variant)


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_golden_inputs_in_every_style(case: Case) -> None:
    """The rule fixtures' inputs too: odd syntax the example apps don't have (heredocs, backticks, CRLF)."""
    text = read_exact(case.before)
    for name, transform in TRANSFORMS.items():
        variant = transform(text)
        if variant is not None:
            try:
                check_same_rewrite(text, variant, **case.options)
            except AssertionError as exc:
                raise AssertionError(f"style {name}: {exc}") from None


def _cut_after_install(text: str) -> str | None:
    """The file up to the end of its last dependency-install RUN (the shape the issue reported)."""
    doc = parse(text)
    installs = [
        ins
        for ins in doc.instructions
        if ins.keyword == "RUN" and re.search(r"\b(pip3?|poetry|pipenv|uv)\b.*\b(install|sync)\b", ins.logical)
    ]
    if not installs or installs[-1].end_line is None:
        return None
    return "".join(_lines(text)[: installs[-1].end_line])


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_app_cut_after_its_install_with_an_open_continuation(app: Any) -> None:
    """``RUN pip install ... \\`` as the last line: the split's runtime stage must be a stage for BuildKit."""
    cut = _cut_after_install(read_exact(app.dockerfile))
    if cut is None:
        pytest.skip("no install RUN")
    variant = open_continuation_at_end(cut)
    assert variant is not None
    check_same_rewrite(cut, variant, context_dir=app.dir)
    # The split alone, without the rules that may close the RUN for their own edits first.
    for options in ({}, {"select": ["multi-stage", "slim-base"]}):
        result = dockopt.rewrite(variant, context_dir=app.dir, **options)
        assert not [s for s in result.skips if s.guard], result.skips
        want = dockopt.rewrite(cut, context_dir=app.dir, **options)
        assert sorted(c.rule for c in result.changes) == sorted(c.rule for c in want.changes)
        buildkit_froms = [c for c in dockerfile.parse_string(result.text) if c.cmd.upper() == "FROM"]
        assert len(buildkit_froms) == len(parse(result.text).stages) == len(parse(want.text).stages)
