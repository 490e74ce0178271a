"""Held-out pass@1 inside training, through ``rtlgen eval``'s own code path, so numbers equal the CLI's.

    result = evaluate_heldout("runs/sft/model", None, EvalSettings(data="heldout.jsonl"), Path("runs/sft/eval"))
    result.pass_at_1, result.n

The model is named by the same spec string the CLI takes (``hf:DIR?adapter=ADAPTER&max_new_tokens=...``),
the problems are served by the ``jsonl`` task (``rtlgen.evals.tasks.jsonl_task``), decoding is greedy
(``samples=1``) or ``samples`` completions per problem at VerilogEval's pass@k setting, and every sample is
judged in strict mode by the one judge. The equivalent command is recorded in the result (``command``).

Two evaluations of the same held-out problems compare pairwise. Greedy: ``paired_test(before, after)``
counts the problems one solves and the other does not and gives the exact two-sided McNemar p-value (a sign
test on those discordant problems); ``wilson_interval`` is the 95% interval of one pass rate. Sampled:
``paired_rate_test(before, after)`` takes each problem's pass fraction c/n and gives a two-sided sign-flip
permutation p-value of the mean difference (under "no difference" each problem's difference is as likely
negated), which counts both the spread between problems and the sampling noise inside each.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from rtlgen.train.configs import EvalSettings

TASK_NAME = "jsonl"
TASK_TARGET = "rtlgen.evals.tasks.jsonl_task:TASK"


@dataclass(frozen=True)
class HeldoutResult:
    pass_at_1: float
    n: int  # held-out problems judged
    passed: int
    categories: dict
    out: str  # the eval's output directory (results.jsonl, summary.json, report.md)
    spec: str  # the model spec evaluated
    command: str  # the rtlgen eval command line that gives the same numbers
    passed_ids: tuple[str, ...] = ()  # the held-out problems solved (by any sample), for paired comparisons
    samples: int = 1  # completions per problem (1: greedy)
    rates: tuple[tuple[str, float], ...] = ()  # (problem, c/n) for every problem, for paired_rate_test

    def to_json(self) -> dict:
        return dict(self.__dict__)


def ensure_task() -> None:
    """The ``jsonl`` task is registered in rtlgen/evals/registry.py; this checks it is the one we mean."""
    from rtlgen.evals.registry import TASKS

    if TASKS.target(TASK_NAME) != TASK_TARGET:
        raise RuntimeError(f"task {TASK_NAME!r} is registered as {TASKS.target(TASK_NAME)}, not {TASK_TARGET}")


def check_heldout(settings: EvalSettings) -> None:
    """Before training: the held-out file parses as the ``jsonl`` task, and the judge's tools and sandbox are
    there (one-line errors now, not after an hour of training)."""
    if not settings.data:
        return
    from rtlgen.evals.runner import MAX_SAMPLES
    from rtlgen.evals.tasks.jsonl_task import TASK
    from rtlgen.inputs import check_int
    from rtlgen.rewards.simulation import SimulationReward

    check_int(settings.samples, "eval.samples", minimum=1, maximum=MAX_SAMPLES)
    TASK.load(TASK.resolve_data(settings.data))
    SimulationReward(unsafe=settings.unsafe).preflight()


def model_spec(model_dir: str | Path, adapter: str | Path | None, settings: EvalSettings) -> str:
    """``hf:DIR?[adapter=A&]batch_size=B&max_new_tokens=T`` (absolute paths: the spec is logged and re-run)."""
    opts = [f"batch_size={settings.batch_size}", f"max_new_tokens={settings.max_new_tokens}"]
    if adapter:
        opts.insert(0, f"adapter={quote(str(Path(adapter).resolve()), safe='/')}")
    return f"hf:{Path(model_dir).resolve()}?" + "&".join(opts)


def evaluate_heldout(model_dir: str | Path, adapter: str | Path | None, settings: EvalSettings, out: Path, *,
                     backend=None, progress: bool = False) -> HeldoutResult:
    """pass@1 of ``model_dir`` (+ ``adapter``) on ``settings.data`` (greedy, or the mean c/n of
    ``settings.samples`` sampled completions), judged strictly; resumable in ``out``.

    ``backend`` reuses an already-loaded model (it must be the one ``model_spec`` names)."""
    from rtlgen.evals.results import Mode
    from rtlgen.evals.runner import EvalConfig, run_eval
    from rtlgen.sandbox import build_sandbox

    ensure_task()
    spec = model_spec(model_dir, adapter, settings)
    config = EvalConfig(task=TASK_NAME, mode=Mode.STRICT, model=spec, data_dir=settings.data, out=str(out),
                        limit=settings.limit or None, jobs=settings.jobs or None, progress=progress, robust=False,
                        samples=settings.samples)
    sandbox = None
    if settings.unsafe:
        sandbox = build_sandbox(unsafe=True)  # the explicit opt-in of settings.unsafe, for trusted machines
    summary = run_eval(config, backend=backend, sandbox=sandbox)
    argv = ["rtlgen", "eval", TASK_NAME, "--task", TASK_NAME, "--mode", "strict", "--data-dir", settings.data,
            "--model", spec, "--out", str(out)] + (["--limit", str(settings.limit)] if settings.limit else []) \
        + (["--samples", str(settings.samples)] if settings.samples > 1 else [])
    return HeldoutResult(pass_at_1=float(summary.get("pass_at_1") or 0.0), n=int(summary["problems"]),
                         passed=len(summary["passed"]), categories=dict(summary.get("categories", {})),
                         out=str(out), spec=spec, command=shlex.join(argv),
                         passed_ids=tuple(sorted(summary["passed"])), samples=settings.samples,
                         rates=tuple((p["task_id"], p["c"] / p["n"] if p["n"] else 0.0)
                                     for p in summary["per_problem"]))


def wilson_interval(passed: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of ``passed / n`` (95% by default); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = passed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def paired_test(before: Iterable[str], after: Iterable[str]) -> dict:
    """Two evaluations of the same problems, given as the ids each solved: ``gained`` (solved only after),
    ``lost`` (solved only before) and the exact two-sided McNemar p-value, a binomial(gained + lost, 1/2)
    test on those discordant problems (1.0 when there are none)."""
    b, a = set(before), set(after)
    gained, lost = len(a - b), len(b - a)
    n = gained + lost
    tail = sum(math.comb(n, i) for i in range(min(gained, lost) + 1)) / 2 ** n if n else 0.5
    return {"gained": gained, "lost": lost, "p_value": min(1.0, 2 * tail)}


def paired_rate_test(before: Mapping[str, float], after: Mapping[str, float], draws: int = 100_000,
                     seed: int = 0) -> dict:
    """Two sampled evaluations of the same problems, given as {problem: c/n}: the mean pass fraction before and
    after, the problems that rose and fell, and the two-sided sign-flip permutation p-value of the mean
    difference (``draws`` random sign patterns, seeded; exact enumeration when there are at most 16 nonzero
    differences). Only problems in both are compared."""
    import itertools

    import numpy as np

    ids = sorted(set(before) & set(after))
    diffs = np.array([after[i] - before[i] for i in ids], dtype=float)
    nonzero = diffs[diffs != 0]
    observed = abs(float(nonzero.sum()))
    if nonzero.size == 0:
        p = 1.0
    elif nonzero.size <= 16:
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=nonzero.size)))
        p = float(np.mean(np.abs(signs @ nonzero) >= observed - 1e-9))
    else:
        signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(draws, nonzero.size))
        # the observed pattern counts as one draw, so p is never 0
        p = float((np.sum(np.abs(signs @ nonzero) >= observed - 1e-9) + 1) / (draws + 1))
    n = max(1, len(ids))
    return {"problems": len(ids), "before": sum(before[i] for i in ids) / n, "after": sum(after[i] for i in ids) / n,
            "rose": int(np.sum(diffs > 0)), "fell": int(np.sum(diffs < 0)), "p_value": min(1.0, p)}


__all__ = ["HeldoutResult", "check_heldout", "ensure_task", "evaluate_heldout", "model_spec", "paired_rate_test",
           "paired_test", "wilson_interval"]
