"""Simulation reward: does generated RTL pass the row's testbench? For RL with TRL (GRPO and friends).

    reward = SimulationReward(testbench_column="testbench", reference_column="reference")
    reward(prompts, completions, testbench=[tb, ...], reference=[ref, ...])  # -> [1.0 | shaped | 0.0 | None]

Each completion is cut down to Verilog with ``rtlgen.rewards.completions.completion_code`` and judged
by the one judge (``rtlgen.sim.judge``) against the row's testbench (and reference module, for
VerilogEval-style rows whose testbench instantiates ``RefModule``), all rows of a call as one batch;
identical designs for one bench run once. The design cannot print, stop, reach or instantiate its way
to a pass: that is the judge's guarantee, and what makes the reward safe to optimise.

Values: ``pass_value`` on a pass; with ``shaped``, a failing run whose bench reported a trusted
``Mismatches: M in N samples`` earns ``shaped_max * (1 - M/N)``; ``failure_value`` for no code,
forbidden constructs, compile errors, crashes and sandbox kills; ``None`` for a row without a
testbench (TRL then ignores this reward for that row). ``last_categories`` holds the failure category
of each row of the last call, for logging.

``trust="naive"`` reads every printed line, the design's own included (a design that prints
``Mismatches: 0 in 16 samples`` passes): only for reproducing harnesses that score that way, never for
training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rtlgen.rewards.completions import completion_code
from rtlgen.sandbox import Sandbox, SandboxConfig
from rtlgen.sandbox.runner import Backend
from rtlgen.sim.judge import Bench, Judge, JudgeConfig, JudgeLimits, JudgeVerdict, Trust


class SimulationReward:
    """Picklable TRL reward; the sandbox and judge are created lazily in each process."""

    __name__ = "simulation"  # TRL names reward columns after this

    def __init__(self, testbench_column: str = "testbench", reference_column: str | None = "reference", *,
                 top: str = "TopModule", tb_top: str = "tb", reference_top: str = "RefModule",
                 pass_value: float = 1.0, shaped: bool = True, shaped_max: float = 0.5, failure_value: float = 0.0,
                 timeout_s: float = 30.0, cache_dir: str | None = None, workers: int | None = None,
                 unsafe: bool = False, trust: str | Trust = Trust.STRICT) -> None:
        self.testbench_column = testbench_column  # dataset column with the self-checking testbench
        self.reference_column = reference_column  # optional column with a reference module the tb instantiates
        self.top = top  # module name the completion must define
        self.tb_top = tb_top  # top-level module of the testbench
        self.reference_top = reference_top  # module name of the reference, when a row has one
        self.pass_value = pass_value  # reward for a passing design
        self.shaped = shaped  # partial credit from the bench's own (tagged) mismatch fraction
        self.shaped_max = shaped_max  # best partial credit, kept below pass_value so passing always wins
        self.failure_value = failure_value  # no code, forbidden, compile error, crash, sandbox kill
        self.timeout_s = timeout_s  # wall clock of each simulation
        self.cache_dir = cache_dir  # sandbox result cache (preprocessing; simulations carry a fresh secret)
        self.workers = workers  # concurrent simulations; None: all cores
        self.unsafe = unsafe  # run without bwrap (trusted code only)
        self.trust = Trust(trust)  # STRICT (the default) or NAIVE (forgeable; see the module docstring)
        self.last_categories: list[str | None] = []
        self._judge: Judge | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_judge": None}

    def judge(self) -> Judge:
        if self._judge is None:
            backend = Backend.UNSAFE_LOCAL if self.unsafe else Backend.BWRAP
            sandbox = Sandbox(SandboxConfig(backend=backend, cache_dir=self.cache_dir), allow_unsafe=self.unsafe)
            config = JudgeConfig(trust=self.trust, workers=self.workers,
                                 limits=JudgeLimits(run_wall_s=self.timeout_s))
            self._judge = Judge(config, sandbox=sandbox)
        return self._judge

    def score(self, verdict: JudgeVerdict) -> float:
        if verdict.passed:
            return self.pass_value
        fraction = verdict.fraction_correct
        if self.shaped and fraction is not None:
            return self.shaped_max * fraction
        return self.failure_value

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float | None]:
        benches = columns.get(self.testbench_column) or [None] * len(completions)
        refs = columns.get(self.reference_column) if self.reference_column else None
        rewards: list[float | None] = [None] * len(completions)
        categories: list[str | None] = [None] * len(completions)
        items, where = [], []
        for i, (completion, bench) in enumerate(zip(completions, benches, strict=True)):
            if not bench:
                continue
            extraction = completion_code(completion, self.top)
            if extraction.empty or extraction.truncated:
                rewards[i] = self.failure_value
                categories[i] = "empty" if extraction.empty else "truncated"
                continue
            files = {"tb.sv": bench}
            ref = refs[i] if refs else None
            if ref:
                files["ref.sv"] = ref
            items.append((extraction.code, Bench(files, top=self.tb_top, dut_top=self.top,
                                                 reference_top=self.reference_top if ref else None)))
            where.append(i)
        for i, verdict in zip(where, self.judge().judge_many(items), strict=True):
            rewards[i] = self.score(verdict)
            categories[i] = verdict.category.value
        self.last_categories = categories
        return rewards
