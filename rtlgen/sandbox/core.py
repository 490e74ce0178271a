"""``Sandbox``: the result cache and same-job dedup in front of one executor, built in one place.

    sandbox = build_sandbox(SandboxConfig(executor="remote:http://127.0.0.1:8000", cache_dir=...))
    results = sandbox.run_many(jobs, progress="sim")

Every room takes a ``Sandbox`` (or builds the default one); none knows where jobs run. The executor is
chosen by ``SandboxConfig.executor``, else ``$RTLGEN_EXECUTOR``, else local bubblewrap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from rtlgen.errors import SandboxUnavailableError
from rtlgen.registry import Registry
from rtlgen.sandbox.cache import ResultCache
from rtlgen.sandbox.executor import Executor, ExecutorKind, ExecutorSpec, parse_executor
from rtlgen.sandbox.job import Job, JobResult, KilledBy, Limits
from rtlgen.sandbox.settings import Backend, SandboxConfig
from rtlgen.sandbox.tools import has_tool

# kind -> "module:factory(spec, config, allow_unsafe) -> Executor"; imported on first use (Ray is heavy)
EXECUTORS: Registry = Registry("executor")
EXECUTORS.add(ExecutorKind.LOCAL.value, "rtlgen.sandbox.factories:local_executor")
EXECUTORS.add(ExecutorKind.UNSAFE_LOCAL.value, "rtlgen.sandbox.factories:local_executor")
EXECUTORS.add(ExecutorKind.REMOTE.value, "rtlgen.sandbox.factories:remote_executor")
EXECUTORS.add(ExecutorKind.RAY.value, "rtlgen.sandbox.factories:ray_executor")


class Sandbox:
    """Runs jobs through ``executor``, once per distinct job, optionally through a content-addressed cache."""

    def __init__(self, config: SandboxConfig | None = None, *, allow_unsafe: bool = False,
                 executor: Executor | None = None) -> None:
        self.config = config or SandboxConfig()
        self.spec = _spec_of(self.config)
        if executor is None:
            factory = EXECUTORS.get(self.spec.kind.value)
            executor = factory(self.spec, self.config, allow_unsafe)  # type: ignore[operator]
        self.executor = executor
        self.cache = ResultCache(self.config.cache_dir) if self.config.cache_dir else None
        self._fingerprints: dict[str, str] = {}

    # -- one job --------------------------------------------------------------------------------------------
    def key(self, job: Job) -> str:
        tools = sorted({s.argv[0] for s in job.steps})
        missing = [t for t in tools if t not in self._fingerprints]
        if missing:
            self._fingerprints.update(self.executor.fingerprints(missing))
        return job.key({t: self._fingerprints[t] for t in tools}) + ":" + self.executor.confinement

    def run(self, job: Job, *, key: str | None = None) -> JobResult:
        """Run ``job`` (or return its cached result); ``key`` is ``self.key(job)`` when the caller has it."""
        key = self._lookup_key(job, key)
        if key is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        result = self.executor.run(job)
        self._store(key, result)
        return result

    # -- many jobs ------------------------------------------------------------------------------------------
    def run_many(self, jobs: Sequence[Job], *, workers: int | None = None, progress: bool | str = False,
                 on_result: Callable[[int, JobResult], None] | None = None) -> list[JobResult]:
        """Results in the order of ``jobs``; identical jobs run once and share the result. ``on_result(index,
        result)`` is called as each finishes (every index, duplicates included), from the calling thread, so
        callers can append results to disk as they arrive and lose nothing on a crash."""
        keys = [self.key(j) for j in jobs]
        followers: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            followers.setdefault(k, []).append(i)
        results: list[JobResult | None] = [None] * len(jobs)
        bar = _progress(len(jobs), progress)

        def deliver(key: str, res: JobResult) -> None:
            for i in followers[key]:
                results[i] = res
                if on_result:
                    on_result(i, res)
            if bar:
                bar.update(len(followers[key]))

        todo: list[str] = []
        for key, idx in followers.items():
            hit = self.cache.get(key) if (self.cache is not None and jobs[idx[0]].cacheable) else None
            if hit is not None:
                deliver(key, hit)
            else:
                todo.append(key)

        def finished(j: int, res: JobResult) -> None:
            key = todo[j]
            if jobs[followers[key][0]].cacheable:
                self._store(key, res)
            deliver(key, res)

        try:
            self.executor.run_many([jobs[followers[k][0]] for k in todo], workers=workers, on_result=finished)
        finally:
            if bar:
                bar.close()
        return results  # type: ignore[return-value]

    def open_session(self, job: Job):
        """Start ``job``'s single step as a long-lived confined process; see ``rtlgen.sandbox.session``."""
        return self.executor.open_session(job)

    def close(self) -> None:
        self.executor.close()

    # -- internals ------------------------------------------------------------------------------------------
    def _lookup_key(self, job: Job, key: str | None) -> str | None:
        if self.cache is None or not job.cacheable:
            return None
        return key or self.key(job)

    def _store(self, key: str | None, result: JobResult) -> None:
        # a timeout depends on the machine's load, not on the job: never remembered
        if key is not None and self.cache is not None and result.killed_by is not KilledBy.TIMEOUT:
            self.cache.put(key, result)


def _spec_of(config: SandboxConfig) -> ExecutorSpec:
    spec = parse_executor(config.executor)
    if config.backend is Backend.UNSAFE_LOCAL and spec.kind is ExecutorKind.LOCAL:
        return ExecutorSpec(ExecutorKind.UNSAFE_LOCAL)
    return spec


def build_sandbox(config: SandboxConfig | None = None, *, unsafe: bool = False) -> Sandbox:
    """The one constructor every room uses: ``config`` (or the defaults and ``$RTLGEN_EXECUTOR``), with
    ``unsafe`` the explicit opt-in to run trusted code without bubblewrap."""
    config = config or SandboxConfig()
    if unsafe:
        from dataclasses import replace

        config = replace(config, backend=Backend.UNSAFE_LOCAL)
    return Sandbox(config, allow_unsafe=unsafe)


def default_sandbox(cache_dir: str | None = None, *, unsafe: bool = False, executor: str | None = None) -> Sandbox:
    """The sandbox the CLI and library entry points use unless told otherwise."""
    return build_sandbox(SandboxConfig(executor=executor, cache_dir=cache_dir), unsafe=unsafe)


def sandbox_status() -> tuple[bool, str]:
    """(usable, reason) for the bwrap backend on this machine."""
    if not has_tool("bwrap"):
        return False, "bubblewrap not installed (apt-get install bubblewrap)"
    try:
        probe = Sandbox(SandboxConfig(executor="local"))
        res = probe.run(Job.single(["/usr/bin/true"], limits=Limits(wall_s=10)))
    except SandboxUnavailableError as exc:
        return False, str(exc)
    if res.exit_code != 0:
        return False, f"bwrap cannot create namespaces here: {res.stderr.strip()[:200]}"
    return True, "bwrap works (user, pid, net, mount namespaces; private uid)"


def _progress(total: int, progress: bool | str):
    if not progress or total <= 1:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=progress if isinstance(progress, str) else "jobs", unit="job", leave=False,
                disable=os.environ.get("RTLGEN_NO_PROGRESS") == "1")


__all__ = ["EXECUTORS", "Sandbox", "build_sandbox", "default_sandbox", "sandbox_status"]
