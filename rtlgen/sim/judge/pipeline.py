"""The judge's schedule: preprocessing and checking overlap the simulations, longest work first.

Items arrive in the caller's order (the evaluation sorts them longest first, from its cost model).
Distinct designs are preprocessed ``PP_BATCH`` to a sandbox start on one lane; as each batch returns,
its designs are checked (static check, bounded worker) and their simulations are handed to the
simulation lanes (one per core) at once, so the longest simulation starts after the first batch, not
after the whole set. Designs that are the same program once comments and whitespace are set aside
are simulated once (``rtlgen.sim.judge.lexing.normalize``); their verdicts say ``merged``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import TYPE_CHECKING

from rtlgen.sandbox import default_workers
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.judge.jobs import included_files, preprocess_job
from rtlgen.sim.judge.lexing import normalize
from rtlgen.sim.judge.verdict import JudgeVerdict, decided

if TYPE_CHECKING:
    from rtlgen.sim.judge.core import Judge

PP_BATCH = 16  # distinct designs preprocessed per sandbox start


class _Simulations:
    """Simulation lanes: one job per distinct (bench, program), its verdict shared with the same programs."""

    def __init__(self, judge: Judge, work: list, decide: Callable, bar) -> None:
        self.judge, self.work, self.decide, self.bar = judge, work, decide, bar
        self.pool = ThreadPoolExecutor(max_workers=judge.config.workers or default_workers())
        self.hardened: dict = {}
        self.programs: dict[tuple[str, str], int] = {}
        self.followers: dict[int, list[int]] = {}
        self.futures: dict[Future, tuple[int, object, int]] = {}

    def submit(self, i: int) -> None:
        item = self.work[i]
        key = (item.bench.digest(), normalize(item.text))
        if key in self.programs:
            self.followers.setdefault(self.programs[key], []).append(i)
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
        self.futures[self.pool.submit(self.judge.sandbox.run, job)] = (i, h, n_compile)

    def finish(self, fut: Future) -> None:
        i, h, n_compile = self.futures.pop(fut)
        verdict = self.judge.verdict_of(fut.result(), n_compile, self.work[i], h)
        self._decide(i, verdict)
        for j in self.followers.get(i, []):
            self._decide(j, replace(verdict, merged=True))

    def _decide(self, i: int, verdict: JudgeVerdict) -> None:
        self.decide(i, verdict)
        if self.bar is not None:
            self.bar.update(1)


def run_pipeline(judge: Judge, work: list, decide: Callable, progress: bool | str) -> None:
    """Decide every item of ``work`` that has no verdict yet (see the module docstring)."""
    pending = [i for i, it in enumerate(work) if it.verdict is None]
    bar = _progress(len(pending), progress)
    sims = _Simulations(judge, work, decide, bar)
    counted = decide if bar is None else (lambda i, v: (decide(i, v), bar.update(1)))
    try:
        if judge.config.trust.value != "strict":
            for i in pending:
                work[i].text = work[i].design
                sims.submit(i)
            _drain(sims, {})
            return
        by_text: dict[str, list[int]] = {}
        for i in pending:
            by_text.setdefault(work[i].design, []).append(i)
        workers = judge.config.workers or default_workers()
        with ThreadPoolExecutor(max_workers=1) as lane, ThreadPoolExecutor(max_workers=workers) as checks:
            texts = list(by_text)
            size = PP_BATCH if judge.config.simulator.value == "icarus" else 1  # see jobs.preprocess_job
            batches = {lane.submit(_preprocess, judge, texts[k:k + size]): texts[k:k + size]
                       for k in range(0, len(texts), size)}
            # warm the static check's worker processes while the first batch is preprocessed
            warm = [checks.submit(judge.reference_ports, {b}) for b in {work[i].bench for i in pending}]
            refs = {}
            for fut in warm:
                refs.update(fut.result())
            _drain(sims, batches, lane=lane, by_text=by_text, refs=refs, decide=counted, checks=checks)
    except BaseException:
        sims.pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        sims.pool.shutdown(wait=True)
        if bar is not None:
            bar.close()


def _preprocess(judge: Judge, texts: list[str]):
    return judge.sandbox.run(preprocess_job(judge.config.simulator, texts, judge.config.limits))


def _drain(sims: _Simulations, batches: dict, *, lane=None, by_text=None, refs=None, decide=None,
           checks: ThreadPoolExecutor | None = None) -> None:
    """Wait on preprocessing batches and simulations together, acting on each as it completes."""
    while batches or sims.futures:
        done, _ = wait(list(batches) + list(sims.futures), return_when=FIRST_COMPLETED)
        for fut in done:
            if fut in sims.futures:
                sims.finish(fut)
                continue
            texts = batches.pop(fut)
            res = fut.result()
            steps = res.steps
            ready = [(text, step, included_files(res.outputs, k)) for k, (text, step) in
                     enumerate(zip(texts, steps, strict=False))]
            verdicts = list(checks.map(lambda r: _static_verdicts(sims, by_text[r[0]], r[1], r[2], refs), ready))
            for (text, _step, _inc), found in zip(ready, verdicts, strict=True):
                for i, verdict in zip(by_text.pop(text), found, strict=True):
                    if verdict is not None:
                        decide(i, verdict)
                    else:
                        sims.submit(i)
            rest = texts[len(steps):]
            if rest and len(steps) == 0:  # the sandbox could not run the batch at all
                for text in rest:
                    for i in by_text.pop(text):
                        decide(i, decided(FC.TOOL_MISSING, "the preprocessor could not be run", **sims.judge.base_fields()))
            elif rest:  # a design stopped the batch (an output flood): the others go again
                batches[lane.submit(_preprocess, sims.judge, rest)] = rest


def _static_verdicts(sims: _Simulations, indices: list[int], step, included: list[str] | None,
                     refs: dict) -> list[JudgeVerdict | None]:
    """The verdict before simulation of each item sharing one design text (None: simulate it); runs on the
    check pool, so a batch's static checks run side by side."""
    judge, work = sims.judge, sims.work
    early = judge.preprocessed(step, included)
    by_bench: dict = {}  # the static check depends on the text and the bench's reference ports only
    out: list[JudgeVerdict | None] = []
    for i in indices:
        verdict = early
        if verdict is None:
            work[i].text = step.stdout
            if work[i].bench not in by_bench:
                by_bench[work[i].bench] = judge.checked(work[i], refs.get(work[i].bench))
            verdict = by_bench[work[i].bench]
        out.append(verdict)
    return out


def _progress(total: int, progress: bool | str):
    if not progress or total <= 1:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=progress if isinstance(progress, str) else "judge", unit="sample", leave=False)
