"""Run many jobs concurrently on all cores, once per distinct job, with a progress bar.

Jobs are external processes, so threads are enough to keep every core busy. Identical jobs in one
batch (same cache key) are run once and share the result, cache or no cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from rtlgen.sandbox.job import Job, JobResult
from rtlgen.sandbox.runner import Sandbox


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def run_many(sandbox: Sandbox, jobs: Sequence[Job], *, workers: int | None = None, progress: bool | str = False,
             on_result: Callable[[int, JobResult], None] | None = None) -> list[JobResult]:
    """Results in the order of ``jobs``. ``on_result(index, result)`` is called as each finishes
    (for every index, duplicates included), from the calling thread, so callers can append results
    to disk as they arrive and lose nothing on a crash."""
    keys = [sandbox.key(j) for j in jobs]
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    followers: dict[int, list[int]] = {}
    for i, k in enumerate(keys):
        followers.setdefault(first[k], []).append(i)
    results: list[JobResult | None] = [None] * len(jobs)
    bar = _progress(len(jobs), progress)
    ex = ThreadPoolExecutor(max_workers=workers or default_workers())
    try:
        futures = {ex.submit(sandbox.run, jobs[i], key=keys[i]): i for i in first.values()}
        for fut in as_completed(futures):
            lead = futures[fut]
            res = fut.result()
            for i in followers[lead]:
                results[i] = res
                if on_result:
                    on_result(i, res)
            if bar:
                bar.update(len(followers[lead]))
    except BaseException:
        # Ctrl-C or a failing callback: queued jobs must not go on running; those in flight end at their limits.
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)
    if bar:
        bar.close()
    return results  # type: ignore[return-value]


def _progress(total: int, progress: bool | str):
    if not progress or total <= 1:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=progress if isinstance(progress, str) else "jobs", unit="job", leave=False)
