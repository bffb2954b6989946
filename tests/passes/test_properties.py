"""Properties of the whole pipeline over generated Dockerfiles.

For any input the parser accepts, ``dockopt.rewrite``:

* raises nothing (a ParseError is the only exception, and only for input the
  parser refuses);
* returns text that dockopt and BuildKit's parser both read;
* is idempotent: rewriting the output changes nothing;
* keeps the final stage's runtime configuration (ENTRYPOINT, CMD, USER,
  WORKDIR, EXPOSE, ENV, HEALTHCHECK, LABEL, VOLUME, STOPSIGNAL, SHELL).

Two generators feed it: the parser's generator of Dockerfile-like text (odd
syntax, heredocs, both escape characters, CRLF), and one that writes the naive
Python-service Dockerfiles the rules are for, so the rules actually fire.
``DOCKOPT_FUZZ_EXAMPLES`` raises the number of examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import dockopt
from dockopt.syntax import ParseError
from tests.passes.harness import check_invariants
from tests.syntax.strategies import dockerfiles

EXAMPLES = int(os.environ.get("DOCKOPT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BASES = ["python:3.12", "python:3.12-bookworm", "python:3.11.9", "python:3.12-slim", "python", "debian:bookworm", "${BASE}"]
APT = ["curl", "gcc", "build-essential", "libpq-dev", "jq", "git", "libxml2-dev", "ffmpeg"]
PIP = [
    "pip install -r requirements.txt",
    "pip install --no-cache-dir -r requirements.txt",
    "pip3 install flask gunicorn",
    "python -m pip install --upgrade pip",
    "pip install .",
    "pip install -e .",
    "pip install --user -r requirements.txt",
    "pip install -r requirements.txt -c constraints.txt",
    "pip install poetry && poetry install --no-root",
    "pip install pipenv && pipenv install --system --deploy",
    "pip install uv && uv sync --locked",
]
MISC_RUN = [
    "useradd -m app",
    "mkdir -p /data && chown app /data",
    "python manage.py collectstatic --noinput",
    "cd /tmp && echo hi",
    "export A=1 && echo $A",
    "set -eux; echo x",
    "chmod +x /app/entrypoint.sh",
    "echo done # trailing comment",
]


@st.composite
def naive_python_dockerfiles(draw: st.DrawFn) -> str:
    """A single-stage Python service Dockerfile in the styles people write."""
    nl = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("ARG BASE=python:3.12")
    lines.append(f"FROM {draw(st.sampled_from(BASES))}")
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["ENV PYTHONUNBUFFERED 1", "ENV PYTHONUNBUFFERED=1 APP_ENV=prod"])))
    workdir = draw(st.sampled_from(["/app", "/srv/app", None]))
    if workdir:
        lines.append(f"WORKDIR {workdir}")
    steps = draw(
        st.lists(
            st.sampled_from(["copy-all", "copy-req", "apt-update", "apt-install", "apt-both", "pip", "misc", "comment", "blank"]),
            min_size=1,
            max_size=9,
        )
    )
    for step in steps:
        if step == "copy-all":
            lines.append(draw(st.sampled_from(["COPY . .", "COPY . /app", "ADD . /app", "COPY --chown=app:app . ."])))
        elif step == "copy-req":
            lines.append(draw(st.sampled_from(["COPY requirements.txt .", "COPY pyproject.toml poetry.lock ./"])))
        elif step == "apt-update":
            lines.append("RUN apt-get update")
        elif step == "apt-install":
            pkgs = " ".join(draw(st.lists(st.sampled_from(APT), min_size=1, max_size=3, unique=True)))
            lines.append(f"RUN apt-get install -y {pkgs}")
        elif step == "apt-both":
            pkgs = " \\\n    ".join(draw(st.lists(st.sampled_from(APT), min_size=1, max_size=3, unique=True)))
            lines.append(f"RUN apt-get update && apt-get install -y \\\n    {pkgs}")
        elif step == "pip":
            lines.append(f"RUN {draw(st.sampled_from(PIP))}")
        elif step == "misc":
            lines.append(f"RUN {draw(st.sampled_from(MISC_RUN))}")
        elif step == "comment":
            lines.append(draw(st.sampled_from(["# install deps", "# dockopt: ignore=run-merge", "#"])))
        else:
            lines.append("")
    tail = draw(
        st.lists(
            st.sampled_from(
                [
                    "EXPOSE 8000",
                    "USER app",
                    "VOLUME /data",
                    "LABEL org.opencontainers.image.title=app",
                    "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1",
                    "STOPSIGNAL SIGINT",
                    'ENTRYPOINT ["/app/entrypoint.sh"]',
                    "ENTRYPOINT python -m app",
                ]
            ),
            max_size=4,
        )
    )
    lines.extend(tail)
    lines.append(draw(st.sampled_from(['CMD ["gunicorn", "app:app"]', "CMD python app.py", 'CMD ["app"]'])))
    # The last line may end without a line ending, or in a continuation nothing continues.
    return nl.join(lines) + draw(st.sampled_from([nl, "", " \\", " \\" + nl, " \\" + nl + "# end" + nl]))


def _check(text: str, **options: object) -> None:
    try:
        result = dockopt.rewrite(text, **options)  # type: ignore[arg-type]
    except ParseError:
        event("input refused by the parser")
        return
    event("changed" if result.changed else "unchanged")
    check_invariants(text, result.text, result=result, **options)


@FUZZ
@given(naive_python_dockerfiles())
def test_naive_service_files(text: str) -> None:
    _check(text)


@FUZZ
@given(naive_python_dockerfiles())
def test_naive_service_files_unsafe_user_layout(text: str) -> None:
    _check(text, unsafe=True, layout="user")


@FUZZ
@given(dockerfiles())
def test_odd_syntax(text: str) -> None:
    _check(text)
