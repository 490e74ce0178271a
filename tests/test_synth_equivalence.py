"""Equivalence gate of the area-delay reward: one small design per attack, each with the status it must get.

No-tool tests cover the screen, the port comparison, the scripts and the log parsing; the rest runs
real Yosys (sandboxed) on tiny designs: ``pytest -q tests/test_synth_equivalence.py``.
"""

from __future__ import annotations

import json

import pytest

from rtlgen.errors import InputError
from rtlgen.sandbox import Limits, default_sandbox
from rtlgen.synth.equivalence import (
    ElabStatus,
    EquivResult,
    EquivStatus,
    Port,
    Side,
    _counterexample,
    _structure_problems,
    check_equivalence,
    elaborate,
    elaborate_script,
    miter_script,
    port_mismatch,
)
from rtlgen.synth.screen import screen_verilog

EQ, NEQ, UNK, ERR = EquivStatus.EQUIVALENT, EquivStatus.NOT_EQUIVALENT, EquivStatus.UNKNOWN, EquivStatus.ERROR

ALU = """module top(input [3:0] a, input [3:0] b, input s, output [3:0] p, output [3:0] q);
  assign p = s ? a + b : a - b;
  assign q = a & b;
endmodule
"""
HDR = "module top(input [3:0] a, input [3:0] b, input s, output [3:0] p, output [3:0] q);\n"
COUNTER = """module top(input clk, input rst, input en, output [3:0] q);
  reg [3:0] cnt;
  always @(posedge clk) if (rst) cnt <= 0; else if (en) cnt <= cnt + 1;
  assign q = cnt;
endmodule
"""
FSM = """module top(input clk, input rst, input x, output y);
  reg [1:0] s;  // binary: seen 0, 1, 2+ ones in a row
  always @(posedge clk)
    if (rst) s <= 0;
    else case (s) 0: s <= x ? 1 : 0; 1: s <= x ? 2 : 0; 2: s <= x ? 2 : 0; default: s <= 0; endcase
  assign y = (s == 2);
endmodule
"""
TOGGLE = "module top(input clk, output q); reg r = 1'b1; always @(posedge clk) r <= ~r; assign q = r; endmodule\n"
DONT_CARE = "module top(input [3:0] a, input [3:0] b, input s, output [3:0] y); assign y = s ? a : 4'bx; endmodule\n"
REFS = {"alu": ALU, "counter": COUNTER, "fsm": FSM, "toggle": TOGGLE, "dont_care": DONT_CARE}

# name: (reference, candidate, status it must get)
CASES = {
    # honest rewrites
    "alu_same": ("alu", ALU, EQ),
    "alu_rewrite": ("alu", """module top(output [3:0] q, input s, output [3:0] p, input [3:0] b, input [3:0] a);
  wire [3:0] bb = s ? b : ~b;   // a - b = a + ~b + 1
  wire [3:0] sum_w;
  assign sum_w = a + bb + {3'b0, ~s};
  assign p = sum_w;
  assign q = ~(~a | ~b);
endmodule
""", EQ),
    "alu_submodule": ("alu", """module andv(input [3:0] x, input [3:0] y, output [3:0] z); assign z = x & y; endmodule
module unused(input i, output o); assign o = ~i; endmodule
module top(input [3:0] a, input [3:0] b, input s, output [3:0] p, output [3:0] q);
  andv u(.x(a), .y(b), .z(q));
  assign p = s ? a + b : a - b;
endmodule
""", EQ),
    # ports matched by position instead of name
    "swap_outputs": ("alu", """module top(input [3:0] a, input [3:0] b, input s, output [3:0] q, output [3:0] p);
  assign q = s ? a + b : a - b;
  assign p = a & b;
endmodule
""", NEQ),
    "swap_inputs": ("alu", """module top(input [3:0] b, input [3:0] a, input s, output [3:0] p, output [3:0] q);
  assign p = s ? b + a : b - a;
  assign q = b & a;
endmodule
""", NEQ),
    # interface changes
    "missing_output": ("alu", "module top(input [3:0] a, input [3:0] b, input s, output [3:0] p);\n"
                              "  assign p = s ? a + b : a - b;\nendmodule\n", NEQ),
    "extra_output": ("alu", ALU.replace("output [3:0] q)", "output [3:0] q, output r)").replace(
        "endmodule", "assign r = 0;\nendmodule"), NEQ),
    "extra_input": ("alu", ALU.replace("input s,", "input s, input c,"), NEQ),
    "wider_output": ("alu", ALU.replace("output [3:0] p", "output [4:0] p"), NEQ),
    "no_top": ("alu", ALU.replace("module top", "module top_alu"), NEQ),
    "other_module_right": ("alu", ALU.replace("module top", "module good") + HDR
                           + "  good g(.a(a), .b(b), .s(s), .p(p), .q());\n  assign q = 0;\nendmodule\n", NEQ),
    # outputs that are constant, undriven, x or z
    "constant_outputs": ("alu", HDR + "  assign p = 0;\n  assign q = 0;\nendmodule\n", NEQ),
    "undriven_output": ("alu", HDR + "  assign p = s ? a + b : a - b;\nendmodule\n", NEQ),
    "x_output": ("alu", HDR + "  assign p = s ? a + b : a - b;\n  assign q = 4'bx;\nendmodule\n", NEQ),
    "x_one_bit": ("alu", HDR + "  assign p = s ? a + b : a - b;\n  assign q = {a[3:1] & b[3:1], 1'bx};\nendmodule\n",
                  NEQ),
    "z_output": ("alu", HDR + "  assign p = s ? a + b : a - b;\n  assign q = 4'bz;\nendmodule\n", NEQ),
    "x_where_reference_defined": ("dont_care", "module top(input [3:0] a, input [3:0] b, input s, output [3:0] y);\n"
                                               "  assign y = 4'bx;\nendmodule\n", NEQ),
    "reference_x_is_dont_care": ("dont_care", "module top(input [3:0] a, input [3:0] b, input s, output [3:0] y);\n"
                                              "  assign y = a;\nendmodule\n", EQ),
    # constructs that would make a SAT proof vacuous
    "two_drivers": ("alu", ALU.replace("assign q = a & b;", "assign q = a & b;\n  assign q = 4'b0;"), ERR),
    "input_tied": ("alu", ALU.replace("assign q = a & b;", "assign q = a & b;\n  assign a = b;"), ERR),
    "input_driven_by_logic": ("alu", ALU.replace("assign q = a & b;", "assign q = a & b;\n  assign s = ~s;"), ERR),
    "two_always_blocks": ("alu", HDR + "  reg [3:0] r;\n  always @* r = a & b;\n  always @* r = ~a;\n"
                                       "  assign q = r;\n  assign p = s ? a + b : a - b;\nendmodule\n", ERR),
    "comb_loop": ("alu", HDR + "  wire [3:0] w = s ? ~w : a & b;\n  assign q = w;\n"
                               "  assign p = s ? a + b : a - b;\nendmodule\n", ERR),
    "blackbox": ("alu", "(* blackbox *) module bb(input [3:0] x, output [3:0] y); endmodule\n" + HDR
                 + "  bb u(.x(a), .y(q));\n  assign p = s ? a + b : a - b;\nendmodule\n", ERR),
    "assume_inputs": ("alu", HDR + "  always @* assume(s);\n  assign p = a + b;\n  assign q = a & b;\nendmodule\n",
                      NEQ),
    # host files and tool failures
    "include": ("alu", '`include "/etc/hostname"\n' + ALU, ERR),
    "include_pasted": ("alu", "`define P(x) x\n`define Q `P(`)include \"/etc/hostname\"\n" + ALU, ERR),
    "readmemh": ("alu", HDR + '  reg [3:0] m [0:1];\n  initial $readmemh("/etc/hostname", m);\n'
                             "  assign q = m[0];\n  assign p = a;\nendmodule\n", ERR),
    "syntax_error": ("alu", "module top(input [3:0] a; endmodule\n", ERR),
    # sequential
    "counter_rewrite": ("counter", """module top(input en, input rst, input clk, output reg [3:0] q);
  always @(posedge clk) begin
    if (rst) q <= 4'd0;
    else q <= q + {3'b0, en};
  end
endmodule
""", EQ),
    "counter_wrong": ("counter", COUNTER.replace("cnt + 1", "cnt + 2"), NEQ),
    "counter_async_reset": ("counter", COUNTER.replace("@(posedge clk)", "@(posedge clk or posedge rst)"), NEQ),
    "counter_negedge": ("counter", COUNTER.replace("posedge", "negedge"), UNK),
    "counter_gated_clock": ("counter", COUNTER.replace("posedge clk", "posedge (clk & en)"), UNK),
    "counter_latch": ("counter", "module top(input clk, input rst, input en, output reg [3:0] q);\n"
                                 "  always @* if (clk) q = en ? 4'd1 : 4'd0;\nendmodule\n", UNK),
    "counter_combinational": ("counter", "module top(input clk, input rst, input en, output [3:0] q);\n"
                                         "  assign q = {3'b0, en};\nendmodule\n", NEQ),
    "fsm_one_hot": ("fsm", """module top(input clk, input rst, input x, output y);
  reg [2:0] oh;
  always @(posedge clk) if (rst) oh <= 3'b001; else oh <= x ? {oh[2] | oh[1], oh[0], 1'b0} : 3'b001;
  assign y = oh[2];
endmodule
""", EQ),
    "init_value_differs": ("toggle", TOGGLE.replace("1'b1;", "1'b0;"), NEQ),
    "init_value_missing": ("toggle", TOGGLE.replace(" = 1'b1;", ";"), NEQ),
}


# -- no tools --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, fragment", [
    ('`include "/etc/passwd"\nmodule m; endmodule', "`include"),
    ("`define I include\n`I", None),  # the macro expands to a bare word, not a directive: allowed
    ("`define B `\nmodule m; endmodule", "backtick"),
    ("`define D(x) x\n`D(`)include \"/etc/passwd\"", "backtick"),
    ("`define Q `\"x`\"\n", "backtick"),
    ("`__FILE__", "not an allowed directive"),
    ("module m; initial $readmemh(\"/etc/passwd\", x); endmodule", "$readmemh"),
    ("`define D() $\nmodule m; initial `D()readmemb(\"f\", x); endmodule", "lone"),
    ("module m; initial $fopen(\"f\"); endmodule", "$fopen"),
])
def test_screen_refuses(text, fragment):
    reason = screen_verilog(text)
    if fragment is None:
        assert reason is None
    else:
        assert reason and fragment in reason and "\n" not in reason


def test_screen_allows_ordinary_rtl():
    text = ("`timescale 1ns/1ps\n`default_nettype none\n`define W 4\nmodule m(input [`W-1:0] a, output y);\n"
            "  wire a$b = $signed(a) > 0; assign y = a$b;  // a$b is one name\nendmodule\n`default_nettype wire\n")
    assert screen_verilog(text) is None
    assert screen_verilog("// we never call $readmemh here\nmodule m; endmodule") is not None  # comments count too


def test_scripts_pick_top_and_disable_includes():
    script = elaborate_script("top", preprocess=False)
    assert "hierarchy -check -top top" in script and " -nopp " in script and "-nodpi" in script
    assert script.index("write_json structure.json") < script.index("setundef")  # structure before any rewrite
    assert "-auto-top" in elaborate_script(None, preprocess=True) and "-nopp" not in elaborate_script(None, True)
    comb, seq = miter_script(False, 8, 5), miter_script(True, 8, 5)
    for s in (comb, seq):
        assert "-ignore_gold_x" in s and "-enable_undef" in s and "-set-def-inputs" in s
    assert "-tempinduct" in seq and "-set-init-undef" in seq and "-tempinduct" not in comb
    assert "expose -dff" in miter_script(True, 8, 5, expose_registers=True)


def test_port_mismatch_and_result_json():
    ref = (Port("a", "input", 4), Port("y", "output", 4), Port("z", "output", 1))
    assert port_mismatch(ref, tuple(reversed(ref))) is None
    msg = port_mismatch(ref, (Port("a", "input", 5), Port("y", "input", 4), Port("w", "output", 1)))
    assert msg == "a: width 5 where the reference has 4; extra output w; missing output z; y: input where the reference has output"
    res = EquivResult(NEQ, "port mismatch: x", "ports", Side.CANDIDATE, (("in_a", "0101"),), 0.1)
    assert json.loads(json.dumps(res.to_json())) == {"status": "not_equivalent", "reason": "port mismatch: x",
                                                     "method": "ports", "side": "candidate",
                                                     "counterexample": {"in_a": "0101"}, "seconds": 0.1}


def test_structure_problems_and_counterexample_parsing():
    mod = {"ports": {"a": {"direction": "input", "bits": [2, "1"]}, "b": {"direction": "input", "bits": [2]}},
           "cells": {"c": {"type": "$not", "port_directions": {"A": "input", "Y": "output"},
                           "connections": {"A": [3], "Y": [2]}},
                     "u": {"type": "bb", "port_directions": {}, "connections": {}}}}
    problems = " | ".join(_structure_problems(("top", mod)))
    assert "a[1] is driven to 1" in problems and "tied together" in problems and "several drivers" in problems
    assert "'bb' is not flattened" in problems
    log = ("     1 \\in_a   1 1 11\n"  # an induction-step model, printed before the verdict
           "SAT temporal induction proof finished - model found for base case: FAIL!\n"
           "  Time Signal Name  Dec Hex Bin\n     1 \\in_a   1 1 01\n     1 \\gold_y  -- -- x\n"
           "     2 \\in_a   2 2 10\n     2 \\gold_y  1 1 1\n     2 \\gate_y  0 0 0\n")
    assert dict(_counterexample(log, "base case: FAIL!")) == {"in_a": "01,10", "gold_y": "1", "gate_y": "0"}


def test_bad_top_name_is_an_input_error():
    with pytest.raises(InputError):
        elaborate(ALU, top="top; shell")


# -- real Yosys ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def refs():
    box = default_sandbox()
    return {name: elaborate(text, sandbox=box) for name, text in REFS.items()}


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.parametrize("name", list(CASES))
def test_attack(refs, name):
    ref_name, candidate, expected = CASES[name]
    ref = refs[ref_name]
    assert ref.ok and ref.top == "top", ref.reason
    res = check_equivalence(candidate, ref)
    assert res.status is expected, f"{name}: {res.status.value}: {res.reason}"
    assert res.reason and "\n" not in res.reason
    if expected is NEQ and res.method == "ports":
        assert res.reason.startswith("port mismatch: ")
    if expected is ERR:
        assert res.side is Side.CANDIDATE
    json.dumps(res.to_json())


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_reference_state_and_side(refs):
    assert refs["counter"].flops == 4 and refs["counter"].clocks == ("posedge clk",)
    assert refs["alu"].flops == 0 and [p.name for p in refs["alu"].ports] == ["a", "b", "s", "p", "q"]
    broken = check_equivalence(ALU, "module top(input a; endmodule\n")
    assert broken.status is ERR and broken.side is Side.REFERENCE
    refused = check_equivalence(ALU, '`include "x.vh"\n' + ALU)
    assert refused.status is ERR and refused.side is Side.REFERENCE and refused.method == "screen"
    cex = check_equivalence(CASES["swap_outputs"][1], refs["alu"])
    assert {"in_a", "in_b", "in_s", "gold_p", "gate_p"} <= dict(cex.counterexample).keys()


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_timeouts_are_unknown():
    slow = ("module top(input [3:0] a, output [3:0] y); genvar i; wire [3:0] w [0:2000000];\n"
            "  generate for (i = 0; i < 2000000; i = i + 1) begin : g assign w[i+1] = w[i] ^ a; end endgenerate\n"
            "  assign w[0] = a; assign y = w[2000000];\nendmodule\n")
    ref = "module top(input [3:0] a, output [3:0] y); assign y = a; endmodule\n"
    res = check_equivalence(slow, ref, limits=Limits(wall_s=2, cpu_s=4, memory_mb=4096))
    assert res.status is UNK and res.side is Side.CANDIDATE and "timed out" in res.reason
    n = 10  # shift-and-add against `*`: hard for SAT, far beyond one second
    mul = f"module top(input [{n-1}:0] a, input [{n-1}:0] b, output [{2*n-1}:0] y); assign y = a * b; endmodule\n"
    shift_add = (f"module top(input [{n-1}:0] a, input [{n-1}:0] b, output [{2*n-1}:0] y);\n"
                 f"  reg [{2*n-1}:0] acc; integer i;\n  always @* begin acc = 0;\n"
                 f"    for (i = 0; i < {n}; i = i + 1) if (b[i]) acc = acc + ({{{n}'b0, a}} << i); end\n"
                 "  assign y = acc;\nendmodule\n")
    res = check_equivalence(shift_add, mul, sat_timeout_s=1)
    assert res.status is UNK and "timed out" in res.reason


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_elaboration_statuses():
    assert elaborate('`include "/etc/hostname"\n' + ALU).status is ElabStatus.REFUSED
    assert elaborate(ALU, top="nothere").status is ElabStatus.NO_TOP
    ok = elaborate(ALU, top="top")
    assert ok.ok and ok.aig.startswith(b"aig ") and b"rtlgen_design" in ok.rtlil
