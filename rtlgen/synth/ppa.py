"""Area and delay of Verilog with registers: flip-flops mapped to liberty cells, the logic between them by ABC.

    from rtlgen.synth.ppa import ppa_of, ppa_many
    p = ppa_of(text, top="RefModule")        # liberty: shipped sky130hd typical unless given
    p.status, p.comb_area, p.seq_area, p.area, p.delay, p.adp, p.flops
    rows = ppa_many([(text, "RefModule"), ...])   # one sandboxed Yosys job per design, run concurrently

Flow: one Yosys job in the sandbox, on text that ``rtlgen.synth.screen`` let through:
``hierarchy -check -top; proc; flatten; opt; memory`` (memories become registers and logic) ``; opt;
techmap; opt -fast; setundef -zero``, then ``dfflibmap -liberty`` (flip-flops -> liberty cells: posedge,
negedge through inverters, async set/reset where the library has them; enables and sync resets
become logic), latches -> the liberty's D-latch cells (``rtlgen.synth.latches``), ``stat -liberty``
(the sequential area), then Yosys's ``abc -liberty -script`` on everything else with the script
``strash; RECIPE; print_stats; map; topo; stime`` (the same mapping as ``AbcSession.evaluate``), and
``stat -liberty`` again (the total area). Combinational area is total minus sequential.

Delay (``METHOD``): ABC's ``stime`` on the combinational logic with every register cut into a primary
input (its Q) and a primary output (its D and other pins): the longest input-to-output, input-to-register,
register-to-register or register-to-output logic path, in ps, under ABC's load-dependent liberty
timing with no wire load. A register's clock-to-Q and setup time are not included; a design with no
logic between its ports and registers has delay 0 (and ADP 0). ADP is total area times that delay.

Combinational designs (no registers) go through the same ABC commands as the AIGER flow of ``synth
qor``; the AIG reaches ABC as Yosys's gate netlist instead of an AIGER file and Yosys runs a full
``opt``, so ABC starts from a slightly different structure: ``tests/test_synth_ppa.py`` holds the two
to 10% in area and delay (on the VerilogEval references the two agree to within a few percent).
Latches inferred from ``always_comb`` are synthesised as latches (Yosys 0.23 makes them an error;
IEEE 1800 a warning). ``ppa_of`` never raises on a bad design: the status says why.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rtlgen.sandbox import Job, JobResult, KilledBy, Limits, Sandbox, Step, default_sandbox, find_tool, run_many
from rtlgen.synth.latches import latch_cells, latch_techmap, legalize_args
from rtlgen.synth.liberty import resolve_liberty
from rtlgen.synth.qor import SynthError, parse_stats, parse_stime, strip_ansi
from rtlgen.synth.recipes import parse_recipe
from rtlgen.synth.screen import screen_verilog, uses_preprocessor

METHOD = "abc-stime-cut-registers: longest logic path in/reg -> reg/out (ps), clock-to-Q and setup excluded"
READ_FLAGS = "-sv -nodpi -noblackbox -noassert -noassume -norestrict"  # as rtlgen.synth.equivalence reads
_TOP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_ERROR = re.compile(r"ERROR:.*")
_CHIP_AREA = re.compile(r"Chip area for module .*?:\s*([-+0-9.eE]+)")
_CELL_ROW = re.compile(r"^\s{5}(\S+)\s+(\d+)\s*$", re.M)
_NOTHING_TO_MAP = "Don't call ABC as there is nothing to map"


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
    seconds: float = 0.0  # wall time of the Yosys job

    @property
    def ok(self) -> bool:
        return self.status is PPAStatus.OK

    def to_json(self) -> dict:
        return {**asdict(self), "status": self.status.value, "recipe": list(self.recipe)}


# -- scripts and jobs ---------------------------------------------------------------------------------
def abc_script(recipe: Sequence[str]) -> str:
    return "\n".join(["strash", *recipe, "print_stats", "map", "topo", "stime", ""])


def yosys_script(top: str, liberty: str, preprocess: bool, latch_map: bool, latch_legalize: str) -> str:
    """Verilog -> registers and latches as liberty cells, logic through ABC; stat files before and after."""
    latches = ([f"dfflegalize {latch_legalize} t:$_DLATCH*"] + (["techmap -map latches.v t:$_DLATCH*"]
                                                                 if latch_map else [])) if latch_legalize else []
    return "\n".join([
        f"read_verilog {READ_FLAGS}{'' if preprocess else ' -nopp'} design.sv",
        "tee -q -o modules.txt ls",  # tells a missing top from other elaboration errors
        "setattr -unset always_comb",  # synthesise a latch the code describes (Yosys 0.23 would stop)
        f"hierarchy -check -top {top}",
        "proc", "flatten", "opt", "memory", "opt", "techmap", "opt -fast", "setundef -zero",
        f"dfflibmap -liberty {liberty}",
        *latches,
        "opt_clean",
        f"tee -q -o seq.txt stat -liberty {liberty}",
        f"tee -q -o abc.log abc -liberty {liberty} -script recipe.abc",
        "opt_clean",
        f"tee -q -o total.txt stat -liberty {liberty}", ""])


def ppa_job(text: str, top: str, liberty: str, recipe: Sequence[str], limits: Limits) -> Job:
    """The sandboxed Yosys job for one (screened) design; ``liberty`` is an uncompressed file, mounted read-only."""
    cells = latch_cells(liberty)
    script = yosys_script(top, liberty, uses_preprocessor(text), bool(cells), legalize_args(cells))
    files = {"design.sv": text, "ppa.ys": script, "recipe.abc": abc_script(recipe)}
    if cells:
        files["latches.v"] = latch_techmap(cells)
    return Job(steps=(Step((find_tool("yosys"), "-q", "-s", "ppa.ys")),), files=files, limits=limits,
               outputs=("modules.txt", "seq.txt", "abc.log", "total.txt"), ro_paths=(liberty,))


def ppa_limits(timeout_s: float) -> Limits:
    return Limits(wall_s=timeout_s, cpu_s=timeout_s * 2, memory_mb=4096, output_bytes=4_000_000, file_size_mb=64)


# -- results ------------------------------------------------------------------------------------------
def _cells(stat: str) -> dict[str, int]:
    return {name: int(n) for name, n in _CELL_ROW.findall(stat)}


def _chip_area(stat: str) -> float:
    found = _CHIP_AREA.findall(stat)
    return float(found[-1]) if found else 0.0


def parse_ppa(res: JobResult, *, top: str, liberty: str, recipe: tuple[str, ...],
              latch_names: frozenset[str] = frozenset()) -> PPA:
    """The PPA of a finished job, or a FAILED/TIMEOUT PPA saying why."""
    base = {"top": top, "liberty": liberty, "recipe": recipe, "seconds": round(res.wall_s, 3)}
    if res.killed_by in (KilledBy.TIMEOUT, KilledBy.CPU):
        return PPA(PPAStatus.TIMEOUT, f"Yosys stopped by the {res.killed_by.value} limit after {res.wall_s:.0f} s",
                   **base)
    if res.killed_by is not KilledBy.NONE:
        return PPA(PPAStatus.FAILED, f"Yosys stopped by the {res.killed_by.value} limit", **base)
    if not res.ok or "total.txt" not in res.outputs:
        return PPA(PPAStatus.FAILED, _failure(res, top), **base)
    try:
        return _measure(res, base, latch_names)
    except (SynthError, ValueError) as exc:
        return PPA(PPAStatus.FAILED, str(exc)[:400], **base)


def _failure(res: JobResult, top: str) -> str:
    log = res.stderr + res.stdout
    modules = {ln.strip().lstrip("\\") for ln in res.outputs.get("modules.txt", b"").decode(errors="replace")
               .splitlines() if ln.startswith("  ") and ln.strip()}
    if "modules.txt" in res.outputs and top not in modules:
        return f"no module '{top}' (defines: {', '.join(sorted(modules)[:8]) or 'none'})"
    errors = _ERROR.findall(log)
    detail = errors[-1] if errors else " ".join(log.split())[-300:] or f"exit {res.exit_code}, no result written"
    return f"Yosys failed: {detail[:300]}"


def _measure(res: JobResult, base: dict, latch_names: frozenset[str]) -> PPA:
    text = {k: strip_ansi(v.decode(errors="replace")) for k, v in res.outputs.items()}
    seq, total = _cells(text["seq.txt"]), _cells(text["total.txt"])
    unmapped = {name: n for name, n in total.items() if name.startswith("$")}
    if unmapped:
        shown = ", ".join(f"{n} x {name}" for name, n in sorted(unmapped.items()))
        return PPA(PPAStatus.FAILED, f"not mapped to the liberty: {shown} (no matching flip-flop or latch cell "
                   "in it?)", **base)
    registers = {name: n for name, n in seq.items() if not name.startswith("$")}
    latches = sum(n for name, n in registers.items() if name in latch_names)
    seq_area, area = _chip_area(text["seq.txt"]), _chip_area(text["total.txt"])
    log = text.get("abc.log", "")
    if _NOTHING_TO_MAP in log or "ABC:" not in log:  # registers and wires only
        ands = levels = 0
        delay = 0.0
    else:
        ands, levels = parse_stats(log)
        _, delay = parse_stime(log)
    return PPA(PPAStatus.OK, "", comb_area=round(area - seq_area, 6), seq_area=seq_area, area=area, delay=delay,
               adp=area * delay, flops=sum(registers.values()) - latches, latches=latches, and_nodes=ands,
               levels=levels, **base)


# -- entry points ---------------------------------------------------------------------------------------
def _screen(text: str, top: str) -> str | None:
    if not isinstance(top, str) or not _TOP_NAME.match(top):
        return f"top must be a plain Verilog identifier, not {top!r}"
    if not isinstance(text, str):
        return f"design text must be a string, not {type(text).__name__}"
    return screen_verilog(text)


def ppa_many(items: Sequence[tuple[str, str]], *, liberty: str | None = None, recipe: str = "resyn2",
             sandbox: Sandbox | None = None, timeout_s: float = 120, workers: int | None = None,
             progress: bool | str = False) -> list[PPA]:
    """PPA of each ``(text, top)`` pair, in order; the jobs run concurrently (``run_many``).

    A refused or broken design gets a PPA with its status; a bad ``liberty`` or ``recipe`` (the caller's
    configuration, not a design) raises InputError, a missing Yosys ToolMissingError.
    """
    lib = str(resolve_liberty(liberty))
    steps = parse_recipe(recipe)
    limits = ppa_limits(timeout_s)
    latch_names = frozenset(c.name for c in latch_cells(lib).values())
    out: list[PPA | None] = [None] * len(items)
    jobs, where = [], []
    for i, (text, top) in enumerate(items):
        refusal = _screen(text, top)
        if refusal:
            out[i] = PPA(PPAStatus.REFUSED, refusal, top=str(top), liberty=lib, recipe=steps)
        else:
            jobs.append(ppa_job(text, top, lib, steps, limits))
            where.append(i)
    results = run_many(sandbox or default_sandbox(), jobs, workers=workers, progress=progress) if jobs else []
    for i, res in zip(where, results, strict=True):
        out[i] = parse_ppa(res, top=items[i][1], liberty=lib, recipe=steps, latch_names=latch_names)
    return out  # type: ignore[return-value]


def ppa_of(text: str, *, top: str, liberty: str | None = None, recipe: str = "resyn2",
           sandbox: Sandbox | None = None, timeout_s: float = 120) -> PPA:
    """PPA of one design (see ``ppa_many``); never raises on a bad design."""
    return ppa_many([(text, top)], liberty=liberty, recipe=recipe, sandbox=sandbox, timeout_s=timeout_s)[0]
