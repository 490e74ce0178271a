"""Filter stages, each switchable in the config: ``parses``, ``compiles``, ``lints``, ``synthesises``, ``size``.

Every tool check runs the module together with its dependency closure (``deps``, then ``code``) as one
file, through the project's own job builders (``rtlgen.sim.icarus.icarus_syntax_job``,
``rtlgen.sim.verilator.lint_job``, ``synth_job`` here: ``synth -top TOP -flatten``) and
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
    SYNTH_REFUSED = "synth_refused"  # the screen refused the text before Yosys saw it (`include, $readmemh)
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
                reason = FilterDrop.SYNTH_REFUSED if isinstance(exc, _Refused) else self.reason
                out[i] = Dropped(s.id, self.name, reason.value, " ".join(str(exc).split())[:240])
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


class SynthMode(enum.StrEnum):
    SYNTH = "synth"  # Yosys ``synth -top TOP -flatten`` to a gate netlist; its cell count goes in meta
    ELABORATE = "elaborate"  # elaboration only, as the equivalence checker does it (faster, no abc)


@dataclass(frozen=True)
class SynthOptions(ToolOptions):
    mode: SynthMode = field(default=SynthMode.SYNTH, metadata=help_(
        "synth: a full Yosys synth to a netlist; elaborate: hierarchy/proc/flatten checks only"))


def synth_script(top: str | None, preprocess: bool) -> str:
    """Verilog -> a flattened gate netlist and its ``stat`` (``stat.txt``); the netlist itself is not kept.
    ``setundef -zero`` after synth: an ``'x`` is a don't-care in the netlist that is counted (before synth
    it would zero the enables of memory read ports and trip an assertion in Yosys 0.23's memory passes)."""
    from rtlgen.synth.equivalence import READ_FLAGS

    return "\n".join([
        f"read_verilog {READ_FLAGS}{'' if preprocess else ' -nopp'} design.sv",
        f"hierarchy -check -top {top}" if top else "hierarchy -check -auto-top",
        f"synth -top {top} -flatten" if top else "synth -auto-top -flatten",
        "setundef -zero", "opt_clean", "tee -q -o stat.txt stat", ""])


def synth_job(text: str, top: str | None, limits: Limits) -> Job:
    """One sandboxed Yosys run of ``synth_script``; only ``stat.txt`` comes back (and goes in the cache)."""
    from rtlgen.sandbox import Step, find_tool
    from rtlgen.synth.screen import uses_preprocessor

    if top is not None and not _TOP_NAME.match(top):
        raise ValueError(f"top must be a plain Verilog identifier, not {top!r}")
    return Job(steps=(Step((find_tool("yosys"), "-q", "-s", "synth.ys")),),
               files={"design.sv": text, "synth.ys": synth_script(top, uses_preprocessor(text))},
               limits=limits, outputs=("stat.txt",))


_TOP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_STAT = {"cells": re.compile(r"Number of cells:\s+(\d+)"), "wires": re.compile(r"Number of wires:\s+(\d+)"),
         "wire_bits": re.compile(r"Number of wire bits:\s+(\d+)")}


def parse_stat(text: str) -> dict[str, int]:
    """Cells, wires and wire bits of the top's ``stat`` (the last figures printed: the flattened top)."""
    return {k: int(found[-1]) for k, rx in _STAT.items() if (found := rx.findall(text))}


class Synthesises(_ToolFilter):
    """Yosys synthesis of the module with its closure (mode ``synth``): ``synth -top TOP -flatten`` to a
    gate netlist; the netlist's cell and wire counts go in ``meta["synthesises"]``.
    Mode ``elaborate``: only the equivalence checker's elaboration (``rtlgen.synth.equivalence.
    elaborate_job``: hierarchy, proc, flatten, no combinational loops, memories), with the size of its
    AIGER tail in meta. Either way the text is screened first (``rtlgen.synth.screen``: no
    `` `include``, no ``$readmemh``, ...) and a refused module is dropped ``synth_refused``."""

    name = "synthesises"
    Options = SynthOptions
    reason = FilterDrop.SYNTH_ERROR

    def job(self, s: Sample) -> Job:
        from rtlgen.synth.screen import screen_verilog

        text = full_text(s)
        refusal = screen_verilog(text)
        if refusal:
            raise _Refused(refusal)
        if self.options.mode is SynthMode.SYNTH:
            return synth_job(text, s.top or None, self.limits())
        from rtlgen.synth.equivalence import elaborate_job

        job = elaborate_job(text, s.top or None, self.limits())
        return dataclasses.replace(job, outputs=("design.aig",))  # not the JSON netlists: they would fill the cache

    def judge(self, s: Sample, res: JobResult) -> Sample | Dropped:
        if res.killed_by is not KilledBy.NONE or not res.steps or not res.steps[0].ok:
            return self.drop(s, res)
        if self.options.mode is SynthMode.SYNTH:
            stat = parse_stat(res.outputs.get("stat.txt", b"").decode(errors="replace"))
            return s.with_meta(self.name, synthesises={"mode": SynthMode.SYNTH.value, **stat})
        aig = res.outputs.get("design.aig", b"")
        header = aig[:100].split(b"\n", 1)[0].split() if aig.startswith(b"aig ") else []
        size = dict(zip(("inputs", "latches", "outputs", "ands"), (int(x) for x in header[2:6]), strict=False))
        return s.with_meta(self.name, synthesises={"mode": SynthMode.ELABORATE.value, **size})


class _Refused(Exception):
    """The screen refused the text before any tool saw it."""


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
