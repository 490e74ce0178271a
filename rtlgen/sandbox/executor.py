"""Where jobs run: the one seam between rtlgen and the machines that execute untrusted code.

An ``Executor`` runs ``Job``s and returns ``JobResult``s; ``Sandbox`` (``rtlgen.sandbox.core``) keeps the
result cache and same-job dedup in front of whichever executor it holds. Implementations:

- ``local``: bubblewrap on this machine (``rtlgen.sandbox.runner.LocalExecutor``), the default;
- ``unsafe-local``: limits and a fresh dir only, for trusted code, an explicit opt-in;
- ``remote:URL``: an ``rtlgen serve`` instance over HTTP (``rtlgen.sandbox.remote``);
- ``ray:ADDRESS``: actors on a Ray cluster, each holding a node-local sandbox (``rtlgen.sandbox.ray_executor``).

The spec is one string, from ``--executor``, a YAML ``executor:`` key or ``$RTLGEN_EXECUTOR``.
"""

from __future__ import annotations

import abc
import enum
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from rtlgen.errors import InputError, SandboxUnavailableError
from rtlgen.sandbox.job import Job, JobResult
from rtlgen.sandbox.tools import fingerprint

ENV_VAR = "RTLGEN_EXECUTOR"
OnResult = Callable[[int, JobResult], None]


class ExecutorKind(enum.StrEnum):
    LOCAL = "local"
    UNSAFE_LOCAL = "unsafe-local"
    REMOTE = "remote"
    RAY = "ray"


@dataclass(frozen=True)
class ExecutorSpec:
    """``kind`` and, for remote and Ray, the address (``http://host:port`` or ``host:port``/``auto``)."""

    kind: ExecutorKind = ExecutorKind.LOCAL
    address: str = ""

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.address}" if self.address else self.kind.value


def parse_executor(text: str | None) -> ExecutorSpec:
    """``local`` | ``unsafe-local`` | ``remote:URL`` | ``ray:ADDRESS`` (``None`` or "": ``$RTLGEN_EXECUTOR``,
    else local)."""
    if text is None or not str(text).strip():
        text = os.environ.get(ENV_VAR, "").strip() or "local"
    kind_text, sep, address = str(text).strip().partition(":")
    try:
        kind = ExecutorKind(kind_text)
    except ValueError:
        raise InputError(f"executor {text!r} is not one of local, unsafe-local, remote:URL, ray:ADDRESS "
                         f"(from --executor or ${ENV_VAR})") from None
    if kind in (ExecutorKind.LOCAL, ExecutorKind.UNSAFE_LOCAL) and sep:
        raise InputError(f"executor {text!r}: {kind.value} takes no address")
    if kind is ExecutorKind.REMOTE:
        if not address.startswith(("http://", "https://")):
            raise InputError(f"executor {text!r}: give the service URL, e.g. remote:http://127.0.0.1:8000")
        address = address.rstrip("/")
    if kind is ExecutorKind.RAY and not address:
        address = "auto"
    return ExecutorSpec(kind, address)


class Executor(abc.ABC):
    """Runs jobs somewhere. ``run_many`` may batch; it calls ``on_result(index, result)`` as results arrive,
    from the calling thread, exactly once per index."""

    kind: ExecutorKind
    confinement: str = "bwrap"  # part of the cache key: results are shared only between equal confinements

    @abc.abstractmethod
    def run(self, job: Job) -> JobResult:
        """Run one job to completion (never raises for what the job itself does)."""

    def run_many(self, jobs: Sequence[Job], *, workers: int | None = None, on_result: OnResult | None = None) -> None:
        """Default: ``run`` on a thread pool (jobs are external processes, so threads keep every core busy)."""
        if not jobs:
            return
        ex = ThreadPoolExecutor(max_workers=workers or default_workers())
        try:
            futures = {ex.submit(self.run, job): i for i, job in enumerate(jobs)}
            for fut in as_completed(futures):
                res = fut.result()
                if on_result:
                    on_result(futures[fut], res)
        except BaseException:
            # Ctrl-C or a failing callback: queued jobs must not go on running; those in flight end at their limits.
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        ex.shutdown(wait=True)

    def fingerprints(self, tools: Iterable[str]) -> dict[str, str]:
        """Identity of each tool where jobs run (for cache keys); default: this machine's."""
        return {t: fingerprint(t) for t in tools}

    def open_session(self, job: Job):
        """A long-lived confined process (``rtlgen.sandbox.session``); only local executors have them."""
        raise SandboxUnavailableError(f"the {self.kind.value} executor cannot hold a long-lived session; "
                                      "use the local executor for ABC sessions")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections, actors, pools."""


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


__all__ = ["ENV_VAR", "Executor", "ExecutorKind", "ExecutorSpec", "OnResult", "default_workers", "parse_executor"]
