"""Running repositories in parallel worker processes.

A repository is the unit of work: its git commands, its scratch snapshot and
its branch belong to one process, so two workers never write to one
repository. Workers come from a fork server (``spawn`` where there is none),
never from ``fork`` of this process: the parent may be running rich's refresh
thread, and forking a process with threads can deadlock the child. The fork
server is a fresh interpreter that imports the rules once (half of a
worker's start-up) and forks each worker from that clean state. ``--jobs 1``
runs in this process. A worker that dies takes only its repositories with it: they are
recorded as errors and the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from .discover import Repository
from .options import Options
from .records import RepoRecord, RepoResult
from .repository import process_repository
from .verifying import VerifyFn

OnResult = Callable[[RepoResult], None]

#: Imported once by the fork server, so each worker starts with the rules loaded.
PRELOAD = ("dockopt.batch.repository", "dockopt.pipeline")


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run(
    repos: Sequence[Repository],
    opts: Options,
    *,
    jobs: int = 1,
    verify: VerifyFn | None = None,
    previous: Mapping[str, RepoResult] | None = None,
    on_result: OnResult | None = None,
) -> list[RepoResult]:
    """Process every repository; results in identifier order. ``previous``: the --resume report's results."""
    previous = previous or {}
    results: list[RepoResult] = []

    def done(result: RepoResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    if jobs <= 1 or len(repos) <= 1:
        for repo in repos:
            done(process_repository(repo, opts, verify, previous.get(repo.id)))
    else:
        context = _context()
        workers = min(jobs, len(repos))
        setup = (dict(os.environ), os.getcwd())
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_adopt, initargs=setup) as pool:
            futures: dict[Future[RepoResult], Repository] = {
                pool.submit(process_repository, repo, opts, verify, previous.get(repo.id)): repo for repo in repos
            }
            try:
                for future in as_completed(futures):
                    done(_result(future, futures[future], opts, verify is not None))
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    return sorted(results, key=lambda r: r.repo.repository)


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one (a clean server process imports dockopt once and forks each worker), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def _adopt(environ: dict[str, str], cwd: str) -> None:
    """A worker takes this run's environment and folder: a fork server keeps those of the run that started it."""
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)


def _result(future: Future[RepoResult], repo: Repository, opts: Options, verify: bool) -> RepoResult:
    try:
        return future.result()
    except Exception as exc:  # the worker process died, or the result could not be sent back
        record = RepoRecord(
            repo.id,
            str(repo.path),
            head=None,
            status="error",
            mode=opts.mode,
            branch=opts.branch,
            verify=verify,
            reason=f"the worker process failed: {type(exc).__name__}: {exc}",
        )
        return RepoResult(record)
