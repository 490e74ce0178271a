"""The one judge: every verdict on generated RTL (evals, RL rewards, the agent, datasets, ``sim run --judge``).

    from rtlgen.sim.judge import Bench, Judge
    verdict = Judge().judge(design_text, Bench({"tb.sv": tb}, top="tb", dut_top="adder"))
    verdict.passed, verdict.category, verdict.reason, verdict.fraction_correct

What it guarantees, and what it does not, is in the README's "The judge" section and in each
module's docstring: ``core`` (the stages), ``static`` (what a design may not contain), ``harden``
(the per-run secret), ``jobs`` (keeping the secret out of the design's reach), ``verdict`` (reading
only the bench's own output).
"""

from rtlgen.sim.judge.bench import Bench, BenchProtocol
from rtlgen.sim.judge.core import Judge, JudgeConfig, Trust
from rtlgen.sim.judge.jobs import JudgeLimits, SimulatorKind
from rtlgen.sim.judge.verdict import JudgeVerdict

__all__ = ["Bench", "BenchProtocol", "Judge", "JudgeConfig", "JudgeLimits", "JudgeVerdict", "SimulatorKind", "Trust"]
