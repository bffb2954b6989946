"""Big inputs cost time in proportion to their size: no quadratic corner.

Found by the batch tests: a run of comment lines made the table-driven parser
copy its growing child list on every reduction, and run-merge re-walked the
file for every RUN it removed (2,000 RUNs took 4 s). Each check times the
same work at two sizes in CPU time of this process (robust to a busy
machine) and requires the larger to cost less than 8 times the smaller for
4 times the input; quadratic work costs 16 times.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import dockopt


def _cpu(fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _ratio(make: Callable[[int], str], work: Callable[[str], object], n: int) -> float:
    small, large = make(n), make(4 * n)
    work(small)  # warm caches (parser table, imports)
    return _cpu(lambda: work(large)) / max(_cpu(lambda: work(small)), 1e-6)


def test_parse_is_linear_in_comment_lines() -> None:
    ratio = _ratio(lambda n: "FROM python:3.12\n" + "# padding\n" * n, dockopt.parse, 5000)
    assert ratio < 8, ratio


def test_rewrite_is_linear_in_run_instructions() -> None:
    ratio = _ratio(lambda n: "FROM python:3.12\n" + "RUN echo hi\n" * n, lambda t: dockopt.rewrite(t), 300)
    assert ratio < 8, ratio
