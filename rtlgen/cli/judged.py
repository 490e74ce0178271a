"""`rtlgen sim run DESIGN... --judge TB.sv [--judge REF.sv] --top TB`: a design against a trusted bench,
judged by the one judge (``rtlgen.sim.judge``) instead of read from the run's exit code.

FILES are the design under test (untrusted); each ``--judge`` file is part of the trusted testbench,
compiled before the design. Exit 0 only when the judge says pass.
"""

from __future__ import annotations

import json
import re
import sys

import typer

from rtlgen.errors import InputError


def design_top_from_bench(bench: dict[str, str]) -> str | None:
    """The one module the bench instantiates without defining it: the design it expects."""
    from rtlgen.agent.loop import guess_top_from_testbench

    return guess_top_from_testbench("\n".join(bench.values()))


def run_judged(design: dict[str, str], bench: dict[str, str], *, top: str, design_top: str | None,
               reference_top: str | None, protocol: str, simulator: str, timeout: float, as_json: bool,
               unsafe: bool, executor: str | None = None) -> None:
    from rtlgen.cli.options import sandbox_for
    from rtlgen.sim.judge import Bench, BenchProtocol, Judge, JudgeConfig, JudgeLimits, SimulatorKind

    if protocol not in {p.value for p in BenchProtocol}:
        raise InputError(f"--protocol must be one of {', '.join(p.value for p in BenchProtocol)}, not {protocol!r}")
    if simulator not in {s.value for s in SimulatorKind}:
        raise InputError(f"--simulator must be icarus or verilator, not {simulator!r}")
    clash = set(design) & set(bench)
    if clash:
        raise InputError(f"{sorted(clash)[0]!r} is given both as design and as --judge bench; pass it once")
    dut_top = design_top or design_top_from_bench(bench)
    if not dut_top:
        raise InputError("cannot tell which module the bench expects the design to define: pass --design-top NAME")
    if not re.search(rf"\bmodule\s+{re.escape(dut_top)}\b", "\n".join(design.values())):
        raise InputError(f"the design files define no module {dut_top!r}; pass --design-top NAME")
    config = JudgeConfig(simulator=SimulatorKind(simulator), limits=JudgeLimits(run_wall_s=timeout))
    judge = Judge(config, sandbox=sandbox_for(unsafe, executor=executor))
    verdict = judge.judge("\n".join(design.values()), Bench(bench, top=top, dut_top=dut_top,
                                                            reference_top=reference_top,
                                                            protocol=BenchProtocol(protocol)))
    if as_json:
        print(json.dumps(verdict.to_json()))
    else:
        if not verdict.passed and (verdict.compile_log or verdict.run_log):
            sys.stderr.write((verdict.compile_log + verdict.run_log).strip()[-2000:] + "\n")
        mism = f", {verdict.mismatches} mismatches in {verdict.samples} samples" if verdict.samples else ""
        print(f"judge: {'PASS' if verdict.passed else 'FAIL'}, category {verdict.category.value}{mism}: "
              f"{verdict.reason} ({verdict.tool})")
    if not verdict.passed:
        raise typer.Exit(1)
