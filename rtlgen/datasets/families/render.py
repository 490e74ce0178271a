"""Render a family's ``Design`` as text: the VerilogEval-style spec, the reference module, the testbench.

The testbench follows VerilogEval v2's ``*_test.sv`` (``stimulus_gen`` driving the inputs, ``RefModule``
``good1`` and ``TopModule top_module1`` side by side, every output compared at every clock edge with
``ref === (ref ^ dut ^ ref)`` so an X in the reference matches anything, per-output hints, and the
``Mismatches: M in N samples`` line from a ``final`` block), so the judge's MISMATCH_COUNT protocol and
anything written for VerilogEval reads it unchanged. The stimulus is written out as literal vectors: the
same seed gives the same text and the same run on every simulator.
"""

from __future__ import annotations

import textwrap

from rtlgen.datasets.families.base import DUT_TOP, REF_TOP, Design, Direction, Port, Timing

_PREAMBLE = ("I would like you to implement a module named TopModule with the following interface. All input "
             "and output ports are one bit unless otherwise specified.")
_RESERVED = frozenset({"clk", "edges", "tb_match", "tb_mismatch", "errors", "errortime", "clocks", "stim1", "good1",
                       "top_module1", "tb", "stimulus_gen"})


def para(text: str) -> str:
    """One prose paragraph wrapped at 72 columns, as VerilogEval's prompts are."""
    return textwrap.fill(" ".join(text.split()), width=72)


def a_n(number: int) -> str:
    """The article before a spoken number ("an 8-bit", "a 6-bit")."""
    return "an" if str(number).startswith("8") or number in (11, 18) else "a"


def spec_text(design: Design) -> str:
    lines = [para(_PREAMBLE), ""]
    for p in design.ports:
        extra = f" ({p.width} bits)" if p.width > 1 else ""
        lines.append(f" - {p.direction.value:<6} {p.name}{extra}")
    return "\n".join(lines) + "\n\n" + design.description.strip("\n") + "\n"


def module_text(name: str, design: Design) -> str:
    decls = []
    for p in design.ports:
        kind = "output reg" if p.direction is Direction.OUTPUT and p.name in design.regs else p.direction.value
        decls.append(f"  {kind} {p.range()}{p.name}")
    return f"module {name} (\n" + ",\n".join(decls) + "\n);\n\n" + design.body.strip("\n") + "\n\nendmodule\n"


def reference_text(design: Design) -> str:
    return module_text(REF_TOP, design)


def _check_names(design: Design) -> None:
    clock = design.stimulus.clock if design.stimulus.timing is Timing.CLOCKED else None
    for p in design.ports:
        if p.name in _RESERVED and p.name != clock:
            raise ValueError(f"port name {p.name!r} collides with a testbench name")
    inputs = [p.name for p in design.ports if p.direction is Direction.INPUT and p.name != clock]
    if sorted(inputs) != sorted(design.stimulus.driven):
        raise ValueError(f"the stimulus drives {design.stimulus.driven}, the design's inputs are {inputs}")


def _stimulus_module(design: Design, by_name: dict[str, Port]) -> str:
    stim = design.stimulus
    decl = ",\n".join(f"\toutput reg {by_name[n].range()}{n}" for n in stim.driven)
    edge = "@(negedge clk)" if stim.timing is Timing.CLOCKED else "@(posedge clk, negedge clk)"

    target = "{" + ", ".join(stim.driven) + "}" if len(stim.driven) > 1 else stim.driven[0]
    total = sum(by_name[n].width for n in stim.driven)

    def assign(vector: tuple[int, ...]) -> str:  # one packed literal per step keeps long benches small
        packed = 0
        for n, v in zip(stim.driven, vector, strict=True):
            packed = (packed << by_name[n].width) | (v & ((1 << by_name[n].width) - 1))
        return f"{target} <= {total}'h{packed:x};"

    steps = [f"\t\t{edge} {assign(v)}" for v in stim.vectors[1:]]
    if stim.pulse:
        name, level = stim.pulse
        for k in sorted(stim.pulse_at):
            steps[k - 1] = steps[k - 1].replace(f"{edge} ", f"{edge} begin ", 1) + \
                f" #2 {name} <= 1'b{level}; #1 {name} <= 1'b{1 - level}; end"
    return ("module stimulus_gen (\n\tinput clk,\n" + decl + "\n);\n\n\tinitial begin\n"
            f"\t\t{assign(stim.vectors[0])}\n" + "\n".join(steps) + "\n\t\t@(negedge clk);\n\t\t#1 $finish;\n"
            "\tend\n\nendmodule\n")


def testbench_text(design: Design) -> str:
    """The VerilogEval v2 style testbench comparing ``TopModule`` with ``RefModule`` (see the docstring)."""
    _check_names(design)
    by_name = {p.name: p for p in design.ports}
    stim = design.stimulus
    clock = stim.clock if stim.timing is Timing.CLOCKED else None
    outputs = [p for p in design.ports if p.direction is Direction.OUTPUT]
    lines = ["module tb();", "", "\tint errors = 0;", "\tint errortime = 0;", "\tint clocks = 0;", "\tint edges = 0;"]
    for p in outputs:
        lines += [f"\tint errors_{p.name} = 0;", f"\tint errortime_{p.name} = 0;"]
    lines += ["", "\treg clk=0;", "\tinitial forever", "\t\t#5 clk = ~clk;", ""]
    lines += [f"\tlogic {by_name[n].range()}{n};" for n in stim.driven]
    for p in outputs:
        lines += [f"\tlogic {p.range()}{p.name}_ref;", f"\tlogic {p.range()}{p.name}_dut;"]
    ins = ([clock] if clock else []) + list(stim.driven)
    stim_conns = ", ".join(f".{n}({n})" for n in ["clk", *stim.driven])

    def conns(suffix: str) -> str:
        return ",\n\t\t".join([f".{n}({n})" for n in ins if n in by_name] +
                              [f".{p.name}({p.name}_{suffix})" for p in outputs])

    ref = "{ " + ", ".join(f"{p.name}_ref" for p in outputs) + " }"
    dut = "{ " + ", ".join(f"{p.name}_dut" for p in outputs) + " }"
    lines += ["", "\twire tb_match;", "\twire tb_mismatch = ~tb_match;", "",
              f"\tstimulus_gen stim1 ({stim_conns});", f"\t{REF_TOP} good1 (\n\t\t{conns('ref')} );",
              f"\t{DUT_TOP} top_module1 (\n\t\t{conns('dut')} );", "", "\tfinal begin"]
    for p in outputs:
        lines += [f"\t\tif (errors_{p.name}) $display(\"Hint: Output '%s' has %0d mismatches. First mismatch "
                  f"occurred at time %0d.\", \"{p.name}\", errors_{p.name}, errortime_{p.name});",
                  f"\t\telse $display(\"Hint: Output '%s' has no mismatches.\", \"{p.name}\");"]
    lines += ["", "\t\t$display(\"Hint: Total mismatched samples is %1d out of %1d samples\\n\", errors, clocks);",
              "\t\t$display(\"Simulation finished at %0d ps\", $time);",
              "\t\t$display(\"Mismatches: %1d in %1d samples\", errors, clocks);", "\tend", "",
              "\t// an X in the reference matches anything; an X in the design only matches an X",
              f"\tassign tb_match = ( {ref} === ( {ref} ^ {dut} ^ {ref} ) );",
              "\talways @(posedge clk, negedge clk) begin", "\t\tedges++;",
              f"\t\tif (edges > {stim.skip_edges}) begin", "\t\tclocks++;",
              "\t\tif (!tb_match) begin", "\t\t\tif (errors == 0) errortime = $time;", "\t\t\terrors++;", "\t\tend"]
    for p in outputs:
        r, d = f"{p.name}_ref", f"{p.name}_dut"
        lines += [f"\t\tif ({r} !== ( {r} ^ {d} ^ {r} ))",
                  f"\t\tbegin if (errors_{p.name} == 0) errortime_{p.name} = $time;",
                  f"\t\t\terrors_{p.name} = errors_{p.name} + 1'b1; end"]
    lines += ["\t\tend", "\tend", "", "\t// add timeout after 100K cycles", "\tinitial begin", "\t\t#1000000",
              "\t\t$display(\"TIMEOUT\");", "\t\t$finish();", "\tend", "", "endmodule"]
    return "`timescale 1 ps/1 ps\n\n" + _stimulus_module(design, by_name) + "\n" + "\n".join(lines) + "\n"
