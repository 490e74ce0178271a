"""Differential testbench: the reference and a candidate side by side, same stimulus, every output compared.

    ports = read_ports(reference_text, top)                 # pyslang in a bounded worker; None if unreadable
    diff = build_bench(reference_text, top, ports)          # a judge Bench (MISMATCH_COUNT protocol)
    verdict = Judge().judge(candidate_text, diff.bench)

The reference's modules are renamed (its top becomes ``RefModule``, the others get ``_rtlgen_ref``) so
that both designs coexist; the candidate keeps its names and must define ``top``. Roles come from the
reference's ports: 1-bit inputs named like a clock are driven as one clock, 1-bit inputs named like a
reset (at most ``max_resets``) get every combination of values, the rest are data. The bench runs one
phase per reset combination: the combination held for ``reset_cycles``, then its complement, with
occasional random re-assertion. Data inputs get corner values (all 0, all 1, 0101..., 1010...) and
``$random(seed)`` values. Outputs are compared twice a cycle (after the inputs settle, and after the
clock edge) with VerilogEval's rule (an x in the reference is a don't-care); a comparison where every
reference bit is x is not counted, so a bench that never sees a defined output has 0 samples and
fails. The verdict is VerilogEval's ``Mismatches: M in N samples`` line, read by the hardened judge;
the first mismatches are printed with the outputs' values, for repair feedback.

A reference's own prints cannot forge a pass: the judge wants exactly one verdict line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.errors import InputError
from rtlgen.sandbox.bounded import BoundedCallError, call_bounded
from rtlgen.sim.judge import Bench, BenchProtocol
from rtlgen.sim.judge.static import PortInfo, reference_ports

REF_TOP = "RefModule"
REF_SUFFIX = "_rtlgen_ref"
_CLOCK = re.compile(r"(^|_)(a|p|h|s|sys|core)?(clk|clock|ck)(_?i|_in)?$", re.I)
_RESET = re.compile(r"(^|_)[as]?n?(rst|reset|clr|clear)(_?n|_b|_l|_ni|_i|_in)?($|_)", re.I)
_MODULE_NAME = re.compile(r"^[ \t]*+(?:module|macromodule)[ \t\r\n]++([A-Za-z_][A-Za-z0-9_$]*+)", re.M)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*+")


@dataclass(frozen=True)
class DiffTbOptions:
    cycles_per_phase: int = field(default=96, metadata=help_("clock cycles per reset combination"))
    reset_cycles: int = field(default=2, metadata=help_("cycles each phase holds its reset combination"))
    max_resets: int = field(default=2, metadata=help_("reset-like inputs whose combinations are all covered"))
    seed: int = field(default=1, metadata=help_("seed of the bench's $random stream"))
    show_mismatches: int = field(default=4, metadata=help_("mismatches printed with values, for feedback"))

    def __post_init__(self) -> None:
        if self.cycles_per_phase < 8 or self.reset_cycles < 1 or self.reset_cycles >= self.cycles_per_phase:
            raise InputError(f"need cycles_per_phase >= 8 and 1 <= reset_cycles < cycles_per_phase, not "
                             f"{self.cycles_per_phase!r} and {self.reset_cycles!r}")
        if not 0 <= self.max_resets <= 4:
            raise InputError(f"max_resets must be between 0 and 4, not {self.max_resets!r}")


@dataclass(frozen=True)
class PortRoles:
    clocks: tuple[PortInfo, ...]
    resets: tuple[PortInfo, ...]
    data: tuple[PortInfo, ...]
    outputs: tuple[PortInfo, ...]


@dataclass(frozen=True)
class DiffBench:
    """The bench for one reference; ``testbench`` and ``reference`` are its two files."""

    bench: Bench
    testbench: str
    reference: str
    roles: PortRoles
    ports: tuple[PortInfo, ...]  # the reference's, in order


def is_input(direction: str) -> bool:
    return direction.lower() in ("in", "input")


def classify_ports(ports: Sequence[PortInfo], max_resets: int = 2) -> PortRoles:
    """Clock, reset, data and output roles by name and width (see the module docstring)."""
    ins = [p for p in ports if is_input(p.direction)]
    clocks = tuple(p for p in ins if p.width == 1 and _CLOCK.search(p.name))
    resets = tuple(p for p in ins if p.width == 1 and p not in clocks and _RESET.search(p.name))[:max_resets]
    data = tuple(p for p in ins if p not in clocks and p not in resets)
    outputs = tuple(p for p in ports if not is_input(p.direction))
    return PortRoles(clocks, resets, data, outputs)


def read_ports(text: str, top: str, timeout_s: float = 20.0) -> tuple[PortInfo, ...] | None:
    """The ports of ``top`` in ``text`` (pyslang in a bounded worker); None when they cannot be read."""
    try:
        ports = call_bounded(reference_ports, text, top, timeout_s=timeout_s, memory_mb=2048)
    except (BoundedCallError, RuntimeError):
        return None
    if not ports or any(p.width <= 0 for p in ports):
        return None
    return ports


def rename_reference(text: str, top: str) -> str:
    """``text`` with ``top`` renamed ``RefModule`` and every other module it defines given a suffix."""
    names = {n: n + REF_SUFFIX for n in _MODULE_NAME.findall(text)}
    names[top] = REF_TOP if top != REF_TOP else REF_TOP + REF_SUFFIX
    return _WORD.sub(lambda m: names.get(m.group(0), m.group(0)), text)


def _decl(p: PortInfo) -> str:
    return f"[{p.width - 1}:0] " if p.width > 1 else ""


def _corners(w: int) -> list[str]:
    alt = ("01" * w)[-w:]
    return [f"{w}'b{'0' * w}", f"{w}'b{'1' * w}", f"{w}'b{alt}", f"{w}'b{alt[::-1] if w > 1 else '0'}"]


def _random(w: int) -> str:
    return "{" + ", ".join(["$random(tb_seed)"] * ((w + 31) // 32)) + "}"


def testbench_text(top: str, ref_top: str, roles: PortRoles, opts: DiffTbOptions) -> str:
    """The bench module ``tb`` (instantiates ``ref_top`` and ``top``) for these port roles."""
    ins = [*roles.clocks, *roles.resets, *roles.data]
    lines = ["`timescale 1ns/1ps", "module tb;"]
    lines += [f"  reg {_decl(p)}tb_in_{p.name};" for p in ins]
    lines += [f"  wire {_decl(p)}tb_ref_{p.name}, tb_dut_{p.name};" for p in roles.outputs]
    lines += ["  integer tb_errors, tb_samples, tb_shown, tb_seed, tb_phase, tb_cyc, tb_r;"]
    conns = [f".{p.name}(tb_in_{p.name})" for p in ins]
    lines.append(f"  {ref_top} ref_i ({', '.join(conns + [f'.{p.name}(tb_ref_{p.name})' for p in roles.outputs])});")
    lines.append(f"  {top} dut_i ({', '.join(conns + [f'.{p.name}(tb_dut_{p.name})' for p in roles.outputs])});")
    want = "{" + ", ".join(f"tb_ref_{p.name}" for p in roles.outputs) + "}"
    got = "{" + ", ".join(f"tb_dut_{p.name}" for p in roles.outputs) + "}"
    total = sum(p.width for p in roles.outputs)
    shown = ", ".join(f"tb_dut_{p.name}, tb_ref_{p.name}" for p in roles.outputs)
    fmt = " ".join(f"{p.name}=%h (want %h)" for p in roles.outputs)
    lines += [f"  wire [{total - 1}:0] tb_want = {want};", f"  wire [{total - 1}:0] tb_got = {got};",
              "  task tb_compare; begin",
              "    if ((|(tb_want ~^ tb_want)) === 1'b1) begin",  # some reference bit is defined
              "      tb_samples = tb_samples + 1;",
              "      if (tb_want !== (tb_want ^ tb_got ^ tb_want)) begin",
              "        tb_errors = tb_errors + 1;",
              f"        if (tb_shown < {opts.show_mismatches}) begin tb_shown = tb_shown + 1;",
              f'          $display("Mismatch in phase %0d, cycle %0d: {fmt}", tb_phase, tb_cyc, {shown}); end',
              "      end", "    end", "  end endtask"]
    lines += ["  task tb_drive; begin"] + _drive_lines(roles, opts) + ["  end endtask"]
    clk_hi = " ".join(f"tb_in_{p.name} = 1;" for p in roles.clocks)
    clk_lo = " ".join(f"tb_in_{p.name} = 0;" for p in roles.clocks)
    phases = 1 << len(roles.resets)
    lines += ["  initial begin",
              f"    tb_errors = 0; tb_samples = 0; tb_shown = 0; tb_seed = {opts.seed}; {clk_lo}",
              f"    for (tb_phase = 0; tb_phase < {phases}; tb_phase = tb_phase + 1)",
              f"      for (tb_cyc = 0; tb_cyc < {opts.cycles_per_phase}; tb_cyc = tb_cyc + 1) begin",
              f"        #1 tb_drive; #2 tb_compare; #2 {clk_hi or 'tb_r = 0;'} #2 tb_compare; #3 {clk_lo or 'tb_r = 0;'}",
              "      end",
              '    $display("Mismatches: %0d in %0d samples", tb_errors, tb_samples);',
              "    $finish;", "  end", "endmodule", ""]
    return "\n".join(lines)


def _drive_lines(roles: PortRoles, opts: DiffTbOptions) -> list[str]:
    """Reset combination ``tb_phase`` (bit i: reset i) for ``reset_cycles``, then its complement with rare
    random re-assertion; data: corner patterns on cycles 0-3 of every 16, else random with some corners."""
    out = []
    for i, p in enumerate(roles.resets):
        out.append(f"    if (tb_cyc < {opts.reset_cycles}) tb_in_{p.name} = tb_phase[{i}];")
        out.append(f"    else tb_in_{p.name} = ((($random(tb_seed) & 31) == 0) ? tb_phase[{i}] : !tb_phase[{i}]);")
    for p in roles.data:
        c = _corners(p.width)
        out.append(f"    case (tb_cyc % 16) 0: tb_in_{p.name} = {c[0]}; 1: tb_in_{p.name} = {c[1]}; "
                   f"2: tb_in_{p.name} = {c[2]}; 3: tb_in_{p.name} = {c[3]};")
        out.append(f"      default: begin tb_r = $random(tb_seed) & 7; tb_in_{p.name} = (tb_r == 0) ? {c[0]} : "
                   f"(tb_r == 1) ? {c[1]} : {_random(p.width)}; end endcase")
    return out


def build_bench(reference: str, top: str, ports: Sequence[PortInfo], options: DiffTbOptions | None = None,
                name: str = "") -> DiffBench:
    """The differential bench of ``reference`` (its ``top``) for candidates defining ``top``."""
    opts = options or DiffTbOptions()
    roles = classify_ports(ports, opts.max_resets)
    if not roles.outputs:
        raise InputError(f"module {top!r} has no output to compare")
    if any(not is_input(p.direction) and p.direction.lower() not in ("out", "output") for p in ports):
        raise InputError(f"module {top!r} has inout ports; the differential bench drives inputs only")
    renamed = rename_reference(reference, top)
    ref_top = REF_TOP if top != REF_TOP else REF_TOP + REF_SUFFIX
    tb = testbench_text(top, ref_top, roles, opts)
    bench = Bench({"tb.sv": tb, "ref.sv": renamed}, top="tb", dut_top=top, reference_top=ref_top,
                  protocol=BenchProtocol.MISMATCH_COUNT, name=name, timescale="1ns/1ps")
    return DiffBench(bench, tb, renamed, roles, tuple(ports))
