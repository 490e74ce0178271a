"""Filter stages, each switchable in the config: ``parses``, ``compiles``, ``lints``, ``synthesises``, ``size``.

Every tool check runs the module together with its dependency closure (``deps``, then ``code``) as one
file, through the project's own job builders (``rtlgen.sim.icarus.icarus_syntax_job``,
``rtlgen.sim.verilator.lint_job``, ``rtlgen.synth.frontend.frontend_job``) and
``rtlgen.sandbox.run_many`` on the build's sandbox with its result cache: these files are untrusted.
A failing sample is dropped with a reason (``compile_error``, ``timeout``, ...) and the first line of
the tool's complaint.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.datasets.stage import Stage
from rtlgen.sandbox import Job, JobResult, KilledBy, Limits, run_many


class FilterDrop(enum.StrEnum):
    PARSE_ERROR = "parse_error"
    COMPILE_ERROR = "compile_error"
    LINT_ERROR = "lint_error"
    SYNTH_ERROR = "synth_error"
    TIMEOUT = "timeout"  # a tool ran past its wall-clock or CPU limit
    KILLED = "killed"  # another limit (memory, output, file size)
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"


def full_text(s: Sample) -> str:
    """The module with its dependency closure, as one compilable file."""
    return "\n".join((*s.deps, s.code))


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if re.search(r"error|syntax|unknown|not found|fatal", line, re.IGNORECASE):
            return " ".join(line.split())[:240]
    return " ".join(text.split())[:240]


@dataclass(frozen=True)
class ToolOptions:
    timeout_s: float = field(default=60.0, metadata=help_("wall-clock limit of one tool run"))
    memory_mb: int = field(default=4096, metadata=help_("address-space limit of one tool run"))


class _ToolFilter(Stage):
    """A filter that builds one job per sample and keeps the samples whose job is ``ok``."""

    Options = ToolOptions
    batch_size = 32
    reason: FilterDrop

    def limits(self) -> Limits:
        return Limits(wall_s=self.options.timeout_s, cpu_s=self.options.timeout_s * 2,
                      memory_mb=self.options.memory_mb, output_bytes=200_000)

    def job(self, s: Sample) -> Job:
        raise NotImplementedError

    def judge(self, s: Sample, res: JobResult) -> Sample | Dropped:
        if res.ok:
            return s.evolve(self.name)
        return self.drop(s, res)

    def drop(self, s: Sample, res: JobResult) -> Dropped:
        if res.killed_by in (KilledBy.TIMEOUT, KilledBy.CPU):
            return Dropped(s.id, self.name, FilterDrop.TIMEOUT.value, f"{res.killed_by.value} limit")
        if res.killed_by is not KilledBy.NONE:
            return Dropped(s.id, self.name, FilterDrop.KILLED.value, f"{res.killed_by.value} limit")
        log = "\n".join(st.stdout + "\n" + st.stderr for st in res.steps)
        return Dropped(s.id, self.name, self.reason.value, _first_error(log))

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        out: list[Sample | Dropped | None] = [None] * len(batch)
        jobs, where = [], []
        for i, s in enumerate(batch):
            try:
                jobs.append(self.job(s))
                where.append(i)
            except Exception as exc:  # noqa: BLE001 - an input the builder refuses (a bad top name)
                out[i] = Dropped(s.id, self.name, self.reason.value, " ".join(str(exc).split())[:240])
        for i, res in zip(where, run_many(self.ctx.get_sandbox(), jobs, workers=self.ctx.workers), strict=True):
            out[i] = self.judge(batch[i], res)
        return out  # type: ignore[return-value]


class Compiles(_ToolFilter):
    """``iverilog -g2012 -t null -s TOP``: parses and elaborates under Icarus."""

    name = "compiles"
    reason = FilterDrop.COMPILE_ERROR

    def job(self, s: Sample) -> Job:
        from rtlgen.sim.icarus import icarus_syntax_job

        return icarus_syntax_job({"design.sv": full_text(s)}, top=s.top or None, limits=self.limits())


class Lints(_ToolFilter):
    """``verilator --lint-only -Wall -Wno-fatal --top-module TOP``: errors drop, warnings do not."""

    name = "lints"
    reason = FilterDrop.LINT_ERROR

    def job(self, s: Sample) -> Job:
        from rtlgen.sim.verilator import lint_job

        return lint_job({"design.sv": full_text(s)}, top=s.top or None, limits=self.limits())


class Synthesises(_ToolFilter):
    """Yosys elaboration to a checked, flattened netlist, as the equivalence checker does it
    (``rtlgen.synth.equivalence.elaborate_job``: hierarchy, proc, flatten, no combinational loops,
    memories). The AIGER tail that follows is for size only: when it is written, its inputs, latches,
    outputs and AND gates go in ``meta["synthesises"]``; it does not decide."""

    name = "synthesises"
    reason = FilterDrop.SYNTH_ERROR

    def job(self, s: Sample) -> Job:
        from rtlgen.synth.equivalence import elaborate_job

        job = elaborate_job(full_text(s), s.top or None, self.limits())
        return dataclasses.replace(job, outputs=("design.aig",))  # not the JSON netlists: they would fill the cache

    def judge(self, s: Sample, res: JobResult) -> Sample | Dropped:
        if res.killed_by is not KilledBy.NONE or not res.steps or not res.steps[0].ok:
            return self.drop(s, res)
        aig = res.outputs.get("design.aig", b"")
        header = aig[:100].split(b"\n", 1)[0].split() if aig.startswith(b"aig ") else []
        size = dict(zip(("inputs", "latches", "outputs", "ands"), (int(x) for x in header[2:6]), strict=False))
        return s.with_meta(self.name, synthesises=size)


@dataclass(frozen=True)
class ParsesOptions:
    workers: int = field(default=0, metadata=help_("threads calling the bounded parser (0: one per core)"))


class Parses(Stage):
    """pyslang parse and elaboration (``rtlgen.sim.slang``, bounded): any error or fatal diagnostic drops."""

    name = "parses"
    Options = ParsesOptions
    batch_size = 64

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        from rtlgen.sim.slang import errors

        def one(s: Sample) -> Sample | Dropped:
            errs = errors(full_text(s))
            if errs:
                return Dropped(s.id, self.name, FilterDrop.PARSE_ERROR.value, str(errs[0])[:240])
            return s.evolve(self.name)

        return _threaded(one, batch, self.options.workers or self.ctx.workers)


def _threaded(fn: Callable[[Sample], Sample | Dropped], batch: Sequence[Sample], workers: int | None):
    from rtlgen.sandbox import default_workers

    with ThreadPoolExecutor(max_workers=workers or default_workers()) as ex:
        return list(ex.map(fn, batch))


@dataclass(frozen=True)
class SizeOptions:
    min_lines: int = field(default=3, metadata=help_("fewest non-blank lines of the module itself"))
    max_lines: int = field(default=2000, metadata=help_("most non-blank lines of the module itself"))
    max_bytes: int = field(default=100_000, metadata=help_("largest module (without its closure), in bytes"))


class Size(Stage):
    """Bounds on the module's own size (its closure is bounded by ``close``)."""

    name = "size"
    Options = SizeOptions
    batch_size = 1024

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        out: list[Sample | Dropped] = []
        for s in batch:
            lines = sum(1 for line in s.code.splitlines() if line.strip())
            size = len(s.code.encode("utf-8", "surrogatepass"))
            if lines < self.options.min_lines:
                out.append(Dropped(s.id, self.name, FilterDrop.TOO_SMALL.value, f"{lines} lines"))
            elif lines > self.options.max_lines or size > self.options.max_bytes:
                out.append(Dropped(s.id, self.name, FilterDrop.TOO_LARGE.value, f"{lines} lines, {size} bytes"))
            else:
                out.append(s.evolve(self.name))
        return out
