"""The sandbox jobs the judge runs: the simulator's own preprocessor, then build and simulate.

Preprocessing (``iverilog -E`` / ``verilator -E -P``) runs the design's macros and conditional
compilation with the tool's own predefined macros (``__ICARUS__``, ``VERILATOR``) in a job that holds
the design alone; the static check then reads, and the simulator then compiles, exactly that text.

The simulation job keeps the per-run secret away from the design even if it could read files: the
hardened bench is a private file; the build runs as the job's builder uid (``umask 077``, so the
compiled program is private too); the simulation runs as a second uid that can read neither. Icarus
gets its program once through a pipe the sandbox driver fills (``Step.feeds``); a Verilator binary is
made execute-only (``Step.exec_only``), so its process is not dumpable either. ``/proc`` is absent.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from rtlgen.sandbox import Job, Limits, Step, find_tool
from rtlgen.sandbox.job import check_limits
from rtlgen.sim.icarus import DEFAULT_FLAGS as ICARUS_FLAGS
from rtlgen.sim.icarus import IcarusSimulator
from rtlgen.sim.verilator import BINARY, OBJ_DIR, VerilatorSimulator
from rtlgen.sim.verilator import DEFAULT_FLAGS as VERILATOR_FLAGS

DESIGN_FILE = "dut.sv"
PROGRAM_PIPE = "program.vvp"
_CMDS = "rtlgen_cmds.f"


class SimulatorKind(enum.StrEnum):
    ICARUS = "icarus"
    VERILATOR = "verilator"


@dataclass(frozen=True)
class JudgeLimits:
    """Limits of the judge's jobs; the defaults are VerilogEval's (``timeout 30``)."""

    run_wall_s: float = 30.0  # simulation wall clock
    compile_wall_s: float = 60.0  # iverilog compile (a Verilator build gets ``build_wall_s``)
    build_wall_s: float = 300.0  # Verilator C++ build
    memory_mb: int = 4096
    output_bytes: int = 1_000_000  # per stream; a flood is killed and judged killed_output
    file_size_mb: int = 64
    preprocess_bytes: int = 4_000_000  # preprocessed design text; more is a macro bomb
    extra_flags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        check_limits(self, ("run_wall_s", "compile_wall_s", "build_wall_s", "memory_mb", "output_bytes",
                            "file_size_mb", "preprocess_bytes"))

    def run_limits(self) -> Limits:
        return Limits(wall_s=self.run_wall_s, cpu_s=self.run_wall_s + 5, memory_mb=self.memory_mb,
                      output_bytes=self.output_bytes, file_size_mb=self.file_size_mb)


def preprocess_job(kind: SimulatorKind, designs: list[str], limits: JudgeLimits) -> Job:
    """Designs through the simulator's preprocessor, one step each (one sandbox start for the lot); step i's
    stdout is design i's text.

    A macro can build an `` `include `` that no text screen sees (`` `define I(x) `x "f" `` then
    `` `I(include) ``), and the designs of one job sit side by side: so Icarus writes the files each step
    read (``-M``, job output ``deps{i}.txt``) and a design that read any file but its own is refused
    (``included_files``). Verilator has no such list: its designs are preprocessed one per job."""
    if kind is not SimulatorKind.ICARUS and len(designs) > 1:
        raise ValueError("Verilator designs are preprocessed one per job")
    pp_limits = Limits(wall_s=30, cpu_s=30, memory_mb=2048, output_bytes=limits.preprocess_bytes, file_size_mb=8)
    steps, files, outputs = [], {}, []
    for i, design in enumerate(designs):
        name = f"dut{i}.sv"
        files[name] = design
        if kind is SimulatorKind.ICARUS:
            argv = (find_tool("iverilog"), *ICARUS_FLAGS, *limits.extra_flags, "-E", "-M", f"deps{i}.txt", "-o", "-",
                    name)
            outputs.append(f"deps{i}.txt")
        else:
            argv = (find_tool("verilator"), "-E", *limits.extra_flags, name)  # with line markers: see preprocess_output
        steps.append(Step(argv, check=False))
    return Job(steps=tuple(steps), files=files, limits=pp_limits, outputs=tuple(outputs))


# directives the compiler, not ivlpp, acts on: ivlpp copies them through as they are
PASS_THROUGH_DIRECTIVES = ("timescale", "default_nettype", "resetall", "celldefine", "endcelldefine",
                           "unconnected_drive", "nounconnected_drive")
_IDENTITY_TEXT = re.compile(  # printable ASCII, tab, newline (no CR); a backtick only to start one of those
    r"(?:[\t\n\x20-\x5f\x61-\x7e]++|`(?:" + "|".join(PASS_THROUGH_DIRECTIVES) + r")(?![A-Za-z0-9_$]))*+")


def preprocessing_is_identity(kind: SimulatorKind, design: str) -> bool:
    """True when running Icarus's preprocessor on ``design`` cannot change it, so the text to check and compile is
    ``design`` itself and its preprocessing job can be skipped.

    Every directive and macro use starts with a backtick (`` `define ``, `` `include ``, `` `ifdef ``, a macro
    call); ``ivlpp`` copies its input through unchanged when every backtick starts a directive that only the
    compiler acts on (`` `timescale 1ns/1ps ``, `` `default_nettype none ``: ``PASS_THROUGH_DIRECTIVES``), as
    generated code often begins. Only plain printable ASCII with tabs and newlines qualifies: ``ivlpp`` rewrites
    CR line ends, and bytes that are not valid UTF-8 come back from the job as replacement characters
    (``tests/test_judge.py`` checks the identity against the installed tool). Verilator's ``-E -P`` reformats its
    output, so its designs are always preprocessed."""
    return kind is SimulatorKind.ICARUS and _IDENTITY_TEXT.fullmatch(design) is not None


_LINE_MARKER = re.compile(r'^`line [0-9]++ "((?:[^"\\\n]|\\.)*+)" [0-3][ \t]*+(?:\n|\Z)', re.M)


def preprocess_output(kind: SimulatorKind, res, index: int) -> tuple[str, list[str] | None]:
    """(the text step ``index`` of a preprocessing job made, the files it read besides its own design). Icarus
    lists them (``-M``); Verilator marks every file it enters with a `` `line `` directive, which is read for the
    list and taken out of the text (the design may write no directive of its own but these)."""
    text = res.steps[index].stdout
    if kind is SimulatorKind.ICARUS:
        return text, included_files(res.outputs, index)
    own = f"dut{index}.sv"
    read = {m.group(1) for m in _LINE_MARKER.finditer(text)} - {own, f"./{own}"}
    return _LINE_MARKER.sub("", text), sorted(read)


def included_files(result_outputs: dict[str, bytes], index: int) -> list[str] | None:
    """Files step ``index`` of a preprocessing job read besides its own design (listed once, as the source; any
    further mention of it is the design including itself); None when there is no list."""
    deps = result_outputs.get(f"deps{index}.txt")
    if deps is None:
        return None
    own = f"dut{index}.sv"
    read = [line.strip() for line in deps.decode("utf-8", "replace").splitlines() if line.strip()]
    source = next((k for k, name in enumerate(read) if name.removeprefix("./") == own), None)
    return [name for k, name in enumerate(read) if k != source]


def simulation_job(kind: SimulatorKind, bench_files: dict[str, str], top: str, design: str, limits: JudgeLimits,
                   *, private: bool = True, data_files: dict[str, str] | None = None,
                   timescale: str | None = None) -> tuple[Job, int]:
    """(job, number of build steps): the bench first, the (preprocessed) design last. ``data_files`` are
    written beside them, readable at run time; ``timescale`` is the default of files without one."""
    sources = {**bench_files, DESIGN_FILE: design}
    units = list(sources)
    files = {**(data_files or {}), **sources}
    secret = tuple(bench_files) if private else ()
    run_limits = limits.run_limits()
    flags = limits.extra_flags
    if kind is SimulatorKind.ICARUS:
        if timescale:
            files[_CMDS] = f"+timescale+{timescale}\n"
            flags = (*flags, "-f", _CMDS)
        sim = IcarusSimulator(extra_flags=flags)
        build = Step(sim.compile_argv(units, top), private=private,
                     limits=Limits(wall_s=limits.compile_wall_s, cpu_s=limits.compile_wall_s,
                                   memory_mb=limits.memory_mb, output_bytes=limits.output_bytes))
        program = PROGRAM_PIPE if private else "sim.vvp"
        # -none: the bench's $dumpfile/$dumpvars write nothing (no verdict reads a waveform; dumping is about a
        # quarter of a VerilogEval simulation's time)
        run = Step((find_tool("vvp"), "-n", program, "-none"), feeds=((PROGRAM_PIPE, "sim.vvp"),) if private else ())
        return Job(steps=(build, run), files=files, limits=run_limits, private_files=secret, cacheable=False), 1
    if timescale:
        flags = (*flags, "--timescale", timescale)
    sim = VerilatorSimulator(extra_flags=flags)
    env, ro, rw = sim.env_and_paths()
    build = Step(sim.build_argv(units, top), private=private,
                 limits=Limits(wall_s=limits.build_wall_s, cpu_s=limits.build_wall_s, memory_mb=limits.memory_mb,
                               output_bytes=limits.output_bytes))
    run = Step((f"./{OBJ_DIR}/{BINARY}",), exec_only=(OBJ_DIR, f"{OBJ_DIR}/{BINARY}") if private else ())
    return Job(steps=(build, run), files=files, limits=run_limits, private_files=secret, env=env, ro_paths=ro,
               rw_paths=rw, cacheable=False), 1


__all__ = ["DESIGN_FILE", "ICARUS_FLAGS", "VERILATOR_FLAGS", "JudgeLimits", "SimulatorKind", "preprocess_job",
           "preprocessing_is_identity", "simulation_job"]
