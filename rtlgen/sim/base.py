"""The simulator interface, the registry, and the one function that turns a JobResult into a SimResult.

A simulator only *builds* jobs (argv + files, see ``rtlgen.sandbox.Job``) and *parses* results;
``rtlgen.sandbox`` runs them. That split lets evals batch thousands of jobs through ``run_many``::

    sim = get_simulator("icarus")
    jobs = [sim.build_job({"sample.sv": s, "test.sv": t, "ref.sv": r}, top="tb") for s in samples]
    results = [sim.parse(r) for r in run_many(sandbox, jobs)]
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping
from dataclasses import replace

from rtlgen.errors import InputError
from rtlgen.registry import Registry
from rtlgen.sandbox import Job, JobResult, KilledBy, Limits, Sandbox, default_sandbox
from rtlgen.sim.classify import classify
from rtlgen.sim.result import SimResult, SimStatus

Sources = Mapping[str, "str | bytes"]
HEADER_SUFFIXES = (".vh", ".svh", ".h", ".inc")  # `include'd, never compiled on their own
_TOP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def check_sources(sources: Sources, top: str | None = None) -> dict[str, bytes]:
    """Validate and encode sources in their given order; one clear InputError for anything wrong."""
    if not sources:
        raise InputError("no source files given: pass at least one Verilog file")
    if top is not None and not _TOP_NAME.match(top):
        raise InputError(f"top module name must be a plain Verilog identifier, not {top!r}")
    files: dict[str, bytes] = {}
    for name, text in sources.items():
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        if not name or name.startswith("-"):
            raise InputError(f"source file name {name!r} is not usable as a tool argument; rename it")
        files[name] = data
    return files


def compile_units(files: Mapping[str, bytes]) -> list[str]:
    """File names given to the compiler: everything except include headers, in order."""
    units = [n for n in files if not n.endswith(HEADER_SUFFIXES)]
    if not units:
        raise InputError(f"only header files given ({', '.join(files)}); add a .v or .sv file")
    return units


def _step_log(step) -> str:
    """stdout then stderr, each ended by a newline so lines of the two never merge (the rules are per line)."""
    return "".join(p if p.endswith("\n") else p + "\n" for p in (step.stdout, step.stderr) if p)


def sim_result(simulator: str, job_result: JobResult, *, n_compile: int, argv: tuple[tuple[str, ...], ...],
               code: str | None = None, passed: bool | None = None, compile_only: bool = False) -> SimResult:
    """Interpret a job whose first ``n_compile`` steps build and whose next step (if any) simulates.
    ``compile_only``: a check job (lint, syntax) with no simulation; compiling is passing."""
    steps = job_result.steps
    compile_steps, run_steps = steps[:n_compile], steps[n_compile:]
    compiled = len(compile_steps) == n_compile and all(s.ok for s in compile_steps)
    compile_log = "".join(_step_log(s) for s in compile_steps)
    run_log = "".join(_step_log(s) for s in run_steps)
    killed_by = job_result.killed_by
    last = steps[-1]
    if any(s.exit_code is None for s in steps):
        status = SimStatus.TOOL_MISSING
    elif killed_by is KilledBy.TIMEOUT:
        status = SimStatus.TIMEOUT
    elif killed_by is not KilledBy.NONE:
        status = SimStatus.KILLED
    elif not compiled:
        status = SimStatus.COMPILE_ERROR
    elif run_steps and last.exit_code != 0:
        status = SimStatus.RUNTIME_ERROR
    else:
        status = SimStatus.OK
    if compile_only and passed is None:
        passed = compiled
    category = classify(compile_log, run_log, compiled=compiled, killed_by=killed_by, exit_code=last.exit_code,
                        passed=passed, code=code)
    return SimResult(
        simulator=simulator, status=status, compiled=compiled, exit_code=last.exit_code, killed_by=killed_by,
        stdout=last.stdout, stderr=last.stderr, compile_log=compile_log, run_log=run_log,
        wall_s=job_result.wall_s, cpu_s=job_result.cpu_s, category=category, argv=argv, cached=job_result.cached,
    )


class Simulator(abc.ABC):
    """Builds compile + run jobs for one simulator and reads their results."""

    name: str = ""
    n_compile_steps: int = 1  # steps before the simulation step

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits  # default limits for jobs this simulator builds (None: the sandbox defaults)

    @abc.abstractmethod
    def build_job(self, sources: Sources, top: str, *, limits: Limits | None = None) -> Job:
        """Compile ``sources`` (in the mapping's order) with ``top`` as the root, then simulate."""

    def parse(self, result: JobResult, *, code: str | None = None, passed: bool | None = None) -> SimResult:
        """SimResult of a job this simulator built. ``code``: the model sample, for empty/truncated and r/R."""
        return sim_result(self.name, result, n_compile=self.n_compile_steps,
                          argv=tuple(s.argv for s in result.steps), code=code, passed=passed)

    def run(self, sources: Sources, top: str, *, sandbox: Sandbox | None = None, limits: Limits | None = None,
            code: str | None = None) -> SimResult:
        """Build, run in ``sandbox`` (default: the bwrap sandbox, no cache) and parse."""
        job = self.build_job(sources, top, limits=limits)
        result = (sandbox or default_sandbox()).run(job)
        res = self.parse(result, code=code)
        return _with_argv(res, tuple(s.argv for s in job.steps))

    def _limits(self, limits: Limits | None) -> Limits:
        return limits or self.limits or Limits()


def _with_argv(res: SimResult, argv: tuple[tuple[str, ...], ...]) -> SimResult:
    return replace(res, argv=argv)


# name -> Simulator class, imported lazily so importing ``base`` pulls in no backend
SIMULATORS: Registry[type[Simulator]] = Registry("simulator", {
    "icarus": "rtlgen.sim.icarus:IcarusSimulator",
    "verilator": "rtlgen.sim.verilator:VerilatorSimulator",
}, base=Simulator)


def get_simulator(name: str, **options) -> Simulator:
    """A configured simulator by registry name; an unknown name lists the known ones."""
    return SIMULATORS.get(name)(**options)
