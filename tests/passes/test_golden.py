"""Every golden pair: exact output, BuildKit parses it, idempotent, same runtime behaviour."""

from __future__ import annotations

import pytest

from tests.conftest import read_exact
from tests.passes.harness import Case, cases, check_invariants, run


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_golden_pair(case: Case) -> None:
    result = run(case)
    expected = read_exact(case.after)
    assert result.text == expected
    check_invariants(read_exact(case.before), result.text, result=result, **case.options)
