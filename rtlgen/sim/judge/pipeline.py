"""The judge's schedule: preprocessing, checking and simulating overlap, longest work first, few sandbox starts.

Items arrive in the caller's order, with an estimated cost each when the caller has a cost model (the
evaluation does: ``rtlgen.evals.costs``). Per distinct design text:

1. preprocess: Icarus designs that no preprocessor can change (``jobs.preprocessing_is_identity``: no
   backtick, plain ASCII) are their own preprocessed text; the others go ``PP_BATCH`` to a sandbox start;
2. check: ``CHECK_BATCH`` texts per call of one bounded worker (``Judge.check_many``), the first call
   small so that the longest simulation starts at once; reference ports come with the first call that
   needs them;
3. simulate: one job per distinct (bench, program); designs that are the same program once comments and
   whitespace are set aside are simulated once (``lexing.normalize``) and their verdicts say ``merged``.
   Ready jobs wait in a queue ordered by cost (longest first); a lane (one per core) that comes free takes
   the head, and with it further jobs up to ``SIM_BATCH_SHARE`` of a lane's estimated work, which the local
   executor runs in one sandbox start (``LocalExecutor.run_batch``: each job its own directory, uids and
   limits). When nothing more can arrive, batches shrink so that the lanes finish together.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import TYPE_CHECKING

from rtlgen.sandbox import default_workers
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.judge.jobs import preprocess_job, preprocess_output, preprocessing_is_identity
from rtlgen.sim.judge.lexing import normalize
from rtlgen.sim.judge.verdict import JudgeVerdict, decided

if TYPE_CHECKING:
    from rtlgen.sim.judge.core import Judge

PP_BATCH = 16  # distinct designs preprocessed per sandbox start
CHECK_BATCH = 16  # texts per static-check call (one worker round trip; slang takes about 1 ms a design)
FIRST_CHECK = 2  # the first call: the longest simulations wait for it alone
SIM_BATCH_SHARE = 1 / 6  # a batch holds at most this share of one lane's estimated work (costs are relative:
# a cost model measured on a loaded machine overstates every cost alike)
SIM_BATCH_MAX = 8  # jobs per sandbox start at most (a start costs a few ms of CPU; eight make it negligible)
SIM_BATCH_MIN = 4  # ... and at least, while more may arrive (tiny jobs, as RTLLM's, cost little more than a start)
ALONE_S = 0.25  # a job estimated this long (and over the cap) is never batched: a start is negligible beside it
DEFAULT_COST_S = 0.05  # an item without an estimate: a typical VerilogEval sample


def take_group(queue: list, cap: float, floor: int, most: int) -> list:
    """Pop the next batch off ``queue``, a heap of ``(-cost, ...)`` entries (longest first): entries while the
    batch holds fewer than ``floor`` or costs less than ``cap`` in all, ``most`` at most; a job estimated at
    ``ALONE_S`` or more that fills the cap alone runs alone, so the next long one can start on another lane."""
    group: list = []
    total = 0.0
    while queue and len(group) < most and (len(group) < floor or total < cap):
        entry = heapq.heappop(queue)
        group.append(entry)
        total -= entry[0]
        if -entry[0] >= max(cap, ALONE_S):
            break
    return group


class _Simulations:
    """Simulation lanes fed from a longest-first queue; identical programs share one job and its verdict."""

    def __init__(self, judge: Judge, work: list, decide: Callable, bar, costs: Sequence[float] | None) -> None:
        self.judge, self.work, self.decide, self.bar = judge, work, decide, bar
        self.costs = costs
        total = sum(costs) if costs is not None else DEFAULT_COST_S * len(work)
        self.lanes = judge.config.workers or default_workers()
        self.pool = ThreadPoolExecutor(max_workers=self.lanes)
        executor = getattr(judge.sandbox, "executor", None)
        # only the local executor shares sandbox starts; simulation jobs are never cached (``cacheable=False``),
        # so handing them to the executor past the sandbox's cache loses nothing
        self.batch = getattr(executor, "run_batch", None)
        self.hardened: dict = {}
        self.programs: dict[tuple[str, str], int] = {}
        self.followers: dict[int, list[int]] = {}
        self.verdicts: dict[int, JudgeVerdict] = {}  # of each simulated program's first item
        self.queue: list[tuple[float, int, object, object, int]] = []  # (-cost, i, hardened, job, n_compile)
        self.queued_s = 0.0
        self.futures: dict[Future, list[tuple[int, object, int]]] = {}
        self.upstream_done = False  # nothing more will be submitted: batches may shrink
        self.batch_s = total / self.lanes * SIM_BATCH_SHARE

    def cost(self, i: int) -> float:
        return self.costs[i] if self.costs is not None else DEFAULT_COST_S

    def submit(self, i: int) -> None:
        item = self.work[i]
        key = (item.bench.digest(), normalize(item.text))
        if key in self.programs:
            leader = self.programs[key]
            if leader in self.verdicts:  # simulated already: a later check call found the same program
                self._decide(i, replace(self.verdicts[leader], merged=True))
            else:
                self.followers.setdefault(leader, []).append(i)
            return
        if item.bench not in self.hardened:
            strict = self.judge.config.trust.value == "strict"
            self.hardened[item.bench] = self.judge.hardened_bench(item.bench) if strict else None
        h = self.hardened[item.bench]
        if isinstance(h, JudgeVerdict):
            self._decide(i, h)
            return
        self.programs[key] = i
        job, n_compile = self.judge.sim_job(item, h)
        heapq.heappush(self.queue, (-self.cost(i), i, h, job, n_compile))
        self.queued_s += self.cost(i)

    def dispatch(self) -> None:
        """Hand queued jobs to the lanes that are free."""
        while self.queue and len(self.futures) < self.lanes:
            cap = self.batch_s if not self.upstream_done else min(self.batch_s, self.queued_s / (2 * self.lanes))
            floor = SIM_BATCH_MIN if self.batch and not self.upstream_done else 1
            taken = take_group(self.queue, cap, floor, SIM_BATCH_MAX if self.batch else 1)
            self.queued_s -= sum(-entry[0] for entry in taken)
            jobs = [job for *_, job, _ in taken]
            fut = self.pool.submit(self.batch, jobs) if len(jobs) > 1 else self.pool.submit(self._one, jobs[0])
            self.futures[fut] = [(i, h, n_compile) for _, i, h, _, n_compile in taken]

    def _one(self, job) -> list:
        return [self.judge.sandbox.run(job)]

    def finish(self, fut: Future) -> None:
        for (i, h, n_compile), res in zip(self.futures.pop(fut), fut.result(), strict=True):
            verdict = self.judge.verdict_of(res, n_compile, self.work[i], h)
            self.verdicts[i] = verdict
            self._decide(i, verdict)
            for j in self.followers.pop(i, []):
                self._decide(j, replace(verdict, merged=True))

    def _decide(self, i: int, verdict: JudgeVerdict) -> None:
        self.decide(i, verdict)
        if self.bar is not None:
            self.bar.update(1)


def run_pipeline(judge: Judge, work: list, decide: Callable, progress: bool | str,
                 costs: Sequence[float] | None = None) -> None:
    """Decide every item of ``work`` that has no verdict yet (see the module docstring); ``costs``: estimated
    seconds per item, for the order and the batches."""
    pending = [i for i, it in enumerate(work) if it.verdict is None]
    bar = _progress(len(pending), progress)
    sims = _Simulations(judge, work, decide, bar, costs)
    counted = decide if bar is None else (lambda i, v: (decide(i, v), bar.update(1)))
    try:
        if judge.config.trust.value != "strict":
            for i in pending:
                work[i].text = work[i].design
                sims.submit(i)
            sims.upstream_done = True
            _Flow(sims, counted).drain()
            return
        with ThreadPoolExecutor(max_workers=1) as lane, ThreadPoolExecutor(max_workers=1) as checks:
            _Flow(sims, counted, pending, lane, checks).drain()
    except BaseException:
        sims.pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        sims.pool.shutdown(wait=True)
        if bar is not None:
            bar.close()


class _Flow:
    """The strict path's three stages over futures: preprocessing batches, check calls, simulation groups."""

    def __init__(self, sims: _Simulations, decide: Callable, pending: list[int] | None = None, lane=None,
                 checks: ThreadPoolExecutor | None = None) -> None:
        self.sims, self.judge, self.decide = sims, sims.judge, decide
        self.lane, self.checks = lane, checks
        self.by_text: dict[str, list[int]] = {}
        for i in pending or []:
            self.by_text.setdefault(sims.work[i].design, []).append(i)
        self.batches: dict[Future, list[str]] = {}  # preprocessing
        self.calls: dict[Future, list[tuple[str, str]]] = {}  # static checks: (design, preprocessed text)
        self.ready: list[tuple[str, str]] = []  # preprocessed, waiting for a check call
        self.refs: dict = {}  # bench -> reference ports, as check calls return them
        self.first = True
        if pending:
            self._start()

    def _start(self) -> None:
        texts = list(self.by_text)  # in the caller's order: longest first
        icarus = self.judge.config.simulator.value == "icarus"
        direct = [t for t in texts if preprocessing_is_identity(self.judge.config.simulator, t)]
        rest = [t for t in texts if not preprocessing_is_identity(self.judge.config.simulator, t)]
        size = PP_BATCH if icarus else 1  # see jobs.preprocess_job
        for k in range(0, len(rest), size):
            self.batches[self.lane.submit(_preprocess, self.judge, rest[k:k + size])] = rest[k:k + size]
        self.ready = [(t, t) for t in direct]
        self._call_checks()

    def _call_checks(self, force: bool = False) -> None:
        """Send ready texts to the check worker: the first call small, then full ones (or what is left once
        no preprocessing is outstanding); at most two calls in flight."""
        while self.ready and len(self.calls) < 2:
            size = FIRST_CHECK if self.first else CHECK_BATCH
            if len(self.ready) < size and self.batches and not force and not self.first:
                return  # more texts are coming: wait for a full call
            chunk, self.ready = self.ready[:size], self.ready[size:]
            self.first = False
            texts = [(text, self.sims.work[i].bench) for design, text in chunk for i in self._same_bench(design)]
            self.calls[self.checks.submit(self.judge.check_many, texts, dict(self.refs))] = chunk

    def _same_bench(self, design: str) -> list[int]:
        """One index per distinct bench among the items of ``design`` (the check depends on text and bench)."""
        seen: dict = {}
        for i in self.by_text[design]:
            seen.setdefault(self.sims.work[i].bench, i)
        return list(seen.values())

    def drain(self) -> None:
        sims = self.sims
        while True:
            if not self.batches and not self.calls and not self.ready:
                sims.upstream_done = True
            sims.dispatch()
            if not (self.batches or self.calls or sims.futures):
                return
            done, _ = wait(list(self.batches) + list(self.calls) + list(sims.futures), return_when=FIRST_COMPLETED)
            for fut in done:
                if fut in sims.futures:
                    sims.finish(fut)
                elif fut in self.calls:
                    verdicts, ports = fut.result()
                    self.refs.update(ports)
                    self._checked(self.calls.pop(fut), verdicts)
                else:
                    self._preprocessed(self.batches.pop(fut), fut.result())
            self._call_checks(force=not self.batches)

    def _preprocessed(self, texts: list[str], res) -> None:
        steps = res.steps
        for k, (text, step) in enumerate(zip(texts, steps, strict=False)):
            made, included = preprocess_output(self.judge.config.simulator, res, k)
            early = self.judge.preprocessed(step, included)
            if early is not None:
                for i in self.by_text.pop(text):
                    self.decide(i, early)
            else:
                self.ready.append((text, made))
        rest = texts[len(steps):]
        if rest and len(steps) == 0:  # the sandbox could not run the batch at all
            for text in rest:
                for i in self.by_text.pop(text):
                    self.decide(i, decided(FC.TOOL_MISSING, "the preprocessor could not be run",
                                           **self.judge.base_fields()))
        elif rest:  # a design stopped the batch (an output flood): the others go again
            self.batches[self.lane.submit(_preprocess, self.judge, rest)] = rest

    def _checked(self, chunk: list[tuple[str, str]], verdicts: list) -> None:
        found = iter(verdicts)
        for design, text in chunk:
            by_bench = {self.sims.work[i].bench: next(found) for i in self._same_bench(design)}
            for i in self.by_text.pop(design):
                verdict = by_bench[self.sims.work[i].bench]
                if verdict is not None:
                    self.decide(i, verdict)
                else:
                    self.sims.work[i].text = text
                    self.sims.submit(i)


def _preprocess(judge: Judge, texts: list[str]):
    return judge.sandbox.run(preprocess_job(judge.config.simulator, texts, judge.config.limits))


def _progress(total: int, progress: bool | str):
    if not progress or total <= 1:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=progress if isinstance(progress, str) else "judge", unit="sample", leave=False)
