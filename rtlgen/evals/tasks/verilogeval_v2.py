"""VerilogEval v2 (NVlabs/verilog-eval main at c498220d): spec-to-rtl and code-complete-iccad2023.

Files per problem under ``v2/<task dir>/``: ``_prompt.txt``, ``_ref.sv`` (RefModule), ``_test.sv`` (tb)
and for code-complete ``_ifc.txt``; ``problems.txt`` lists the 156 names in order. A sample is
judged as upstream's Makefile does: ``iverilog ... -s tb <sample>.sv <test>.sv <ref>.sv``, then the
simulation, one combined log, sv-iv-analyze's rules (``rtlgen.evals.scoring``).
"""

from __future__ import annotations

import re
from pathlib import Path

from rtlgen.evals.datadir import require
from rtlgen.evals.registry import EvalTask
from rtlgen.evals.results import Problem, Verdict
from rtlgen.evals.scoring import icarus_job, verdict_v2
from rtlgen.llm import extract as ex
from rtlgen.llm import prompts as pr
from rtlgen.llm.base import Prompt
from rtlgen.sandbox import Job, JobResult

# References that fail on these iverilog versions (data README, upstream issues #13, #21).
_BROKEN_BOTH = frozenset({"Prob082_lfsr32", "Prob141_count_clock", "Prob156_review2015_fancytimer"})
_BROKEN_11 = _BROKEN_BOTH | {"Prob151_review2015_fsm"}


class VerilogEvalV2(EvalTask):
    VERSION = 2  # 2: strict mode judged by rtlgen.sim.judge
    size = 156
    dut_top = "TopModule"
    reference_top = "RefModule"

    def __init__(self, name: str, subdir: str, upstream_task: str, broken: dict[int, frozenset[str]]) -> None:
        self.name = name
        self.subdir = subdir  # folder under v2/
        self.upstream_task = upstream_task  # sv-generate's --task value
        self.broken = broken

    def load(self, data_dir: Path) -> list[Problem]:
        root = require(Path(data_dir) / "v2" / self.subdir, f"VerilogEval v2 {self.upstream_task} data")
        names = require(root / "problems.txt", "problem list").read_text().split()
        problems = []
        for name in names:
            ifc = root / f"{name}_ifc.txt"
            problems.append(Problem(
                task_id=name,
                prompt=require(root / f"{name}_prompt.txt", "prompt").read_text(),
                ref=require(root / f"{name}_ref.sv", "reference").read_text(),
                test=require(root / f"{name}_test.sv", "testbench").read_text(),
                ifc=ifc.read_text() if ifc.exists() else "",
            ))
        return problems

    def prompt(self, problem: Problem, data_dir: Path, shots: int) -> Prompt:
        return pr.v2_prompt(self.upstream_task, problem.prompt, icl_dir=Path(data_dir) / "v2" / "icl-examples",
                            shots=shots)

    def golden(self, problem: Problem) -> str:
        return re.sub(r"\bRefModule\b", self.dut_top, problem.ref)

    def extract(self, problem: Problem, response: str) -> tuple[ex.Extraction, ex.Extraction]:
        header = problem.ifc if self.upstream_task == pr.CODE_COMPLETE else ""
        return (ex.extract_upstream(self.upstream_task, response, problem.ifc),
                ex.extract_robust(response, self.dut_top, header=header))

    def official_job(self, problem: Problem, code: str) -> Job:
        p = problem.task_id
        return icarus_job({f"{p}_sample01.sv": code, f"{p}_test.sv": problem.test, f"{p}_ref.sv": problem.ref},
                          self.tb_top)

    def official_verdict(self, problem: Problem, code: str, result: JobResult) -> Verdict:
        return verdict_v2(result, code)

    def bench_sources(self, problem: Problem) -> dict[str, str]:
        return {"test.sv": problem.test, "ref.sv": problem.ref}

    def dut_source(self, problem: Problem, code: str) -> str:
        return code


SPEC_TO_RTL = VerilogEvalV2("verilogeval-v2-spec-to-rtl", "spec-to-rtl", pr.SPEC_TO_RTL,
                            {11: _BROKEN_11 | {"Prob099_m2014_q6c"}, 12: _BROKEN_BOTH | {"Prob099_m2014_q6c"}})
CODE_COMPLETE = VerilogEvalV2("verilogeval-v2-code-complete", "code-complete-iccad2023", pr.CODE_COMPLETE,
                              {11: _BROKEN_11, 12: _BROKEN_BOTH})
