"""Prometheus text-format metrics of the service: jobs by outcome, kills by limit, queue depth, latency.

No client library: a handful of counters under one lock, rendered by ``Metrics.render`` for ``GET /metrics``.
"""

from __future__ import annotations

import enum
import threading
from collections import Counter

from rtlgen.sandbox.job import JobResult, KilledBy

# seconds from admission to result (queue wait included)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class JobOutcome(enum.StrEnum):
    OK = "ok"  # every step exited 0
    FAILED = "failed"  # a step exited non-zero (a compile error, a failing bench)
    KILLED = "killed"  # a limit stopped it (see rtlgen_job_kills_total)
    ERROR = "error"  # the sandbox could not run it


class Refusal(enum.StrEnum):
    AUTH = "auth"
    TOO_LARGE = "too_large"
    BUSY = "busy"
    BAD_REQUEST = "bad_request"


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.jobs: Counter[JobOutcome] = Counter()
        self.kills: Counter[KilledBy] = Counter()
        self.refused: Counter[Refusal] = Counter()
        self.cached = 0
        self.replayed = 0
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.depth = lambda: (0, 0)  # (queued, running), set by the queue

    def job_done(self, result: JobResult | None, seconds: float) -> None:
        with self._lock:
            if result is None:
                self.jobs[JobOutcome.ERROR] += 1
            elif result.killed_by is not KilledBy.NONE:
                self.jobs[JobOutcome.KILLED] += 1
                self.kills[result.killed_by] += 1
            else:
                self.jobs[JobOutcome.OK if result.ok else JobOutcome.FAILED] += 1
            if result is not None and result.cached:
                self.cached += 1
            i = next((k for k, edge in enumerate(LATENCY_BUCKETS) if seconds <= edge), len(LATENCY_BUCKETS))
            self.buckets[i] += 1
            self.latency_sum += seconds
            self.latency_count += 1

    def refuse(self, why: Refusal) -> None:
        with self._lock:
            self.refused[why] += 1

    def replay(self) -> None:
        with self._lock:
            self.replayed += 1

    def render(self) -> str:
        queued, running = self.depth()
        with self._lock:
            lines = ["# HELP rtlgen_jobs_total Jobs finished, by outcome.", "# TYPE rtlgen_jobs_total counter"]
            lines += [f'rtlgen_jobs_total{{status="{o.value}"}} {self.jobs[o]}' for o in JobOutcome]
            lines += ["# HELP rtlgen_job_kills_total Jobs stopped by a limit, by limit.",
                      "# TYPE rtlgen_job_kills_total counter"]
            lines += [f'rtlgen_job_kills_total{{limit="{k.value}"}} {self.kills[k]}' for k in KilledBy
                      if k is not KilledBy.NONE]
            lines += ["# HELP rtlgen_jobs_cached_total Jobs answered from the result cache.",
                      "# TYPE rtlgen_jobs_cached_total counter", f"rtlgen_jobs_cached_total {self.cached}",
                      "# HELP rtlgen_jobs_replayed_total Retried jobs answered from the result store by id.",
                      "# TYPE rtlgen_jobs_replayed_total counter", f"rtlgen_jobs_replayed_total {self.replayed}",
                      "# HELP rtlgen_requests_refused_total Requests refused, by reason.",
                      "# TYPE rtlgen_requests_refused_total counter"]
            lines += [f'rtlgen_requests_refused_total{{reason="{r.value}"}} {self.refused[r]}' for r in Refusal]
            lines += ["# HELP rtlgen_queue_depth Jobs admitted and waiting for a worker.",
                      "# TYPE rtlgen_queue_depth gauge", f"rtlgen_queue_depth {queued}",
                      "# HELP rtlgen_jobs_running Jobs running now.", "# TYPE rtlgen_jobs_running gauge",
                      f"rtlgen_jobs_running {running}",
                      "# HELP rtlgen_job_latency_seconds Admission to result, queue wait included.",
                      "# TYPE rtlgen_job_latency_seconds histogram"]
            total = 0
            for edge, count in zip(LATENCY_BUCKETS, self.buckets, strict=False):
                total += count
                lines.append(f'rtlgen_job_latency_seconds_bucket{{le="{edge}"}} {total}')
            lines.append(f'rtlgen_job_latency_seconds_bucket{{le="+Inf"}} {self.latency_count}')
            lines.append(f"rtlgen_job_latency_seconds_sum {self.latency_sum:.6f}")
            lines.append(f"rtlgen_job_latency_seconds_count {self.latency_count}")
        return "\n".join(lines) + "\n"


__all__ = ["LATENCY_BUCKETS", "JobOutcome", "Metrics", "Refusal"]
