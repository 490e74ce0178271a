"""Simulation reward: does generated RTL pass the row's testbench? For RL with TRL (GRPO and friends).

    reward = SimulationReward(testbench_column="testbench", reference_column="reference")
    reward(prompts, completions, testbench=[tb, ...], reference=[ref, ...])  # -> [1.0 | shaped | 0.0 | None]

Each completion is cut down to Verilog with ``rtlgen.rewards.completions.completion_code``, compiled with the
row's testbench (and reference module, for VerilogEval-style rows whose testbench instantiates
``RefModule``) and simulated in the sandbox, all rows of a call concurrently; identical programs run
once (the sandbox's result cache, when given a ``cache_dir``). The verdict is
``rtlgen.sim.verdict.tb_verdict``. Values: ``pass_value`` on a pass; with ``shaped``, a failing run that
reports ``Mismatches: M in N samples`` earns ``shaped_max * (1 - M/N)``, so a policy is paid for being
nearly right; ``failure_value`` for no code, compile errors, crashes and sandbox kills; ``None`` for a
row without a testbench (TRL then ignores this reward for that row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rtlgen.rewards.completions import completion_code
from rtlgen.sandbox import KilledBy, Limits, Sandbox, SandboxConfig, run_many
from rtlgen.sandbox.runner import Backend
from rtlgen.sim.icarus import IcarusSimulator
from rtlgen.sim.verdict import mismatch_counts, tb_verdict


class SimulationReward:
    """Picklable TRL reward; the sandbox is created lazily in each process."""

    __name__ = "simulation"  # TRL names reward columns after this

    def __init__(self, testbench_column: str = "testbench", reference_column: str | None = "reference", *,
                 top: str = "TopModule", tb_top: str = "tb", pass_value: float = 1.0, shaped: bool = True,
                 shaped_max: float = 0.5, failure_value: float = 0.0, timeout_s: float = 30.0,
                 cache_dir: str | None = None, workers: int | None = None, unsafe: bool = False) -> None:
        self.testbench_column = testbench_column  # dataset column with the self-checking testbench
        self.reference_column = reference_column  # optional column with a reference module the tb instantiates
        self.top = top  # module name the completion must define
        self.tb_top = tb_top  # top-level module of the testbench
        self.pass_value = pass_value  # reward for a passing design
        self.shaped = shaped  # partial credit from the mismatch fraction
        self.shaped_max = shaped_max  # best partial credit, kept below pass_value so passing always wins
        self.failure_value = failure_value  # no code, compile error, crash, sandbox kill
        self.timeout_s = timeout_s  # wall clock of each simulation
        self.cache_dir = cache_dir  # sandbox result cache; repeated samples (common in GRPO groups) run once
        self.workers = workers  # concurrent simulations; None: all cores
        self.unsafe = unsafe  # run without bwrap (trusted code only)
        self._sandbox: Sandbox | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_sandbox": None}

    def _sb(self) -> Sandbox:
        if self._sandbox is None:
            backend = Backend.UNSAFE_LOCAL if self.unsafe else Backend.BWRAP
            self._sandbox = Sandbox(SandboxConfig(backend=backend, cache_dir=self.cache_dir), allow_unsafe=self.unsafe)
        return self._sandbox

    def score(self, stdout: str, exit_code: int | None, killed: bool, compiled: bool) -> float:
        if not compiled:
            return self.failure_value
        passed, _ = tb_verdict(stdout, exit_code, killed)
        if passed:
            return self.pass_value
        counts = mismatch_counts(stdout)
        if self.shaped and not killed and counts and counts[1] > 0:
            return self.shaped_max * (1.0 - counts[0] / counts[1])
        return self.failure_value

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float | None]:
        benches = columns.get(self.testbench_column) or [None] * len(completions)
        refs = columns.get(self.reference_column) if self.reference_column else None
        sim = IcarusSimulator(limits=Limits(wall_s=self.timeout_s, cpu_s=self.timeout_s))
        rewards: list[float | None] = [None] * len(completions)
        jobs, where = [], []
        for i, (completion, bench) in enumerate(zip(completions, benches, strict=True)):
            if not bench:
                continue
            extraction = completion_code(completion, self.top)
            if extraction.empty or extraction.truncated:
                rewards[i] = self.failure_value
                continue
            sources = {"design.sv": extraction.code, "tb.sv": bench}
            if refs and refs[i]:
                sources["ref.sv"] = refs[i]
            jobs.append(sim.build_job(sources, self.tb_top))
            where.append(i)
        for i, result in zip(where, run_many(self._sb(), jobs, workers=self.workers), strict=True):
            parsed = sim.parse(result)
            rewards[i] = self.score(parsed.run_log, parsed.exit_code, parsed.killed_by is not KilledBy.NONE,
                                    parsed.compiled)
        return rewards
