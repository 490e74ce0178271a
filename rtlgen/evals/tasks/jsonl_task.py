"""``jsonl``: a benchmark served from an RL-form JSONL (one problem a line), e.g. held-out family instances.

    rtlgen eval ... --task jsonl --data-dir heldout.jsonl --model hf:DIR?adapter=ADAPTER --mode strict

Each line holds ``id`` (or ``task_id``), ``prompt`` (a string, or a list of ``{role, content}``),
``testbench`` (module ``tb``, VerilogEval v2 style: ``Mismatches: M in N samples``), ``reference``
(module ``RefModule``; may be empty for a self-contained bench) and ``top`` (default ``TopModule``).
The prompt goes to the model as is: a string is one user message. There is no upstream harness for these
problems, so both extractions use rtlgen's robust rule, and the official job is VerilogEval v2's
(``iverilog`` on sample + test + ref, its log rules); strict mode is the one judge, as everywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rtlgen.errors import DataMissingError, InputError
from rtlgen.evals.registry import EvalTask
from rtlgen.evals.results import Problem, Verdict
from rtlgen.evals.scoring import icarus_job, verdict_v2
from rtlgen.inputs import DATA_MAX, read_input_text
from rtlgen.llm import extract as ex
from rtlgen.llm.base import ChatMessage, Prompt
from rtlgen.sandbox import Job, JobResult

_CHAT = "chat:"  # Problem.description prefix marking a prompt stored as JSON chat messages


class JsonlTask(EvalTask):
    name = "jsonl"
    published = False  # the user's own problems (a held-out split): no benchmark to decontaminate against
    VERSION = 1
    dut_top = "TopModule"
    tb_top = "tb"
    reference_top = "RefModule"
    protocol = "mismatch_count"

    def resolve_data(self, data_dir: str | None) -> Path:
        """The JSONL file itself (``--data-dir FILE.jsonl``)."""
        if not data_dir:
            raise DataMissingError("task jsonl reads its problems from a JSONL file: pass --data-dir FILE.jsonl")
        path = Path(data_dir).expanduser()
        if not path.is_file():
            raise DataMissingError(f"task jsonl: {path} is not a file; pass --data-dir FILE.jsonl")
        return path

    def load(self, data_dir: Path) -> list[Problem]:
        text = read_input_text(Path(data_dir), "problems file", DATA_MAX)
        problems, seen = [], set()
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{data_dir}:{lineno}"
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise InputError(f"{where}: not a JSON object ({exc})") from None
            problem = _problem(row, where, len(problems))
            if problem.task_id in seen:
                raise InputError(f"{where}: duplicate id {problem.task_id!r}")
            seen.add(problem.task_id)
            problems.append(problem)
        if not problems:
            raise InputError(f"{data_dir} has no problems")
        return problems

    def port_reference(self, problem: Problem) -> tuple[str, str | None]:
        return "", (self.reference_top if problem.ref else None)

    def prompt(self, problem: Problem, data_dir: Path, shots: int) -> Prompt:
        if problem.description.startswith(_CHAT):
            return [ChatMessage(m["role"], m["content"]) for m in json.loads(problem.description[len(_CHAT):])]
        return [ChatMessage("user", problem.prompt)]

    def golden(self, problem: Problem) -> str:
        return re.sub(rf"\bmodule\s+{self.reference_top}\b", f"module {self.design_top(problem)}", problem.ref,
                      count=1)

    def extract(self, problem: Problem, response: str) -> tuple[ex.Extraction, ex.Extraction]:
        robust = ex.extract_robust(response, self.design_top(problem))
        return ex.Extraction(robust.code, "upstream", robust.truncated, robust.empty, robust.reason), robust

    def official_job(self, problem: Problem, code: str) -> Job:
        files = {"sample.sv": code, "test.sv": problem.test}
        if problem.ref:
            files["ref.sv"] = problem.ref
        return icarus_job(files, self.tb_top)

    def official_verdict(self, problem: Problem, code: str, result: JobResult) -> Verdict:
        return verdict_v2(result, code)

    def bench_sources(self, problem: Problem) -> dict[str, str]:
        return {"test.sv": problem.test, **({"ref.sv": problem.ref} if problem.ref else {})}

    def dut_source(self, problem: Problem, code: str) -> str:
        return code


def _problem(row: object, where: str, index: int) -> Problem:
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}")
    task_id = row.get("id", row.get("task_id", f"row{index + 1:05d}"))
    test, ref, top, prompt = row.get("testbench"), row.get("reference") or "", row.get("top") or "", row.get("prompt")
    if not isinstance(test, str) or not test.strip():
        raise InputError(f"{where}: no 'testbench' (a string holding module tb)")
    if not isinstance(ref, str) or not isinstance(top, str) or not isinstance(task_id, str):
        raise InputError(f"{where}: 'id', 'reference' and 'top' must be strings")
    description = ""
    if isinstance(prompt, list):
        if not all(isinstance(m, dict) and isinstance(m.get("content"), str) and isinstance(m.get("role"), str)
                   for m in prompt) or not prompt:
            raise InputError(f"{where}: 'prompt' messages must be {{role, content}} objects")
        description, prompt = _CHAT + json.dumps(prompt), prompt[-1]["content"]
    if not isinstance(prompt, str) or not prompt.strip():
        raise InputError(f"{where}: no 'prompt' (a string or a list of chat messages)")
    return Problem(task_id=task_id, prompt=prompt, ref=ref, test=test, top=top, description=description)


TASK = JsonlTask()
