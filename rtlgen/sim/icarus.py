"""Icarus Verilog: syntax-only check (``iverilog -t null``) and compile + run (``iverilog`` then ``vvp``).

Defaults are VerilogEval v2's: ``iverilog -g2012 -Wall -Winfloop -Wno-timescale -s TOP -o sim.vvp
FILES...`` then ``vvp -n sim.vvp``. Commands are built here and run by ``rtlgen.sandbox``::

    from rtlgen.sim.icarus import IcarusSimulator, syntax_check
    res = IcarusSimulator().run({"design.sv": dut, "tb.sv": tb}, top="tb")
    print(res.status, res.category, res.stdout)
"""

from __future__ import annotations

from collections.abc import Sequence

from rtlgen.sandbox import Job, JobResult, Limits, Sandbox, Step, default_sandbox, find_tool
from rtlgen.sim.base import Simulator, Sources, check_sources, compile_units, sim_result
from rtlgen.sim.result import SimResult

DEFAULT_FLAGS = ("-g2012", "-Wall", "-Winfloop", "-Wno-timescale")  # VerilogEval v2's iverilog flags
SIM_FILE = "sim.vvp"


class IcarusSimulator(Simulator):
    name = "icarus"

    def __init__(self, flags: Sequence[str] = DEFAULT_FLAGS, vvp_flags: Sequence[str] = ("-n",),
                 extra_flags: Sequence[str] = (), plusargs: Sequence[str] = (), limits: Limits | None = None,
                 compile_limits: Limits | None = None) -> None:
        super().__init__(limits)
        self.flags = tuple(flags)  # language generation and warnings, as VerilogEval
        self.vvp_flags = tuple(vvp_flags)  # -n: $stop ends the simulation instead of an interactive prompt
        self.extra_flags = tuple(extra_flags)  # e.g. -DNAME=1, -I dir; appended after ``flags``
        self.plusargs = tuple(plusargs)  # +args for $test$plusargs / $value$plusargs
        self.compile_limits = compile_limits  # None: the job's limits for the compile step too

    def compile_argv(self, units: list[str], top: str) -> tuple[str, ...]:
        return (find_tool("iverilog"), *self.flags, *self.extra_flags, "-s", top, "-o", SIM_FILE, *units)

    def run_argv(self) -> tuple[str, ...]:
        return (find_tool("vvp"), *self.vvp_flags, SIM_FILE, *self.plusargs)

    def build_job(self, sources: Sources, top: str, *, limits: Limits | None = None) -> Job:
        files = check_sources(sources, top)
        steps = (Step(self.compile_argv(compile_units(files), top), limits=self.compile_limits),
                 Step(self.run_argv()))
        return Job(steps=steps, files=files, limits=self._limits(limits))


def icarus_syntax_job(sources: Sources, *, flags: Sequence[str] = DEFAULT_FLAGS, top: str | None = None,
                      limits: Limits | None = None) -> Job:
    """``iverilog -t null``: parse and elaborate without writing anything; ``top`` optional."""
    files = check_sources(sources, top)
    argv = (find_tool("iverilog"), *flags, "-t", "null", *(("-s", top) if top else ()), *compile_units(files))
    return Job(steps=(Step(argv),), files=files, limits=limits or Limits(wall_s=30))


def parse_syntax(result: JobResult, *, code: str | None = None) -> SimResult:
    """SimResult of an ``icarus_syntax_job``: compiled means no errors; nothing was simulated."""
    return sim_result("icarus-syntax", result, n_compile=1, argv=tuple(s.argv for s in result.steps), code=code,
                      compile_only=True)


def syntax_check(sources: Sources, *, sandbox: Sandbox | None = None, top: str | None = None,
                 flags: Sequence[str] = DEFAULT_FLAGS, limits: Limits | None = None) -> SimResult:
    """Does it parse and elaborate under Icarus? ``compiled`` says; ``compile_log`` says why not."""
    job = icarus_syntax_job(sources, flags=flags, top=top, limits=limits)
    return parse_syntax((sandbox or default_sandbox()).run(job))
