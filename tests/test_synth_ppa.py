"""PPA of RTL with registers (rtlgen.synth.ppa): scripts and parsing without tools, then real Yosys/ABC
on tiny designs (one batch through ppa_many), the combinational figures against `synth qor`'s flow,
the CLI, and the area-delay reward on sequential rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtlgen.sandbox import JobResult, StepResult
from rtlgen.synth.ppa import METHOD, PPA, PPAStatus, parse_ppa, ppa_many, yosys_script
from rtlgen.synth.seqcells import latch_techmap, legalize_args, sequential_cells

COUNTER = """module counter(input clk, input reset, output reg [3:0] q);
  always @(posedge clk) if (reset) q <= 4'd0; else q <= q + 4'd1;
endmodule"""
ASYNC = """module counter(input clk, input rst_n, output reg [3:0] q);
  always @(posedge clk or negedge rst_n) if (!rst_n) q <= 4'd0; else q <= q + 4'd1;
endmodule"""
NEGEDGE = """module shift(input clk, input d, output reg [2:0] q);
  always @(negedge clk) q <= {q[1:0], d};
endmodule"""
ENABLE = """module acc(input clk, input en, input [3:0] d, output reg [3:0] q);
  always @(posedge clk) if (en) q <= q ^ d;
endmodule"""
MEMORY = """module ram(input clk, input we, input [1:0] wa, input [1:0] ra, input [3:0] wd, output [3:0] rd);
  reg [3:0] mem [0:3];
  always @(posedge clk) if (we) mem[wa] <= wd;
  assign rd = mem[ra];
endmodule"""
LATCH = """module lat(input en, input d, output reg q);
  always @* if (en) q = d;
endmodule"""
ADDER = "module add(input [7:0] a, input [7:0] b, output [8:0] y);\n  assign y = a + b;\nendmodule\n"
SYNTAX = "module counter(input clk output q); endmodule"
INCLUDE = '`include "/etc/hostname"\n' + COUNTER

MINI_LIB = """library (mini) {
  cell (DFF) { area : 5; ff (IQ, IQN) { clocked_on : "CLK"; next_state : "D"; }
    pin (D) { direction : input; } pin (CLK) { direction : input; clock : true; }
    pin (Q) { direction : output; function : "IQ"; } }
  cell (DFFR) { area : 6; ff (IQ, IQN) { clocked_on : "CLK"; next_state : "D"; clear : "!RESET_B"; }
    pin (D) { direction : input; } pin (CLK) { direction : input; } pin (RESET_B) { direction : input; }
    pin (Q) { direction : output; function : "IQ"; } }
  cell (LATN) { area : 4; latch (IQ, IQN) { enable : "!GATE_N"; data_in : "D"; }
    pin (D) { direction : input; } pin (GATE_N) { direction : input; }
    pin (Q) { direction : output; function : "IQ"; } }
  cell (LATP_BIG) { area : 9; latch (IQ, IQN) { enable : "G"; data_in : "D"; }
    pin (D) { direction : input; } pin (G) { direction : input; } pin (Q) { direction : output; function : "IQ"; } }
  cell (LATP) { area : 3; latch (IQ, IQN) { enable : "G"; data_in : "D"; }
    pin (D) { direction : input; } pin (G) { direction : input; } pin (Q) { direction : output; function : "IQ"; } }
  cell (LATR) { area : 2; latch (IQ, IQN) { enable : "G"; data_in : "D"; clear : "!R"; }
    pin (D) { direction : input; } pin (G) { direction : input; } pin (R) { direction : input; }
    pin (Q) { direction : output; function : "IQ"; } }
  cell (test_cellish) { area : 1; pin (A) { direction : input; } pin (Y) { direction : output; function : "A"; } }
}
"""


# -- without tools ------------------------------------------------------------------------------------
def test_sequential_cells_of_a_liberty(tmp_path):
    lib = tmp_path / "mini.lib"
    lib.write_text(MINI_LIB)
    cells = sequential_cells(lib)
    assert {p: c.name for p, c in cells.latches.items()} == {"N": "LATN", "P": "LATP"}  # smallest, no clear
    assert cells.latches["N"].enable == "GATE_N" and cells.latches["P"].q == "Q"
    assert cells.register_names == {"DFF", "DFFR", "LATN", "LATP_BIG", "LATP", "LATR"}
    assert cells.latch_names == {"LATN", "LATP_BIG", "LATP", "LATR"}
    assert cells.clock_pins == {"CLK", "GATE_N", "G"}  # RESET_B and R (async clear) stay outputs of the cut
    text = latch_techmap(cells.latches)
    assert "module \\$_DLATCH_N_" in text and "\\LATN _TECHMAP_REPLACE_ (.GATE_N(E), .D(D), .Q(Q));" in text
    assert legalize_args(cells.latches) == "-cell $_DLATCH_N_ x -cell $_DLATCH_P_ x"


def test_script_cuts_registers_and_drops_clock_pins(tmp_path):
    lib = tmp_path / "mini.lib"
    lib.write_text(MINI_LIB)
    script = yosys_script("counter", str(lib), False, sequential_cells(lib), "rtlgen_regabc")
    lines = script.splitlines()
    assert lines[0].endswith("-nopp design.sv") and "hierarchy -check -top counter" in lines
    assert lines.index(f"dfflibmap -liberty {lib}") < lines.index(f"tee -q -o seq.txt stat -liberty {lib}")
    assert "expose -evert t:* t:$* %d" in lines and lines[-1] == "write_aiger -symbols -zinit cut.aig"
    assert "delete -port w:rtlgen_regabc_*.CLK w:rtlgen_regabc_*.G w:rtlgen_regabc_*.GATE_N" in lines
    assert "hierarchy -check -auto-top" in yosys_script(None, str(lib), True, sequential_cells(lib), "t")


def _result(seq: str, yosys_ok: bool = True, abc_out: str = "", aig: bytes = b"aig 3 2 0 1 1\n") -> JobResult:
    steps = [StepResult(("yosys",), 0 if yosys_ok else 1, "", "" if yosys_ok else "ERROR: boom", 0.5, 0.5)]
    if yosys_ok:
        steps.append(StepResult(("yosys-abc",), 0, abc_out, "", 0.2, 0.2))
    outputs = {"seq.txt": seq.encode(), "modules.txt": b"\n  counter\n", **({"cut.aig": aig} if yosys_ok else {})}
    return JobResult(steps=tuple(steps), outputs=outputs)


def test_parse_ppa_figures_and_failures(tmp_path):
    lib = tmp_path / "mini.lib"
    lib.write_text(MINI_LIB)
    cells = sequential_cells(lib)
    seq = ("=== counter ===\n\n   Number of cells:                  6\n     $_AND_                          2\n"
           "     DFF                             3\n     LATP                            1\n\n"
           "   Chip area for module '\\counter': 18.000000\n")
    abc = "netlist : i/o = 5/4 lat = 0 and = 7 lev = 3\nWireLoad = \"none\" Gates = 9 Area = 30.50 Delay = 120.00 ps\n"
    p = parse_ppa(_result(seq, abc_out=abc), top=None, liberty="x.lib", recipe=("balance",), cells=cells)
    assert (p.status, p.top, p.flops, p.latches, p.seq_area, p.comb_area) == (PPAStatus.OK, "counter", 3, 1, 18, 30.5)
    assert p.area == 48.5 and p.delay == 120 and p.adp == 48.5 * 120 and (p.and_nodes, p.levels) == (7, 3)
    assert p.register_cells == (("DFF", 3), ("LATP", 1)) and p.method == METHOD
    assert json.loads(json.dumps(p.to_json()))["register_cells"] == {"DFF": 3, "LATP": 1}
    no_logic = parse_ppa(_result(seq, aig=b"aig 2 2 0 0 0\n"), top="counter", liberty="x", recipe=(), cells=cells)
    assert no_logic.ok and no_logic.delay == 0 and no_logic.area == 18  # ABC is not asked about an empty cut
    unmapped = parse_ppa(_result(seq.replace("DFF  ", "$_DFFE_PP_"), yosys_ok=False), top="counter",
                         liberty="x", recipe=(), cells=cells)
    assert unmapped.status is PPAStatus.FAILED and "no cell in the liberty for 3 x $_DFFE_PP_" in unmapped.reason
    blackbox = parse_ppa(_result(seq.replace("LATP", "SECRET")), top="counter", liberty="x", recipe=(), cells=cells)
    assert "SECRET are not flattened" in blackbox.reason
    failed = parse_ppa(_result("", yosys_ok=False), top="counter", liberty="x", recipe=(), cells=cells)
    assert failed.status is PPAStatus.FAILED and failed.reason == "Yosys failed: ERROR: boom"
    missing = parse_ppa(_result("", yosys_ok=False), top="other", liberty="x", recipe=(), cells=cells)
    assert missing.reason == "no module 'other' (defines: counter)"


def test_refusals_need_no_tool():
    rows = ppa_many([(INCLUDE, "counter"), (COUNTER, "bad name"), (COUNTER.replace("4'd0", "$fgetc(3)"), "counter")])
    assert [r.status for r in rows] == [PPAStatus.REFUSED] * 3
    assert "`include is not allowed" in rows[0].reason and "plain Verilog identifier" in rows[1].reason
    assert "$fgetc is not allowed" in rows[2].reason
    assert rows[0].seconds == 0 and rows[0].top == "counter"


# -- real tools ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def batch() -> dict[str, PPA]:
    designs = {"counter": (COUNTER, "counter"), "async": (ASYNC, "counter"), "negedge": (NEGEDGE, "shift"),
               "enable": (ENABLE, "acc"), "memory": (MEMORY, "ram"), "latch": (LATCH, "lat"), "adder": (ADDER, "add"),
               "syntax": (SYNTAX, "counter"), "include": (INCLUDE, "counter"), "no_top": (COUNTER, "nosuch"),
               "auto_top": (COUNTER, None)}
    return dict(zip(designs, ppa_many(list(designs.values()), check=True), strict=True))


def _consistent(p: PPA) -> None:
    assert p.ok, p.reason
    assert p.area == pytest.approx(p.comb_area + p.seq_area) and p.adp == pytest.approx(p.area * p.delay)
    assert p.equivalent is True and p.method == METHOD and p.liberty.endswith(".lib-" + p.liberty.split("-")[-1])


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_registers_of_every_kind(batch):
    for name in ("counter", "async", "negedge", "enable", "memory", "latch"):
        _consistent(batch[name])
    counter, asynch = batch["counter"], batch["async"]
    assert counter.flops == 4 and counter.latches == 0 and counter.comb_area > 0 and counter.delay > 0
    assert dict(counter.register_cells) == {"sky130_fd_sc_hd__dfxtp_1": 4}  # sync reset: plain flop + logic
    assert asynch.flops == 4 and "sky130_fd_sc_hd__dfrtp_1" in dict(asynch.register_cells)  # reset in the cell
    assert batch["negedge"].flops == 3 and batch["enable"].flops == 4 and batch["enable"].comb_area > 0
    assert batch["memory"].flops == 16  # 4 words x 4 bits as registers, read mux in the logic
    assert batch["latch"].latches == 1 and batch["latch"].flops == 0
    assert batch["auto_top"].top == "counter" and batch["auto_top"].area == counter.area


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_bad_designs_say_why(batch):
    assert batch["syntax"].status is PPAStatus.FAILED
    assert "design.sv:1: ERROR: syntax error" in batch["syntax"].reason
    assert batch["include"].status is PPAStatus.REFUSED
    assert batch["no_top"].status is PPAStatus.FAILED and "no module 'nosuch'" in batch["no_top"].reason


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_combinational_figures_equal_the_aiger_flow(batch):
    from rtlgen.synth import RESYN2, AbcSession
    from rtlgen.synth.frontend import design_from_bytes

    adder = batch["adder"]
    _consistent(adder)
    assert adder.flops == adder.latches == 0 and adder.seq_area == 0
    with AbcSession() as abc:
        q = abc.evaluate(design_from_bytes(Path("add.v"), ADDER.encode(), top="add"), RESYN2)
    tolerance = 1e-9  # the same AIG and the same ABC commands: identical figures
    assert adder.comb_area == pytest.approx(q.area, rel=tolerance)
    assert adder.area == pytest.approx(q.area, rel=tolerance)
    assert adder.delay == pytest.approx(q.delay, rel=tolerance) and adder.adp == pytest.approx(q.adp, rel=tolerance)
    assert (adder.and_nodes, adder.levels) == (q.and_nodes, q.levels)


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_cli_qor_on_verilog(tmp_path, capsys):
    from rtlgen.cli.main import main

    (tmp_path / "counter.v").write_text(COUNTER)
    assert main(["synth", "qor", str(tmp_path / "counter.v"), "--top", "counter", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "ok" and out["flops"] == 4 and out["method"] == METHOD and out["equivalent"] is True
    assert {"comb_area", "seq_area", "area", "delay", "adp"} <= set(out)
    (tmp_path / "bad.v").write_text(SYNTAX)
    assert main(["synth", "qor", str(tmp_path / "bad.v"), "--top", "counter"]) == 4
    err = capsys.readouterr().err.strip()
    assert "syntax error" in err and len(err.splitlines()) == 1


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_area_delay_reward_on_sequential_rows():
    from rtlgen.rewards import AreaDelayReward

    rewrite = COUNTER.replace("q <= q + 4'd1;", "q <= q - 4'b1111;")  # the same counter, written differently
    wrong = COUNTER.replace("q + 4'd1", "q + 4'd2")
    reward = AreaDelayReward(failure_value=-1.0)
    try:
        values = reward(["p"] * 3, [rewrite, wrong, COUNTER], reference=[COUNTER] * 3)
        assert values[0] == pytest.approx(1.0, rel=0.05) and values[1] == -1.0 and values[2] == pytest.approx(1.0)
        assert [d["status"] for d in reward.last_details] == ["equivalent", "not_equivalent", "equivalent"]
        assert reward.last_details[0]["reason"] == "scored (sequential PPA)"
    finally:
        reward.close()
