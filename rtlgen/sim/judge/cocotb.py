"""A design against a trusted cocotb test, through the judge's checks first.

The design is screened, preprocessed and statically checked like any other (``Judge.screen``), then run
under cocotb with a results file whose name is a fresh secret of the run (``rtlgen.sim.cocotb_runner``).
"""

from __future__ import annotations

from dataclasses import replace

from rtlgen.sandbox import Limits
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.cocotb_runner import CocotbResult, run_cocotb
from rtlgen.sim.judge.core import Judge
from rtlgen.sim.judge.verdict import JudgeVerdict


def judge_cocotb(judge: Judge, design: str, top: str, test_module: str, test_source: str, *,
                 limits: Limits | None = None) -> tuple[JudgeVerdict, CocotbResult | None]:
    """(verdict, the cocotb run or None when the design was refused before running)."""
    screened = judge.screen(design, top)
    if isinstance(screened, JudgeVerdict):
        return screened, None
    res = run_cocotb({"design.sv": screened}, top, test_module, test_source, sandbox=judge.sandbox, limits=limits)
    sim = res.sim
    base = dict(protocol="cocotb", tool=judge.tool, trust=judge.config.trust.value, compiled=sim.compiled,
                compile_log=sim.compile_log[-4000:], run_log=sim.run_log[-4000:], wall_s=round(sim.wall_s, 4),
                cpu_s=round(sim.cpu_s, 4), cached=sim.cached)
    if res.passed:
        verdict = JudgeVerdict(True, FC.PASS, f"{res.tests} of {res.tests} cocotb tests passed", **base)
    elif res.results_found and res.tests:
        verdict = JudgeVerdict(False, FC.MISMATCH, f"{res.tests - res.failed} of {res.tests} cocotb tests passed",
                               res.failed, res.tests, **base)
    else:
        category = sim.category if sim.category is not FC.PASS else FC.NO_VERDICT
        verdict = JudgeVerdict(False, category, f"cocotb produced no results ({sim.status.value.replace('_', ' ')})",
                               **base)
    return verdict, replace(res, sim=sim)
