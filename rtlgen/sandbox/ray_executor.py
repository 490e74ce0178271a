"""The Ray executor: jobs fan out to actors on a Ray cluster, each running them in a node-local sandbox.

    sandbox = build_sandbox(SandboxConfig(executor="ray:10.0.0.1:6379"))  # or RTLGEN_EXECUTOR=ray:auto
    results = sandbox.run_many(jobs)                                      # same results as local

- A pool of actors, one per cluster CPU by default (``actors=`` or ``$RTLGEN_RAY_ACTORS``), placed with
  the SPREAD strategy; each holds a ``LocalExecutor`` (bubblewrap) on its node, so every per-job limit of
  the local sandbox applies there, and private uids stay unique between actors on one host
  (``rtlgen.sandbox.uids``: each actor is its own process and claims its own slot).
- Jobs travel in their JSON form, ``batch_size`` jobs per actor call (fewer when a run has fewer jobs than
  actors x batch, so every actor gets work), not one tiny task per simulation. At most ``depth`` batches
  wait at each actor (one running, the next queued, so no actor idles on a round trip); ``ray.wait`` on
  that bounded set is the back-pressure: the driver never puts a whole run in the object store.
- A batch lost with its actor or node (``RayActorError``, ``NodeDiedError``, ...) is sent again to a live
  actor, up to ``max_attempts`` times, and the dead actor is replaced. Only a batch that came back
  answers its jobs, and each index is answered once: none lost, none twice. Jobs are deterministic data,
  so a rerun gives the same answer; ``last_retried`` names the jobs of the last call that ran again and
  ``stats`` counts them.
- ``close()`` kills this executor's own actors and nothing else; it leaves the Ray connection (which a
  trainer in the same process may share) open.
"""

from __future__ import annotations

import math
import os
import socket
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rtlgen.errors import InputError, SandboxUnavailableError
from rtlgen.sandbox.executor import Executor, ExecutorKind, OnResult
from rtlgen.sandbox.job import Job, JobResult
from rtlgen.sandbox.settings import Backend, SandboxConfig

ACTORS_ENV = "RTLGEN_RAY_ACTORS"
_POLL_S = 1.0  # how often a wait wakes up to check on actors that are still starting


@dataclass(frozen=True)
class RayStats:
    """Totals over the executor's life."""

    batches: int = 0  # batches answered
    jobs: int = 0  # jobs answered
    lost_batches: int = 0  # batches lost with their actor or node, then sent again
    retried_jobs: int = 0  # jobs in those batches
    actors_started: int = 0
    actors_lost: int = 0


class _Worker:
    """The actor body: one local executor on whichever node Ray placed it."""

    def __init__(self, config: SandboxConfig, allow_unsafe: bool = False) -> None:
        from rtlgen.sandbox.runner import LocalExecutor

        self._executor = LocalExecutor(config, allow_unsafe=allow_unsafe)

    def where(self) -> dict[str, Any]:
        import ray

        return {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid(),
                "jobs_dir": str(self._executor._jobs_root)}  # where its job dirs go

    def run_batch(self, jobs: list[dict]) -> list[dict]:
        return [self._executor.run(Job.from_json(j)).to_json() for j in jobs]

    def fingerprints(self, tools: list[str]) -> dict[str, str]:
        return self._executor.fingerprints(tools)


@dataclass
class _Actor:
    handle: Any
    ping: Any  # the ``where`` call made at start; None once it answered
    info: dict[str, Any] = field(default_factory=dict)
    load: int = 0  # batches sent and not yet answered

    @property
    def ready(self) -> bool:
        return self.ping is None


@dataclass(frozen=True)
class _Batch:
    indices: tuple[int, ...]
    attempt: int = 1


def _import_ray():
    try:
        import ray
    except ImportError:
        raise SandboxUnavailableError("the ray executor needs Ray: pip install 'rtlgen[ray]'") from None
    return ray


def _one_line(exc: BaseException) -> str:
    """The last meaningful line of a Ray error (its text carries a whole remote traceback)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]


def _probe(address: str) -> None:
    """Fail in seconds, in one line, where nothing listens at ``host:port`` (``ray.init`` would retry for minutes)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto" and other forms Ray resolves itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise SandboxUnavailableError(f"cannot reach the Ray cluster at {address!r}: {exc.strerror or exc}") from None


class RayExecutor(Executor):
    """Runs jobs on a Ray cluster's actors; see the module docstring."""

    kind = ExecutorKind.RAY

    def __init__(self, address: str = "auto", *, config: SandboxConfig | None = None, batch_size: int = 16,
                 actors: int | None = None, cpus_per_actor: float = 1.0, depth: int = 2, max_attempts: int = 3,
                 start_timeout_s: float = 120.0, allow_unsafe: bool = False) -> None:
        for name, value in (("batch_size", batch_size), ("depth", depth), ("max_attempts", max_attempts)):
            if not isinstance(value, int) or value < 1:
                raise InputError(f"ray executor {name} must be a positive integer, not {value!r}")
        if actors is None and os.environ.get(ACTORS_ENV, "").strip():
            text = os.environ[ACTORS_ENV].strip()
            if not text.isdigit() or int(text) < 1:
                raise InputError(f"${ACTORS_ENV} must be a positive integer, not {text!r}")
            actors = int(text)
        if actors is not None and (not isinstance(actors, int) or actors < 1):
            raise InputError(f"ray executor actors must be a positive integer, not {actors!r}")
        if not cpus_per_actor > 0:
            raise InputError(f"ray executor cpus_per_actor must be positive, not {cpus_per_actor!r}")
        config = config or SandboxConfig()
        if config.backend is Backend.UNSAFE_LOCAL and not allow_unsafe:
            raise SandboxUnavailableError("the ray executor runs untrusted code under bubblewrap on every node; "
                                          "unsafe-local needs the explicit allow_unsafe opt-in")
        self.address = address or "auto"
        self.batch_size, self.depth, self.max_attempts = batch_size, depth, max_attempts
        self.cpus_per_actor, self.start_timeout_s = cpus_per_actor, start_timeout_s
        self.confinement = config.backend.value
        # the result cache stays in front, at the driver; the actors only run jobs
        self._actor_config = replace(config, executor="local", cache_dir=None, token=None)
        self._allow_unsafe = allow_unsafe
        self._wanted = actors
        self._actors: list[_Actor] = []
        self._actor_class = None
        self._start_failures: list[str] = []
        self.stats = RayStats()
        self.last_retried: tuple[int, ...] = ()
        self._ray = _import_ray()
        self._connect()

    # -- public ---------------------------------------------------------------------------------------------
    def run(self, job: Job) -> JobResult:
        out: list[JobResult] = []
        self.run_many([job], on_result=lambda _i, res: out.append(res))
        return out[0]

    def run_many(self, jobs: Sequence[Job], *, workers: int | None = None, on_result: OnResult | None = None) -> None:
        """``workers`` is ignored: the pool is the cluster's, sized by ``actors``."""
        self.last_retried = ()
        if not jobs:
            return
        self._ensure_pool()
        size = max(1, min(self.batch_size, math.ceil(len(jobs) / max(1, len(self._actors)))))
        # strided, not contiguous: callers put their longest jobs first, and those should not share one batch
        count = math.ceil(len(jobs) / size)
        queue = deque(_Batch(tuple(range(k, len(jobs), count))) for k in range(count))
        in_flight: dict[Any, tuple[_Batch, _Actor]] = {}
        answered: set[int] = set()
        retried: set[int] = set()
        try:
            while queue or in_flight:
                self._dispatch(queue, in_flight, jobs)
                for ref in self._wait(list(in_flight)):
                    if ref not in in_flight:
                        continue  # an actor's ping, handled by _wait
                    batch, actor = in_flight.pop(ref)
                    actor.load -= 1
                    results = self._collect(ref, batch, actor, queue, retried)
                    if results is None:
                        continue
                    for i, data in zip(batch.indices, results, strict=True):
                        if i in answered:  # cannot happen: a batch is answered once; never answer twice
                            continue
                        answered.add(i)
                        if on_result:
                            on_result(i, JobResult.from_json(data))
                    self._count(batches=1, jobs=len(results))
        except BaseException:
            for ref in in_flight:  # queued batches must not go on running; the running ones end at their limits
                try:
                    self._ray.cancel(ref)
                except Exception:  # noqa: BLE001 - best effort; the actor may be gone already
                    pass
            raise
        finally:
            self.last_retried = tuple(sorted(retried))
        if len(answered) != len(jobs):
            raise SandboxUnavailableError(f"the ray executor answered {len(answered)} of {len(jobs)} jobs")

    def fingerprints(self, tools: Iterable[str]) -> dict[str, str]:
        """The tools on the cluster's nodes, asked of every ready actor; nodes that differ give a combined
        fingerprint, so a cached result never stands for another tool version."""
        tools = list(tools)
        self._ensure_pool()
        while True:
            ready = [a for a in self._actors if a.ready]
            refs = [a.handle.fingerprints.remote(tools) for a in ready]
            answers = []
            for actor, ref in zip(ready, refs, strict=True):
                try:
                    answers.append(self._ray.get(ref))
                except self._lost_errors() as exc:
                    self._lose(actor, exc)
            if answers:
                break
            self._ensure_pool()
        out = {}
        for t in tools:
            seen = sorted({a[t] for a in answers})
            out[t] = seen[0] if len(seen) == 1 else "mixed(" + ";".join(seen) + ")"
        return out

    def actor_info(self) -> list[dict[str, Any]]:
        """Node id and pid of each ready actor (for tests and operators)."""
        return [dict(a.info) for a in self._actors if a.ready]

    def close(self) -> None:
        for actor in self._actors:
            try:
                self._ray.kill(actor.handle, no_restart=True)
            except Exception:  # noqa: BLE001 - already dead, or the cluster is gone
                pass
        self._actors = []

    # -- the pool -------------------------------------------------------------------------------------------
    def _connect(self) -> None:
        ray = self._ray
        if ray.is_initialized():
            return  # inside a trainer that is already connected: share its connection
        _probe(self.address)
        try:
            ray.init(address=self.address, ignore_reinit_error=True, logging_level="WARNING")
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise SandboxUnavailableError(f"cannot reach the Ray cluster at {self.address!r}: {_one_line(exc)}") \
                from None

    def _target(self) -> int:
        if self._wanted is None:
            cpus = float(self._ray.cluster_resources().get("CPU", 1))
            self._wanted = max(1, int(cpus // self.cpus_per_actor))
        return self._wanted

    def _start_actor(self) -> None:
        ray = self._ray
        if self._actor_class is None:
            self._actor_class = ray.remote(_Worker)
        # max_restarts=0: a dead actor is replaced here, where its lost batch is known and sent again
        handle = self._actor_class.options(num_cpus=self.cpus_per_actor, scheduling_strategy="SPREAD",
                                           max_restarts=0, max_task_retries=0,
                                           max_concurrency=1).remote(self._actor_config, self._allow_unsafe)
        self._actors.append(_Actor(handle, handle.where.remote()))
        self._count(actors_started=1)

    def _ensure_pool(self) -> None:
        """Top the pool up to its size and wait until at least one actor is ready."""
        while len(self._actors) < self._target():
            self._start_actor()
        deadline = time.monotonic() + self.start_timeout_s
        while not any(a.ready for a in self._actors):
            if time.monotonic() > deadline:
                raise SandboxUnavailableError(f"no Ray actor started within {self.start_timeout_s:g} s at "
                                              f"{self.address!r} (does the cluster have a free CPU?)")
            self._wait([])
            while len(self._actors) < self._target():
                self._start_actor()

    def _wait(self, refs: list) -> list:
        """Wait for a batch or an actor's start; marks started actors ready and replaces failed ones."""
        pings = {a.ping: a for a in self._actors if a.ping is not None}
        waitables = refs + list(pings)
        if not waitables:
            return []
        ready, _ = self._ray.wait(waitables, num_returns=1, timeout=_POLL_S)
        for ref in ready:
            actor = pings.get(ref)
            if actor is None:
                continue
            try:
                actor.info = self._ray.get(ref)
                actor.ping = None
            except self._lost_errors() as exc:
                self._start_failures.append(_one_line(exc))
                self._lose(actor, exc)
        return ready

    def _lose(self, actor: _Actor, exc: BaseException) -> None:
        """Kill (to be sure it answers nothing more) and replace an actor that died or became unreachable."""
        if actor not in self._actors:
            return
        self._actors.remove(actor)
        self._count(actors_lost=1)
        try:
            self._ray.kill(actor.handle, no_restart=True)
        except Exception:  # noqa: BLE001 - dead already
            pass
        limit = max(3, self._target())
        if len(self._start_failures) >= limit and not any(a.ready for a in self._actors):
            raise SandboxUnavailableError(f"Ray actors fail to start ({len(self._start_failures)} tries): "
                                          f"{self._start_failures[-1]}")
        self._start_actor()

    def _dispatch(self, queue: deque, in_flight: dict, jobs: Sequence[Job]) -> None:
        """Send queued batches to the least loaded ready actors, at most ``depth`` per actor; jobs become JSON
        only here, so a long run never holds more than the batches in flight in that form."""
        while queue:
            ready = [a for a in self._actors if a.ready and a.load < self.depth]
            if not ready:
                if not any(a.ready for a in self._actors) and not in_flight:
                    self._ensure_pool()  # every actor died: wait for a replacement (or give up, one line)
                    continue
                return
            actor = min(ready, key=lambda a: a.load)
            batch = queue.popleft()
            ref = actor.handle.run_batch.remote([jobs[i].to_json() for i in batch.indices])
            in_flight[ref] = (batch, actor)
            actor.load += 1

    def _collect(self, ref, batch: _Batch, actor: _Actor, queue: deque, retried: set[int]) -> list[dict] | None:
        """The batch's results, or None when it was lost and queued again."""
        ray = self._ray
        try:
            return ray.get(ref)
        except self._lost_errors() as exc:
            self._lose(actor, exc)
            if batch.attempt >= self.max_attempts:
                raise SandboxUnavailableError(f"a batch of {len(batch.indices)} jobs was lost {batch.attempt} times "
                                              f"with its Ray actor: {_one_line(exc)}") from None
            retried.update(batch.indices)
            self._count(lost_batches=1, retried_jobs=len(batch.indices))
            queue.appendleft(replace(batch, attempt=batch.attempt + 1))
            return None
        except ray.exceptions.RayTaskError as exc:  # our own code failed in the actor: the same again on retry
            raise SandboxUnavailableError(f"a Ray actor failed a batch: {_one_line(exc)}") from None

    def _lost_errors(self) -> tuple[type[BaseException], ...]:
        e = self._ray.exceptions
        return (e.RayActorError, e.NodeDiedError, e.WorkerCrashedError, e.ObjectLostError)

    def _count(self, **add: int) -> None:
        self.stats = replace(self.stats, **{k: getattr(self.stats, k) + v for k, v in add.items()})


__all__ = ["ACTORS_ENV", "RayExecutor", "RayStats"]
