"""Area and delay of Verilog with registers: flip-flops mapped to liberty cells, the logic between them by ABC.

    from rtlgen.synth.ppa import ppa_of, ppa_many
    p = ppa_of(text, top="RefModule")        # liberty: shipped sky130hd typical unless given
    p.status, p.comb_area, p.seq_area, p.area, p.delay, p.adp, p.flops
    rows = ppa_many([(text, "RefModule"), ...])   # one sandboxed job per design, run concurrently

Flow: one sandboxed job per design, on text that ``rtlgen.synth.screen`` let through. Yosys:
``hierarchy -check -top; proc; flatten; opt_clean; memory -norom`` (memories become registers and
logic) ``; techmap; opt -fast; setundef -zero`` (the front end of ``synth qor``), then ``dfflibmap
-liberty``: flip-flops become liberty cells (posedge, negedge, async set/reset where the library has
them; enables and sync resets become logic; an async load, a reset to a signal, becomes a set/reset
flop and logic); latches become the library's D-latch cells (``rtlgen.synth.seqcells``). ``stat
-liberty`` gives the sequential area. Then the registers are cut out (``expose -evert``): each Q
becomes a primary input and each D a primary output of the remaining logic; clock and latch-enable pins
are not outputs, so logic that only feeds them (a clock inverter) is not counted; async set/reset pins are
(``rtlgen.synth.seqcells``: logic hidden in them would otherwise be free).
That logic goes to yosys-abc as AIGER, through the same commands as ``AbcSession.evaluate``:
``read_lib; read; strash; RECIPE; print_stats; map; topo; stime``. ``comb_area`` is ABC's mapped
area, ``area`` = comb + seq, ``adp`` = area x delay.

Delay (``METHOD``): ABC's ``stime`` on that cut logic: the longest input-to-output, input-to-register,
register-to-register or register-to-output path, in ps, under ABC's load-dependent liberty timing
with no wire load; a register's clock-to-Q and setup are not included. As in ``synth qor``, ABC's
``map`` gives each output driven straight by an input (here also: a register's Q) its own buffer,
so a design whose outputs are registers still has a small area and delay of logic.

Combinational designs: on every design today's AIGER flow handles, the added passes change nothing,
so area, delay and ADP equal its QoR exactly (``tests/test_synth_ppa.py`` checks it to 1e-9 relative;
``benchmarks/sequential_qor.py`` on all VerilogEval/RTLLM references). Latches inferred from
``always_comb`` are synthesised as latches (Yosys 0.23 makes them an error; IEEE 1800 a warning).
``ppa_of`` never raises on a bad design: the status and reason say what happened.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rtlgen.errors import InputError
from rtlgen.sandbox import Job, JobResult, KilledBy, Limits, Sandbox, Step, default_sandbox, find_tool, run_many
from rtlgen.synth.liberty import resolve_liberty
from rtlgen.synth.qor import SynthError, abc_error, parse_stats, parse_stime, strip_ansi
from rtlgen.synth.recipes import parse_recipe
from rtlgen.synth.screen import screen_verilog, uses_preprocessor
from rtlgen.synth.seqcells import SequentialCells, latch_techmap, legalize_args, sequential_cells

METHOD = "abc-stime-cut-registers: longest logic path in/reg -> reg/out (ps), clock-to-Q and setup excluded"
READ_FLAGS = "-sv -nodpi -noblackbox -noassert -noassume -norestrict"  # as rtlgen.synth.equivalence reads
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_./+-]+$")
_TOP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_ERROR = re.compile(r"(?:\S+:\d+: )?ERROR:.*")  # with Yosys's "design.sv:3: " where it gives one
_CHIP_AREA = re.compile(r"Chip area for module .*?:\s*([-+0-9.eE]+)")
_MODULE = re.compile(r"^=== (\S+) ===", re.M)
_CELL_ROW = re.compile(r"^\s{5}(\S+)\s+(\d+)\s*$", re.M)
_STATEFUL = re.compile(r"^\$_(DFF|DFFE|SDFF|SDFFE|SDFFCE|DFFSR|DFFSRE|ALDFF|ALDFFE|DLATCH|DLATCHSR|SR|FF)_")


class PPAStatus(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"  # Yosys rejected the design, a cell could not be mapped, or ABC's output was unreadable
    TIMEOUT = "timeout"  # the wall or CPU limit of the job
    REFUSED = "refused"  # the screen refused the text (or the top name); no tool saw it


@dataclass(frozen=True)
class PPA:
    """Mapped area (liberty units, um^2 for sky130) and critical logic delay (ps) of one design."""

    status: PPAStatus
    reason: str = ""
    top: str = ""
    comb_area: float = 0.0  # ABC-mapped logic cells
    seq_area: float = 0.0  # flip-flop and latch cells
    area: float = 0.0  # comb_area + seq_area
    delay: float = 0.0  # ps, see METHOD
    adp: float = 0.0  # area * delay
    flops: int = 0  # flip-flop bits (liberty flop cells)
    method: str = METHOD
    liberty: str = ""
    latches: int = 0  # latch bits (liberty latch cells)
    and_nodes: int = 0  # AIG of the logic after the recipe (print_stats), as in QoR
    levels: int = 0
    recipe: tuple[str, ...] = ()
    seconds: float = 0.0  # wall time of the job (Yosys and ABC)
    equivalent: bool | None = None  # ABC cec of the mapped logic against the cut AIG (with check=True)
    register_cells: tuple[tuple[str, int], ...] = ()  # (liberty cell, count) of the flops and latches

    @property
    def ok(self) -> bool:
        return self.status is PPAStatus.OK

    def to_json(self) -> dict:
        return {**asdict(self), "status": self.status.value, "recipe": list(self.recipe),
                "register_cells": dict(self.register_cells)}


# -- scripts and jobs ---------------------------------------------------------------------------------
def abc_script(liberty: str, recipe: Sequence[str], check: bool = False) -> str:
    """The commands of ``AbcSession.evaluate`` (liberty first, then the design) as one yosys-abc script;
    ``check`` adds ``AbcSession.cec``'s check of the mapped logic against the AIG it came from."""
    return "\n".join([f"read_lib -w {liberty}", "read cut.aig", "strash", *recipe, "print_stats", "map", "topo",
                      "stime", *(["cec cut.aig"] if check else []), ""])


def yosys_script(top: str | None, liberty: str, preprocess: bool, cells: SequentialCells, tag: str) -> str:
    """Verilog -> registers as liberty cells (``seq.txt``) and the logic between them as ``cut.aig``.

    Registers are the only cells of a non-internal type left (a blackbox instance fails the result);
    they are renamed ``<tag>_N`` so that their pins' ports can be selected by name. ``tag`` depends on
    the design text, so a design cannot name its own wires to match it.
    """
    latches = []
    if cells.latches:  # else latches stay internal cells and the result says they were not mapped
        latches = [f"dfflegalize {legalize_args(cells.latches)} t:$_DLATCH*", "techmap -map latches.v t:$_DLATCH*"]
    control = " ".join(f"w:{tag}_*.{pin}" for pin in sorted(cells.clock_pins))
    return "\n".join([
        f"read_verilog {READ_FLAGS}{'' if preprocess else ' -nopp'} design.sv",
        "tee -q -o modules.txt ls",  # tells a missing top from other elaboration errors
        "setattr -unset always_comb",  # synthesise the latch the code describes (Yosys 0.23 would stop)
        f"hierarchy -check -top {top}" if top else "hierarchy -check -auto-top",
        "proc", "flatten", "opt_clean", "memory -norom", "opt_clean", "techmap", "opt -fast",
        "setundef -zero",  # x constants (an uninitialised memory) read as 0, as the AIGER writer would refuse them
        "dfflegalize -cell $_DFFSR_PPP_ 01 t:$_ALDFF*",  # async load (a reset to a signal): set/reset flop + logic
        f"dfflibmap -liberty {liberty}",
        *latches,
        "opt_clean",
        f"tee -q -o seq.txt stat -liberty {liberty}",
        f"read_liberty -lib {liberty}",  # port directions of the register cells, for expose -evert
        f"rename -enumerate -pattern {tag}_% t:* t:$* %d",  # expose skips cells with private names
        "expose -evert t:* t:$* %d",
        *([f"delete -port {control}"] if control else []),
        "aigmap", "opt_clean", "write_aiger -symbols -zinit cut.aig", ""])


def ppa_job(text: str, top: str | None, liberty: str, recipe: Sequence[str], limits: Limits,
            check: bool = False) -> Job:
    """Yosys then yosys-abc on one screened design; ``liberty`` (uncompressed) is mounted read-only."""
    cells = sequential_cells(liberty)
    tag = "rtlgen_reg" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    files = {"design.sv": text, "ppa.ys": yosys_script(top, liberty, uses_preprocessor(text), cells, tag),
             "ppa.abc": abc_script(liberty, recipe, check)}
    if cells.latches:
        files["latches.v"] = latch_techmap(cells.latches)
    # the ABC step may fail on a cut without outputs; parse_ppa reads the AIGER header first
    steps = (Step((find_tool("yosys"), "-q", "-s", "ppa.ys")), Step((find_tool("yosys-abc"), "-f", "ppa.abc")))
    return Job(steps=steps, files=files, limits=limits, outputs=("modules.txt", "seq.txt", "cut.aig"),
               ro_paths=(liberty,))


def ppa_limits(timeout_s: float) -> Limits:
    return Limits(wall_s=timeout_s, cpu_s=timeout_s * 2, memory_mb=4096, output_bytes=4_000_000, file_size_mb=64)


# -- results ------------------------------------------------------------------------------------------
def _cells(stat: str) -> dict[str, int]:
    return {name: int(n) for name, n in _CELL_ROW.findall(stat)}


def _chip_area(stat: str) -> float:
    found = _CHIP_AREA.findall(stat)
    return float(found[-1]) if found else 0.0


def _aiger_outputs(aig: bytes) -> int:
    """O of the 'aig M I L O A' header (-1 when it is not one)."""
    fields = aig[:100].split(b"\n", 1)[0].split()
    return int(fields[4]) if len(fields) >= 6 and fields[0] == b"aig" and fields[4].isdigit() else -1


def parse_ppa(res: JobResult, *, top: str | None, liberty: str, recipe: tuple[str, ...], cells: SequentialCells,
              check: bool = False) -> PPA:
    """The PPA of a finished job, or a FAILED/TIMEOUT PPA saying why."""
    seq_text = strip_ansi(res.outputs.get("seq.txt", b"").decode(errors="replace"))
    found = _MODULE.search(seq_text)
    base = {"top": top or (found.group(1).lstrip("\\") if found else ""), "liberty": liberty, "recipe": recipe,
            "seconds": round(res.wall_s, 3)}
    stopped = res.killed_by
    if stopped in (KilledBy.TIMEOUT, KilledBy.CPU):
        return PPA(PPAStatus.TIMEOUT, f"stopped by the {stopped.value} limit after {res.wall_s:.0f} s", **base)
    if stopped is not KilledBy.NONE:
        return PPA(PPAStatus.FAILED, f"{_tool(res)} stopped by the {stopped.value} limit", **base)
    problem = _register_problem(res, cells)  # written before the cut, so known even when Yosys failed after it
    if problem:
        return PPA(PPAStatus.FAILED, problem, **base)
    if not res.steps[0].ok or "cut.aig" not in res.outputs:
        return PPA(PPAStatus.FAILED, _yosys_failure(res, top), **base)
    try:
        return _measure(res, base, cells, check)
    except (SynthError, ValueError) as exc:
        return PPA(PPAStatus.FAILED, str(exc)[:400], **base)


def _register_problem(res: JobResult, cells: SequentialCells) -> str | None:
    """Why the registers (cells after dfflibmap) cannot be measured, or None."""
    seq = _cells(strip_ansi(res.outputs.get("seq.txt", b"").decode(errors="replace")))
    unmapped = {name: n for name, n in seq.items() if _STATEFUL.match(name)}
    if unmapped:
        shown = ", ".join(f"{n} x {name}" for name, n in sorted(unmapped.items()))
        return f"no cell in the liberty for {shown} (it has no matching flip-flop or latch)"
    foreign = sorted({name for name in seq if not name.startswith("$")} - cells.register_names)
    if foreign:  # a blackbox or an instance of a liberty cell: logic the flow would not see
        return (f"cells of module {', '.join(foreign[:4])} are not flattened (a blackbox or a library cell "
                "instance); only synthesisable RTL is measured")
    return None


def _tool(res: JobResult) -> str:
    return "yosys-abc" if len(res.steps) > 1 else "Yosys"


def _yosys_failure(res: JobResult, top: str | None) -> str:
    step = res.steps[0]
    modules = {ln.strip().lstrip("\\") for ln in res.outputs.get("modules.txt", b"").decode(errors="replace")
               .splitlines() if ln.startswith("  ") and ln.strip()}
    if top and "modules.txt" in res.outputs and top not in modules:
        return f"no module '{top}' (defines: {', '.join(sorted(modules)[:8]) or 'none'})"
    log = step.stderr + step.stdout
    errors = _ERROR.findall(log)
    detail = errors[-1] if errors else " ".join(log.split())[-300:] or f"exit {step.exit_code}, no netlist written"
    return f"Yosys failed: {detail[:300]}"


def _measure(res: JobResult, base: dict, cells: SequentialCells, check: bool) -> PPA:
    seq_text = strip_ansi(res.outputs.get("seq.txt", b"").decode(errors="replace"))
    registers = {name: n for name, n in _cells(seq_text).items() if not name.startswith("$")}
    latches = sum(n for name, n in registers.items() if name in cells.latch_names)
    seq_area = _chip_area(seq_text)
    outputs = _aiger_outputs(res.outputs["cut.aig"])
    if outputs < 0:
        raise SynthError("Yosys wrote no readable AIGER file for the logic")
    ands = levels = 0
    comb_area = delay = 0.0
    equivalent = True if check else None  # no logic: nothing to get wrong
    if outputs > 0:  # with no output ABC has nothing to map (and 0.23 asserts on it)
        comb_area, delay, ands, levels, equivalent = _abc_figures(res, check)
    area = round(comb_area + seq_area, 6)
    return PPA(PPAStatus.OK, "", comb_area=comb_area, seq_area=seq_area, area=area, delay=delay, adp=area * delay,
               flops=sum(registers.values()) - latches, latches=latches, and_nodes=ands, levels=levels,
               equivalent=equivalent, register_cells=tuple(sorted(registers.items())), **base)


def _abc_figures(res: JobResult, check: bool) -> tuple[float, float, int, int, bool | None]:
    if len(res.steps) < 2:
        raise SynthError("yosys-abc did not run")
    abc = res.steps[1]
    out = strip_ansi(abc.stdout + abc.stderr)
    error = abc_error(out)
    if error is not None:
        raise SynthError(f"ABC error: {error}")
    if not abc.ok:
        raise SynthError(f"yosys-abc failed (exit {abc.exit_code}): {' '.join(out.split())[-200:]}")
    ands, levels = parse_stats(out)
    area, delay = parse_stime(out)
    equivalent = None
    if check:
        if "are equivalent" not in out and "NOT EQUIVALENT" not in out:
            raise SynthError(f"cec gave no verdict: {' '.join(out.split())[-200:]}")
        equivalent = "are equivalent" in out and "NOT EQUIVALENT" not in out
    return area, delay, ands, levels, equivalent


# -- entry points ---------------------------------------------------------------------------------------
def _screen(text: str, top: str | None) -> str | None:
    if top is not None and (not isinstance(top, str) or not _TOP_NAME.match(top)):
        return f"top must be a plain Verilog identifier, not {top!r}"
    if not isinstance(text, str):
        return f"design text must be a string, not {type(text).__name__}"
    return screen_verilog(text)


def ppa_many(items: Sequence[tuple[str, str | None]], *, liberty: str | None = None,
             recipe: str | Sequence[str] = "resyn2", sandbox: Sandbox | None = None, timeout_s: float = 120,
             workers: int | None = None, progress: bool | str = False, check: bool = False) -> list[PPA]:
    """PPA of each ``(text, top)`` pair, in order; the jobs run concurrently (``run_many``).

    A top of None lets Yosys pick it (``hierarchy -auto-top``); the result names the module it picked.
    ``timeout_s`` bounds each tool run (Yosys, then yosys-abc). ``check`` also runs ABC's ``cec`` of the
    mapped logic against the cut AIG (``PPA.equivalent``). A refused or broken design gets a PPA with
    its status; a bad ``liberty`` or ``recipe`` (the caller's configuration, not a design) raises
    InputError, a missing Yosys ToolMissingError.
    """
    lib = str(resolve_liberty(liberty))
    if not _SAFE_PATH.match(lib):
        raise InputError(f"liberty path {lib!r} has characters that Yosys and ABC scripts cannot carry; "
                         "copy the file to a path of letters, digits and ._-/+ only")
    # a sequence of commands (a parsed recipe) is checked again: the text goes into a script
    steps = parse_recipe(recipe if isinstance(recipe, str) else "; ".join(recipe) or "none")
    limits = ppa_limits(timeout_s)
    cells = sequential_cells(lib)
    out: list[PPA | None] = [None] * len(items)
    jobs, where = [], []
    for i, (text, top) in enumerate(items):
        refusal = _screen(text, top)
        if refusal:
            out[i] = PPA(PPAStatus.REFUSED, refusal, top=str(top or ""), liberty=lib, recipe=steps)
        else:
            jobs.append(ppa_job(text, top, lib, steps, limits, check))
            where.append(i)
    results = run_many(sandbox or default_sandbox(), jobs, workers=workers, progress=progress) if jobs else []
    for i, res in zip(where, results, strict=True):
        out[i] = parse_ppa(res, top=items[i][1], liberty=lib, recipe=steps, cells=cells, check=check)
    return out  # type: ignore[return-value]


def ppa_of(text: str, *, top: str | None, liberty: str | None = None, recipe: str | Sequence[str] = "resyn2",
           sandbox: Sandbox | None = None, timeout_s: float = 120, check: bool = False) -> PPA:
    """PPA of one design (see ``ppa_many``); never raises on a bad design."""
    return ppa_many([(text, top)], liberty=liberty, recipe=recipe, sandbox=sandbox, timeout_s=timeout_s,
                    check=check)[0]
