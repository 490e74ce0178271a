"""Area-delay reward: values, failure value, None without a reference or with a broken one, per-row details."""

from __future__ import annotations

import pickle

import pytest

from rtlgen.rewards import AreaDelayReward
from rtlgen.rewards.completions import completion_code

REF = "module add(input [7:0] a, input [7:0] b, output [8:0] y);\n  assign y = a + b;\nendmodule\n"
RIPPLE = """Here you go:
```verilog
module add(input [7:0] a, input [7:0] b, output [8:0] y);
  wire [8:0] c;
  assign c[0] = 1'b0;
  genvar i;
  generate for (i = 0; i < 8; i = i + 1) begin : g
    assign y[i] = a[i] ^ b[i] ^ c[i];
    assign c[i + 1] = (a[i] & b[i]) | (c[i] & (a[i] ^ b[i]));
  end endgenerate
  assign y[8] = c[8];
endmodule
```"""
WRONG = "module add(input [7:0] a, input [7:0] b, output [8:0] y); assign y = a - b; endmodule"
BROKEN = "module add(input [7:0] a, b, output [8:0] y); assign y = a + ; endmodule"
SWAPPED = "module add(input [7:0] b, input [7:0] a, output [8:0] y); assign y = b - a; endmodule"
X_MSB = "module add(input [7:0] a, input [7:0] b, output [8:0] y); assign y = {1'bx, a + b}; endmodule"
INCLUDE = REF.replace(");\n", ");\n`include \"/etc/hostname\"\n", 1)  # inside the module: extraction keeps it
OTHER_TOP = REF.replace("module add", "module add2")


def test_pickle_round_trip_and_completion_text():
    reward = AreaDelayReward(failure_value=-1.0, recipe="resyn2x2")
    clone = pickle.loads(pickle.dumps(reward))
    assert clone.failure_value == -1.0 and clone.recipe == reward.recipe and clone._session is None
    assert clone.last_details == [] and clone._refs == {} and clone._ref_ppa == {}
    assert completion_code([{"role": "assistant", "content": "```verilog\nmodule m; endmodule\n```"}],
                           "m").code.startswith("module m;")


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_reward_values():
    reward = AreaDelayReward(failure_value=-1.0)
    try:
        values = reward(["p"] * 5, [REF, RIPPLE, WRONG, BROKEN, REF], reference=[REF, REF, REF, REF, None])
        assert values[0] == pytest.approx(1.0)
        assert values[1] > 0 and values[1] != -1.0
        assert values[2] == -1.0 and values[3] == -1.0  # not equivalent / does not synthesise
        assert values[4] is None
        used = pickle.loads(pickle.dumps(reward))  # a used reward still pickles (session dropped)
        assert used([""], [REF], reference=[REF]) == [pytest.approx(1.0)]
        used.close()
    finally:
        reward.close()


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_rows_never_raise_and_record_their_status(caplog):
    reward = AreaDelayReward(failure_value=-1.0)
    try:
        cands = [SWAPPED, X_MSB, INCLUDE, OTHER_TOP, RIPPLE, REF]
        refs = [REF, REF, REF, REF, BROKEN, INCLUDE]
        with caplog.at_level("WARNING", logger="rtlgen.rewards.area_delay"):
            values = reward(["p"] * len(cands), cands, reference=refs)
        assert values == [-1.0, -1.0, -1.0, -1.0, None, None]
        statuses = [d["status"] for d in reward.last_details]
        assert statuses == ["not_equivalent", "not_equivalent", "error", "not_equivalent", "unscored", "unscored"]
        assert reward.last_details[2]["equivalence"]["side"] == "candidate"
        assert "port mismatch" in reward.last_details[3]["reason"]
        assert "reference failed" in reward.last_details[4]["reason"]
        assert "reference refused" in reward.last_details[5]["reason"]
        assert sum("row not scored" in r.getMessage() for r in caplog.records) == 2
        unchecked = AreaDelayReward(require_equivalence=False)
        try:
            assert unchecked([""] * 2, [X_MSB, BROKEN], reference=[REF, REF])[1] == 0.0
            assert unchecked.last_details[0]["status"] == "unchecked"
        finally:
            unchecked.close()
    finally:
        reward.close()


ADD_TB = """module tb;
  reg [7:0] a, b; wire [8:0] y; integer i, errors = 0;
  add dut(.a(a), .b(b), .y(y));
  initial begin
    for (i = 0; i < 64; i = i + 1) begin a = i * 7; b = 255 - i * 3; #1; if (y !== a + b) errors = errors + 1; end
    $display("Mismatches: %0d in %0d samples", errors, 64); $finish;
  end
endmodule
"""


@pytest.mark.requires_yosys
@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_testbench_gates_area_delay_credit():
    """A row with a testbench is judged first: no area-delay credit for a design that fails it."""
    reward = AreaDelayReward(top="add")
    values = reward(["p", "p"], [RIPPLE, WRONG], reference=[REF, REF], testbench=[ADD_TB, ADD_TB])
    assert values[0] is not None and values[0] > 0
    assert values[1] == 0.0 and "fails its testbench" in reward.last_details[1]["reason"]


def test_logic_hidden_in_async_set_reset_pins_is_counted():
    """A design computing its function into the set/reset pins of flops whose set or reset is always active is
    equivalent, but its logic is not free: set/reset pins stay outputs of the cut, so the cone is measured and
    the flops add their area (before, this design scored 18.8x the reference)."""
    hidden = ("module add(input [7:0] a, input [7:0] b, output [8:0] y);\n  wire [8:0] s = a + b;\n"
              "  wire [8:0] r = ~s;\n  reg [8:0] q;\n  genvar i;\n  generate for (i = 0; i < 9; i = i + 1) begin : g\n"
              "    always @(posedge a[0] or posedge s[i] or posedge r[i])\n"
              "      if (s[i]) q[i] <= 1'b1; else if (r[i]) q[i] <= 1'b0; else q[i] <= b[1];\n"
              "  end endgenerate\n  assign y = q;\nendmodule\n")
    reward = AreaDelayReward(failure_value=-1.0)
    try:
        value = reward(["p"], [hidden], reference=[REF])[0]
    finally:
        reward.close()
    assert value is not None and 0 < value < 1.0, (value, reward.last_details)
