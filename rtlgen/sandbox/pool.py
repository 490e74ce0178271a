"""Run many jobs concurrently on all cores, once per distinct job, with a progress bar.

Kept as a function for the callers that have always used it; the work is ``Sandbox.run_many``, which
dedups and consults the cache before handing the distinct jobs to the executor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rtlgen.sandbox.core import Sandbox
from rtlgen.sandbox.executor import default_workers
from rtlgen.sandbox.job import Job, JobResult


def run_many(sandbox: Sandbox, jobs: Sequence[Job], *, workers: int | None = None, progress: bool | str = False,
             on_result: Callable[[int, JobResult], None] | None = None) -> list[JobResult]:
    """Results in the order of ``jobs``; see ``Sandbox.run_many``."""
    return sandbox.run_many(jobs, workers=workers, progress=progress, on_result=on_result)


__all__ = ["default_workers", "run_many"]
