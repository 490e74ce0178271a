"""Bounded admission, one worker pool, and a result store by job id.

Every job the service runs, from any route, goes through one ``JobQueue``: a thread pool of
``workers`` threads calling the server's ``Sandbox.run`` (cache, then the executor: no second way of
running a job). Requests are admitted only while fewer than ``capacity`` jobs are queued or running;
past that ``Busy`` becomes 429 with a ``Retry-After`` estimated from the backlog.

A job sent with an id is remembered: while it runs, a retry of the same id waits for the same run; once it
has finished, its result is kept (``store_size`` results, ``store_ttl_s`` seconds) and a retry is answered
from the store. The pool runs jobs regardless of whether the client that sent them is still connected, so
a client that drops mid-batch and retries loses nothing and runs nothing twice.
"""

from __future__ import annotations

import enum
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from rtlgen.sandbox.executor import Executor, ExecutorKind, OnResult
from rtlgen.sandbox.job import Job, JobResult
from rtlgen.service.metrics import Metrics


class Source(enum.StrEnum):
    RUN = "run"  # admitted and run for this request
    ATTACHED = "attached"  # the same id was already running: this request waits for that run
    REPLAYED = "replayed"  # the same id had finished: answered from the result store


class Busy(Exception):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"the queue is full; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class JobQueue:
    def __init__(self, run: Callable[[Job], JobResult], workers: int, capacity: int, metrics: Metrics, *,
                 store_size: int = 8192, store_ttl_s: float = 900.0, store_bytes: int = 256 << 20) -> None:
        self._run = run
        self.workers = workers
        self.capacity = capacity
        self.metrics = metrics
        self.store_size = store_size
        self.store_ttl_s = store_ttl_s
        self.store_bytes = store_bytes  # the stored results' output and files together: a count alone lets a few
        self._stored_bytes = 0          # jobs with 200 MB outputs each hold gigabytes for the ttl
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rtlgen-job")
        self._lock = threading.RLock()  # a done-callback may run in the submitting thread
        self._admitted = 0
        self._running = 0
        self._in_flight: dict[str, Future] = {}
        self._done: OrderedDict[str, tuple[float, JobResult, int]] = OrderedDict()
        self._mean_s = 1.0  # moving average of a job's run time, for Retry-After
        metrics.depth = self.depth

    def depth(self) -> tuple[int, int]:
        with self._lock:
            return self._admitted - self._running, self._running

    def check_room(self, n: int) -> None:
        """``Busy`` unless ``n`` more jobs fit (routes whose job count is only known while they run)."""
        with self._lock:
            if self._admitted + n > self.capacity and self._admitted > 0:
                raise Busy(self._retry_after())

    def submit_batch(self, items: Sequence[tuple[str | None, Job]]) -> list[tuple[Future, Source]]:
        """Admit all of ``items`` (id, job) or none (``Busy``); ids already known attach or replay."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            plan: list[tuple[Future | None, Source]] = []
            new = 0
            for job_id, _job in items:
                if job_id is not None and job_id in self._done:
                    fut: Future = Future()
                    fut.set_result(self._done[job_id][1])
                    plan.append((fut, Source.REPLAYED))
                elif job_id is not None and job_id in self._in_flight:
                    plan.append((self._in_flight[job_id], Source.ATTACHED))
                else:
                    plan.append((None, Source.RUN))
                    new += 1
            if new and self._admitted + new > self.capacity and self._admitted > 0:
                raise Busy(self._retry_after())
            out = []
            seen: dict[str, Future] = {}
            for (job_id, job), (fut, source) in zip(items, plan, strict=True):
                if source is Source.RUN and job_id is not None and job_id in seen:  # the same id twice in one batch
                    fut, source = seen[job_id], Source.ATTACHED
                elif source is Source.RUN:
                    fut = self._start(job_id, job, now)
                    if job_id is not None:
                        seen[job_id] = fut
                if source is Source.REPLAYED:
                    self.metrics.replay()
                out.append((fut, source))
            return out

    def submit(self, job: Job) -> Future:
        """One job without an id and without an admission check (the route has checked room already)."""
        with self._lock:
            return self._start(None, job, time.monotonic())

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- internals (called with the lock held) ----------------------------------------------------------------
    def _start(self, job_id: str | None, job: Job, admitted_at: float) -> Future:
        self._admitted += 1
        fut = self._pool.submit(self._work, job, admitted_at)
        if job_id is not None:
            self._in_flight[job_id] = fut
        fut.add_done_callback(lambda f: self._finished(job_id, f, admitted_at))
        return fut

    def _work(self, job: Job, admitted_at: float) -> JobResult:
        with self._lock:
            self._running += 1
        started = time.monotonic()
        try:
            return self._run(job)
        finally:
            with self._lock:
                self._running -= 1
                self._mean_s = 0.9 * self._mean_s + 0.1 * (time.monotonic() - started)

    def _finished(self, job_id: str | None, fut: Future, admitted_at: float) -> None:
        result = None if fut.cancelled() or fut.exception() is not None else fut.result()
        self.metrics.job_done(result, time.monotonic() - admitted_at)
        with self._lock:
            self._admitted -= 1
            if job_id is not None:
                self._in_flight.pop(job_id, None)
                size = _result_bytes(result) if result is not None else 0
                if result is not None and size <= self.store_bytes:  # a bigger one is not kept: a retry reruns it
                    self._forget(job_id)
                    self._done[job_id] = (time.monotonic(), result, size)
                    self._stored_bytes += size
                    while len(self._done) > self.store_size or self._stored_bytes > self.store_bytes:
                        self._forget(next(iter(self._done)))

    def _forget(self, job_id: str) -> None:
        entry = self._done.pop(job_id, None)
        if entry is not None:
            self._stored_bytes -= entry[2]

    def _expire(self, now: float) -> None:
        while self._done:
            job_id, first = next(iter(self._done.items()))
            if now - first[0] <= self.store_ttl_s:
                break
            self._forget(job_id)

    def _retry_after(self) -> int:
        waves = (self._admitted - self._running) / max(1, self.workers)
        return int(min(60, max(1, math.ceil(waves * self._mean_s))))


class QueuedExecutor(Executor):
    """An ``Executor`` whose jobs go through the service's queue: the judge, the reward and ``/run_code``
    share the one pool (and its metrics) with ``/v1/jobs``."""

    def __init__(self, queue: JobQueue, inner: Executor) -> None:
        self.queue = queue
        self.inner = inner
        self.kind = ExecutorKind(inner.kind)
        self.confinement = inner.confinement

    def run(self, job: Job) -> JobResult:
        return self.queue.submit(job).result()

    def run_many(self, jobs: Sequence[Job], *, workers: int | None = None, on_result: OnResult | None = None) -> None:
        futures = {self.queue.submit(job): i for i, job in enumerate(jobs)}
        for fut in as_completed(futures):
            result = fut.result()
            if on_result:
                on_result(futures[fut], result)

    def fingerprints(self, tools):
        return self.inner.fingerprints(tools)


def _result_bytes(result: JobResult) -> int:
    """What keeping ``result`` costs, roughly: its steps' output and its files."""
    return sum(len(s.stdout) + len(s.stderr) for s in result.steps) + sum(len(v) for v in result.outputs.values())


__all__ = ["Busy", "JobQueue", "QueuedExecutor", "Source"]
