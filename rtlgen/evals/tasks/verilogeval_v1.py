"""VerilogEval v1 (NVlabs/verilog-eval release/1.0.0 at 4fa0ac4e): the Human (156) and Machine (143) sets.

Rows of ``v1/data/VerilogEval_<set>.jsonl`` hold ``prompt`` (the ``top_module`` header), the
``canonical_solution`` (the body) and the ``test``; descriptions are in ``v1/descriptions``. A
completion is the module body: upstream's ``execution.py`` writes ``test + "\\n" + prompt + "\\n" +
completion`` into one file, compiles it with ``-s tb`` and runs ``vvp -n`` (``rtlgen.evals.scoring``).
"""

from __future__ import annotations

import json
from pathlib import Path

from rtlgen.errors import DataMissingError
from rtlgen.evals.datadir import require
from rtlgen.evals.registry import EvalTask
from rtlgen.evals.results import Problem, Verdict
from rtlgen.evals.scoring import icarus_job, verdict_v1
from rtlgen.llm import extract as ex
from rtlgen.llm import prompts as pr
from rtlgen.llm.base import Prompt
from rtlgen.sandbox import Job, JobResult


def _jsonl(path: Path) -> list[dict]:
    rows = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise DataMissingError(f"{path}:{lineno}: not JSON ({exc}); re-fetch the data") from exc
    return rows


class VerilogEvalV1(EvalTask):
    VERSION = 2  # 2: strict mode judged by rtlgen.sim.judge
    dut_top = "top_module"
    reference_top = "reference_module"

    def __init__(self, name: str, which: str, size: int, broken: dict[int, frozenset[str]]) -> None:
        self.name = name
        self.which = which  # "Human" or "Machine"
        self.size = size
        self.broken = broken

    def load(self, data_dir: Path) -> list[Problem]:
        v1 = Path(data_dir) / "v1"
        rows = _jsonl(require(v1 / "data" / f"VerilogEval_{self.which}.jsonl", f"VerilogEval v1 {self.which}"))
        desc_path = v1 / "descriptions" / f"VerilogDescription_{self.which}.jsonl"
        descriptions = {r["task_id"]: r.get("detail_description", "") for r in _jsonl(desc_path)} \
            if desc_path.exists() else {}
        return [Problem(task_id=r["task_id"], prompt=r["prompt"], ref=r["canonical_solution"], test=r["test"],
                        ifc=r["prompt"], description=descriptions.get(r["task_id"], "")) for r in rows]

    def prompt(self, problem: Problem, data_dir: Path, shots: int) -> Prompt:
        return pr.v1_prompt(problem.description, problem.prompt)

    def golden(self, problem: Problem) -> str:
        return problem.ref

    def extract(self, problem: Problem, response: str) -> tuple[ex.Extraction, ex.Extraction]:
        upstream = ex.Extraction(code=response, method="upstream", empty=not response.strip())
        robust = ex.extract_robust(response, self.dut_top, header=problem.prompt)
        body = ex.module_body(robust.code, self.dut_top) if robust.code else ""
        return upstream, ex.Extraction(code=body, method="robust", truncated=robust.truncated, empty=robust.empty)

    def official_job(self, problem: Problem, code: str) -> Job:
        text = problem.test + "\n" + problem.prompt + "\n" + code
        return icarus_job({f"{problem.task_id}.sv": text}, self.tb_top)

    def official_verdict(self, problem: Problem, code: str, result: JobResult) -> Verdict:
        return verdict_v1(result)

    def bench_sources(self, problem: Problem) -> dict[str, str]:
        return {"test.sv": problem.test}

    def dut_source(self, problem: Problem, code: str) -> str:
        return problem.prompt + "\n" + code


_BROKEN_11 = frozenset({"review2015_fsm", "review2015_fancytimer"})
HUMAN = VerilogEvalV1("verilogeval-v1-human", "Human", 156, {11: _BROKEN_11, 12: frozenset()})
MACHINE = VerilogEvalV1("verilogeval-v1-machine", "Machine", 143, {11: frozenset(), 12: frozenset()})
