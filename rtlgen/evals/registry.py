"""Benchmark tasks: the base class every task implements, and a registry of lazy ``"module:object"`` targets.

Adding a benchmark family (RTLLM, ...) is one module under ``rtlgen/evals/tasks`` plus one line in
``TASKS``. Each task carries a ``VERSION``, bumped whenever its scoring changes, and logged with results.
"""

from __future__ import annotations

import abc
from pathlib import Path

from rtlgen.evals.results import Problem, Verdict
from rtlgen.llm.base import Prompt
from rtlgen.llm.extract import Extraction
from rtlgen.registry import Registry
from rtlgen.sandbox import Job, JobResult

TASKS: Registry = Registry("task", {
    "verilogeval-v1-human": "rtlgen.evals.tasks.verilogeval_v1:HUMAN",
    "verilogeval-v1-machine": "rtlgen.evals.tasks.verilogeval_v1:MACHINE",
    "verilogeval-v2-spec-to-rtl": "rtlgen.evals.tasks.verilogeval_v2:SPEC_TO_RTL",
    "verilogeval-v2-code-complete": "rtlgen.evals.tasks.verilogeval_v2:CODE_COMPLETE",
    "rtllm-v1.1": "rtlgen.evals.tasks.rtllm:V1_1",
    "rtllm-v2.0": "rtlgen.evals.tasks.rtllm:V2_0",
    "jsonl": "rtlgen.evals.tasks.jsonl_task:TASK",  # RL-form JSONL (prompt, testbench, reference, top): held-out sets
}, cutoff=0.4)


class EvalTask(abc.ABC):
    """One benchmark: how to load it, prompt for it, extract code, and judge a sample officially.

    Strict scoring is generic: it needs only ``bench_sources`` and ``dut_source``.
    """

    name: str = ""
    VERSION: int = 1
    size: int = 0  # number of problems a complete data set has
    published: bool = True  # a public benchmark (decontamination checks training data against every one)
    dut_top: str = "TopModule"  # module the sample must define
    tb_top: str = "tb"
    reference_top: str | None = None  # the bench's reference module; the judge checks port directions against it
    broken: dict[int, frozenset[str]] = {}  # iverilog major version -> problems whose reference fails
    protocol: str = "mismatch_count"  # how the benchmark's testbenches report (rtlgen.sim.judge.BenchProtocol)
    timescale: str | None = None  # default timescale of files without one ("1ns/1ns": upstream's simulator flag)

    def resolve_data(self, data_dir: str | None) -> Path:
        """The data directory to read (``--data-dir``, then the task's environment variable, then the cache)."""
        from rtlgen.evals.datadir import resolve_data_dir

        return resolve_data_dir(data_dir)

    def design_top(self, problem: Problem) -> str:
        return problem.top or self.dut_top

    def bench_top(self, problem: Problem) -> str:
        return problem.tb_top or self.tb_top

    def port_reference(self, problem: Problem) -> tuple[str, str | None]:
        """(text, module) the judge checks a design's port directions against; text "" = the bench files."""
        return "", self.reference_top

    @abc.abstractmethod
    def load(self, data_dir: Path) -> list[Problem]:
        """Every problem, in benchmark order; DataMissingError when files are absent."""

    @abc.abstractmethod
    def prompt(self, problem: Problem, data_dir: Path, shots: int) -> Prompt:
        """Chat messages for a model, as upstream builds them."""

    @abc.abstractmethod
    def golden(self, problem: Problem) -> str:
        """The reference solution as a sample (already code: no extraction)."""

    @abc.abstractmethod
    def extract(self, problem: Problem, response: str) -> tuple[Extraction, Extraction]:
        """(upstream extraction, robust extraction) of one model response."""

    @abc.abstractmethod
    def official_job(self, problem: Problem, code: str) -> Job:
        """The sandbox job upstream's harness would run for this sample."""

    @abc.abstractmethod
    def official_verdict(self, problem: Problem, code: str, result: JobResult) -> Verdict:
        """Upstream's pass rule on that job's result."""

    @abc.abstractmethod
    def bench_sources(self, problem: Problem) -> dict[str, str]:
        """Testbench and reference files (module ``tb_top`` and everything it needs except the DUT)."""

    @abc.abstractmethod
    def dut_source(self, problem: Problem, code: str) -> str:
        """The complete design text of a sample (v1: prompt header + body)."""

    def known_broken(self, iverilog_major: int | None) -> frozenset[str]:
        """Problems whose reference fails on this iverilog (the nearest known version's list)."""
        if not self.broken:
            return frozenset()
        if iverilog_major in self.broken:
            return self.broken[iverilog_major]
        nearest = min(self.broken, key=lambda v: abs(v - (iverilog_major or 0)))
        return self.broken[nearest]


TASKS.base = EvalTask  # checked on first use of each task


def available_tasks() -> list[str]:
    return sorted(TASKS.names())


def published_benchmarks() -> list[str]:
    """Registered tasks that are public benchmarks (not a user's own JSONL of problems)."""
    return [name for name in available_tasks() if _published(name)]


def _published(name: str) -> bool:
    obj = TASKS.get(name)
    return bool(getattr(obj, "published", True))


def get_task(name: str) -> EvalTask:
    """The registered task ``name``; an unknown name fails with did-you-mean and the list."""
    obj = TASKS.get(name)
    return obj() if isinstance(obj, type) else obj
