#!/usr/bin/env bash
# Long randomised search, separate from the test suite (which runs hypothesis
# derandomised: the same examples every time). Each run draws new examples;
# pin what it finds with @example in the test that failed, then fix it or list
# it as an accepted difference.
#
#   scripts/fuzz.sh                 # 20,000 examples per property (about 20-40 minutes)
#   DOCKOPT_FUZZ_EXAMPLES=2000 scripts/fuzz.sh tests/syntax/test_properties.py
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/python -m pip install --quiet -e '.[dev]'; }
export HYPOTHESIS_PROFILE=fuzz
export DOCKOPT_FUZZ_EXAMPLES="${DOCKOPT_FUZZ_EXAMPLES:-20000}"
if [ $# -eq 0 ]; then
  set -- tests/syntax/test_properties.py tests/passes/test_properties.py tests/passes/test_metamorphic.py \
    tests/model/test_shell_dash.py
fi
exec .venv/bin/python -m pytest -p no:cacheprovider -x "$@"
