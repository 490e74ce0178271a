"""Strict scoring: the code under test is hostile; the verdict is the one judge's (``rtlgen.sim.judge``).

This module only adapts: a benchmark problem becomes a trusted ``Bench`` (testbench + reference, the
reference module whose port directions the design must keep), and the judge's ``JudgeVerdict`` becomes
the evaluation's ``Verdict``. What strict mode guarantees is the judge's guarantee (see the README).
"""

from __future__ import annotations

from rtlgen.evals.registry import EvalTask
from rtlgen.evals.results import Problem, Verdict
from rtlgen.sim.judge import Bench, BenchProtocol, JudgeVerdict


def bench_for(task: EvalTask, problem: Problem) -> Bench:
    ref_text, ref_top = task.port_reference(problem)
    return Bench(task.bench_sources(problem), top=task.bench_top(problem), dut_top=task.design_top(problem),
                 reference_top=ref_top, port_reference=ref_text, protocol=BenchProtocol(task.protocol),
                 name=problem.task_id, data_files=dict(problem.data_files), timescale=task.timescale)


def to_verdict(verdict: JudgeVerdict) -> Verdict:
    return Verdict(verdict.passed, verdict.category.value, verdict.mismatches, verdict.samples, verdict.reason)


__all__ = ["bench_for", "to_verdict"]
