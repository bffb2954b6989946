#!/usr/bin/env bash
# The whole test suite, from a fresh clone: a virtualenv with dockopt and its
# test dependencies, a Docker engine and the stand-in base images where this
# machine can provide them (root + Debian), then pytest.
#
# Without an engine the real-build tests skip and say why; set
# DOCKOPT_REQUIRE_DOCKER=1 (CI does) to make a missing engine an error instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  if bash scripts/docker-engine.sh && bash scripts/stand-in-images.sh; then
    :
  elif [ "${DOCKOPT_REQUIRE_DOCKER:-0}" = 1 ]; then
    echo "test.sh: no Docker engine or base images, and DOCKOPT_REQUIRE_DOCKER=1" >&2
    exit 1
  else
    echo "test.sh: no Docker engine here; the real-build tests will skip" >&2
  fi
fi

exec .venv/bin/python -m pytest "$@"
